"""Gradient check: are the hand-written backward-pass gradients right? Compare them with finite differences."""

import streamlit as st

from rnn.insight.gradcheck import ABS_FLOOR, PASS_THRESHOLD, SAMPLE_FLOOR, gradient_check, random_problem, summary
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
         r"\text{relative error} = \frac{|\text{analytic} - \text{numerical}|}"
         r"{\max(|\text{analytic}| + |\text{numerical}|,\ " + f"{ABS_FLOOR:g}" + ")}")
st.caption(f"Why the {ABS_FLOOR:g} in the denominator: the finite difference has an error of its own, about 1e-9 "
           "(float rounding of the loss, divided by ε). A gradient that small, such as the bias of a saturated unit "
           "(tanh' ≈ 0), would get a relative error near 1 from that noise alone. So gradients below "
           f"{ABS_FLOOR:g} are judged by their absolute difference, which must stay below "
           f"{PASS_THRESHOLD * ABS_FLOOR:g}; a wrong gradient is off by about its own size and still fails.")

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
    st.caption(f"Checked weights are drawn first among those with a gradient at least {SAMPLE_FLOOR:g} of the "
               "parameter's largest. When fewer are (many saturated units), all of those are checked and the rest "
               "of the sample comes from the near-zero ones, judged by their absolute difference.")
eps = st.select_slider("Step ε", options=[1e-3, 1e-4, 1e-5, 1e-6, 1e-7], value=default_eps,
                       format_func=lambda e: f"{e:g}", key=f"gc_eps_{source}")
with st.spinner("Nudging every checked weight up and down…"):
    result = gradient_check(*problem, eps=eps, max_checks=max_checks, seed=sample_seed)
shown_source = source
s = summary(result)
n_chars = len(problem[1].reshape(-1))
where = ("every entry of a random float64 model" if max_checks is None else
         f"up to {max_checks} entries per parameter of the running model, in float64, over the first stream's "
         "next training chunk")
st.markdown(f"**Checked:** {where}; {n_chars} characters, ε = {eps:g}, "
            f"{sum(v['checked'] for v in result.values()):,} entries in all, "
            f"{sum(v['near_zero'] for v in result.values()):,} of them with a gradient below {ABS_FLOOR:g}.")

if s["passed"]:
    st.success(f"Passed ({shown_source.lower()}): every relative error is below {PASS_THRESHOLD:g}. "
               "The backward pass computes the true gradient.", icon=":material/check_circle:")
else:
    st.error(f"Some relative error is above {PASS_THRESHOLD:g} ({shown_source.lower()}). Errors near 1 mean a "
             "wrong gradient. Errors a little above the threshold can be the finite difference's own error: a large "
             "ε bends with the curve (truncation), a small one drowns in rounding; ε = 1e-4 or 1e-5 suits float64.",
             icon=":material/error:")
st.dataframe(
    [{"parameter": k, "entries checked": f"{v['checked']} of {v['size']}",
      f"gradient below {ABS_FLOOR:g}": v["near_zero"],
      "max relative error": f"{v['max_rel_error']:.2e}",
      "max |analytic − numerical|": f"{v['max_abs_diff']:.2e}"}
     for k, v in result.items()],
    hide_index=True,
)
left, right = st.columns(2)
with left:
    st.plotly_chart(gradcheck_figure(result, PASS_THRESHOLD), key="gradcheck_chart", config=PLOT_CONFIG)
with right:
    st.plotly_chart(gradcheck_scatter(result), key="gradcheck_scatter", config=PLOT_CONFIG)
