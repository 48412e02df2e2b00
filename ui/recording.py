"""Records the dashboard session's training run in the run store, so it shows on the Runs page.

A run starts when the session's model first trains, is updated at low frequency from the Train page
(every few seconds of live training, never every tick), and is finished when the model is replaced
(Reset, new corpus or shape, checkpoint upload, "Open in dashboard"). Recording problems never disturb
training: they are remembered as a warning and recording stops for that model.
"""

from __future__ import annotations

import streamlit as st

from rnn.runs.recorder import SafeRecorder

KEY = "_run_recorder"
WARNING = "_run_record_warning"
EVERY = 10.0  # seconds between writes while training


def _warn(msg: str) -> None:
    st.session_state[WARNING] = msg.removeprefix("warning: ")


def track(trainer, force: bool = False) -> None:
    """Call after training steps: starts the run on the first trained step, then updates it (throttled)."""
    ss = st.session_state
    rec: SafeRecorder | None = ss.get(KEY)
    if rec is not None and rec.trainer is not trainer:
        finish()
        rec = None
    if trainer.iteration == 0:
        return
    if rec is None:
        corpus = trainer.corpus
        rec = SafeRecorder(trainer, source="dashboard", every=EVERY, warn=_warn,
                           name=f"dashboard {corpus.name} H{trainer.config.hidden_size}")
        rec.trainer = trainer  # kept even when recording is off, so a failing store is not retried every tick
        ss[KEY] = rec
    else:
        rec.update(force)


def flush() -> None:
    """Write the session's run now (the Runs page calls this so the current run is up to date)."""
    rec = st.session_state.get(KEY)
    if rec is not None:
        rec.update(force=True)


def finish() -> None:
    """Finish the session's run (its model is being replaced): final metrics and a checkpoint."""
    rec = st.session_state.pop(KEY, None)
    if rec is not None:
        rec.finish()
