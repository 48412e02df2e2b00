"""Data page logic kept out of the page script so tests can call it directly."""

from __future__ import annotations

import unicodedata
from collections import Counter

import pandas as pd
import streamlit as st

from rnn import budget
from rnn.corpus import Corpus, decode_bytes, make_corpus, min_chars_for_split, unusual_characters
from rnn.train import Trainer
from rnn.viz.chars import char_labels
from ui.state import builtin_corpus, get_trainer, set_trainer

LARGE_CORPUS = 1_000_000  # characters; above this one epoch takes a while
LARGE_VOCAB = 200  # symbols; the output layer (V x H) grows with it
SMALL_CORPUS = 10_000  # characters; below this the model mostly memorises

PENDING = "pending_corpus"


def corpus_from_text(text: str, name: str) -> Corpus:
    """Validate and split text with the current model's sequence length. Raises CorpusError."""
    return make_corpus(text, name, seq_length=get_trainer().config.seq_length)


def corpus_from_upload(data: bytes, filename: str) -> Corpus:
    """An uploaded file's bytes as a corpus. Raises CorpusError with what to fix."""
    return corpus_from_text(decode_bytes(data), filename)


def corpus_from_builtin(name: str) -> Corpus:
    return builtin_corpus(name, get_trainer().config.seq_length)


def use_corpus(corpus: Corpus) -> None:
    """Make `corpus` the training corpus with a fresh model of the current settings.

    Raises ValueError (e.g. too short for the number of batch streams); the old model then stays.
    """
    set_trainer(Trainer(corpus, get_trainer().config))
    st.session_state.pop(PENDING, None)


def request_corpus(corpus: Corpus) -> bool:
    """Use the corpus now if the current model has not been trained, else park it until the user
    confirms that the model may be discarded. Returns True if applied."""
    if get_trainer().iteration == 0:
        use_corpus(corpus)
        return True
    st.session_state[PENDING] = corpus
    return False


@st.cache_data(show_spinner=False, max_entries=8)
def vocabulary_table(fingerprint: str, _text: str) -> pd.DataFrame:
    """Characters with counts, most frequent first; whitespace shown as visible symbols."""
    counts = Counter(_text).most_common()
    chars = [c for c, _ in counts]
    n = len(_text)
    return pd.DataFrame({
        "char": char_labels(chars),
        "count": [k for _, k in counts],
        "share": [k / n for _, k in counts],
        "name": [f"{unicodedata.name(c, '(control)').lower()} · U+{ord(c):04X}" for c in chars],
    })


def corpus_warnings(corpus: Corpus, seq_length: int) -> list[str]:
    """Things worth knowing before training on this corpus (read with chunks of `seq_length` characters)."""
    out = []
    n = len(corpus.text)
    small = n < SMALL_CORPUS
    if corpus.notice and not (small and corpus.val is None):  # a small corpus's missing split is said below
        out.append(corpus.notice)
    if n > LARGE_CORPUS:
        out.append(f"Large corpus ({n:,} characters): one epoch takes a while; the live charts show progress "
                   "long before it ends.")
    elif small and corpus.val is not None:
        out.append(f"Small corpus ({n:,} characters): the model can memorise it, so watch the validation loss "
                   "rather than the training loss.")
    elif small:  # one message: telling a student to watch a validation loss that does not exist contradicts it
        need = min_chars_for_split(seq_length)
        longer = f"at least {need:,} characters" if need else "a longer text"
        out.append(f"Small corpus ({n:,} characters) with no validation split: the model can memorise it, and "
                   "with no held-out text no loss tells memorising from learning. Compare its samples with the "
                   f"text, or use {longer} (at sequence length {seq_length}) to get a validation loss.")
    if corpus.vocab.size > LARGE_VOCAB:
        out.append(f"Large vocabulary ({corpus.vocab.size} distinct characters, of at most "
                   f"{budget.limits().max_vocab:,} on this server): the input and output layers grow with it, so "
                   "training is slower and fewer hidden units fit the budget. Is this text in one script?")
    odd = unusual_characters(corpus.text)
    if odd:
        shown = ", ".join(f"U+{ord(c):04X}" for c in odd[:10])
        out.append(f"Unusual characters (control or formatting codes): {shown}. The model will learn them too; "
                   "clean the text if they are not meant to be there.")
    return out

