"""Figures for the insight tools (neurons, surprise, training health, gradient check, BPTT walkthrough).

Plotly figures plus the copied-text highlight. Every character of user text goes through chars.py (or
html.escape) before it reaches a figure or an HTML string, so a corpus holding `<script>` or `onerror=`
is shown as text. No Streamlit here: usable from a notebook.
"""

from __future__ import annotations

import html

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..insight.health import GradientFlow, HealthRecord
from ..insight.walkthrough import Walkthrough
from .axes import log_axis
from .chars import char_name, label_char, text_char
from .training import MAX_POINTS, downsample

DIVERGING = "RdBu_r"  # activation: blue = negative, red = positive
HEAT = "YlOrRd"  # surprise: pale = expected, red = surprising


def grid_layout(text: str, width: int = 80) -> list[tuple[int, int]]:
    """(row, column) of every character when text is wrapped at newlines and every `width` characters."""
    pos, r, col = [], 0, 0
    for c in text:
        if col >= width:
            r, col = r + 1, 0
        pos.append((r, col))
        if c == "\n":
            r, col = r + 1, 0
        else:
            col += 1
    return pos


def char_grid(text: str, values, hover: list[str] | None = None, *, zmin=None, zmax=None, colorscale=DIVERGING,
              width: int = 80, colorbar_title: str = "", title: str = "") -> go.Figure:
    """Text laid out like a page, each character a cell coloured by its value (Karpathy's figures)."""
    values = np.asarray(values, np.float64)
    if len(values) != len(text):
        raise ValueError("need one value per character")
    pos = grid_layout(text, width)
    rows = (pos[-1][0] + 1) if pos else 1
    z = np.full((rows, width), np.nan)
    cells = [[""] * width for _ in range(rows)]
    tips = [[""] * width for _ in range(rows)]
    for i, (c, (r, col)) in enumerate(zip(text, pos, strict=True)):
        z[r, col] = values[i]
        cells[r][col] = text_char(c)
        tips[r][col] = hover[i] if hover is not None else f"{char_name(c)}: {values[i]:.3f}"
    fig = go.Figure(go.Heatmap(
        z=z.astype(np.float32), text=cells, texttemplate="%{text}", hovertext=tips, hoverinfo="text",
        colorscale=colorscale, zmin=zmin, zmax=zmax, xgap=1, ygap=1, hoverongaps=False,
        textfont={"family": "monospace", "size": 13},
        colorbar={"title": {"text": colorbar_title}, "thickness": 12},
    ))
    fig.update_layout(
        title=title or None, height=min(60 + 24 * rows, 2400), margin={"l": 10, "r": 10, "t": 40 if title else 10,
                                                                     "b": 10},
        plot_bgcolor="white",
    )
    fig.update_xaxes(visible=False, range=[-0.5, width - 0.5])
    fig.update_yaxes(visible=False, autorange="reversed")
    return fig


def copied_html(sample: str, copied) -> str:
    """A sample with the stretches copied verbatim from the corpus highlighted (escaped)."""
    parts = ['<div style="font-family:monospace;white-space:pre-wrap;line-height:1.6">']
    run, in_copy = [], False
    for c, flag in zip(sample, np.asarray(copied, bool), strict=True):
        if flag != in_copy and run:
            parts.append(_run(run, in_copy))
            run = []
        in_copy = bool(flag)
        run.append(c)
    if run:
        parts.append(_run(run, in_copy))
    parts.append("</div>")
    return "".join(parts)


def _run(chars, copied) -> str:
    text = html.escape("".join(chars))
    return f'<mark title="copied from the corpus">{text}</mark>' if copied else text


# --------------------------------------------------------------------------- neurons


def neuron_text_figure(text: str, acts_unit, unit: int, width: int = 80) -> go.Figure:
    """The text coloured by one unit's activation h_t[unit] (-1 blue ... +1 red)."""
    return char_grid(text, acts_unit, zmin=-1, zmax=1, colorscale=DIVERGING, width=width,
                     colorbar_title=f"h[{unit}]", title=f"Unit {unit}: activation after reading each character")


