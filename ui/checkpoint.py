"""Checkpoint download and upload for the Train page (kept here so tests can drive them directly)."""

from __future__ import annotations

import re

from rnn.checkpoint import CheckpointError, load_checkpoint
from rnn.train import Trainer
from rnn.viz.user_text import markdown_literal
from ui.state import model_id, registry, set_trainer


def checkpoint_filename(trainer: Trainer) -> str:
    """rnn-<corpus>-h<hidden>-it<iteration>.npz: a folder of downloads sorts and tells apart by iteration. The
    Train page redraws the button with its live view, so the iteration is the one shown when it is clicked."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", trainer.corpus.name).strip("-.") or "corpus"
    return f"rnn-{name}-h{trainer.config.hidden_size}-it{trainer.iteration}.npz"


def dashboard_refusal(config) -> str | None:
    """Why the dashboard cannot hold a model of this config (None when it can). Its pages lay out the
    single-layer vanilla RNN (Whh, tanh units, the BPTT walkthrough); LSTM, GRU and stacked models train,
    sample and resume from the command line until the pages understand them (issue 11)."""
    cell, layers = getattr(config, "cell", "rnn"), getattr(config, "num_layers", 1)
    if cell == "rnn" and layers == 1:
        return None
    model = f"a {layers}-layer {cell.upper() if cell != 'rnn' else 'vanilla RNN'}"
    return (f"it holds {model}, and the dashboard shows the single-layer vanilla RNN only so far. Train, "
            "sample or resume it from the command line: `python -m rnn sample FILE`, "
            "`python -m rnn train --resume FILE`")


def deferred_checkpoint():
    """A no-argument callable for st.download_button: builds the file only when clicked, from the model as it
    is then (its arrays fetched from the worker)."""
    model = model_id()  # Streamlit calls it on another thread, outside this session's script run
    return lambda: registry().checkpoint(model)


def apply_checkpoint(data: bytes, filename: str = "the file") -> tuple[bool, str]:
    """Load an uploaded checkpoint and make it the session's model.

    Returns (ok, message), the message as Markdown with the file name, the corpus name and the error (which may
    quote the file's contents) made literal. On failure the current model is untouched and it says what was wrong.
    """
    filename = markdown_literal(filename)
    try:
        trainer = load_checkpoint(data)
    except CheckpointError as exc:
        return False, f"{filename} could not be loaded: {markdown_literal(exc)}. The current model is unchanged."
    except Exception as exc:  # never let a hostile file put a traceback on the page
        return False, (f"{filename} could not be loaded ({type(exc).__name__}: {markdown_literal(exc)}). "
                       "The current model is unchanged.")
    refusal = dashboard_refusal(trainer.config)
    if refusal:
        return False, f"{filename} was not loaded: {refusal}. The current model is unchanged."
    set_trainer(trainer)
    return True, (f"Loaded {filename}: {markdown_literal(trainer.corpus.name)}, {trainer.config.hidden_size} hidden "
                  f"units, iteration {trainer.iteration:,}. Training continues exactly where it was saved.")
