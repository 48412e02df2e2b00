"""Train page logic: widget <-> config sync, the commands behind the buttons, the live view's pieces.

The model trains in a worker process (rnn/service); this page only sends it commands and draws what it
reads back. Callbacks run before the page script, so everything drawn after them (button labels, metrics,
charts) already reflects the change.
"""

from __future__ import annotations

import math
import time
from dataclasses import replace

import streamlit as st

from rnn.budget import BudgetError
from rnn.config import LIVE, MODEL, SETTINGS, Setting
from rnn.optim import DEFAULT_LR
from rnn.recent_loss import curve as recent_curve
from rnn.train import Trainer
from rnn.viz.training import MAX_POINTS, downsample, grad_figure, loss_figure
from rnn.viz.user_text import markdown_literal
from ui.baselines import baselines_for
from ui.history import history_arrays
from ui.state import command, get_trainer, live, models_per_worker, reset_model, set_trainer
from ui.widgets import flash

LIVE_EVERY = 1.0  # seconds between redraws of the live view, running or paused (the same elements either way)
PAUSE_WAIT_SECONDS = 0.3  # Pause waits at most this long for the worker to confirm where it stopped
STEP_WAIT_SECONDS = 5.0  # a Step button waits this long for its steps; a longer Step shows up as it goes
LIVE_POINTS = 500  # curve points per trace while running (MAX_POINTS = 2000 when paused)


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
_FIGS = "_train_figures"
_GHOST = "_train_ghost"
GHOST_POINTS = 500  # points kept of a replaced model's curve


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


def sync_widgets(trainer: Trainer, force: bool = False) -> None:
    """Point the widgets at the model's config when the model changed (reset, new corpus, checkpoint), when
    Streamlit dropped their state (after visiting another page) or when asked (a refused change)."""
    ss = st.session_state
    fresh = force or ss.get(_SYNCED) is not trainer
    for key, name in {**LIVE_KEYS, **SHAPE_KEYS}.items():
        if fresh or key not in ss:
            ss[key] = SETTINGS[name].type(getattr(trainer.config, name))
    ss[_SYNCED] = trainer


# --------------------------------------------------------------------------- live settings (apply mid-run)


def _change(**settings) -> str | None:
    """Send live settings to the model; on a refusal say why and point the widgets back at the model."""
    error = command("change", **settings)
    if error:
        sync_widgets(get_trainer(fresh=False), force=True)
        flash("error", f"Not changed: {markdown_literal(error)}.")
    return error


def on_lr() -> None:
    _change(learning_rate=st.session_state[K_LR])


def on_optimizer() -> None:
    name = st.session_state[K_OPT]
    if name == get_trainer(fresh=False).config.optimizer:
        return
    lr = DEFAULT_LR[name]
    if not _change(optimizer=name, learning_rate=lr):
        st.session_state[K_LR] = lr
        flash("info", f"Switched to **{name}**. The parameters are kept; the optimizer's memory starts empty. "
                      f"The learning rate is now {name}'s usual {lr:g}.")


def on_clip() -> None:
    _change(clip=st.session_state[K_CLIP])


def on_seq() -> None:
    _change(seq_length=st.session_state[K_SEQ])


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
    old = get_trainer(fresh=False)
    cfg = replace(old.config, **{name: ss[key] for key, name in SHAPE_KEYS.items()})
    why = ", ".join(f"{label} {a} → {b}" for label, a, b in pending_shape(old))
    try:
        set_trainer(Trainer(old.corpus, cfg))
    except BudgetError as exc:
        flash("error", f"These settings are over this server's budget: {exc}. The current model is unchanged.")
        return
    except ValueError as exc:
        flash("error", f"These settings do not fit the corpus: {markdown_literal(exc)}. The current model is "
                       "unchanged.")
        return
    keep_ghost(old, why)
    flash("success", f"New model: {cfg.hidden_size} hidden units, {cfg.batch_size} stream(s), {cfg.dtype}, "
                     f"seed {cfg.seed}.")


def revert_shape() -> None:
    ss = st.session_state
    cfg = get_trainer(fresh=False).config
    for key, name in SHAPE_KEYS.items():
        ss[key] = getattr(cfg, name)


# --------------------------------------------------------------------------- buttons (commands to the model)


def do_steps(n: int) -> None:
    """Step N: the worker takes exactly N steps (in slices, so Pause can stop a long Step 100)."""
    error = command("step", n=n, timeout=STEP_WAIT_SECONDS)
    if error and error != "timeout":
        flash("error", f"Not stepped: {markdown_literal(error)}.")


def run_or_pause(run: bool) -> None:
    """Run or Pause, as the button said when it was clicked (not a toggle: another tab may have paused the
    model meanwhile, and a Pause click must not start it again)."""
    # The server's record flips at once (the button and banner follow) and the worker's snapshots take over
    # once it has handled the command. Pause waits a moment for the worker, so that the page shows the
    # iteration where it stopped; a busy server does not hold the click longer than that.
    if run:
        command("run", wait=False)
    else:
        command("pause", timeout=PAUSE_WAIT_SECONDS)