def unit_ranking_figure(ranking: list[dict]) -> go.Figure:
    """Horizontal bars: how strongly each suggested unit tracks its best feature (|correlation|)."""
    labels = [f"unit {r['unit']} · {r['feature']}" for r in ranking][::-1]
    vals = [r["r"] for r in ranking][::-1]
    fig = go.Figure(go.Bar(x=[abs(v) for v in vals], y=labels, orientation="h",
                           marker_color=["#d62728" if v >= 0 else "#1f77b4" for v in vals],
                           hovertemplate="%{y}<br>correlation %{customdata:.3f}<extra></extra>", customdata=vals))
    fig.update_layout(title="Units that track a simple feature (red: fires on it, blue: goes negative)",
                      xaxis_title="|correlation| with the feature", xaxis_range=[0, 1],
                      height=120 + 24 * len(ranking), margin={"l": 10, "r": 10, "t": 40, "b": 40})
    return fig


# --------------------------------------------------------------------------- surprise


def surprise_hover(s) -> list[str]:
    """Hover text per scored character: actual char, its probability and loss, then the top predictions."""
    out = []
    for i, c in enumerate(s.chars):
        lines = [f"actual {char_name(c)}: p = {s.prob[i]:.3f}, loss {s.loss[i]:.2f} nats", "model expected:"]
        for ch, p in zip(s.top_chars[i], s.top_probs[i], strict=True):
            lines.append(f"  {char_name(ch)}  {p:.3f}")
        out.append("<br>".join(lines))
    return out


def surprise_figure(s, width: int = 80, zmax: float | None = None) -> go.Figure:
    """Each character coloured by the loss on it; hover shows the top predictions (Karpathy's figure).

    The first character of the text is context only and not drawn."""
    if zmax is None:
        zmax = float(max(np.percentile(s.loss, 98), 1.0)) if len(s.loss) else 1.0
    return char_grid(s.chars, s.loss, surprise_hover(s), zmin=0, zmax=zmax, colorscale=HEAT, width=width,
                     colorbar_title="nats", title=f"Surprise: mean {s.mean:.3f} nats/char")


def surprise_histogram(s) -> go.Figure:
    fig = go.Figure(go.Histogram(x=s.loss, nbinsx=40, marker_color="#d62728"))
    fig.update_layout(title="How surprised the model is, character by character", xaxis_title="loss (nats)",
                      yaxis_title="characters", height=260, margin={"l": 10, "r": 10, "t": 40, "b": 40})
    return fig


# --------------------------------------------------------------------------- training health


def health_figure(health_history: list[HealthRecord]) -> go.Figure:
    """Four panels over training: spectral radius of Whh, saturated share, gradient norm, clip rate."""
    it = [d.iteration for d in health_history]
    fig = make_subplots(rows=4, cols=1, shared_xaxes=True, vertical_spacing=0.06, subplot_titles=(
        "Spectral radius of Whh (max |eigenvalue|)", "Saturated hidden units (|h| > 0.95)",
        "Gradient norm (mean since last record)", "Clip rate (share of steps clipped)"))
    fig.add_trace(go.Scatter(x=it, y=[d.spectral_radius for d in health_history], mode="lines+markers",
                             name="spectral radius"), row=1, col=1)
    fig.add_hline(y=1.0, line_dash="dash", line_color="gray", row=1, col=1)
    fig.add_trace(go.Scatter(x=it, y=[100 * d.saturated_share for d in health_history], mode="lines+markers",
                             name="saturated %"), row=2, col=1)
    fig.add_trace(go.Scatter(x=it, y=[d.grad_norm for d in health_history], mode="lines+markers",
                             name="grad norm"), row=3, col=1)
    fig.add_trace(go.Scatter(x=it, y=[100 * d.clip_rate for d in health_history], mode="lines+markers",
                             name="clip rate %"), row=4, col=1)
    fig.update_yaxes(title_text="radius", row=1, col=1)
    fig.update_yaxes(title_text="%", range=[0, 100], row=2, col=1)
    fig.update_yaxes(title_text="norm", **log_axis([d.grad_norm for d in health_history]), row=3, col=1)
    fig.update_yaxes(title_text="%", range=[0, 100], row=4, col=1)
    fig.update_xaxes(title_text="iteration", row=4, col=1)
    fig.update_layout(height=760, showlegend=False, margin={"l": 10, "r": 10, "t": 40, "b": 40})
    return fig


