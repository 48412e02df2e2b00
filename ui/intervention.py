"""The Neurons page's intervention: hold one unit at a value while the model writes (rnn/insight/intervention.py)."""

from __future__ import annotations

import streamlit as st

from rnn.insight.intervention import LENGTH, clamp_unit
from rnn.train import Trainer
from rnn.viz.chars import LEGEND, visible_char
from ui.widgets import text_block

SHOWN = 600  # characters of each text on the page; the counts use all LENGTH


def show_intervention(trainer: Trainer, unit: int) -> None:
    st.subheader(f"Intervene: hold unit {unit} and let the model write")
    st.caption("A unit that follows quotes may not be what closes them. Here the model writes twice from the same "
               f"random numbers: once as trained, once with h[{unit}] overwritten by a value you choose after every "
               "character. Where the texts part ways, and which characters become more or less common, is what "
               "this unit causes.")
    value_col, temp_col, seed_col = st.columns(3)
    value = value_col.slider(f"Hold h[{unit}] at", -1.0, 1.0, 0.0, 0.1, key="clamp_value",
                             help="-1 and +1 are the ends of tanh; 0 switches the unit off.")
    temperature = temp_col.slider("Temperature", 0.1, 2.0, 1.0, 0.1, key="clamp_temperature")
    seed = int(seed_col.number_input("Seed", 0, 1_000_000, 0, key="clamp_seed",
                                     help="Another seed: another pair of texts from other random numbers."))
    result = clamp_unit(trainer.params, trainer.vocab, unit, value, temperature=temperature, seed=seed,
                        h=trainer.h[0])
    agree = min(result.agree_for, SHOWN)
    free_col, held_col = st.columns(2)
    for col, title, text in ((free_col, "As trained", result.free),
                             (held_col, f"Unit {unit} held at {value:+.1f}", result.clamped)):
        with col:
            st.markdown(f"**{title}**")
            text_block(text[agree:SHOWN], prime=text[:agree], height=220)
    if result.agree_for == LENGTH:
        st.info(f"The two texts are the same for all {LENGTH:,} characters: at this value unit {unit} changes "
                "nothing the model writes. Try another value, or another unit.", icon=":material/info:")
        return
    st.caption(f"Grey: the first {result.agree_for:,} characters, the same in both. Counts below are over "
               f"{LENGTH:,} characters of each.")
    st.dataframe([{"character": visible_char(r["char"]), "as trained": r["free"], "held": r["clamped"],
                   "change": r["change"]} for r in result.count_changes()], hide_index=True)
    st.caption(LEGEND)
