"""Hidden states: every hidden unit's activation over a piece of text, as a heatmap and as coloured text."""

import numpy as np
import streamlit as st

from rnn.model import forward
from rnn.viz.chars import colored_text_html
from rnn.viz.training import hidden_heatmap, unit_order
from ui.state import get_trainer
from ui.widgets import ICONS, page_setup

page_setup("Hidden states")
trainer = get_trainer()
corpus = trainer.corpus
ss = st.session_state

st.title("Hidden states")
st.caption("Each row is one hidden unit, each column one character the RNN has just read; the colour is the unit's "
           "activation h = tanh(…), from −1 (blue) to +1 (red). Reading starts from the hidden state training "
           "left behind, as sampling and validation do.")

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
        length = c2.slider("Length", 20, min(MAX_LEN, len(pool)), min(120, len(pool)), key="hs_length")
    else:
        length = len(pool)
    start = c2.slider("Start at character", 0, len(pool) - length, 0, key="hs_start") if len(pool) > length else 0
    ids = np.asarray(pool[start:start + length])
    snippet = trainer.vocab.decode(ids)
sort_by = c3.radio("Sort units by", ["variance", "mean", "index"], key="hs_sort",
                   help="variance: the units that change most over this text come first")
start_from = c4.radio("Start from", ["carried state", "zeros"], key="hs_h0",
                      help="The model trained with a carried state; from zeros its first characters often look "
                      "different.")

h0 = trainer.h[0] if start_from == "carried state" else None
hs = forward(trainer.params, ids[None, :], None if h0 is None else h0[None, :]).hs[0]  # (T, H)
order = unit_order(hs, sort_by)
ss.setdefault("hs_unit", int(order[0]))
if ss["hs_unit"] >= hs.shape[1]:  # the model changed shape since the last visit
    ss["hs_unit"] = int(order[0])

if trainer.iteration == 0:
    st.info("This model is untrained: its weights are tiny random numbers, so every activation is close to 0 "
            "(white). Train for a few hundred steps and come back.", icon=ICONS["info"])
st.plotly_chart(hidden_heatmap(hs, snippet, order), key="hidden_heatmap", config={"displaylogo": False})

var = hs.var(axis=0)
mean = hs.mean(axis=0)
u1, u2 = st.columns([1, 3])
unit = u1.selectbox("Unit", [int(u) for u in order], key="hs_unit",
                    format_func=lambda u: f"unit {u} (var {var[u]:.3f}, mean {mean[u]:+.2f})",
                    help="Units are listed in the heatmap's order; hover the heatmap to find a unit's number.")
u2.markdown(f"**Unit {unit}** over the text: red where it is positive, blue where negative "
            f"(range {hs[:, unit].min():+.2f} … {hs[:, unit].max():+.2f}). Hover a character for its value.")
st.html(colored_text_html(snippet, hs[:, unit]))
