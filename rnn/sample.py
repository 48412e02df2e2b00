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

from . import cells, fast
from .model import forward
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
    """Feed the prime text through the RNN; return the last hidden state (H,) (for the models of rnn/cells
    their state (S,)) and the logits that follow."""
    dtype = params["Why"].dtype
    h = np.zeros(cells.architecture(params).state_size, dtype) if h is None else np.asarray(h, dtype)
    if prime:
        vocab.check_known(prime, "the prime text")
        out = forward(params, vocab.encode(prime)[None, :], h[None, :])
        h = out.h_last[0]
    logits = params["Why"] @ cells.top_hidden(params, h) + params["by"]
    return h, logits


def sample_many(params, vocab: Vocab, length: int, temperatures, top_k: int | None = None,
                prime: str = "", seed: int | None = 0, h=None, clamp: dict[int, float] | None = None) -> list[str]:
    """One continuation of `prime` per temperature, each `length` characters (prime not included).

    `h` (H,) is the state to start from (zeros by default; for the models of rnn/cells their state (S,)); a
    trainer passes its carried state. `clamp` {unit: value} holds hidden units of the vanilla RNN at a value
    from the first generated character on (an intervention, rnn/insight/intervention.py); the same seed draws
    the same random numbers with or without it, so the texts differ only where the clamp changed the model.
    """
    temps = [check_temperature(t) for t in temperatures]
    _check_length_and_top_k(length, top_k)
    rng = np.random.default_rng(seed)
    plain = cells.is_plain(params)  # the vanilla RNN; other models step through rnn/cells
    if clamp and not plain:
        raise ValueError("holding a hidden unit works on the vanilla RNN only")
    units, values = (list(clamp), list(clamp.values())) if clamp else ([], [])
    if plain:
        Wxh, Whh, bh = params["Wxh"], params["Whh"], params["bh"]
    Why, by = params["Why"], params["by"]
    h0, logits0 = warm_state(params, vocab, prime, h)
    S, V = len(temps), vocab.size
    h = np.tile(h0, (S, 1))  # one row per stream
    if units:
        h[:, units] = values
        logits0 = h[0] @ Why.T + by
    logits = np.tile(logits0, (S, 1))
    greedy = np.array([t == 0 for t in temps])
    inv_t = np.array([1.0 / t if t > 0 else 1.0 for t in temps])[:, None]
    use_top_k = top_k is not None and top_k < V
    uniforms = rng.random((length, S))  # one uniform per character and stream, drawn up front
    out = np.empty((S, length), dtype=np.int64)
    with np.errstate(over="ignore", under="ignore"):  # a tiny T sends all but the max to -inf: greedy
        for i in range(length):
            if use_top_k:
                logits = keep_top_k(logits, top_k)
            z = (logits - logits.max(axis=1, keepdims=True)) * inv_t  # y_t / T, shifted: exp cannot overflow
            cdf = np.exp(z).cumsum(axis=1)  # unnormalised p_t = softmax(y_t / T), accumulated
            ix = (cdf < uniforms[i][:, None] * cdf[:, -1:]).sum(axis=1)  # inverse-CDF draw from p_t
            ix[greedy] = logits[greedy].argmax(axis=1)  # T = 0: the most likely character
            out[:, i] = ix
            if plain:
                h = np.tanh(Wxh[:, ix].T + h @ Whh.T + bh)  # h_t = tanh(Wxh x_t + Whh h_{t-1} + bh)
                if units:
                    h[:, units] = values  # the intervention: these units say `values`, whatever they computed
                logits = h @ Why.T + by  # y_t = Why h_t + by
            else:  # one step of the LSTM, GRU or stack: its new state, then y_t = Why h_t + by from its top layer
                h = cells.forward(params, ix[:, None], h)[2]
                logits = cells.top_hidden(params, h) @ Why.T + by
    return [vocab.decode(row) for row in out]


def sample(params, vocab: Vocab, length: int = 200, temperature: float = 1.0, top_k: int | None = None,
           prime: str = "", seed: int | None = 0, h=None) -> str:
    """`length` characters continuing `prime` (not included in the result), starting from state `h`:
    the one-stream case of sample_many, the same text from the same seed."""
    if not fast.ENABLED or not cells.is_plain(params):  # plain, or not the vanilla RNN: one stream of sample_many
        return sample_many(params, vocab, length, [temperature], top_k, prime, seed, h)[0]
    # fast: the same draws with 1-D vectors and preallocated buffers (rnn/fast.py)
    temperature = check_temperature(temperature)
    _check_length_and_top_k(length, top_k)
    h, logits = warm_state(params, vocab, prime, h)
    uniforms = np.random.default_rng(seed).random(length)  # the same numbers as sample_many's (length, 1)
    limit = None if top_k is None or top_k >= vocab.size else lambda y: keep_top_k(y, top_k)
    return vocab.decode(fast.sample_ids(params, h, logits, uniforms, temperature, limit))
