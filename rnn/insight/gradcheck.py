"""Gradient check: the analytic gradients of loss_and_grads against central finite differences.

    numerical = (L(theta + eps) - L(theta - eps)) / (2 eps)
    relative error = |analytic - numerical| / max(|analytic| + |numerical|, ABS_FLOOR)

(min-char-rnn's gradCheck formula, with an absolute floor in the denominator as is standard). In float64
with eps = 1e-4 or 1e-5 a correct backward pass gives relative errors around 1e-7 or smaller; a wrong one
gives errors near 1.

Why the floor: the finite difference has an error of its own, about 1e-9 to 1e-8 in absolute terms on a
chunk of 25 characters (the loss's float64 rounding divided by eps, plus eps^2 times the curvature). A
gradient that is itself that small, such as the bias gradient of a saturated unit (tanh' = 1 - h^2 ~ 1e-10),
would get a relative error near 1 from noise alone. With the floor, gradients below ABS_FLOOR are compared
by their absolute difference: |analytic - numerical| must stay below PASS_THRESHOLD * ABS_FLOOR = 1e-7,
which a wrong gradient (off by about its own size) does not.
"""

from __future__ import annotations

import numpy as np

from .. import cells
from ..model import init_params, loss_and_grads

PASS_THRESHOLD = 1e-5
ABS_FLOOR = 1e-2  # gradients below this are compared absolutely (see above)
SAMPLE_FLOOR = 1e-3  # see gradient_check


def random_problem(vocab_size: int = 8, hidden_size: int = 10, seq_length: int = 12, seed: int = 0,
                   scale: float = 0.3, cell: str = "rnn", num_layers: int = 1):
    """A small float64 model and one chunk. Weights are larger than the usual 0.01 init so every gradient
    is far from zero (relative errors of near-zero numbers are all noise). The carried state is random too
    (for the models of rnn/cells every layer's h, and the LSTM's c)."""
    rng = np.random.default_rng(seed)
    params = init_params(vocab_size, hidden_size, seed=seed, dtype=np.float64, cell=cell, num_layers=num_layers)
    for k in params:
        params[k] = rng.standard_normal(params[k].shape) * scale
    inputs = rng.integers(0, vocab_size, seq_length)
    targets = rng.integers(0, vocab_size, seq_length)
    h_prev = np.tanh(rng.standard_normal(cells.state_size(cell, hidden_size, num_layers)))
    return params, inputs, targets, h_prev


def relative_error(analytic, numerical, floor: float = ABS_FLOOR) -> np.ndarray:
    """|a - n| / max(|a| + |n|, floor), element-wise."""
    a, n = np.asarray(analytic, np.float64), np.asarray(numerical, np.float64)
    return np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), floor)


def pick_entries(g: np.ndarray, max_checks: int, rng) -> np.ndarray:
    """max_checks entries of the flat gradient g, sorted, drawn first among those with a noticeable gradient
    (at least SAMPLE_FLOOR of the largest): a near-zero gradient tests little beyond the floor. When fewer
    entries than that are noticeable (a parameter of mostly saturated units), all of them are taken and
    the rest are drawn from the others, which the floor then judges by their absolute difference."""
    scale = np.abs(g).max() if g.size else 0.0
    big = np.flatnonzero(np.abs(g) >= SAMPLE_FLOOR * scale) if scale > 0 else np.arange(0)
    if len(big) >= max_checks:
        return np.sort(rng.choice(big, max_checks, replace=False))
    rest = np.setdiff1d(np.arange(g.size), big)
    return np.sort(np.concatenate([big, rng.choice(rest, max_checks - len(big), replace=False)]))


def gradient_check(params, inputs, targets, h_prev, eps: float = 1e-5, max_checks: int | None = None,
                   seed: int = 0, masks=None) -> dict:
    """Compare analytic and numerical gradients, per parameter (every one of the model, in its own order).

    Works on float64 copies (the caller's params are never touched). max_checks: check at most this many
    entries per parameter, chosen by pick_entries (None: all of them). masks: fixed dropout masks
    (rnn.cells.dropout_masks) used by every evaluation of the loss, or None.
    Returns {name: {"indices", "analytic", "numerical", "rel_error", "max_rel_error", "max_abs_diff",
    "near_zero", "checked", "size"}}; near_zero counts the checked entries with |a| + |n| below ABS_FLOOR
    (compared by their absolute difference).
    """
    p = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
    h = None if h_prev is None else np.array(h_prev, dtype=np.float64)
    dropout = {} if masks is None else {"masks": [np.asarray(m, np.float64) for m in masks]}
    _, grads, _ = loss_and_grads(p, inputs, targets, h, **dropout)
    grads = {k: v.copy() for k, v in grads.items()}
    rng = np.random.default_rng(seed)
    out = {}
    for name in p:
        flat = p[name].reshape(-1)  # a view: nudging it nudges the model
        g = grads[name].reshape(-1)
        idx = np.arange(flat.size)
        if max_checks is not None and flat.size > max_checks:
            idx = pick_entries(g, max_checks, rng)
        num = np.empty(len(idx))
        for j, i in enumerate(idx):
            old = flat[i]
            flat[i] = old + eps
            lp = loss_and_grads(p, inputs, targets, h, **dropout)[0]
            flat[i] = old - eps
            lm = loss_and_grads(p, inputs, targets, h, **dropout)[0]
            flat[i] = old
            num[j] = (lp - lm) / (2 * eps)
        ana = g[idx]
        rel = relative_error(ana, num)
        out[name] = {
            "indices": idx,
            "analytic": ana,
            "numerical": num,
            "rel_error": rel,
            "max_rel_error": float(rel.max()) if len(rel) else 0.0,
            "max_abs_diff": float(np.abs(ana - num).max()) if len(rel) else 0.0,
            "near_zero": int(np.sum(np.abs(ana) + np.abs(num) < ABS_FLOOR)),
            "checked": int(len(idx)),
            "size": int(flat.size),
        }
    return out


def summary(result: dict) -> dict:
    """JSON-ready summary: {"max_rel_error": {name: float}, "passed": bool, "threshold": float, "checked": ...,
    "near_zero": {name: int}, "floor": float}."""
    worst = {k: v["max_rel_error"] for k, v in result.items()}
    return {
        "max_rel_error": worst,
        "checked": {k: v["checked"] for k, v in result.items()},
        "near_zero": {k: v["near_zero"] for k, v in result.items()},
        "floor": ABS_FLOOR,
        "threshold": PASS_THRESHOLD,
        "passed": all(e < PASS_THRESHOLD for e in worst.values()),
    }
