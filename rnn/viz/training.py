"""Figures for watching an RNN train: loss curves, gradient health, next-character odds (hidden states:
hidden_states.py).

Pure builders: NumPy arrays and lists in, `plotly.graph_objects.Figure` out, so they work in a notebook
as well as in the dashboard. Long curves are downsampled to about `max_points` points, and heatmaps are
sent as float32, because every redraw of a live chart travels to the browser. Curves use SVG Scatter,
not Scattergl: WebGL is missing in some headless browsers and 2k points draw fast without it.
"""

from __future__ import annotations

import html
import math

import numpy as np
import plotly.graph_objects as go

from ..evaluate import bits, perplexity
from ..recent_loss import RECENT_STEPS
from ..recent_loss import curve as recent_curve
from .axes import ITERATION_AXIS, log_axis
from .chars import char_labels

MAX_POINTS = 2000

# Opaque mid-tone colours: each reads on Streamlit's light and dark backgrounds alike (a translucent line
# vanishes on the dark one).
COLORS = {
    "raw": "#97a3f7",  # the per-step loss: thin and light, behind the average
    "recent": "#4f6df5",  # the recent loss: the thick headline curve
    "smooth": "#a57bd6",  # min-char-rnn's slow smooth_loss, dashed
    "val": "#ef553b",
    "uniform": "#8c8c8c",
    "ngram": "#2ca02c",
    "event": "#f59e0b",  # a learning rate / optimizer / clip / sequence length change
    "ghost": "#9e9e9e",  # the previous model's curve, faint
    "grad": "#5b7cfa",
    "clip": "#ff7f0e",
    "bar": "#3b4cc0",
    "ref": "#9e9e9e",
}


# --------------------------------------------------------------------------- small helpers