def gradient_flow_figure(flow: GradientFlow, chars: str | None = None) -> go.Figure:
    """||dL/dh_t|| across the time steps of one chunk: the total BPTT gradient and the last step's loss
    alone flowing back (log scale: vanishing shows as a straight downward slope)."""
    T = len(flow.total)
    x = list(range(T))
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=x, y=flow.from_last, mode="lines+markers",
                             name="from the last step's loss only"))
    fig.add_trace(go.Scatter(x=x, y=flow.total, mode="lines+markers", name="total (all later losses)"))
    fig.add_trace(go.Scatter(x=x, y=flow.local, mode="lines", line_dash="dot",
                             name="from step t's own output"))
    if chars is not None:
        fig.update_xaxes(tickmode="array", tickvals=x, ticktext=[label_char(c) for c in chars[:T]])
    fig.update_layout(title="Gradient reaching each time step during BPTT", xaxis_title="time step (input character)",
                      yaxis_title="||dL/dh_t||", height=380,
                      legend={"orientation": "h", "y": -0.25}, margin={"l": 10, "r": 10, "t": 40, "b": 40})
    fig.update_yaxes(**log_axis(np.concatenate([flow.total, flow.from_last, flow.local])))
    return fig


# --------------------------------------------------------------------------- gradient check


def gradcheck_figure(result: dict, threshold: float = 1e-5) -> go.Figure:
    """Largest relative error per parameter (log scale) against the pass threshold."""
    names = list(result)
    errs = [max(result[k]["max_rel_error"], 1e-16) for k in names]
    fig = go.Figure(go.Bar(x=names, y=errs, marker_color=["#2ca02c" if e < threshold else "#d62728" for e in errs],
                           hovertemplate="%{x}: %{y:.2e}<extra></extra>"))
    fig.add_hline(y=threshold, line_dash="dash", annotation_text=f"pass below {threshold:g}")
    fig.update_layout(title="Largest relative error, analytic vs numerical",
                      yaxis_title="relative error", height=340, margin={"l": 10, "r": 10, "t": 40, "b": 40})
    fig.update_yaxes(**log_axis([*errs, threshold]))
    return fig


def gradcheck_scatter(result: dict) -> go.Figure:
    """Analytic against numerical gradient for every checked entry: all points on the diagonal."""
    fig = go.Figure()
    lo, hi = 0.0, 0.0
    for k, v in result.items():
        fig.add_trace(go.Scatter(x=v["numerical"], y=v["analytic"], mode="markers", name=k,
                                 hovertemplate=k + "<br>numerical %{x:.6g}<br>analytic %{y:.6g}<extra></extra>"))
        if len(v["numerical"]):
            lo = min(lo, float(np.min(v["numerical"])))
            hi = max(hi, float(np.max(v["numerical"])))
    fig.add_trace(go.Scatter(x=[lo, hi], y=[lo, hi], mode="lines", line_dash="dash", line_color="gray",
                             name="analytic = numerical"))
    fig.update_layout(title="Every checked entry", xaxis_title="numerical gradient", yaxis_title="analytic gradient",
                      height=380, margin={"l": 10, "r": 10, "t": 40, "b": 40})
    return fig


# --------------------------------------------------------------------------- BPTT walkthrough


def walkthrough_steps_figure(w: Walkthrough) -> go.Figure:
    """Per time step: the probability given to the target (bars) and the gradient reaching h_t (line)."""
    steps = w.steps
    x = list(range(len(steps)))
    ticks = [f"{label_char(s.input)}→{label_char(s.target)}" for s in steps]
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Bar(x=x, y=[s.p_target for s in steps], name="p(target)", marker_color="#2ca02c",
                         customdata=[s.loss for s in steps],
                         hovertemplate="step %{x}<br>p(target) %{y:.3f}<br>loss %{customdata:.2f} nats<extra></extra>"),
                  secondary_y=False)
    fig.add_trace(go.Scatter(x=x, y=[s.grad_h for s in steps], name="||dL/dh_t|| (BPTT)", mode="lines+markers",
                             marker_color="#d62728"), secondary_y=True)
    fig.update_xaxes(tickmode="array", tickvals=x, ticktext=ticks, title_text="input → target")
    fig.update_yaxes(title_text="probability of the target", range=[0, 1], secondary_y=False)
    fig.update_yaxes(title_text="gradient norm", secondary_y=True)
    fig.update_layout(title="Forward: probability of each target; backward: gradient reaching each step",
                      height=380, legend={"orientation": "h", "y": -0.3}, margin={"l": 10, "r": 10, "t": 40, "b": 40})
    return fig


