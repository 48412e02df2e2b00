"""Generating text from the RNN: temperature, greedy, top-k, prime text, reproducible with a seed.

Temperature semantics (documented, never a crash):
  * temperature > 0 divides the logits before the softmax (< 1 sharper, > 1 flatter);
  * temperature == 0 means greedy: always the most likely character (the limit T -> 0);
  * temperature < 0, NaN or inf raises ValueError.
Several samples (for example one per temperature) run as parallel streams of one recurrence.
"""

from __future__ import annotations

import math

import numpy as np

from .model import forward
from .runtime import c_dot
from .vocab import Vocab


def check_temperature(temperature: float) -> float:
    t = float(temperature)
    if not math.isfinite(t) or t < 0:
        raise ValueError(f"temperature must be a finite number >= 0 (0 means greedy), got {temperature!r}")
    return t


def _check_length_and_top_k(length: int, top_k: int | None) -> None:
    if length < 0:
        raise ValueError("length must be >= 0")
    if top_k is not None and top_k < 1:
        raise ValueError("top_k must be >= 1 (or None for no limit)")


def keep_top_k(logits: np.ndarray, k: int) -> np.ndarray:
    """Logits (..., V) with all but the k largest set to -inf. Exactly k survive: ties go to the lower
    index, as argmax breaks them, so top_k=1 is greedy."""
    keep = np.argsort(-logits, axis=-1, kind="stable")[..., :k]
    out = np.full_like(logits, -np.inf)
    np.put_along_axis(out, keep, np.take_along_axis(logits, keep, axis=-1), axis=-1)
    return out


def next_char_probs(logits: np.ndarray, temperature: float, top_k: int | None = None) -> np.ndarray:
    """Softmax of logits (..., V) at a temperature, keeping only the top_k largest. Greedy at T=0."""
    logits = np.array(logits, dtype=np.float64)
    if top_k is not None and 0 < top_k < logits.shape[-1]:
        logits = keep_top_k(logits, top_k)
    if temperature == 0:  # one-hot on the argmax
        out = np.zeros_like(logits)
        np.put_along_axis(out, logits.argmax(axis=-1)[..., None], 1.0, axis=-1)
        return out
    z = logits - logits.max(axis=-1, keepdims=True)  # shift first: dividing by a tiny T may overflow
    with np.errstate(over="ignore"):
        z /= temperature
    p = np.exp(z)
    return p / p.sum(axis=-1, keepdims=True)


def warm_state(params, vocab: Vocab, prime: str, h=None):
    """Feed the prime text through the RNN; return the last hidden state (H,) and the logits that follow."""
    H = params["Whh"].shape[0]
    h = np.zeros(H, params["Whh"].dtype) if h is None else np.asarray(h, params["Whh"].dtype)
    if prime:
        vocab.check_known(prime, "the prime text")
        out = forward(params, vocab.encode(prime)[None, :], h[None, :])
        h = out.h_last[0]
    logits = params["Why"] @ h + params["by"]
    return h, logits


def _shifted_cdf(logits, inv_t):
    """Accumulated exp((y - max y) / T): the safe form, used when exp(y / T) over- or underflows."""
    z = logits - logits.max(axis=-1, keepdims=True)
    z *= inv_t  # a tiny T sends all but the max to -inf: greedy, as it should
    return np.exp(z).cumsum(axis=-1)