def downsample(y, max_points: int = MAX_POINTS, how: str = "mean", x=None,
               weights=None) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) with at most max_points points for a series y; x defaults to 1-based step numbers.

    Consecutive points are grouped into equal bins (the last one may be shorter, so the curve always
    reaches the latest point); each bin becomes one point at its last x, valued by the bin mean ("mean",
    for noisy per-step losses; weighted by `weights`, the steps each point stands for, when given) or its
    last value ("last", for a curve that is already smooth). Short series come back unchanged.
    """
    if how not in ("mean", "last"):
        raise ValueError(f"unknown downsampling {how!r}; use mean or last")
    y = np.asarray(y, dtype=np.float64)
    n = len(y)
    x = np.arange(1, n + 1) if x is None else np.asarray(x)
    if n <= max_points:
        return x, y
    k = math.ceil(n / max_points)  # then ceil(n / k) <= max_points bins
    starts = np.arange(0, n, k)
    ends = np.minimum(starts + k, n) - 1
    if how == "last":
        return x[ends], y[ends]
    if weights is None:
        return x[ends], np.add.reduceat(y, starts) / (ends - starts + 1)
    w = np.asarray(weights, dtype=np.float64)
    return x[ends], np.add.reduceat(y * w, starts) / np.add.reduceat(w, starts)


def rolling_mean(a, window: int, weights=None) -> np.ndarray:
    """Mean over the last `window` values at each position (shorter at the start). With `weights` (the
    steps each value stands for), over the values that cover the last `window` steps, and at least its own."""
    a = np.asarray(a, dtype=np.float64)
    if len(a) == 0:
        return a
    w = np.ones(len(a)) if weights is None else np.asarray(weights, dtype=np.float64)
    c = np.cumsum(np.concatenate([[0.0], a * w]))
    cw = np.cumsum(np.concatenate([[0.0], w]))
    idx = np.arange(1, len(a) + 1)
    lo = np.minimum(np.searchsorted(cw, cw[idx] - window, side="left"), idx - 1)
    return (c[idx] - c[lo]) / (cw[idx] - cw[lo])


def _loss_custom(nats: np.ndarray) -> np.ndarray:
    """Columns (bits/char, perplexity) for hover text."""
    nats = np.asarray(nats, dtype=np.float64)
    return np.stack([bits(nats), perplexity(nats)], axis=-1)


_LOSS_HOVER = "%{y:.3f} nats/char · %{customdata[0]:.3f} bits/char · perplexity %{customdata[1]:.2f}"
# The long curves around the headline one say nats only: two more numbers per point would double what each
# live redraw sends, and the unified hover shows the headline curve's bits and perplexity beside them.
_NATS_HOVER = "%{y:.3f} nats/char"


def _empty_note(text: str) -> dict:
    """A grey note in the middle of an empty chart (a layout annotation)."""
    return {"text": text, "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5, "showarrow": False,
            "font": {"size": 14, "color": "#888"}}


def _line(x, y, name: str, line: dict, **more) -> dict:
    return {"type": "scatter", "x": x, "y": y, "mode": "lines", "name": name, "line": line, **more}


# The live charts are redrawn every second for every watching tab, so these two builders assemble plain
# dicts and let plotly validate the whole figure once: building them trace by trace with update_layout and
# make_subplots cost ~10x more server time per redraw.
# The legend sits under the chart: above it, Plotly's modebar (top right, on hover) covered its last entries.
_LEGEND = {"orientation": "h", "yref": "container", "yanchor": "bottom", "y": 0, "x": 0, "font": {"size": 11}}
_MARGIN = {"l": 10, "r": 10, "t": 10, "b": 10}
SETTING_NAMES = {"learning_rate": "learning rate", "optimizer": "optimizer", "clip": "clip",
                 "seq_length": "sequence length"}


def _setting_value(name: str, v) -> str:
    if name == "clip":
        return "off" if v == 0 else f"±{v:g}"
    return v if isinstance(v, str) else f"{v:g}"


def event_texts(events) -> dict[int, str]:
    """{iteration: "learning rate 0.1 → 0.01; optimizer adagrad → adam"} for Trainer.events."""
    out: dict[int, list[str]] = {}
    for at, name, old, new in events:
        out.setdefault(int(at), []).append(
            f"{SETTING_NAMES.get(name, name)} {_setting_value(name, old)} → {_setting_value(name, new)}")
    return {at: "; ".join(parts) for at, parts in out.items()}


# --------------------------------------------------------------------------- loss


def loss_figure(loss, smooth_loss=None, val_history=(), vocab_size: int | None = None,
                baselines: dict[int, float] | None = None, max_points: int = MAX_POINTS,
                height: int = 380, x=None, weights=None, events=(), ghost: dict | None = None) -> go.Figure:
    """Training loss per character (nats) against iteration.

    loss: per-step loss, drawn thin, with its recent average (rnn/recent_loss.py, about ten steps) thick on
    top: that one follows what Step shows. smooth_loss: min-char-rnn's slow running average (about a thousand
    steps), dashed. val_history: [(iteration, nats)]; vocab_size: draws the uniform-guess line ln(V) (and
    starts the recent average there, as the Trainer does); baselines: {n: nats} of n-gram models on the
    validation text; x, weights: the step of each point and the steps it stands for, for a history whose
    older steps are binned (rnn/history.py; default: one point per step, from 1).
    events: Trainer.events, marked where a live setting changed. ghost: {"x", "y", "name"}, a previous model's
    recent-loss curve, drawn faint (the x axis follows this model once it has trained).
    Hover shows nats, bits/char and perplexity; iterations as plain integers.
    """
    traces, shapes = [], []
    steps = int(x[-1]) if x is not None and len(x) else len(loss)
    hover = {"hovertemplate": _LOSS_HOVER}
    if ghost is not None and len(ghost["x"]):
        gy = np.asarray(ghost["y"], dtype=np.float64)
        traces.append(_line(ghost["x"], gy, ghost["name"], {"color": COLORS["ghost"], "width": 2},
                            opacity=0.45, customdata=_loss_custom(gy), **hover))
    if len(loss):
        xs, y = downsample(loss, max_points, "mean", x=x, weights=weights)
        per = math.ceil(steps / (max_points if x is None else len(xs)))
        name = "loss per step" if len(xs) == steps else f"loss (mean of {per} steps)"
        traces.append(_line(xs, y, name, {"color": COLORS["raw"], "width": 1}, hovertemplate=_NATS_HOVER))
        rx = np.arange(1, len(loss) + 1) if x is None else np.asarray(x)
        recent = recent_curve(loss, start=math.log(vocab_size) if vocab_size else None, weights=weights)
        xs, y = downsample(recent, max_points, "last", x=rx)
        traces.append(_line(xs, y, f"recent loss (last ~{RECENT_STEPS} steps)", {"color": COLORS["recent"],
                            "width": 2.5}, customdata=_loss_custom(y), **hover))
        if len(events):
            texts = event_texts(events)
            ex = np.array(sorted(texts))
            ey = np.interp(ex, rx, recent)  # on the recent curve, where the change took effect
            traces.append({"type": "scatter", "x": ex, "y": ey, "mode": "markers", "name": "setting changed",
                           "marker": {"color": COLORS["event"], "size": 10, "symbol": "diamond",
                                      "line": {"width": 1, "color": "#ffffff"}},
                           "text": [texts[i] for i in ex], "hovertemplate": "%{text}<extra>changed</extra>"})
            shapes = [{"type": "line", "xref": "x", "yref": "paper", "x0": i, "x1": i, "y0": 0, "y1": 1,
                       "line": {"color": COLORS["event"], "width": 1, "dash": "dot"}, "opacity": 0.7} for i in ex]
    if smooth_loss is not None and len(smooth_loss):
        xs, y = downsample(smooth_loss, max_points, "last", x=x)
        traces.append(_line(xs, y, "smooth_loss (min-char-rnn, ~1000 steps)",
                            {"color": COLORS["smooth"], "width": 1.5, "dash": "dash"}, hovertemplate=_NATS_HOVER))
    if len(val_history):
        vx = np.array([i for i, _ in val_history])
        vy = np.array([v for _, v in val_history], dtype=np.float64)
        traces.append(_line(vx, vy, "validation", {"color": COLORS["val"], "width": 1.5}, mode="lines+markers",
                            marker={"size": 7}, customdata=_loss_custom(vy), **hover))
    x_end = max(steps, val_history[-1][0] if len(val_history) else 0, 1)
    ref_end = max(x_end, int(np.max(ghost["x"])) if ghost is not None and len(ghost["x"]) else 0)
    if vocab_size:
        u = math.log(vocab_size)
        traces.append(_line([0, ref_end], [u, u], f"uniform guess ln({vocab_size})",
                            {"color": COLORS["uniform"], "dash": "dash", "width": 1.5},
                            customdata=_loss_custom([u, u]), **hover))
    for order, nats in sorted((baselines or {}).items()):
        traces.append(_line([0, ref_end], [nats, nats], f"{order}-gram (val)",
                            {"color": COLORS["ngram"], "dash": "dot", "width": 1.2},
                            opacity=0.4 + 0.12 * order, customdata=_loss_custom([nats, nats]),
                            visible=True if order in (1, 3, 5) else "legendonly", **hover))
    xaxis = dict(ITERATION_AXIS)
    if ghost is not None and len(loss):  # this model's curve, not squeezed into the corner of the old one's
        xaxis["range"] = [0, x_end * 1.02]
    layout = {
        "height": height, "margin": _MARGIN, "hovermode": "x unified", "showlegend": True, "uirevision": "loss",
        "legend": _LEGEND, "xaxis": xaxis, "shapes": shapes,
        "yaxis": {"title": {"text": "loss (nats per character)"}, "rangemode": "tozero"},
        "annotations": [] if len(loss) else [_empty_note("No training yet: press Step or Run")],
    }
    return go.Figure({"data": traces, "layout": layout})


# --------------------------------------------------------------------------- gradients


def grad_figure(grad_norm, clipped=None, window: int = 100, max_points: int = MAX_POINTS,
                height: int = 280, x=None, weights=None) -> go.Figure:
    """Global gradient norm before clipping (log scale, left) and the share of recent steps that were
    clipped (right, a rolling mean over `window` steps). x, weights: as for loss_figure."""
    traces, norms = [], np.zeros(0)
    if len(grad_norm):
        xs, norms = downsample(grad_norm, max_points, "mean", x=x, weights=weights)
        traces.append(_line(xs, norms, "gradient norm", {"color": COLORS["grad"], "width": 1.2},
                            hovertemplate="%{y:.3g}"))
    if clipped is not None and len(clipped):
        rate = rolling_mean(np.asarray(clipped, dtype=np.float64), window, weights)
        xs, y = downsample(rate, max_points, "last", x=x)
        traces.append(_line(xs, y, f"clip rate (last {window} steps)", {"color": COLORS["clip"], "width": 1.5},
                            hovertemplate="%{y:.0%}", yaxis="y2"))
    layout = {
        "height": height, "margin": _MARGIN, "hovermode": "x unified", "uirevision": "grad", "legend": _LEGEND,
        "xaxis": {**ITERATION_AXIS, "domain": [0, 0.94]},  # room for the right axis
        # a few round ticks on the log axis (rnn/viz/axes.py), fixed quarter ticks on the right: automatic
        # ticks crowd a half-width chart
        "yaxis": {"title": {"text": "gradient norm"}, **log_axis(norms)},
        "yaxis2": {"title": {"text": "clipped"}, "range": [0, 1.02], "tickmode": "linear", "tick0": 0,
                   "dtick": 0.25, "tickformat": ".0%", "overlaying": "y", "side": "right", "showgrid": False},
        "annotations": [] if len(grad_norm) else [_empty_note("Gradient norms appear once training starts")],
    }
    return go.Figure({"data": traces, "layout": layout})


# --------------------------------------------------------------------------- next character


def next_char_figure(chars, probs, temperature: float, reference=None, top: int = 30,
                     height: int = 340, top_k: int | None = None) -> go.Figure:
    """Bars of P(next char) at `temperature` for the `top` most likely characters (only the `top_k` kept ones
    when sampling is limited to them: the others cannot be drawn); `reference` (the model's own softmax, T = 1,
    all characters) is drawn as outlines so the effect of temperature and top-k is visible (not when the two
    coincide: T = 1 without top-k). Characters are in the order of the reference, most likely first: the
    order of any T > 0, and a meaningful one for greedy's single bar."""
    probs = np.asarray(probs, dtype=np.float64)
    ref = None if reference is None else np.asarray(reference, dtype=np.float64)
    limited = top_k is not None and 0 < top_k < len(probs)
    order_by = probs if ref is None else ref
    idx = np.argsort(-order_by, kind="stable")[:min(top, top_k) if limited else top]
    labels = [html.escape(label, quote=False) for label in char_labels(chars)]
    x = [labels[i] for i in idx]
    fig = go.Figure()
    t_name = "greedy (T = 0)" if temperature == 0 else f"T = {temperature:g}"
    if limited:
        t_name += f", top-{top_k} renormalised"
    fig.add_trace(go.Bar(x=x, y=probs[idx], name=t_name, marker_color=COLORS["bar"],
                         hovertemplate="%{x}: %{y:.3f}<extra>" + t_name + "</extra>"))
    top_p = float(probs[idx].max()) if len(idx) else 1.0
    if ref is not None and (temperature != 1 or limited):
        top_p = max(top_p, float(ref[idx].max()))
        ref_name = "the model's softmax (T = 1, all characters)" if limited else "T = 1 (the model's softmax)"
        fig.add_trace(go.Bar(x=x, y=ref[idx], name=ref_name,
                             marker={"color": "rgba(0,0,0,0)", "line": {"color": COLORS["ref"], "width": 1.5}},
                             hovertemplate="%{x}: %{y:.3f}<extra>softmax, T = 1</extra>"))
    fig.update_layout(
        height=height, barmode="overlay", margin={"l": 10, "r": 10, "t": 40, "b": 10}, bargap=0.15,
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        yaxis={"title": "probability", "range": [0, min(1.0, 1.15 * top_p) or 1.0], "tickformat": ".0%"},
        xaxis={"title": "next character", "tickfont": {"family": "monospace", "size": 13}, "type": "category"},
    )
    return fig
