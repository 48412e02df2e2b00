"""Gradient check: are the hand-written backward-pass gradients right? Compare them with finite differences."""

import numpy as np
import streamlit as st

from rnn.insight.gradcheck import PASS_THRESHOLD, gradient_check, random_problem, summary
from rnn.insight.walkthrough import next_chunk
from rnn.viz.insight import gradcheck_figure, gradcheck_scatter
from ui.insight import PLOT_CONFIG
from ui.state import get_trainer
from ui.widgets import page_setup

page_setup("Gradient check")
trainer = get_trainer()

st.title("Gradient check")
st.caption("Backpropagation is derived by hand, so check it: nudge one weight by ±ε, measure how the loss "
           "changes, and compare with the analytic gradient. The same check runs as `python -m rnn gradcheck`.")
st.latex(r"\text{numerical} = \frac{L(\theta+\varepsilon) - L(\theta-\varepsilon)}{2\varepsilon},\qquad"
         r"\text{relative error} = \frac{|\text{analytic} - \text{numerical}|}{|\text{analytic}| + |\text{numerical}|}")

SOURCES = ["Small random model", "The running model"]
source = st.radio("Model", SOURCES, horizontal=True, key="gc_source",
                  help="A small float64 model checks every weight; the running model is checked on a random "
                       "sample of weights (in float64) over its next training chunk.")
if source == SOURCES[0]:
    c1, c2, c3, c4 = st.columns(4)
    V = c1.number_input("Vocabulary size", 2, 50, 8)
    H = c2.number_input("Hidden size", 1, 50, 10)
    T = c3.number_input("Sequence length", 1, 50, 12)
    seed = c4.number_input("Seed", 0, 10_000, 0)
    problem = random_problem(int(V), int(H), int(T), seed=int(seed))
    max_checks, sample_seed = None, 0
    default_eps = 1e-5
else:
    max_checks = st.slider("Weights checked per parameter", 5, 100, 20)
    inputs, targets, h_prev, _ = next_chunk(trainer)
    problem = (trainer.params, inputs[:1], targets[:1], h_prev[:1])  # stream 0 of the next training chunk
    if st.button("Check other weights", help="Draw a new random sample of weights to check."):
        st.session_state["gc_sample_seed"] = st.session_state.get("gc_sample_seed", 0) + 1
    sample_seed = st.session_state.get("gc_sample_seed", 0)
    # A freshly initialised model has tiny gradients (weights ~0.01): a larger step keeps rounding noise
    # out of the finite difference.
    default_eps = 1e-4
    st.caption("Checked weights are drawn among those with a gradient at least 1/1000 of the parameter's "
               "largest: for a near-zero gradient the finite difference is mostly rounding noise.")
eps = st.select_slider("Step ε", options=[1e-3, 1e-4, 1e-5, 1e-6, 1e-7], value=default_eps,
                       format_func=lambda e: f"{e:g}", key=f"gc_eps_{source}")
with st.spinner("Nudging every checked weight up and down…"):
    result = gradient_check(*problem, eps=eps, max_checks=max_checks, seed=sample_seed)
shown_source = source
s = summary(result)

if s["passed"]:
    st.success(f"Passed ({shown_source.lower()}): every relative error is below {PASS_THRESHOLD:g}. "
               "The backward pass computes the true gradient.", icon=":material/check_circle:")
else:
    st.error(f"Some relative error is above {PASS_THRESHOLD:g} ({shown_source.lower()}). In float64 a correct "
             "backward pass gives errors near 1e-7; try ε = 1e-5, or the float64 small model. Errors near 1 mean "
             "a wrong gradient.", icon=":material/error:")
st.dataframe(
    [{"parameter": k, "entries checked": f"{v['checked']} of {v['size']}",
      "max relative error": f"{v['max_rel_error']:.2e}",
      "max |analytic − numerical|": f"{np.max(np.abs(v['analytic'] - v['numerical'])) if v['checked'] else 0:.2e}"}
     for k, v in result.items()],
    hide_index=True,
)
left, right = st.columns(2)
with left:
    st.plotly_chart(gradcheck_figure(result, PASS_THRESHOLD), key="gradcheck_chart", config=PLOT_CONFIG)
with right:
    st.plotly_chart(gradcheck_scatter(result), key="gradcheck_scatter", config=PLOT_CONFIG)
