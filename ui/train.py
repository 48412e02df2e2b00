"""Train page logic: widget <-> config sync, button callbacks, the live tick, the latest sample.

Callbacks run before the page script, so everything drawn after them (button labels, metrics, charts)
already reflects the change.
"""

from __future__ import annotations

import time
from dataclasses import replace

import streamlit as st

from rnn.config import LIVE, MODEL, SETTINGS, Setting
from rnn.optim import DEFAULT_LR
from rnn.sample import sample
from rnn.train import Trainer
from rnn.viz.training import MAX_POINTS, grad_figure, loss_figure
from ui.baselines import baselines_for
from ui.history import history_arrays
from ui.state import get_trainer, is_running, reset_model, set_running, set_trainer, trainer_lock
from ui.widgets import flash

TICK_SECONDS = 0.2  # compute per live tick: short enough that clicks stay responsive
BURST_SECONDS = 1.5  # ticks per live rerun: each rerun costs a browser round trip, so do several
RUN_EVERY = 0.1  # shorter than a burst: the next rerun is always queued, so bursts run back to back
SAMPLE_LENGTH = 200
LIVE_POINTS = 1000  # curve points per trace while running (MAX_POINTS = 2000 when paused)
CHART_EVERY_SECONDS = 1.0  # while running, the charts and the sample are redrawn this often


def widget_key(name: str) -> str:
    """The Train page's widget for a setting is keyed by its URL key, so the page and a link agree."""
    return f"tr_{SETTINGS[name].url}"


# The settings the Train page offers are the ones a link can carry (rnn/config.py).
ON_PAGE = [s for s in SETTINGS.values() if s.url]
LIVE_KEYS = {widget_key(s.name): s.name for s in ON_PAGE if s.kind == LIVE}
SHAPE_KEYS = {widget_key(s.name): s.name for s in ON_PAGE if s.kind == MODEL}
K_LR, K_OPT, K_CLIP, K_SEQ = (widget_key(n) for n in ("learning_rate", "optimizer", "clip", "seq_length"))
K_HIDDEN, K_BATCH, K_SEED, K_DTYPE = (widget_key(n) for n in ("hidden_size", "batch_size", "seed", "dtype"))
_SYNCED = "_train_widgets_for"
_LIVE = "_live_stats"
_SAMPLE = "_latest_sample"
_FIGS = "_train_figures"


def with_value(options: list, value) -> list:
    """Options plus `value` (e.g. from an uploaded checkpoint), sorted."""
    return options if value is None or value in options else sorted([*options, value])


def fmt_lr(x: float) -> str:
    return f"{x:g}"


def fmt_clip(x: float) -> str:
    return "off" if x == 0 else f"±{x:g}"


def _help(s: Setting) -> str:
    when = "Takes effect at the next step." if s.kind == LIVE else "Applying it starts a new model."
    return f"{s.help[0].upper()}{s.help[1:]}. {when}"


def options_args(name: str) -> dict:
    """Label, options, key and help of a select widget for a setting: its choices, or its preset stops
    plus the model's current value (a checkpoint may bring one the app does not offer)."""
    s, key = SETTINGS[name], widget_key(name)
    options = list(s.choices) or with_value(list(s.stops), st.session_state.get(key))
    return {"label": s.label, "options": options, "key": key, "help": _help(s)}


def range_args(name: str) -> dict:
    """Label, bounds, key and help of a slider or number input for a setting: the app's range, widened to
    the model's current value if that lies outside it."""
    s, key = SETTINGS[name], widget_key(name)
    value = st.session_state.get(key)
    low, high = s.low, s.high
    if value is not None:
        low, high = min(low, value), max(high, value)
    return {"label": s.label, "min_value": low, "max_value": high, "key": key, "help": _help(s)}


def sync_widgets(trainer: Trainer) -> None:
    """Point the widgets at the model's config when the model changed (reset, new corpus, checkpoint) or
    when Streamlit dropped their state (after visiting another page)."""
    ss = st.session_state
    fresh = ss.get(_SYNCED) is not trainer
    for key, name in {**LIVE_KEYS, **SHAPE_KEYS}.items():
        if fresh or key not in ss:
            ss[key] = SETTINGS[name].type(getattr(trainer.config, name))
    ss[_SYNCED] = trainer


# --------------------------------------------------------------------------- live settings (apply mid-run)


def on_lr() -> None:
    trainer = get_trainer()
    with trainer_lock():
        trainer.set_learning_rate(st.session_state[K_LR])


def on_optimizer() -> None:
    trainer = get_trainer()
    name = st.session_state[K_OPT]
    if name == trainer.optimizer.name:
        return
    lr = DEFAULT_LR[name]
    with trainer_lock():
        trainer.set_optimizer(name, lr)
    st.session_state[K_LR] = lr
    flash("info", f"Switched to **{name}**. The parameters are kept; the optimizer's memory starts empty. "
                  f"The learning rate is now {name}'s usual {lr:g}.")


def on_clip() -> None:
    trainer = get_trainer()
    with trainer_lock():
        trainer.set_clip(st.session_state[K_CLIP])


def on_seq() -> None:
    trainer = get_trainer()
    try:
        with trainer_lock():
            trainer.set_seq_length(st.session_state[K_SEQ])
    except ValueError as exc:
        st.session_state[K_SEQ] = trainer.config.seq_length
        flash("error", f"Sequence length not changed: {exc}.")


# --------------------------------------------------------------------------- shape changes (need a new model)


def pending_shape(trainer: Trainer) -> list[tuple[str, object, object]]:
    """(label, current, requested) for each shape setting whose widget differs from the model."""
    ss = st.session_state
    out = []
    for key, name in SHAPE_KEYS.items():
        if key in ss and ss[key] != getattr(trainer.config, name):
            out.append((SETTINGS[name].label, getattr(trainer.config, name), ss[key]))
    return out


