"""The hidden-state heatmap: hidden units (rows) x characters read (columns), coloured by activation.

Built for a projector: unit numbers on the y axis and character labels at a readable size, both thinned so that
labels never overlap; constant units (saturated at +-1, or stuck) can be left out by the caller
(`constant_units`). Plotly cannot select a heatmap cell (heatmap traces have no point selection), so a clickable
figure lays an invisible marker on every cell: Streamlit's on_select then reports the clicked marker, whose y is
the unit. The markers carry the hover text too, because the hovered marker hides the heatmap's own tooltip.
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from .chars import label_char

CONSTANT_RANGE = 0.05  # a unit whose activation moves less than this over the text reads as one flat colour
CLICK_CELLS = 24_000  # invisible markers cost SVG nodes; above this the list below the chart selects units
LABEL_FONT = 15  # px: readable from the back of a classroom
X_LABEL_PX = 16  # at least this much width per character label
Y_LABEL_PX = 16  # and height per unit number
PLOT_WIDTH_PX = 1000  # what the plot area gets at a typical wide layout (about 1280-1400 px windows)


def unit_order(hs, by: str = "variance") -> np.ndarray:
    """Order of hidden units for display: by variance or mean over time (largest first), or by index."""
    hs = np.asarray(hs)
    if by == "index":
        return np.arange(hs.shape[1])
    if by == "variance":
        key = hs.var(axis=0)
    elif by == "mean":
        key = hs.mean(axis=0)
    else:
        raise ValueError(f"unknown unit order {by!r}; use variance, mean or index")
    return np.argsort(-key, kind="stable")


def constant_units(hs, tol: float = CONSTANT_RANGE) -> np.ndarray:
    """Boolean mask of units whose activation barely changes over the text (max - min < tol)."""
    hs = np.asarray(hs)
    return (hs.max(axis=0) - hs.min(axis=0)) < tol


def label_step(n: int, space_px: float, per_label_px: float) -> int:
    """Show every step-th of n labels so each gets at least per_label_px of space_px."""
    return max(1, math.ceil(n * per_label_px / max(space_px, 1.0)))


def hidden_heatmap(hs, text: str, order=None, height: int | None = None, clickable: bool = True) -> go.Figure:
    """Heatmap of hidden activations: units (rows, in `order`; a subset is fine) x time (columns labelled by
    the character just read). hs: (T, H) with hs[t] the state after reading text[t]. With `clickable` (and at
    most CLICK_CELLS cells) each cell can be clicked to select its unit (selection y = the unit's number)."""
    hs = np.asarray(hs)
    T, H = hs.shape
    if len(text) != T:
        raise ValueError(f"text has {len(text)} characters but hs has {T} time steps")
    order = np.arange(H) if order is None else np.asarray(order, dtype=int)
    z = hs[:, order].T.astype(np.float32)  # float32 halves what each redraw sends
    labels = [label_char(c) for c in text]
    # Categories must be unique, so each column is "position·char"; the ticks show only the char.
    x = [f"{i}·{c}" for i, c in enumerate(labels)]
    y = [str(int(u)) for u in order]  # category axis: the numbers are names, not values
    height = height or min(900, max(320, 7 * len(order) + 140))
    plot_h = height - 110  # minus margins and the x axis
    click = clickable and 0 < z.size <= CLICK_CELLS
    hover = "unit %{y}<br>char %{x}<br>h = %{z:.3f}<extra></extra>"
    fig = go.Figure(go.Heatmap(
        z=z, x=x, y=y, colorscale="RdBu", reversescale=True, zmin=-1, zmax=1, zmid=0,
        colorbar={"title": {"text": "h"}, "thickness": 12},
        hovertemplate=hover, hoverinfo="skip" if click else None,
    ))
    if click:
        xs, ys = np.meshgrid(np.arange(T), np.arange(len(order)))
        fig.add_trace(go.Scatter(
            x=[x[i] for i in xs.ravel()], y=[y[j] for j in ys.ravel()], mode="markers",
            marker={"symbol": "square", "size": 6, "opacity": 0}, showlegend=False, name="cells",
            customdata=z.ravel(), hovertemplate=hover.replace("%{z:.3f}", "%{customdata:.3f}"),
            selected={"marker": {"opacity": 0}}, unselected={"marker": {"opacity": 0}},
        ))
    xstep = label_step(T, PLOT_WIDTH_PX, X_LABEL_PX)
    ystep = label_step(len(order), plot_h, Y_LABEL_PX)
    fig.update_layout(
        height=height, margin={"l": 10, "r": 10, "t": 20, "b": 10}, uirevision="heatmap",
        clickmode="event+select" if click else "event", dragmode=False if click else "zoom",
    )
    fig.update_xaxes(type="category", tickmode="array", tickvals=x[::xstep], ticktext=labels[::xstep], tickangle=0,
                     tickfont={"family": "monospace", "size": LABEL_FONT}, title_text="character read (time →)")
    fig.update_yaxes(type="category", autorange="reversed", tickmode="array", tickvals=y[::ystep],
                     tickfont={"size": 12}, title_text="hidden unit")
    return fig
