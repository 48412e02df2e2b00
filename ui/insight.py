"""Small Streamlit-side helpers shared by the insight pages (neurons, surprise, health, BPTT, samples)."""

from __future__ import annotations

import streamlit as st

from rnn.train import Trainer
from rnn.viz.user_text import markdown_literal
from ui.starters import show_starter_message, starter_buttons

PLOT_CONFIG = {"displaylogo": False}


def analysis_ids(trainer: Trainer, max_chars: int):
    """Ids of the text the insight pages read: the validation split (what the model has not trained on),
    or the end of the training text when the corpus is too small for one. Returns (ids, where)."""
    corpus = trainer.corpus
    if corpus.val is not None and len(corpus.val) >= 2:
        return corpus.val[:max_chars], "validation text"
    return corpus.train[-max_chars:], "training text (this corpus has no validation split)"


def require_trained(trainer: Trainer, what: str) -> None:
    """A hint on an untrained model (the views work, but show noise), with a trained model one click away."""
    show_starter_message()
    if trainer.iteration == 0:
        st.info(f"The model is untrained, so {what} shows random weights. Train a few hundred steps on the "
                "**Train** page first and come back, or open a model trained in advance:", icon=":material/info:")
        starter_buttons("require_trained")


def clean_text_input(trainer: Trainer, text: str) -> tuple[str, list[str]]:
    """Drop characters the model has never seen (they have no input column); return the text and the dropped."""
    missing = trainer.vocab.unknown(text)
    if missing:
        text = "".join(c for c in text if c in trainer.vocab)
    return text, missing


def dropped_warning(missing: list[str]) -> None:
    if missing:
        shown = ", ".join(repr(c) for c in missing[:8])
        st.warning(f"Left out {len(missing)} character(s) the model has never seen: {markdown_literal(shown)}",
                   icon=":material/warning:")
