"""Guessing game: you against the model on the next characters of a held-out passage, in bits per character."""

import streamlit as st

from ui.guessing import current_round, new_round, show_round, show_scores
from ui.insight import require_trained
from ui.state import get_trainer
from ui.widgets import page_setup

page_setup("Guessing game")
trainer = get_trainer()

st.title("Guessing game")
st.caption("Read the start of a passage the model has not trained on, then guess what comes next, one character "
           "at a time, until you are right. The model plays the same passage: its guesses are its characters in "
           "order of probability. Fewer guesses mean fewer bits per character, the same measure as the loss.")
require_trained(trainer, "the model's side of the game")

game = current_round(trainer)
show_round(game, trainer)
st.button("New passage", icon=":material/refresh:", on_click=new_round, args=(trainer,))
show_scores(game)
