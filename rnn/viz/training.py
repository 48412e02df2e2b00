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
from .chars import char_labels

MAX_POINTS = 2000

COLORS = {
    "raw": "rgba(99, 110, 250, 0.35)",
    "smooth": "#3b4cc0",
    "val": "#ef553b",
    "uniform": "#7f7f7f",
    "ngram": "#2ca02c",
    "grad": "#636efa",
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


def _empty_note(text: str) -> dict:
    """A grey note in the middle of an empty chart (a layout annotation)."""
    return {"text": text, "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5, "showarrow": False,
            "font": {"size": 14, "color": "#888"}}


def _line(x, y, name: str, line: dict, **more) -> dict:
    return {"type": "scatter", "x": x, "y": y, "mode": "lines", "name": name, "line": line, **more}


# The live charts are redrawn every second for every watching tab, so these two builders assemble plain
# dicts and let plotly validate the whole figure once: building them trace by trace with update_layout and
# make_subplots cost ~10x more server time per redraw.
_LEGEND = {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0, "font": {"size": 11}}
_MARGIN = {"l": 10, "r": 10, "t": 40, "b": 10}


# --------------------------------------------------------------------------- loss


def loss_figure(loss, smooth_loss=None, val_history=(), vocab_size: int | None = None,
                baselines: dict[int, float] | None = None, max_points: int = MAX_POINTS,
                height: int = 380, x=None, weights=None) -> go.Figure:
    """Training loss per character (nats) against iteration.

    loss: per-step loss; smooth_loss: the running average (min-char-rnn's smooth_loss); val_history:
    [(iteration, nats)]; vocab_size: draws the uniform-guess line ln(V); baselines: {n: nats} of n-gram
    models on the validation text; x, weights: the step of each point and the steps it stands for, for a
    history whose older steps are binned (rnn/history.py; default: one point per step, from 1).
    Hover shows nats, bits/char and perplexity.
    """
    traces = []
    steps = int(x[-1]) if x is not None and len(x) else len(loss)
    hover = {"hovertemplate": _LOSS_HOVER}
    if len(loss):
        xs, y = downsample(loss, max_points, "mean", x=x, weights=weights)
        per = math.ceil(steps / (max_points if x is None else len(xs)))
        name = "loss per step" if len(xs) == steps else f"loss (mean of {per} steps)"
        traces.append(_line(xs, y, name, {"color": COLORS["raw"], "width": 1}, customdata=_loss_custom(y), **hover))
    if smooth_loss is not None and len(smooth_loss):
        xs, y = downsample(smooth_loss, max_points, "last", x=x)
        traces.append(_line(xs, y, "smoothed loss", {"color": COLORS["smooth"], "width": 2.5},
                            customdata=_loss_custom(y), **hover))
    if len(val_history):
        vx = np.array([i for i, _ in val_history])
        vy = np.array([v for _, v in val_history], dtype=np.float64)
        traces.append(_line(vx, vy, "validation", {"color": COLORS["val"], "width": 1.5}, mode="lines+markers",
                            marker={"size": 7}, customdata=_loss_custom(vy), **hover))
    x_end = max(steps, val_history[-1][0] if len(val_history) else 0, 1)
    if vocab_size:
        u = math.log(vocab_size)
        traces.append(_line([0, x_end], [u, u], f"uniform guess ln({vocab_size})",
                            {"color": COLORS["uniform"], "dash": "dash", "width": 1.5},
                            customdata=_loss_custom([u, u]), **hover))
    for order, nats in sorted((baselines or {}).items()):
        traces.append(_line([0, x_end], [nats, nats], f"{order}-gram (val)",
                            {"color": COLORS["ngram"], "dash": "dot", "width": 1.2},
                            opacity=0.4 + 0.12 * order, customdata=_loss_custom([nats, nats]),
                            visible=True if order in (1, 3, 5) else "legendonly", **hover))
    layout = {
        "height": height, "margin": _MARGIN, "hovermode": "x unified", "showlegend": True, "uirevision": "loss",
        "legend": _LEGEND, "xaxis": {"title": {"text": "iteration"}},
        "yaxis": {"title": {"text": "loss (nats per character)"}, "rangemode": "tozero"},
        "annotations": [] if len(loss) else [_empty_note("No training yet: press Step or Run")],
    }
    return go.Figure({"data": traces, "layout": layout})


# --------------------------------------------------------------------------- gradients


def grad_figure(grad_norm, clipped=None, window: int = 100, max_points: int = MAX_POINTS,
                height: int = 280, x=None, weights=None) -> go.Figure:
    """Global gradient norm before clipping (log scale, left) and the share of recent steps that were
    clipped (right, a rolling mean over `window` steps). x, weights: as for loss_figure."""
    traces = []
    if len(grad_norm):
        xs, y = downsample(grad_norm, max_points, "mean", x=x, weights=weights)
        traces.append(_line(xs, y, "gradient norm", {"color": COLORS["grad"], "width": 1.2},
                            hovertemplate="%{y:.3g}"))
    if clipped is not None and len(clipped):
        rate = rolling_mean(np.asarray(clipped, dtype=np.float64), window, weights)
        xs, y = downsample(rate, max_points, "last", x=x)
        traces.append(_line(xs, y, f"clip rate (last {window} steps)", {"color": COLORS["clip"], "width": 1.5},
                            hovertemplate="%{y:.0%}", yaxis="y2"))
    layout = {
        "height": height, "margin": _MARGIN, "hovermode": "x unified", "uirevision": "grad", "legend": _LEGEND,
        "xaxis": {"title": {"text": "iteration"}, "domain": [0, 0.94]},  # room for the right axis
        # one tick per decade on the log axis, fixed quarter ticks on the right: automatic ticks crowd a
        # half-width chart
        "yaxis": {"title": {"text": "gradient norm"}, "type": "log", "dtick": 1},
        "yaxis2": {"title": {"text": "clipped"}, "range": [0, 1.02], "tickmode": "linear", "tick0": 0,
                   "dtick": 0.25, "tickformat": ".0%", "overlaying": "y", "side": "right", "showgrid": False},
        "annotations": [] if len(grad_norm) else [_empty_note("Gradient norms appear once training starts")],
    }
    return go.Figure({"data": traces, "layout": layout})


# --------------------------------------------------------------------------- next character


def next_char_figure(chars, probs, temperature: float, reference=None, top: int = 30,
                     height: int = 340) -> go.Figure:
    """Bars of P(next char) at `temperature` for the `top` most likely characters; `reference` (the same
    distribution at T = 1) is drawn as outlines so the effect of temperature is visible (not at T = 1,
    where the two coincide)."""
    probs = np.asarray(probs, dtype=np.float64)
    idx = np.argsort(-probs, kind="stable")[:top]
    labels = [html.escape(label, quote=False) for label in char_labels(chars)]
    x = [labels[i] for i in idx]
    fig = go.Figure()
    t_name = "greedy (T = 0)" if temperature == 0 else f"T = {temperature:g}"
    fig.add_trace(go.Bar(x=x, y=probs[idx], name=t_name, marker_color=COLORS["bar"],
                         hovertemplate="%{x}: %{y:.3f}<extra>" + t_name + "</extra>"))
    top_p = float(probs[idx].max()) if len(idx) else 1.0
    if reference is not None and temperature != 1:
        ref = np.asarray(reference, dtype=np.float64)
        top_p = max(top_p, float(ref[idx].max()))
        fig.add_trace(go.Bar(x=x, y=ref[idx], name="T = 1 (the model's softmax)",
                             marker={"color": "rgba(0,0,0,0)", "line": {"color": COLORS["ref"], "width": 1.5}},
                             hovertemplate="%{x}: %{y:.3f}<extra>T = 1</extra>"))
    fig.update_layout(
        height=height, barmode="overlay", margin={"l": 10, "r": 10, "t": 40, "b": 10}, bargap=0.15,
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        yaxis={"title": "probability", "range": [0, min(1.0, 1.15 * top_p) or 1.0], "tickformat": ".0%"},
        xaxis={"title": "next character", "tickfont": {"family": "monospace", "size": 13}, "type": "category"},
    )
    return fig
