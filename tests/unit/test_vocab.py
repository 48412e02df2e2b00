"""Vocabulary: code-point tokens that round-trip any text (property tests with hypothesis)."""

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from rnn.corpus import decode_bytes
from rnn.vocab import Vocab

# Every code point, including lone surrogates: a Python str may hold them (e.g. from surrogateescape).
ANY_CHAR = st.characters(codec=None, categories=None)


@settings(max_examples=300, deadline=None)
@given(st.text(ANY_CHAR))
@example("h\u00e9llo w\u00f6rld")
@example("e\u0301 a\u0308 n\u0303")  # combining marks stay separate code points
@example("\U0001f469\u200d\U0001f4bb \U0001f600\ufe0f")  # emoji, ZWJ sequence, variation selector
@example("\u732b\u304c\u597d\u304d \ud55c\uad6d\uc5b4")  # CJK, Hangul
@example("\ud800 lone \udfff")
@example("\x00\r\n\t\u2028")
def test_encode_decode_round_trip(text):
    vocab = Vocab.from_text(text)
    ids = vocab.encode(text)
    assert ids.dtype == np.int32 and ids.shape == (len(text),)
    assert vocab.decode(ids) == text
    assert vocab.size == len(set(text))
    assert list(vocab.chars) == sorted(set(text))
    if text:
        assert ids.min() >= 0 and ids.max() < vocab.size


# CRLF-free (decode_bytes turns CRLF into LF) and not starting with a BOM (it is dropped, by design).
UPLOADABLE = st.text().filter(lambda t: "\r\n" not in t and not t.startswith("\ufeff"))


@settings(max_examples=150, deadline=None)
@given(UPLOADABLE)
@example("caf\u00e9 \u732b \U0001f600 e\u0301")
@example("lone \r and \n")
def test_decode_bytes_round_trip(text):
    assert decode_bytes(text.encode("utf-8")) == text


@settings(max_examples=100, deadline=None)
@given(UPLOADABLE)
def test_decode_bytes_with_bom_and_crlf(text):
    data = ("\ufeff" + text.replace("\n", "\r\n")).encode("utf-8")
    assert decode_bytes(data) == text  # a Windows file with a BOM reads back as the same text


def test_combining_marks_are_separate_tokens():
    v = Vocab.from_text("e\u0301")
    assert v.chars == ("e", "\u0301")


def test_encode_unknown_character_names_it():
    v = Vocab.from_text("abc")
    with pytest.raises(KeyError, match="'z'"):
        v.encode("abz")
    assert v.unknown("zazyz\u00e9") == ["z", "y", "\u00e9"]
    assert v.unknown("cab") == []
    assert "a" in v and "z" not in v
    assert v.index("c") == 2 and len(v) == 3


def test_check_known_names_the_unknown_characters_once():
    v = Vocab.from_text("abc")
    v.check_known("cab")  # all known: no error
    with pytest.raises(ValueError, match=r"the prime text has characters the model has never seen: 'z', 'y'\."):
        v.check_known("zazyz", "the prime text")
    with pytest.raises(ValueError, match=r"^the text has"):
        v.check_known("\u00e9")


def test_json_round_trip_and_validation():
    v = Vocab.from_text("hello world \U0001f600")
    assert Vocab.from_json(v.to_json()) == v
    with pytest.raises(ValueError, match="single characters"):
        Vocab.from_json(["a", "bc"])
    with pytest.raises(ValueError, match="single characters"):
        Vocab.from_json(["a", 1])
    with pytest.raises(ValueError, match="duplicate"):
        Vocab.from_json(["a", "a"])


def test_vocab_equality_is_by_characters():
    assert Vocab.from_text("abc") == Vocab.from_text("cba")
    assert Vocab.from_text("abc") != Vocab.from_text("abd")
