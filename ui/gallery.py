"""The Runs page's hyperparameter gallery button (rnn/gallery.py): the recorded runs, yours, selected to compare."""

from __future__ import annotations

import streamlit as st

from rnn.gallery import STEPS, VARIANTS, load_gallery
from rnn.runs.store import RunStore, RunStoreError
from rnn.viz.user_text import markdown_literal
from ui.state import model_id
from ui.widgets import show_outcome

_MESSAGE = "_gallery_message"


def _load(selected_key: str) -> None:
    try:
        ids = load_gallery(RunStore(), owner=model_id())
    except (RunStoreError, OSError, ValueError) as exc:
        st.session_state[_MESSAGE] = (False, f"The gallery could not be loaded: {markdown_literal(exc)}")
        return
    st.session_state[selected_key] = ids  # before the multiselect is drawn: a callback runs first
    st.session_state[_MESSAGE] = (True, f"The gallery's {len(ids)} runs are in your list and selected below: "
                                        "one setting changed at a time. Try the x axis in characters too.")


def gallery_button(selected_key: str) -> None:
    st.button("Load the hyperparameter gallery", icon=":material/collections:", on_click=_load, args=(selected_key,),
              help=f"{len(VARIANTS)} runs recorded in advance ({STEPS} steps each on python-docs): learning rate "
                   "too low, about right and too high; hidden size small and large; sequence length short and "
                   "long. They are added to your runs once and overlaid in the comparison.")
    show_outcome(_MESSAGE)
