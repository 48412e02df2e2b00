"""Open a starter model (rnn/starters.py): a trained model in one click, from Home and from any analysis page
that would otherwise show an untrained one."""

from __future__ import annotations

import streamlit as st

from rnn.checkpoint import CheckpointError
from rnn.starters import STARTERS, load_starter
from ui.checkpoint import dashboard_refusal
from ui.state import set_trainer
from ui.widgets import fmt_int, show_outcome

_MESSAGE = "_starter_message"  # the outcome of the last button, shown once on the next run


def open_starter(name: str) -> tuple[bool, str]:
    """Make the starter the session's model; (ok, message). On failure the current model is untouched."""
    try:
        trainer = load_starter(name)
    except CheckpointError as exc:
        return False, f"The starter model could not be opened: {exc} The current model is unchanged."
    refusal = dashboard_refusal(trainer.config)
    if refusal:
        return False, f"The starter model was not opened: {refusal}."
    set_trainer(trainer)
    s = STARTERS[name]
    return True, (f"Opened the starter model *{s.title}*, trained for {fmt_int(trainer.iteration)} iterations. "
                  f"Look at: {s.what}. Press Run on Train to train it further.")


def _open(name: str) -> None:
    st.session_state[_MESSAGE] = open_starter(name)


def show_starter_message() -> None:
    """What the last starter button did, once."""
    show_outcome(_MESSAGE)


def starter_buttons(key: str) -> None:
    """One button per starter model, side by side."""
    row = st.container(horizontal=True)
    for name, s in STARTERS.items():
        row.button(s.title, key=f"{key}_{name}", icon=":material/model_training:", on_click=_open, args=(name,),
                   help=f"Replace the current model with one trained for {fmt_int(s.steps)} iterations on "
                        f"{s.corpus}. Look at: {s.what}.")

