"""Figures for comparing runs: overlaid loss curves and a parallel-coordinates plot.

Run labels are user text (run and corpus names): they reach Plotly only through plotly_literal."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from .axes import log_axis
from .training import MAX_POINTS, downsample
from .user_text import plotly_literal

X_AXES = {"iterations": ("iteration", "Iteration"), "characters": ("chars", "Characters trained"),
          "seconds": ("seconds", "Training seconds")}
COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
          "#17becf")


def smooth(values, weight: float) -> np.ndarray:
    """TensorBoard's smoothing: an exponential moving average, debiased so the start is not pulled to 0.
    weight 0 = raw values, 0.99 = very smooth."""
    y = np.asarray(values, dtype=np.float64)
    if not 0 <= weight < 1:
        raise ValueError("smoothing weight must be in [0, 1)")
    if weight == 0 or y.size == 0:
        return y.copy()
    out = np.empty_like(y)
    last, n = 0.0, 0
    for i, v in enumerate(y):
        if not math.isfinite(v):  # keep gaps visible instead of poisoning the average
            out[i] = v
            continue
        last = last * weight + (1 - weight) * v
        n += 1
        out[i] = last / (1 - weight**n)
    return out


def loss_curves(runs: list[dict], x: str = "iterations", smoothing: float = 0.6, log_y: bool = False) -> go.Figure:
    """One line per run: its per-step training loss (nats/char), smoothed on the full-resolution data and
    then downsampled. `runs`: dicts with "label" and "metrics" (lists iteration/chars/seconds/loss)."""
    key, title = X_AXES[x]
    fig = go.Figure()
    shown = []
    for i, run in enumerate(runs):
        m = run["metrics"]
        xs = np.asarray(m[key], dtype=np.float64)
        ys = smooth([np.nan if v is None else v for v in m["loss"]], smoothing)
        xs, ys = downsample(ys, MAX_POINTS, "last", x=xs)
        shown.append(ys)
        fig.add_trace(go.Scatter(
            x=xs, y=ys.astype(np.float32), mode="lines", name=plotly_literal(run["label"]),
            line={"color": COLORS[i % len(COLORS)], "width": 2},
            # the name by reference: a label pasted into the template could hold %{...} of its own
            hovertemplate=f"%{{fullData.name}}<br>{title}: %{{x:,.0f}}<br>loss %{{y:.4f}} nats/char<extra></extra>",
        ))
    fig.update_layout(
        title=f"Training loss (smoothing {smoothing:g})", xaxis_title=title, yaxis_title="loss (nats/char)",
        height=420, margin={"l": 60, "r": 20, "t": 50, "b": 50}, legend={"orientation": "h", "y": -0.2},
        showlegend=True, hovermode="closest",  # the legend names the run even when it is the only one
    )
    if log_y:  # a few round, labelled ticks (rnn/viz/axes.py), not Plotly's run-together minor labels
        fig.update_yaxes(**log_axis(np.concatenate(shown) if shown else []))
    return fig


def val_curves(runs: list[dict], x: str = "iterations") -> go.Figure:
    """Validation points per run (markers and lines); runs carry "val" [(iteration, loss)] and "per_step"
    (characters per iteration) so the x axis can be characters too; seconds are looked up in the metrics."""
    key, title = X_AXES[x]
    fig = go.Figure()
    longest, right = 0, 0.0
    for i, run in enumerate(runs):
        val = [(it, v) for it, v in run.get("val", []) if v is not None]
        if not val:
            continue
        its = np.array([it for it, _ in val], dtype=np.float64)
        if x == "iterations":
            xs = its
        else:
            m = run["metrics"]
            src = np.asarray(m["iteration"], dtype=np.float64)
            dst = np.asarray(m[key], dtype=np.float64)
            xs = np.interp(its, src, dst) if src.size else its
        longest, right = max(longest, len(val)), max(right, float(xs.max()))
        fig.add_trace(go.Scatter(
            x=xs, y=[v for _, v in val], mode="lines+markers", name=plotly_literal(run["label"]),
            line={"color": COLORS[i % len(COLORS)]}, marker={"size": 9},
            hovertemplate=f"%{{fullData.name}}<br>{title}: %{{x:,.0f}}<br>val loss %{{y:.4f}} nats/char<extra></extra>",
        ))
    fig.update_layout(title="Validation loss", xaxis_title=title, yaxis_title="loss (nats/char)", height=320,
                      margin={"l": 60, "r": 20, "t": 50, "b": 50}, legend={"orientation": "h", "y": -0.3})
    if longest == 1 and right > 0:  # one point per run (a sweep scores at its end): the run from 0, not 299-301
        fig.update_xaxes(range=[0, right * 1.08], rangemode="tozero")
    return fig


PARCOORD_DIMS = (("learning_rate", "learning rate (log scale)"), ("hidden_size", "hidden size"),
                 ("seq_length", "sequence length"), ("batch_size", "batch streams"), ("optimizer", "optimizer"))


MAX_VALUE_TICKS = 8  # up to this many distinct values each get a tick; more: Plotly's own ticks


def _numeric_axis(vals: list[float], log: bool = False) -> dict:
    """A parcoords dimension's values with readable ticks (the swept values themselves, as "0.05", "32") and an
    explicit range, smallest at the bottom, padded so the end values are not on the frame."""
    pos = [math.log10(v) for v in vals] if log else vals
    lo, hi = min(pos), max(pos)
    pad = (hi - lo) * 0.08 if hi > lo else (0.5 if log else max(1.0, abs(lo) * 0.25))
    dim = {"values": pos, "range": [lo - pad, hi + pad]}
    distinct = sorted(set(vals))
    if len(distinct) <= MAX_VALUE_TICKS:
        dim["tickvals"] = [math.log10(v) for v in distinct] if log else distinct
        dim["ticktext"] = [f"{v:g}" for v in distinct]
    elif log:  # many rates: decades
        decades = range(math.floor(lo), math.ceil(hi) + 1)
        dim["tickvals"] = list(decades)
        dim["ticktext"] = [f"{10.0 ** d:g}" for d in decades]
    return dim


def parallel_coordinates(rows: list[dict]) -> go.Figure:
    """Hyperparameters -> validation loss, one line per run coloured by its validation loss.
    rows: dicts with the config fields, "val_loss" (runs without one are left out) and "label"."""
    rows = [r for r in rows if r.get("val_loss") is not None and math.isfinite(r["val_loss"])]
    dims = []
    if rows:
        for field, label in PARCOORD_DIMS:
            vals = [r.get(field) for r in rows]
            if field == "optimizer":
                names = sorted({str(v) for v in vals})
                dims.append({"label": label, "values": [names.index(str(v)) for v in vals],
                             "tickvals": list(range(len(names))), "ticktext": [plotly_literal(n) for n in names],
                             "range": [-0.5, len(names) - 0.5]})
            elif field == "learning_rate":  # log10 positions, ticks labelled with the rates themselves
                dims.append({"label": label, **_numeric_axis([float(v) for v in vals], log=True)})
            else:
                dims.append({"label": label, **_numeric_axis([float(v) for v in vals])})
        dims.append({"label": "val loss", "values": [r["val_loss"] for r in rows], "tickformat": ".2f"})
    losses = [r["val_loss"] for r in rows]
    fig = go.Figure(go.Parcoords(
        line={"color": losses, "colorscale": "Viridis", "reversescale": True,
              "showscale": True, "colorbar": {"title": "val loss"}} if rows else {},
        dimensions=dims,
    ))
    fig.update_layout(title={"text": "Hyperparameters → validation loss (yellow is best)", "y": 0.97},
                      height=420, margin={"l": 60, "r": 60, "t": 110, "b": 30})
    return fig
