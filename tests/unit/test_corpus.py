"""Corpus validation errors, UTF-8 decoding, the train/validation split and the built-in corpora."""

import numpy as np
import pytest

from rnn.corpus import (
    BUILTINS,
    DEFAULT_BUILTIN,
    CorpusError,
    brackets_text,
    decode_bytes,
    fingerprint,
    load_builtin,
    make_corpus,
    min_chars_for_split,
    unusual_characters,
    validate_text,
)

SEED_HELLO = "hello hello hello world world world"


# --------------------------------------------------------------------------- errors


def test_corpus_error_is_a_value_error():
    assert issubclass(CorpusError, ValueError)


def test_empty():
    with pytest.raises(CorpusError, match="empty"):
        validate_text("")
    with pytest.raises(CorpusError, match="empty"):
        make_corpus("")
    with pytest.raises(CorpusError, match="empty"):
        make_corpus(decode_bytes(b""))


def test_too_short_for_one_chunk():
    with pytest.raises(CorpusError, match=r"seq_length \+ 1 = 26"):
        validate_text("ab" * 12 + "c", seq_length=25)  # 25 characters
    assert validate_text("ab" * 13, seq_length=25)  # 26 is enough
    with pytest.raises(CorpusError, match=r"lower the sequence length"):
        make_corpus("abcdefghij", seq_length=10)
    assert make_corpus("abcdefghijk", seq_length=10).train.size == 11


def test_one_distinct_character():
    with pytest.raises(CorpusError, match="one distinct character"):
        validate_text("a" * 100)
    with pytest.raises(CorpusError, match="one distinct character"):
        make_corpus("\n" * 100)


def test_over_the_size_limit():
    with pytest.raises(CorpusError, match="over the limit of 50"):
        validate_text("ab" * 26, max_chars=50)
    assert validate_text("ab" * 25, max_chars=50)
    with pytest.raises(CorpusError, match="limit"):
        make_corpus("ab" * 100, max_chars=150)
    with pytest.raises(CorpusError, match="limit"):  # a huge upload is refused before decoding
        decode_bytes(b"ab" * 1000, max_chars=100)


def test_default_limit_is_five_million():
    with pytest.raises(CorpusError, match="5,000,000"):
        validate_text("ab" * 2_500_001)


@pytest.mark.parametrize("data", [b"\xff\xfeabc", b"abc\x80def", b"caf\xc3", b"\xed\xa0\x80 surrogate"])
def test_invalid_utf8(data):
    with pytest.raises(CorpusError, match="not valid UTF-8"):
        decode_bytes(data)


def test_not_text():
    with pytest.raises(CorpusError):
        validate_text(b"bytes are not text")


def test_decode_bytes_drops_bom_and_crlf():
    assert decode_bytes("\ufeffline one\r\nline two\r\n".encode()) == "line one\nline two\n"
    assert decode_bytes("caf\u00e9 \u732b \U0001f600".encode()) == "caf\u00e9 \u732b \U0001f600"


# --------------------------------------------------------------------------- split


def test_split_is_last_ten_percent():
    text = "".join(chr(ord("a") + (i * 7) % 26) for i in range(1000))
    c = make_corpus(text, "abc")
    assert (c.name, c.text, c.notice) == ("abc", text, "")
    assert len(c.train) == 900 and len(c.val) == 100
    assert c.vocab.decode(c.train) == text[:900]
    assert c.vocab.decode(c.val) == text[900:]
    assert c.train.dtype == np.int32
    c2 = make_corpus(text, val_fraction=0.25)
    assert len(c2.train) == 750 and c2.vocab.decode(c2.val) == text[750:]


def test_too_small_for_a_split_has_notice():
    text = "abcdefghij" * 20  # 200 chars: 10% = 20 < seq_length + 1
    c = make_corpus(text, seq_length=25)
    assert c.val is None
    assert "too small for a validation split" in c.notice
    assert c.vocab.decode(c.train) == text  # trains on all of it
    # the same text with a shorter chunk length does get a split
    c2 = make_corpus(text, seq_length=10)
    assert c2.val is not None and len(c2.val) == 20 and c2.notice == ""


def test_zero_val_fraction_has_notice():
    c = make_corpus("abcdefghij" * 100, val_fraction=0)
    assert c.val is None and "validation fraction is 0" in c.notice
    assert len(c.train) == 1000


def test_vocab_covers_whole_text_including_validation():
    text = "a" * 50 + "b" * 40 + "xyz" * 10  # x, y, z occur only in the validation part
    c = make_corpus(text, seq_length=5)
    assert c.val is not None
    assert {"x", "y", "z"} <= set(c.vocab.chars)


