"""Training health: is the recurrence stable, are units saturated, does the gradient survive through time?"""

import numpy as np
import streamlit as st

from rnn.insight.health import gradient_through_time, health_snapshot
from rnn.insight.health_verdicts import (
    HEALTHY,
    UNHEALTHY,
    clip_verdict,
    flow_verdict,
    grad_norm_verdict,
    radius_verdict,
    saturation_verdict,
)
from rnn.insight.walkthrough import next_chunk
from rnn.viz.insight import gradient_flow_figure, health_figure
from ui.insight import PLOT_CONFIG, require_trained
from ui.state import get_trainer
from ui.widgets import page_setup

page_setup("Training health")
trainer = get_trainer()
cfg = trainer.config

st.title("Training health")
st.caption("Four vital signs of a vanilla RNN, and the picture that motivates LSTMs: how much gradient reaches "
           "earlier time steps during backpropagation through time (BPTT).")
require_trained(trainer, "this page")

LOOKS = {HEALTHY: (st.success, ":material/check_circle:"), UNHEALTHY: (st.error, ":material/error:")}


def show(verdict):
    """One verdict as a coloured box: green healthy, yellow worth watching, red unhealthy."""
    box, icon = LOOKS.get(verdict.level, (st.warning, ":material/warning:"))
    box(f"**{verdict.sign}: {verdict.level}.** {verdict.text}", icon=icon)


# ---------------------------------------------------------------- now
inputs, targets, h_prev, _ = next_chunk(trainer)
now = health_snapshot(trainer.params, inputs, h_prev)
c1, c2, c3, c4 = st.columns(4)
c1.metric("Spectral radius of Whh", f"{now.spectral_radius:.3f}",
          help="Largest |eigenvalue| of the recurrent matrix. Above 1, the linearised recurrence can amplify "
               "signals (and gradients) step after step; well below 1 they fade.")
c2.metric("Saturated units", f"{now.saturated_share:.0%}",
          help="Share of hidden activations with |h| > 0.95 on the next training chunk. There tanh' < 0.1: "
               "almost no gradient flows through a saturated unit.")
grad_norm = float(np.mean(trainer.history["grad_norm"][-100:])) if trainer.iteration else None
c3.metric("Gradient norm", f"{grad_norm:.3g}" if grad_norm is not None else "—",
          help="Global L2 norm of the gradient before clipping, mean over the last 100 steps.")
c4.metric("Clip rate", f"{trainer.clip_rate():.0%}" if trainer.iteration else "—",
          help=f"Share of the last 100 steps where some gradient element exceeded the clip value ({cfg.clip:g}).")
show(radius_verdict(now.spectral_radius))
show(saturation_verdict(now.saturated_share))
if grad_norm is not None:
    show(grad_norm_verdict(grad_norm))
    show(clip_verdict(trainer.clip_rate(), cfg.clip))

# ---------------------------------------------------------------- over training
st.subheader("Over training")
if trainer.health_history:
    st.plotly_chart(health_figure(trainer.health_history), key="health_chart", config=PLOT_CONFIG)
    st.caption(f"Recorded every {trainer.health_interval} iterations during training "
               f"({len(trainer.health_history)} records).")
elif cfg.health_every:
    st.info(f"The vital signs are recorded every {trainer.health_interval} iterations while training. "
            "Train on the Train page and they appear here.", icon=":material/info:")
else:
    st.info("Recording is off for this run (health_every = 0).", icon=":material/info:")

# ---------------------------------------------------------------- through time
st.subheader("Gradient through time, on the next training chunk")
B = inputs.shape[0]
stream = int(st.number_input("Stream", 0, B - 1, 0, help="Which of the parallel streams to show.")) if B > 1 else 0
flow = gradient_through_time(trainer.params, inputs[stream], targets[stream], h_prev[stream])
chars = trainer.vocab.decode(inputs[stream])
st.plotly_chart(gradient_flow_figure(flow, chars), key="gradient_flow_chart", config=PLOT_CONFIG)
first, last = flow.from_last[0], flow.from_last[-1]
ratio = first / last if last > 0 else float("nan")
T = len(chars)
st.markdown(f"The loss at the **last** step sends a gradient of size {last:.3g} into h at that step. Carried back "
            f"{T - 1} steps through `tanh` and `Whh` it arrives at the first step with size {first:.3g}.")
show(flow_verdict(ratio, T - 1))
