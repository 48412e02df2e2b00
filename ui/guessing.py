"""The Guessing game page's parts: one round per visitor in session state (rnn/insight/guessing.py)."""

from __future__ import annotations

import math

import numpy as np
import streamlit as st

from rnn.insight.guessing import ROUND, Game, pick_passage
from rnn.train import Trainer
from rnn.viz.chars import LEGEND, visible_char
from rnn.viz.user_text import markdown_literal
from ui.insight import analysis_ids
from ui.widgets import text_block

KEY = "guessing_game"
FEEDBACK = "guessing_feedback"
INPUT = "guessing_input"


def new_round(trainer: Trainer) -> None:
    """Another passage; the score so far is kept (a new game when the model's characters changed)."""
    ids, _ = analysis_ids(trainer, 20_000)
    passage = pick_passage(trainer.params, trainer.vocab, ids, np.random.default_rng(), h0=trainer.h[0])
    game = st.session_state.get(KEY)
    if game is None or game.vocab_size != trainer.vocab.size:
        st.session_state[KEY] = Game(passage, trainer.vocab.size)
    else:
        game.new_passage(passage)
    st.session_state[FEEDBACK] = ""


def current_round(trainer: Trainer) -> Game:
    """This visitor's game; a new one when there is none or the model's characters changed."""
    game = st.session_state.get(KEY)
    if game is None or game.vocab_size != trainer.vocab.size:
        new_round(trainer)
    return st.session_state[KEY]


def _guess(game: Game, trainer: Trainer, char: str) -> None:
    if not char:
        st.session_state[FEEDBACK] = "Type one character, then press Enter."
    elif char not in trainer.vocab:
        st.session_state[FEEDBACK] = (f"The model has never seen {markdown_literal(repr(char))}, so it cannot be "
                                      f"next: the text uses {trainer.vocab.size} characters.")
    elif game.guess(char):
        st.session_state[FEEDBACK] = f"Right: {markdown_literal(repr(char))}."
    else:
        tried = ", ".join(repr(c) for c in game.wrong)
        st.session_state[FEEDBACK] = f"Not that one. Tried so far here: {markdown_literal(tried)}."


def _typed(game: Game, trainer: Trainer) -> None:
    _guess(game, trainer, st.session_state.get(INPUT, "")[:1])


def _give_up(game: Game) -> None:
    char = game.give_up()
    st.session_state[FEEDBACK] = (f"It was {markdown_literal(repr(char))}; that counts as {game.vocab_size} "
                                  "guesses, as if you had tried every character.")


def show_round(game: Game, trainer: Trainer) -> None:
    st.markdown(f"**Character {min(game.position + 1, ROUND)} of {ROUND}**. Grey: the text so far; black: what "
                "you have found. The bar is where the next character goes.")
    text_block(game.revealed + ("" if game.done else "▌"), prime=game.passage.context, height=150)
    if game.done:
        st.success("Passage done. Compare your score with the model's below, or play another passage.",
                   icon=":material/flag:")
    else:
        with st.form("guess_form", clear_on_submit=True, border=False):
            field, button = st.columns([4, 1], vertical_alignment="bottom")
            field.text_input("Your guess for the next character", max_chars=1, key=INPUT,
                             help="One character, then Enter. A space and a new line have buttons below.")
            button.form_submit_button("Guess", on_click=_typed, args=(game, trainer), width="stretch")
        space, newline, show = st.columns(3)
        space.button("Guess a space ␣", on_click=_guess, args=(game, trainer, " "), width="stretch")
        newline.button("Guess a new line ↵", on_click=_guess, args=(game, trainer, "\n"),
                       width="stretch")
        show.button("Show me this one", on_click=_give_up, args=(game,), width="stretch")
    if st.session_state.get(FEEDBACK):
        st.caption(st.session_state[FEEDBACK])


def show_scores(game: Game) -> None:
    s = game.scores()
    n = s["characters"]
    if not n:
        return
    st.subheader("You and the model, on the same characters")
    you, model, ce = st.columns(3)
    you.metric("You: bits per character", f"{s['you']:.2f}", help="Shannon's estimate (1951) from how many "
               "guesses each character took you: the entropy of your guess counts. Lower is better.")
    model.metric("The model: bits per character", f"{s['model']:.2f}", help="The same estimate from the model's "
                 "guesses: its characters in order of probability.")
    ce.metric("The model's loss, in bits", f"{s['model_cross_entropy']:.2f}",
              help="-log2 p(character), averaged: the model's cross-entropy on these characters, what training "
                   "lowers. Divide by 1.44 for nats, the unit of the Train page.")
    chars = "character" if n == 1 else "characters"
    st.caption(f"Over the {n} {chars} you have played on this page. From {n} characters the estimate is at "
               f"most log2 {n} = {math.log2(n):.1f} bits, so it reads low until about 100. Right at the first "
               f"guess: you {s['you_first_try']}, the model {s['model_first_try']}; guesses per character: you "
               f"{s['you_mean_guesses']:.1f}, the model {s['model_mean_guesses']:.1f}.")
    p, k = game.passage, game.position
    if k:
        st.markdown("**This passage**")
        st.dataframe([{"character": visible_char(c), "your guesses": t, "model's guesses": g,
                       "model's probability": f"{2 ** -b:.3f}"}
                      for c, t, g, b in zip(p.answer[:k], game.tries, p.model_guesses[:k], p.model_bits[:k],
                                            strict=True)],
                     hide_index=True)
        st.caption(LEGEND)