def test_fingerprint_and_unusual_characters():
    assert fingerprint("abc") == fingerprint("abc") != fingerprint("abd")
    assert len(fingerprint("abc")) == 16
    assert unusual_characters("plain text\n\twith tabs") == []
    assert unusual_characters("zero\u200bwidth and bell\x07") == ["\x07", "\u200b"]
    assert make_corpus("same text here" * 3).fingerprint == fingerprint("same text here" * 3)


def test_joiners_inside_emoji_and_scripts_are_not_unusual():
    """U+200D joins the people of a family emoji (and letters in Indic scripts), U+200C keeps Persian letters
    apart: they are how that text is written, not stray formatting. A joiner between ASCII letters still is."""
    family = "\U0001F468\u200d\U0001F469\u200d\U0001F467"
    assert unusual_characters(f"our family {family} at home\n") == []
    assert unusual_characters("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645") == []  # Persian, with ZWNJ
    assert unusual_characters("\u0915\u094d\u200d\u0937") == []  # Devanagari with ZWJ
    assert unusual_characters(f"stray a\u200db join {family}") == ["\u200d"]
    assert unusual_characters("\u200dstarts with a joiner") == ["\u200d"]
    assert unusual_characters(f"{family}\u200b") == ["\u200b"]  # a zero-width space is still reported


# --------------------------------------------------------------------------- built-ins


def test_builtin_names():
    assert {"hello", "python-docs", "python-code", "brackets", "zen"} <= set(BUILTINS)
    assert DEFAULT_BUILTIN in BUILTINS
    assert all(isinstance(desc, str) and desc for desc, _ in BUILTINS.values())
    with pytest.raises(CorpusError, match="Unknown built-in corpus 'nope'.*python-docs"):
        load_builtin("nope")


def test_hello_is_the_seeds_string():
    assert load_builtin("hello") == SEED_HELLO
    c = make_corpus(load_builtin("hello"), "hello")
    assert c.val is None and c.vocab.chars == tuple(sorted(set(SEED_HELLO)))


@pytest.mark.parametrize("name,min_chars,min_vocab", [
    ("python-docs", 200_000, 60), ("python-code", 100_000, 60), ("brackets", 50_000, 12), ("zen", 500, 25)])
def test_builtins_load_and_are_nontrivial(name, min_chars, min_vocab):
    text = load_builtin(name)
    assert isinstance(text, str) and len(text) >= min_chars
    assert len(set(text)) >= min_vocab
    c = make_corpus(text, name)
    assert c.val is not None and len(c.val) == int(len(text) * 0.1)
    assert load_builtin(name) is text  # cached: loaded once per process


def test_builtin_contents():
    assert "Beautiful is better than ugly." in load_builtin("zen")
    docs = load_builtin("python-docs")
    assert "the" in docs and sum(c.isalpha() for c in docs[:10_000]) > 6_000  # English prose
    code = load_builtin("python-code")
    assert "def " in code and "import " in code and "class " in code


def balanced(line: str) -> bool:
    closing = {")": "(", "]": "[", "}": "{"}
    stack = []
    for ch in line:
        if ch == '"':
            if stack and stack[-1] == '"':
                stack.pop()
            else:
                stack.append(ch)
        elif ch in "([{":
            if stack and stack[-1] == '"':
                return False  # quotes hold words only
            stack.append(ch)
        elif ch in closing:
            if not stack or stack.pop() != closing[ch]:
                return False
    return not stack


def test_brackets_are_balanced_on_every_line():
    text = load_builtin("brackets")
    lines = text.split("\n")
    assert len(lines) > 1000
    assert all(balanced(line) for line in lines), [line for line in lines if not balanced(line)][:3]
    assert sum(line.count("(") for line in lines) > 1000 and '"' in text
    assert max(len(line) for line in lines) > 40  # some deep nesting


def test_brackets_generator_is_deterministic_and_sized():
    assert brackets_text(5000, seed=1) == brackets_text(5000, seed=1)
    assert brackets_text(5000, seed=1) != brackets_text(5000, seed=2)
    small = brackets_text(5000, seed=3)
    assert 4000 < len(small) <= 5000
    assert all(balanced(line) for line in small.split("\n"))


def test_min_chars_for_split_is_the_shortest_text_with_a_validation_split():
    text = "abcdefghij" * 200
    for seq in (1, 10, 25, 100):
        n = min_chars_for_split(seq)
        assert make_corpus(text[:n], seq_length=seq).val is not None
        assert make_corpus(text[:n - 1], seq_length=seq).val is None
    assert min_chars_for_split(25) == 260
    assert min_chars_for_split(25, 0.0) is None
