"""Gradient check: the analytic gradients of loss_and_grads against central finite differences.

    numerical = (L(theta + eps) - L(theta - eps)) / (2 eps)
    relative error = |analytic - numerical| / max(|analytic| + |numerical|, tiny)

(the formula of min-char-rnn's gradCheck). In float64 with eps = 1e-5 a correct backward pass gives
relative errors around 1e-7 or smaller; a wrong one gives errors near 1.
"""

from __future__ import annotations

import numpy as np

from ..model import PARAM_NAMES, init_params, loss_and_grads

TINY = 1e-12
PASS_THRESHOLD = 1e-5
SAMPLE_FLOOR = 1e-3  # see gradient_check


def random_problem(vocab_size: int = 8, hidden_size: int = 10, seq_length: int = 12, seed: int = 0,
                   scale: float = 0.3):
    """A small float64 model and one chunk. Weights are larger than the usual 0.01 init so every gradient
    is far from zero (relative errors of near-zero numbers are all noise)."""
    rng = np.random.default_rng(seed)
    params = init_params(vocab_size, hidden_size, seed=seed, dtype=np.float64)
    for k in params:
        params[k] = rng.standard_normal(params[k].shape) * scale
    inputs = rng.integers(0, vocab_size, seq_length)
    targets = rng.integers(0, vocab_size, seq_length)
    h_prev = np.tanh(rng.standard_normal(hidden_size))
    return params, inputs, targets, h_prev


def gradient_check(params, inputs, targets, h_prev, eps: float = 1e-5, max_checks: int | None = None,
                   seed: int = 0) -> dict:
    """Compare analytic and numerical gradients, per parameter.

    Works on float64 copies (the caller's params are never touched). max_checks: check at most this many
    randomly chosen entries per parameter (None: all of them).
    Returns {name: {"indices", "analytic", "numerical", "rel_error", "max_rel_error", "checked", "size"}}.
    """
    p = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
    h = None if h_prev is None else np.array(h_prev, dtype=np.float64)
    _, grads, _ = loss_and_grads(p, inputs, targets, h)
    grads = {k: v.copy() for k, v in grads.items()}
    rng = np.random.default_rng(seed)
    out = {}
    for name in PARAM_NAMES:
        flat = p[name].reshape(-1)  # a view: nudging it nudges the model
        g = grads[name].reshape(-1)
        idx = np.arange(flat.size)
        if max_checks is not None and flat.size > max_checks:
            # Sample among entries with a noticeable gradient: for a near-zero gradient the finite difference
            # is mostly float rounding, and its relative error says nothing about the backward pass.
            big = np.flatnonzero(np.abs(g) >= SAMPLE_FLOOR * np.abs(g).max()) if g.size else idx
            pool = big if len(big) >= max_checks else idx
            idx = np.sort(rng.choice(pool, max_checks, replace=False))
        num = np.empty(len(idx))
        for j, i in enumerate(idx):
            old = flat[i]
            flat[i] = old + eps
            lp = loss_and_grads(p, inputs, targets, h)[0]
            flat[i] = old - eps
            lm = loss_and_grads(p, inputs, targets, h)[0]
            flat[i] = old
            num[j] = (lp - lm) / (2 * eps)
        ana = g[idx]
        rel = np.abs(ana - num) / np.maximum(np.abs(ana) + np.abs(num), TINY)
        out[name] = {
            "indices": idx,
            "analytic": ana,
            "numerical": num,
            "rel_error": rel,
            "max_rel_error": float(rel.max()) if len(rel) else 0.0,
            "checked": int(len(idx)),
            "size": int(flat.size),
        }
    return out


def summary(result: dict) -> dict:
    """JSON-ready summary: {"max_rel_error": {name: float}, "passed": bool, "threshold": float, "checked": ...}."""
    worst = {k: v["max_rel_error"] for k, v in result.items()}
    return {
        "max_rel_error": worst,
        "checked": {k: v["checked"] for k, v in result.items()},
        "threshold": PASS_THRESHOLD,
        "passed": all(e < PASS_THRESHOLD for e in worst.values()),
    }