def reset_question(trainer: Trainer, run_id: int | None) -> str:
    """What Reset's confirmation says: what is discarded, and where to find it again."""
    if not trainer.iteration:
        return "The model is untrained: Reset only draws new random weights (same settings and corpus)."
    where = f"run #{run_id}" if run_id is not None else "its run"
    return (f"Reset discards this model (iteration {trainer.iteration:,}, recent loss {trainer.recent_loss:.3f}) and "
            "starts again from fresh random weights, same settings and corpus. It can be brought back: "
            f"{where} keeps its final checkpoint on the **Runs** page (*Manage a run* → *Open in dashboard*). "
            "Its curve stays on the chart, faint, for comparison.")


def do_reset() -> None:
    old = get_trainer(fresh=False)
    run_id = live().run_id
    keep_ghost(old, "Reset")
    reset_model()
    back = (f" The previous model is run #{run_id} on the Runs page (Open in dashboard brings it back)."
            if old.iteration and run_id is not None else "")
    flash("info", "The model starts again from fresh random weights (same settings and corpus)." + back)


# --------------------------------------------------------------------------- the previous model's curve


def keep_ghost(old: Trainer, why: str) -> None:
    """Keep a trained model's recent-loss curve (at most GHOST_POINTS points, this session only) before it is
    replaced, to draw faintly under the next model's. An untrained model leaves the last ghost in place."""
    if not old.iteration or not old.history.total:
        return
    h = history_arrays(old)
    y = recent_curve(h["loss"], start=math.log(old.vocab.size), weights=h["weight"])
    x, y = downsample(y, GHOST_POINTS, "last", x=h["step"])
    st.session_state[_GHOST] = {"x": x, "y": y, "corpus": old.corpus.fingerprint,
                                "name": f"previous model ({why}; H{old.config.hidden_size}, "
                                        f"{old.iteration:,} iterations)"}


def ghost_for(trainer: Trainer) -> dict | None:
    """The kept curve, if it was trained on this model's corpus (another text's losses do not compare)."""
    ghost = st.session_state.get(_GHOST)
    return ghost if ghost is not None and ghost["corpus"] == trainer.corpus.fingerprint else None


# --------------------------------------------------------------------------- the live view


def chart_every() -> float:
    """Seconds between new charts while training: LIVE_EVERY when each model has a worker to itself; when k
    models share a worker, each moves k times slower, so every k seconds (a redraw then shows as much new curve,
    and a class of tabs costs the server and the browsers k times less). Metrics still redraw every second."""
    return LIVE_EVERY * max(1, math.ceil(models_per_worker() - 1e-9))


def figures(trainer: Trainer, running: bool, loss_height: int | None = None):
    """(loss figure, grad figure), rebuilt when the model has moved on, at most every chart_every() seconds
    while it trains. Between rebuilds the page sends the same figures again, which the browser does not
    redraw: a new figure costs it a whole new chart."""
    ss = st.session_state
    baselines = baselines_for(trainer.corpus)
    ghost = ghost_for(trainer)
    key = (trainer, trainer.iteration, len(trainer.val_history), baselines is not None, id(ghost),
           len(trainer.events), loss_height, running)
    cached = ss.get(_FIGS)
    if cached is not None:
        # still training, the same model at the same size
        same_run = running and cached["key"][0] is trainer and cached["key"][-2:] == (loss_height, True)
        if cached["key"] == key or same_run and time.monotonic() - cached["built"] < chart_every():
            return cached["loss"], cached["grad"]
    h = history_arrays(trainer)
    # fewer points while running: the browser redraws these every second, on the same CPU on a laptop
    points = LIVE_POINTS if running else MAX_POINTS
    loss = loss_figure(h["loss"], h["smooth_loss"], trainer.val_history, trainer.vocab.size, baselines,
                       max_points=points, x=h["step"], weights=h["weight"], events=trainer.events, ghost=ghost,
                       **({"height": loss_height} if loss_height else {}))
    grad = grad_figure(h["grad_norm"], h["clipped"], max_points=points, x=h["step"], weights=h["weight"])
    ss[_FIGS] = {"key": key, "loss": loss, "grad": grad, "built": time.monotonic()}
    return loss, grad


def status_line(trainer: Trainer, record) -> tuple[str, str]:
    """(kind, text) of the one status banner: what the model is doing now, in words."""
    if trainer.status == "diverged":
        # the message says which iteration the model went back to and what was restored; it is text (a
        # checkpoint carries it), never Markdown
        return "error", (f"**Training diverged and is paused.** {markdown_literal(trainer.message)} Press Step or "
                         "Run to continue from there (after lowering the learning rate).")
    if record.pending_steps:
        return "info", f"Stepping: {record.pending_steps:,} steps to go."
    if record.running:
        return "success", "Training live in a worker process. It keeps training if you reload or open other pages."
    if record.note:
        return "info", markdown_literal(record.note)
    return "info", "Paused. Press **Run** to train live, or **Step** to go one step at a time."