def apply_shape() -> None:
    """Build a fresh model with the requested shape; on a bad combination keep the old one."""
    ss = st.session_state
    old = get_trainer()
    cfg = replace(old.config, **{name: ss[key] for key, name in SHAPE_KEYS.items()})
    try:
        set_trainer(Trainer(old.corpus, cfg))
    except ValueError as exc:
        flash("error", f"These settings do not fit the corpus: {exc}. The current model is unchanged.")
        return
    flash("success", f"New model: {cfg.hidden_size} hidden units, {cfg.batch_size} stream(s), {cfg.dtype}, "
                     f"seed {cfg.seed}.")


def revert_shape() -> None:
    ss = st.session_state
    cfg = get_trainer().config
    for key, name in SHAPE_KEYS.items():
        ss[key] = getattr(cfg, name)


# --------------------------------------------------------------------------- buttons


def do_steps(n: int) -> None:
    trainer = get_trainer()
    trainer.resume()  # pressing Step after a divergence means "try again from here"
    with trainer_lock():
        trainer.step(n)
    if trainer.status == "diverged":
        set_running(False)


def toggle_run() -> None:
    if is_running():
        set_running(False)
        with trainer_lock():  # let a tick still training in the previous run finish, so the page shows it
            pass
        return
    get_trainer().resume()
    st.session_state.pop(_LIVE, None)
    set_running(True)


def do_reset() -> None:
    reset_model()
    st.session_state.pop(_SAMPLE, None)
    flash("info", "The model starts again from fresh random weights (same settings and corpus).")


# --------------------------------------------------------------------------- live tick


def burst(seconds: float = BURST_SECONDS):
    """Yields until `seconds` have passed (at least once)."""
    deadline = time.perf_counter() + seconds
    yield
    while time.perf_counter() < deadline and is_running():
        yield


def live_tick(trainer: Trainer, seconds: float = TICK_SECONDS) -> int:
    """Train for `seconds` of wall time, keeping score of where live time goes (training, drawing, waiting
    for Streamlit's next rerun) so the page can show how much of it is spent training."""
    now = time.perf_counter()
    stats = st.session_state.get(_LIVE)
    if stats is None or stats["trainer"] is not trainer:  # Run pressed (toggle_run clears it) or a new model
        stats = {"trainer": trainer, "t0": now, "chars0": trainer.chars_trained, "train": 0.0, "draw": 0.0,
                 "ticks": 0, "last": now, "drawn": now}
        st.session_state[_LIVE] = stats
    stats["last"] = now
    with trainer_lock():
        # Pause may have been pressed while this tick waited for the lock: then it must not train.
        taken = trainer.train_for(seconds) if is_running() else 0
    stats["drawn"] = time.perf_counter()  # drawing starts now; tick_drawn() closes it
    stats["train"] += stats["drawn"] - now
    stats["ticks"] += 1
    if trainer.status == "diverged":
        set_running(False)
    return taken


def draw_started() -> float:
    return time.perf_counter()


def tick_drawn(since: float | None = None) -> None:
    """Call at the end of a live fragment: the time since `since` (default: since training stopped)
    was spent drawing."""
    stats = st.session_state.get(_LIVE)
    if stats is not None and is_running():
        stats["draw"] += time.perf_counter() - (stats["drawn"] if since is None else since)


def live_stats() -> dict | None:
    """Wall-clock speed of the live run since Run was pressed, and the shares of that wall time spent
    training and drawing (the rest is Streamlit's round trip between ticks)."""
    stats = st.session_state.get(_LIVE)
    if not stats or stats["ticks"] < 2:
        return None
    trainer = stats["trainer"]
    wall = time.perf_counter() - stats["t0"]
    chars = trainer.chars_trained - stats["chars0"]
    return {"chars_per_sec": chars / wall, "wall": wall, "train_rate": chars / max(stats["train"], 1e-9),
            "train_share": stats["train"] / wall, "draw_share": stats["draw"] / wall, "ticks": stats["ticks"]}


def figures(trainer: Trainer):
    """(loss figure, grad figure), rebuilt only when the model has moved on (building costs tens of ms)."""
    ss = st.session_state
    baselines = baselines_for(trainer.corpus)
    key = (trainer, trainer.iteration, len(trainer.val_history), baselines is not None)
    cached = ss.get(_FIGS)
    if cached is not None and cached["key"] == key:
        return cached["loss"], cached["grad"]
    h = history_arrays(trainer)
    # fewer points while running: the browser redraws these every second, on the same CPU on a laptop
    points = LIVE_POINTS if is_running() else MAX_POINTS
    loss = loss_figure(h["loss"], h["smooth_loss"], trainer.val_history, trainer.vocab.size, baselines,
                       max_points=points)
    grad = grad_figure(h["grad_norm"], h["clipped"], max_points=points)
    ss[_FIGS] = {"key": key, "loss": loss, "grad": grad}
    return loss, grad


def latest_sample(trainer: Trainer) -> tuple[int, str]:
    """A 200-character sample from the model's carried state, redrawn when the model has moved on. Uses
    its own seed (the iteration), so it never disturbs the trainer's random stream."""
    ss = st.session_state
    cached = ss.get(_SAMPLE)
    if cached is not None and cached[0] is trainer and cached[1] == trainer.iteration:
        return cached[1], cached[2]
    text = sample(trainer.params, trainer.vocab, SAMPLE_LENGTH, temperature=1.0, seed=trainer.iteration,
                  h=trainer.h[0])
    ss[_SAMPLE] = (trainer, trainer.iteration, text)
    return trainer.iteration, text