def walkthrough_params_figure(w: Walkthrough) -> go.Figure:
    """Per parameter: gradient norm before/after clipping and the size of the update (log scale)."""
    rows = w.params
    names = [r.name for r in rows]
    fig = go.Figure()
    fig.add_trace(go.Bar(x=names, y=[r.grad_norm for r in rows], name="gradient norm"))
    fig.add_trace(go.Bar(x=names, y=[r.grad_norm_after_clip for r in rows], name="after clipping"))
    fig.add_trace(go.Bar(x=names, y=[r.update_norm for r in rows], name="update norm"))
    fig.update_layout(barmode="group", title="Gradients, clipping and the update, per parameter",
                      height=340, margin={"l": 10, "r": 10, "t": 40, "b": 40})
    fig.update_yaxes(**log_axis([v for r in rows for v in (r.grad_norm, r.grad_norm_after_clip, r.update_norm)]))
    return fig


def hidden_state_figure(w: Walkthrough) -> go.Figure:
    """Hidden units x time for the walked-through chunk, the carried state h_prev as column -1."""
    hs = np.vstack([w.h_prev[None, :], w.hs]).T.astype(np.float32)  # (H, T+1)
    ticks = ["h_prev"] + [label_char(s.input) for s in w.steps]
    fig = go.Figure(go.Heatmap(z=hs, x=list(range(-1, hs.shape[1] - 1)), colorscale=DIVERGING, zmin=-1, zmax=1,
                               colorbar={"title": {"text": "h"}, "thickness": 12},
                               hovertemplate="step %{x}<br>unit %{y}<br>h = %{z:.3f}<extra></extra>"))
    fig.update_xaxes(tickmode="array", tickvals=list(range(-1, hs.shape[1] - 1)), ticktext=ticks)
    fig.update_layout(title="Hidden state carried in (h_prev) and after each input", yaxis_title="hidden unit",
                      height=360, margin={"l": 10, "r": 10, "t": 40, "b": 40})
    return fig


# --------------------------------------------------------------------------- samples over training


def loss_at_samples_figure(history_loss: list[float], samples: list[tuple[int, str]], current: int | None = None,
                           max_points: int = MAX_POINTS, steps=None) -> go.Figure:
    """The smoothed loss curve with a marker for each stored sample (and the chosen one highlighted).
    steps: the step of each value (a binned history, rnn/history.py; default 1, 2, ...)."""
    full_x = np.arange(1, len(history_loss) + 1) if steps is None else np.asarray(steps)
    full_y = np.asarray(history_loss, dtype=np.float64)
    n = int(full_x[-1]) if len(full_x) else 0
    x, y = downsample(full_y, max_points, "last", x=full_x)
    fig = go.Figure(go.Scatter(x=x, y=y, mode="lines", name="smoothed loss", line_color="#1f77b4"))

    def at(its):  # the curve's value at these steps (between bins: read off the line)
        return np.interp(its, full_x, full_y).tolist()

    its = [i for i, _ in samples if 1 <= i <= n]
    fig.add_trace(go.Scatter(x=its, y=at(its), mode="markers", name="samples",
                             marker={"color": "#7f7f7f", "size": 7}))
    if current is not None and 1 <= current <= n:
        fig.add_trace(go.Scatter(x=[current], y=at([current]), mode="markers", name="this sample",
                                 marker={"color": "#d62728", "size": 13}))
    fig.update_layout(xaxis_title="iteration", yaxis_title="nats/char", height=260,
                      legend={"orientation": "h", "y": -0.35}, margin={"l": 10, "r": 10, "t": 10, "b": 40})
    return fig
