"""BPTT walkthrough: the next training step of the running model, laid out step by step for a class."""

import streamlit as st

from rnn.insight.walkthrough import walkthrough
from rnn.viz.chars import LEGEND, visible_char
from rnn.viz.insight import hidden_state_figure, walkthrough_params_figure, walkthrough_steps_figure
from ui.baselines import baselines_for
from ui.insight import PLOT_CONFIG
from ui.loss_words import loss_in_words
from ui.state import command, get_trainer, is_running
from ui.widgets import page_setup

page_setup("BPTT walkthrough")
trainer = get_trainer()
cfg = trainer.config

st.title("BPTT walkthrough")  # the sidebar's name for this page
st.caption("One training step, step by step: exactly the step the Train page would take next, computed on "
           "copies, so nothing changes until you "
           "press **Take this step**. The seed notebook's forward pass, loss, backward pass (BPTT), clipping and "
           "Adagrad update, with the running model's real numbers.")

B = cfg.batch_size
stream = int(st.number_input("Stream", 0, B - 1, 0, help="Parallel streams are independent; pick one to show.")) \
    if B > 1 else 0
w = walkthrough(trainer, stream=stream)
tot = w.totals
if trainer.status == "diverged":
    st.warning("This run has diverged and is paused; the walkthrough shows the step it refused.",
               icon=":material/warning:")

# ---------------------------------------------------------------- 1. data
st.subheader("1 · Inputs, targets and the carried hidden state")
st.markdown(
    f"The next chunk is **{tot.seq_length} characters** of the training text"
    + (f" for each of {B} streams (stream {stream} shown)" if B > 1 else "")
    + ". Each target is simply the next character. "
    + ("The data pointer reached the end of the text, so this chunk starts again at the beginning with "
       "h = 0 (a new epoch)." if tot.wrapped else
       "The hidden state **h_prev** carried over from the previous chunk is the RNN's memory of everything "
       "before it.")
)
st.plotly_chart(hidden_state_figure(w), key="bptt_hidden_chart", config=PLOT_CONFIG)

# ---------------------------------------------------------------- 2. forward
st.subheader("2 · Forward pass and loss")
st.latex(r"h_t = \tanh(W_{xh} x_t + W_{hh} h_{t-1} + b_h),\quad p_t = \mathrm{softmax}(W_{hy} h_t + b_y),"
         r"\quad L = -\sum_t \ln p_t[\mathrm{target}_t]")
st.dataframe(
    [{"t": s.t, "input": visible_char(s.input), "target": visible_char(s.target),
      "p(target)": round(s.p_target, 4), "loss (nats)": round(s.loss, 3),
      "model's top guess": visible_char(s.top_char), "its p": round(s.top_p, 3),
      "‖h_t‖": round(s.h_norm, 3), "saturated units": f"{s.saturated:.0%}",
      "‖dL/dh_t‖ (BPTT)": f"{s.grad_h:.3g}"} for s in w.steps],
    hide_index=True,
)
st.caption(f"Characters: {LEGEND}.")
st.markdown(f"Loss of this chunk: **{tot.loss_sum:.2f} nats** in total, **{tot.loss_per_char:.3f} "
            f"nats/char** (the Train page plots the per-character value).")
loss_in_words(tot.loss_per_char, trainer.vocab.size, baselines_for(trainer.corpus), label="This chunk: ")

# ---------------------------------------------------------------- 3. backward
st.subheader("3 · Backward pass through time")
st.markdown("Going backwards from the last character, each step adds the gradient from its own output to the "
            "gradient arriving from the future, multiplies by tanh' = 1 - h², and passes it on through Whh. "
            "The red line is the size of the gradient reaching each step.")
st.plotly_chart(walkthrough_steps_figure(w), key="bptt_steps_chart", config=PLOT_CONFIG)

# ---------------------------------------------------------------- 4. clipping
st.subheader("4 · Clipping")
if tot.clip > 0:
    clipped = [r.name for r in w.params if r.clipped_share > 0]
    st.markdown(
        f"Every gradient element is clipped to [-{tot.clip:g}, {tot.clip:g}] (`np.clip`, to mitigate exploding "
        f"gradients). Global gradient norm before clipping: **{tot.grad_norm:.3g}**. "
        + (f"This step **clips** {', '.join(clipped)}." if clipped else "Nothing is clipped in this step.")
    )
else:
    st.markdown(f"Clipping is off. Global gradient norm: **{tot.grad_norm:.3g}**.")

# ---------------------------------------------------------------- 5. update
st.subheader(f"5 · The {tot.optimizer} update")
if tot.optimizer == "adagrad":
    st.code("mem += dparam * dparam                          # Adagrad memory: sum of squared gradients\n"
            "param += -learning_rate * dparam / np.sqrt(mem + 1e-8)", language="python")
    st.caption("Parameters that keep getting large gradients get smaller and smaller steps.")
else:
    st.caption(f"The {tot.optimizer} optimizer keeps its own memory of past gradients; "
               "the table shows the resulting update.")
table = []
for r in w.params:
    row = {"parameter": r.name, "shape": r.shape, "‖grad‖": f"{r.grad_norm:.3g}",
           "max |grad|": f"{r.grad_max:.3g}", "clipped": f"{r.clipped_share:.1%}",
           "‖grad‖ after clip": f"{r.grad_norm_after_clip:.3g}"}
    if r.mem_before_mean is not None:
        row.update({"mean mem before": f"{r.mem_before_mean:.3g}", "mean mem after": f"{r.mem_after_mean:.3g}",
                    "mean step size lr/√mem": f"{r.step_size_mean:.3g}"})
    row.update({"‖update‖": f"{r.update_norm:.3g}", "‖update‖ / ‖param‖": f"{r.update_ratio:.2e}"})
    table.append(row)
st.dataframe(table, hide_index=True)
st.plotly_chart(walkthrough_params_figure(w), key="bptt_params_chart", config=PLOT_CONFIG)
st.caption("A healthy update changes each parameter by roughly 1/1000 of its size per step.")

if tot.would_diverge:
    st.warning("The Trainer's divergence guard would refuse this step (the loss is not finite, or the recent loss is "
               "far above the smoothed loss) and go back to its last known-good state.", icon=":material/warning:")
if is_running():
    st.caption("The model is training live, so its next step keeps changing: pause it on the Train page to "
               "take exactly this step.")
if st.button("Take this step", type="primary", help="Apply this update to the model (one training step)."):
    command("step", n=1)
    st.rerun()
st.caption(f"This is iteration {tot.iteration:,} of the run.")
