"""Surprise: every character coloured by how surprised the model was to see it, with its top guesses on hover."""

import numpy as np
import streamlit as st

from rnn.insight.surprise import surprise
from rnn.viz.chars import LEGEND, visible_char, visible_text
from rnn.viz.insight import surprise_figure, surprise_histogram
from ui.baselines import baselines_for
from ui.insight import PLOT_CONFIG, analysis_ids, clean_text_input, dropped_warning, require_trained
from ui.loss_words import loss_in_words
from ui.state import get_trainer
from ui.widgets import page_setup

MAX_CHARS = 3_000

page_setup("Surprise")
trainer = get_trainer()

st.title("Surprise")
st.caption("The loss on a character is -ln p: how surprised the model was to see it. Pale characters were "
           "expected; red ones came as a surprise. Hover a character to see what the model expected instead.")
require_trained(trainer, "this page")

ids, where = analysis_ids(trainer, 600)
default = trainer.vocab.decode(ids)
text = st.text_area("Text to score", value=default, height=150, key="surprise_text",
                    help=f"Starts with the {where}. The first character is only context. Up to {MAX_CHARS:,} "
                         "characters; characters the model has never seen are left out.")
text, missing = clean_text_input(trainer, text[:MAX_CHARS])
dropped_warning(missing)
cold = st.toggle("Start from h = 0", value=False,
                 help="By default the text is read from the run's carried hidden state, as training reads it.")

if len(text) < 2:
    st.info("Type at least two characters the model knows: the first one is context for the second.")
    st.stop()

s = surprise(trainer.params, trainer.vocab, text, h0=None if cold else trainer.h[0], top_k=5)
c1, c2, c3 = st.columns(3)
c1.metric("Mean surprise", f"{s.mean:.3f} nats")
c2.metric("Characters scored", f"{len(s.loss):,}")
c3.metric("Guessed right (top-1)", f"{np.mean([t[0] == c for t, c in zip(s.top_chars, s.chars, strict=True)]):.0%}")
loss_in_words(s.mean, trainer.vocab.size, baselines_for(trainer.corpus))

st.plotly_chart(surprise_figure(s), key="surprise_chart", config=PLOT_CONFIG)

left, right = st.columns([3, 2])
with left:
    st.markdown(f"**The most surprising characters** ({LEGEND})")
    rows = []
    for i in np.argsort(-s.loss, kind="stable")[:10]:
        full = s.context + s.chars  # position i scores full[i + 1]
        expected = zip(s.top_chars[i][:3], s.top_probs[i][:3], strict=True)
        rows.append({
            "after": visible_text(full[max(0, i - 20):i + 1]),
            "came": visible_text(s.chars[i]),
            "p": f"{s.prob[i]:.2g}",
            "loss (nats)": round(float(s.loss[i]), 2),
            "model expected": "  ".join(f"{visible_char(c)} {p:.2f}" for c, p in expected),
        })
    st.dataframe(rows, hide_index=True)  # a dataframe shows text as text: no escaping needed
with right:
    st.plotly_chart(surprise_histogram(s), key="surprise_hist", config=PLOT_CONFIG)

st.caption("Reading tip: surprise is high at the start of words and after spaces (many continuations are "
           "possible) and low inside common words.")
