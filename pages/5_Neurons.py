"""Neurons: what does one hidden unit track? Text coloured by its activation, its strongest contexts, and
units ranked by how well they follow simple features of the text."""

import numpy as np
import streamlit as st

from rnn.insight.neurons import FEATURES, activations, rank_units, top_contexts
from rnn.viz.chars import colored_text_html
from rnn.viz.insight import neuron_text_figure, unit_ranking_figure
from ui.insight import PLOT_CONFIG, analysis_ids, clean_text_input, dropped_warning, require_trained
from ui.intervention import show_intervention
from ui.state import get_trainer
from ui.widgets import page_setup

page_setup("Neurons")
trainer = get_trainer()
H = trainer.config.hidden_size

st.title("Neurons")
st.caption("Each hidden unit is one number h[i] between -1 and +1, updated after every character. Some units "
           "learn to track something: being inside quotes, the position in a line, a digit. Find them here.")
require_trained(trainer, "this page")

n_chars = st.slider("Characters to analyse", 1_000, 20_000, 5_000, step=1_000,
                    help="How much held-out text to read when ranking units and finding top contexts.")
ids, where = analysis_ids(trainer, n_chars)
text = trainer.vocab.decode(ids)
# Read from the carried state: the run reads its text as one continuous stream.
acts = activations(trainer.params, ids, h0=trainer.h[0])

st.subheader("Suggested units")
st.caption(f"Correlation of every unit with simple features of the {where} ({len(text):,} characters). "
           "Features: " + "; ".join(f"**{k}** ({v})" for k, v in FEATURES.items()) + ".")
ranking = rank_units(acts, text, top=min(10, H))
if not ranking:
    st.info("No unit varies noticeably over this text yet (all are nearly constant). Train longer.",
            icon=":material/info:")
left, right = st.columns([3, 2])
with left:
    st.plotly_chart(unit_ranking_figure(ranking), key="unit_ranking_chart", config=PLOT_CONFIG)
with right:
    st.dataframe(
        [{"unit": r["unit"], "tracks": r["feature"], "correlation": round(r["r"], 3)} for r in ranking],
        hide_index=True,
    )

st.subheader("One unit")
default_unit = ranking[0]["unit"] if ranking else 0
unit = int(st.number_input("Hidden unit", min_value=0, max_value=H - 1, value=default_unit, step=1,
                           help=f"0 to {H - 1}; the best suggested unit is preselected."))
a = acts[:, unit]
st.caption(f"Unit {unit}: mean {a.mean():+.3f}, spread {a.std():.3f}, saturated (|h| > 0.95) "
           f"{np.mean(np.abs(a) > 0.95):.0%} of the time. Red = positive, blue = negative.")

own = st.text_area("Text to colour (optional)", height=100, key="neuron_text_input",
                   placeholder="Leave empty to colour the first part of the held-out text, or type your own.")
if own.strip():
    shown, missing = clean_text_input(trainer, own[:3000])
    dropped_warning(missing)
    shown_acts = activations(trainer.params, trainer.vocab.encode(shown), h0=trainer.h[0])[:, unit] if shown else []
else:
    shown, shown_acts = text[:1200], a[:1200]
if len(shown):
    st.plotly_chart(neuron_text_figure(shown, shown_acts, unit), key="neuron_text_chart", config=PLOT_CONFIG)
else:
    st.info("None of the typed characters are known to the model.")

st.markdown(f"**Where unit {unit} fires most and least** (the marked character is where the peak is; "
            "the unit's value colours the context)")
hi, lo = st.columns(2)
for col, highest, title in ((hi, True, "Most positive"), (lo, False, "Most negative")):
    with col:
        st.markdown(f"*{title}*")
        for c in top_contexts(a, text, k=6, before=30, after=10, highest=highest):
            snippet = c["left"] + c["char"] + c["right"]
            body = colored_text_html(snippet, c["context_values"], mark=len(c["left"]), line_breaks=False)
            st.markdown(f'<div style="margin-bottom:6px"><code>{c["activation"]:+.3f}</code> {body}</div>',
                        unsafe_allow_html=True)

show_intervention(trainer, unit)