def sample_many(params, vocab: Vocab, length: int, temperatures, top_k: int | None = None,
                prime: str = "", seed: int | None = 0, h=None) -> list[str]:
    """One continuation of `prime` per temperature, each `length` characters (prime not included).

    `h` (H,) is the state to start from (zeros by default); a trainer passes its carried state.
    """
    temps = [check_temperature(t) for t in temperatures]
    _check_length_and_top_k(length, top_k)
    rng = np.random.default_rng(seed)
    Wxh_rows = np.ascontiguousarray(params["Wxh"].T)  # row x is Wxh x for one-hot x
    WhhT, WhyT, bh, by = params["Whh"].T, params["Why"].T, params["bh"], params["by"]
    h0, logits0 = warm_state(params, vocab, prime, h)
    S, V = len(temps), vocab.size
    h = np.tile(h0, (S, 1))
    logits = np.tile(logits0, (S, 1))
    greedy = np.array([t == 0 for t in temps])
    inv_t = np.array([1.0 / t if t > 0 else 1.0 for t in temps])[:, None]
    use_top_k = top_k is not None and top_k < V
    uniforms = rng.random((length, S))  # one uniform per character and stream, drawn up front
    out = np.empty((S, length), dtype=np.int64)
    with np.errstate(over="ignore", under="ignore"):
        for i in range(length):
            if use_top_k:
                logits = keep_top_k(logits, top_k)
            cdf = np.exp(logits * inv_t).cumsum(axis=1)  # unnormalised p_t = softmax(y_t / T), accumulated
            bad = ~np.isfinite(cdf[:, -1]) | (cdf[:, -1] <= 0)
            if bad.any():  # exp overflowed or underflowed: shift by the max first
                cdf[bad] = _shifted_cdf(logits[bad], inv_t[bad])
            ix = (cdf < uniforms[i][:, None] * cdf[:, -1:]).sum(axis=1)  # inverse-CDF draw from p_t
            if greedy.any():
                ix[greedy] = logits[greedy].argmax(axis=1)
            out[:, i] = ix
            h = np.tanh(Wxh_rows[ix] + h @ WhhT + bh)  # h_t = tanh(Wxh x_t + Whh h_{t-1} + bh)
            logits = h @ WhyT + by  # y_t = Why h_t + by
    return [vocab.decode(row) for row in out]


def sample(params, vocab: Vocab, length: int = 200, temperature: float = 1.0, top_k: int | None = None,
           prime: str = "", seed: int | None = 0, h=None) -> str:
    """`length` characters continuing `prime` (not included in the result), starting from state `h`.

    The same steps as sample_many with one stream, written with 1-D vectors: about half the NumPy
    calls per character, which is what sampling speed is made of.
    """
    temperature = check_temperature(temperature)
    _check_length_and_top_k(length, top_k)
    rng = np.random.default_rng(seed)
    dtype = params["Whh"].dtype
    xb_rows = params["Wxh"].T + params["bh"]  # row x is Wxh x + bh for one-hot x
    # Contiguous transposed weights and preallocated outputs: per character the loop is a handful of
    # NumPy calls, and each saved allocation or strided read is a visible share of it.
    WhhT, WhyT, by = np.ascontiguousarray(params["Whh"].T), np.ascontiguousarray(params["Why"].T), params["by"]
    h, logits = warm_state(params, vocab, prime, h)
    h = np.array(h, dtype)  # our own copy: updated in place below
    y, e, cdf, tmp = np.empty(len(by), dtype), np.empty(len(by), dtype), np.empty(len(by), dtype), np.empty_like(h)
    dot, add, tanh, exp = c_dot, np.add, np.tanh, np.exp
    inv_t = 1.0 / temperature if temperature > 0 else 1.0
    use_top_k = top_k is not None and top_k < vocab.size
    uniforms = rng.random(length)  # one uniform per character, drawn up front
    out = []
    with np.errstate(over="ignore", under="ignore"):
        for u in uniforms:
            if use_top_k:
                logits = keep_top_k(logits, top_k)
            if temperature == 0:
                ix = int(logits.argmax())  # greedy
            else:
                exp(np.multiply(logits, inv_t, out=e) if inv_t != 1.0 else logits, out=e)  # unnormalised softmax
                p_cum = e.cumsum(out=cdf)  # ... accumulated
                if not 0 < p_cum[-1] < np.inf:  # exp overflowed or underflowed: shift by the max first
                    p_cum = _shifted_cdf(logits, inv_t)
                ix = int(p_cum.searchsorted(u * p_cum[-1]))  # inverse-CDF draw from p_t
            out.append(ix)
            dot(h, WhhT, tmp)
            tanh(add(xb_rows[ix], tmp, out=h), out=h)  # h_t = tanh(Wxh x_t + Whh h_{t-1} + bh)
            logits = add(dot(h, WhyT, y), by, out=y)  # y_t = Why h_t + by
    return vocab.decode(out)
