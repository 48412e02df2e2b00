"""Axis settings shared by the training charts: plain-integer iterations on hover, and log axes whose ticks
are a few round numbers chosen from the data.

Plotly's own log ticks either label every minor tick ("... 2 1 9 8 7 ...", where labels run together) or, with
one tick per decade, leave a range narrower than a decade with a single tick: log_axis picks 1-2-5 style ticks
so there are always a few, all labelled as plain numbers.
"""

from __future__ import annotations

import math

import numpy as np

ITERATION_AXIS = {"title": {"text": "iteration"}, "hoverformat": ",d"}  # "44,892", not "44.892k"
# mantissas per decade, sparsest first: the first giving at least MIN_TICKS ticks in the range is used
_MANTISSAS = ((1,), (1, 3), (1, 2, 5), (1, 1.5, 2, 3, 5, 7), (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8, 9))
MIN_TICKS, MAX_TICKS = 3, 8


def _label(v: float) -> str:
    return f"{v:,.0f}" if v >= 1000 and v < 1e6 else f"{v:.6g}"


def log_axis(values, pad: float = 0.05) -> dict:
    """Settings for a log y axis over `values` (non-positive and non-finite ones ignored): type, a range a
    little wider than the data, and 3 to 8 labelled ticks at round numbers. Without usable values: type only."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v) & (v > 0)]
    if not len(v):
        return {"type": "log"}
    lo, hi = math.log10(v.min()), math.log10(v.max())
    span = max(hi - lo, 0.3)  # a flat series still gets about a factor of two around it
    mid = (lo + hi) / 2
    lo, hi = min(lo, mid - span / 2) - pad * span, max(hi, mid + span / 2) + pad * span
    ticks = []
    for mantissas in _MANTISSAS:
        ticks = [m * 10.0**d for d in range(math.floor(lo), math.ceil(hi) + 1) for m in mantissas
                 if lo <= math.log10(m * 10.0**d) <= hi]
        if len(ticks) >= MIN_TICKS:
            break
    if len(ticks) > MAX_TICKS:  # many decades: every k-th one
        ticks = ticks[::math.ceil(len(ticks) / MAX_TICKS)]
    return {"type": "log", "range": [lo, hi], "tickmode": "array", "tickvals": ticks,
            "ticktext": [_label(t) for t in ticks]}
