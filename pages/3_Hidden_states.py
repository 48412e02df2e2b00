"""Hidden states: every hidden unit's activation over a piece of text, as a heatmap and as coloured text."""

import numpy as np
import streamlit as st

from rnn.model import forward
from rnn.viz.chars import colored_text_html
from rnn.viz.hidden_states import CLICK_CELLS, constant_units, hidden_heatmap, unit_order
from ui.state import get_trainer
from ui.widgets import ICONS, page_setup

page_setup("Hidden states")
trainer = get_trainer()
corpus = trainer.corpus
ss = st.session_state

st.title("Hidden states")
st.caption("Each row is one hidden unit (its number on the left), each column one character the RNN has just read; "
           "the colour is the unit's activation h = tanh(…), from −1 (blue) to +1 (red). Reading starts from the "
           "hidden state training left behind, as sampling and validation do.")

MAX_LEN = 300
sources = (["Validation text"] if corpus.val is not None else []) + ["Training text", "Your own text"]
c1, c2, c3, c4 = st.columns([1.3, 2.2, 1.2, 1.2])
source = c1.radio("Text", sources, key="hs_source")
if source == "Your own text":
    default = corpus.text[:80]
    snippet = c2.text_area("Text to read", value=default, height=110, max_chars=MAX_LEN, key="hs_text")
    try:
        trainer.vocab.check_known(snippet, "This text")
    except ValueError as exc:
        st.error(str(exc), icon=ICONS["error"])
        st.stop()
    if not snippet:
        st.info("Type some text to see how the hidden units respond to it.")
        st.stop()
    ids = trainer.vocab.encode(snippet)
else:
    pool = corpus.val if source == "Validation text" else corpus.train
    # A slider needs min < max: a short text (e.g. a small validation split) is shown whole instead.
    if len(pool) > 20:
        # 60 characters keep every label readable on a projector; longer windows label every k-th character
        length = c2.slider("Length", 20, min(MAX_LEN, len(pool)), min(60, len(pool)), key="hs_length",
                           help="Characters shown. Up to about 60 each one is labelled; longer texts label every "
                           "few characters (hover a column to read its character).")
    else:
        length = len(pool)
    start = c2.slider("Start at character", 0, len(pool) - length, 0, key="hs_start") if len(pool) > length else 0
    ids = np.asarray(pool[start:start + length])
    snippet = trainer.vocab.decode(ids)
sort_by = c3.radio("Sort units by", ["variance", "mean", "index"], key="hs_sort",
                   help="variance: the units that change most over this text come first")
hide_constant = c3.toggle("Hide constant units", value=True, key="hs_hide",
                          help="Leave out units that barely change over this text (stuck at ±1, saturated, or "
                          "flat): they carry no information about the characters here.")
start_from = c4.radio("Start from", ["carried state", "zeros"], key="hs_h0",
                      help="The model trained with a carried state; from zeros its first characters often look "
                      "different.")

h0 = trainer.h[0] if start_from == "carried state" else None
hs = forward(trainer.params, ids[None, :], None if h0 is None else h0[None, :]).hs[0]  # (T, H)
order = unit_order(hs, sort_by)
flat = constant_units(hs)
shown_units = order[~flat[order]] if hide_constant else order
if not len(shown_units):  # every unit is flat (an untrained model): show them all rather than nothing
    shown_units = order
ss.setdefault("hs_unit", int(shown_units[0]))
if ss["hs_unit"] >= hs.shape[1]:  # the model changed shape since the last visit
    ss["hs_unit"] = int(shown_units[0])

if trainer.iteration == 0:
    st.info("This model is untrained: its weights are tiny random numbers, so every activation is close to 0 "
            "(white). Train for a few hundred steps and come back.", icon=ICONS["info"])


def _pick_clicked_unit() -> None:
    """A click on a heatmap cell selects its unit for the coloured text below (a callback, so only a new click
    changes the list: the chart keeps its selection across reruns)."""
    points = (ss.get("hidden_heatmap") or {}).get("selection", {}).get("points", [])
    if points and str(points[0].get("y", "")).isdigit():
        ss["hs_unit"] = int(points[0]["y"])


n_flat = int(flat.sum())
clickable = len(shown_units) * len(snippet) <= CLICK_CELLS
notes = []
if n_flat == len(order) and trainer.iteration > 0:  # nothing to hide: say why every row is one colour
    saturated = int((np.abs(hs).mean(axis=0) > 0.95).sum())
    notes.append(f"Every unit is constant over this text ({saturated} of {len(order)} saturated at ±1), so none is "
                 "hidden: the network no longer responds to its input. Training health shows why; a lower "
                 "learning rate usually helps.")
elif hide_constant and n_flat and len(shown_units) < len(order):
    notes.append(f"{n_flat} of {len(order)} units are hidden: they barely change over this text (one flat colour: "
                 "saturated at ±1, or stuck near a value). Switch off **Hide constant units** to see them.")
notes.append("Click a row to show that unit below." if clickable else
             f"Pick a unit in the list below (clicking rows works up to {CLICK_CELLS:,} cells: shorten the text "
             "or hide constant units).")
st.caption(" ".join(notes))
st.plotly_chart(hidden_heatmap(hs, snippet, shown_units, clickable=clickable), key="hidden_heatmap",
                config={"displaylogo": False}, on_select=_pick_clicked_unit, selection_mode="points")

var = hs.var(axis=0)
mean = hs.mean(axis=0)
u1, u2 = st.columns([1, 3])
unit = u1.selectbox("Unit", [int(u) for u in order], key="hs_unit",
                    format_func=lambda u: f"unit {u} (var {var[u]:.3f}, mean {mean[u]:+.2f})"
                    + (", constant" if flat[u] else ""),
                    help="Units in the heatmap's order (constant ones too); click a heatmap row to pick one.")
u2.markdown(f"**Unit {unit}** over the text: red where it is positive, blue where negative "
            f"(range {hs[:, unit].min():+.2f} … {hs[:, unit].max():+.2f}). Hover a character for its value.")
st.html(colored_text_html(snippet, hs[:, unit]))
