"""The vanilla character-level RNN of min-char-rnn, vectorized over time and over B parallel streams.

Equations (one stream, one time step), exactly the seed's:

    h_t = tanh(Wxh x_t + Whh h_{t-1} + bh)     hidden state   (x_t is a one-hot column)
    y_t = Why h_t + by                          logits
    p_t = softmax(y_t)                          next-character probabilities
    loss = -sum_t log p_t[target_t]             cross-entropy in nats, summed

What is vectorized (and why it is the same maths):
  * Wxh x_t with a one-hot x_t is just column x_t of Wxh, so all inputs are a row gather.
  * y_t, p_t and the loss do not feed back into the recurrence, so they are computed for all
    T*B positions with one matrix product after the loop.
  * Only h_t depends on h_{t-1}; that loop (and its mirror in backprop) stays in Python.
Arrays are time-major inside, (T, B, H), so each step reads a contiguous (B, H) block.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .runtime import c_dot

PARAM_NAMES = ("Wxh", "Whh", "Why", "bh", "by")
LOGIT_FLOOR = -80.0  # exp(-80) ~ 1e-35: keeps float32 away from slow denormals, changes nothing visible


class Scratch:
    """The arrays one forward/backward pass works in, for one (B, T, H, V, dtype)."""

    def __init__(self, B: int, T: int, H: int, V: int, dtype):
        n = T * B
        self.key = (B, T, H, V, np.dtype(dtype))
        self.states = np.empty((T + 1, B, H), dtype)  # h_prev, then h_t for every step
        self.WxhT = np.empty((V, H), dtype)  # Wxh transposed: the inputs pick contiguous rows
        self.tmp = np.empty((B, H), dtype)  # one step's matrix product
        self.probs = np.empty((n, V), dtype)  # logits, then probabilities, then dL/dy
        self.row = np.empty((n, 1), dtype)  # each row's max, then its sum, in the softmax
        self.dh = np.empty((T, B, H), dtype)  # dL/dh_t, then dL/d(pre-activation)
        self.dtanh = np.empty((T, B, H), dtype)  # 1 - h_t^2
        self.onehot = np.empty((n, V), dtype)  # the one-hot inputs x_t
        self.ones = np.ones(n, dtype)  # sums over rows as matrix products: faster than .sum(axis=0) here
        self.row_starts = np.arange(0, n * V, V)  # where each row of an (n, V) array starts in its buffer


class Workspace:
    """Hands out the same Scratch again while the shapes stay the same (a Trainer keeps one).

    At B = 1 a training step is a few dozen operations on small arrays, and fresh memory for each of
    them is cold in the CPU caches: reusing the buffers measured ~5% faster. Not for sharing between threads.
    """

    def __init__(self):
        self._scratch: Scratch | None = None

    def scratch(self, B: int, T: int, H: int, V: int, dtype) -> Scratch:
        s = self._scratch
        if s is None or s.key != (B, T, H, V, dtype):
            s = self._scratch = Scratch(B, T, H, V, dtype)
        return s


def init_params(vocab_size: int, hidden_size: int, seed: int = 0, dtype=np.float64) -> dict[str, np.ndarray]:
    """Weights ~ N(0, 0.01^2) and zero biases, as the seed initialises them."""
    rng = np.random.default_rng(seed)
    V, H = int(vocab_size), int(hidden_size)
    params = {
        "Wxh": rng.standard_normal((H, V)) * 0.01,  # input to hidden
        "Whh": rng.standard_normal((H, H)) * 0.01,  # hidden to hidden
        "Why": rng.standard_normal((V, H)) * 0.01,  # hidden to output
        "bh": np.zeros(H),  # hidden bias
        "by": np.zeros(V),  # output bias
    }
    return {k: v.astype(dtype) for k, v in params.items()}


def param_shapes(vocab_size: int, hidden_size: int) -> dict[str, tuple[int, ...]]:
    V, H = vocab_size, hidden_size
    return {"Wxh": (H, V), "Whh": (H, H), "Why": (V, H), "bh": (H,), "by": (V,)}


def _as_batch(inputs, h_prev, params):
    """Accept (T,) or (B, T) ids and (H,) or (B, H) state; return (B, T) ids and a (B, H) state."""
    inputs = np.asarray(inputs)
    if inputs.ndim == 1:
        inputs = inputs[None, :]
    B = inputs.shape[0]
    H = params["Whh"].shape[0]
    dtype = params["Whh"].dtype
    if h_prev is None:
        h_prev = np.zeros((B, H), dtype)
    h_prev = np.asarray(h_prev, dtype)
    if h_prev.ndim == 1:
        h_prev = np.broadcast_to(h_prev, (B, H))
    return inputs, h_prev


def _recurrence(params, inputs, h_prev, s: Scratch):
    """Run h_t = tanh(Wxh x_t + Whh h_{t-1} + bh) over time, in s.states.

    Returns time-major states (T+1, B, H): states[0] is h_prev and states[t+1] is h_t, so the
    backward pass finds every h_{t-1} as states[:-1] without copying.
    """
    Wxh, Whh, bh = params["Wxh"], params["Whh"], params["bh"]
    states = s.states
    states[0] = h_prev
    # Wxh x_t + bh for every step at once: x_t is one-hot, so Wxh x_t is column x_t of Wxh (a row gather).
    s.WxhT[...] = Wxh.T
    np.add(s.WxhT.take(inputs.T, axis=0), bh, out=states[1:])
    if Whh.dtype == np.float64 and s.tmp.size >= TANH_BY_EXP_MIN_SIZE:
        with np.errstate(over="ignore"):  # see _tanh_by_exp
            _time_steps(states, Whh.T, s.tmp, _tanh_by_exp)
    else:
        _time_steps(states, Whh.T, s.tmp, np.tanh)
    return states


def _time_steps(states, WhhT, tmp, tanh):
    """The only per-step work, so three NumPy calls with preallocated outputs (local names and positional
    out= save a little on each of T calls). states[t+1] holds Wxh x_t + bh on entry and h_t on exit."""
    dot, add = c_dot, np.add
    h = states[0]
    for h_t in states[1:]:
        dot(h, WhhT, tmp)  # Whh h_{t-1}
        add(h_t, tmp, h_t)
        tanh(h_t, h_t)  # h_t = tanh(Wxh x_t + Whh h_{t-1} + bh)
        h = h_t


TANH_BY_EXP_MIN_SIZE = 1024


def _tanh_by_exp(x, out):
    """out = tanh(x) as 1 - 2 / (exp(2x) + 1), for big float64 arrays.

    NumPy's float64 tanh is not vectorized on this kind of CPU (AVX2) and costs about twice an exp, so
    for B*H >= 1024 this formula is ~1.5x faster; it agrees with np.tanh to within 4e-16. Where exp(2x)
    overflows (x > 354) the result is exactly 1.0, so the caller silences the overflow warning.
    """
    np.multiply(x, 2.0, out=out)
    np.exp(out, out=out)
    out += 1.0
    np.divide(2.0, out, out=out)
    np.subtract(1.0, out, out=out)
    return out


def _softmax_rows(logits, row):
    """Numerically safe softmax over the last axis of a 2-D array, in place; row: (n, 1) scratch."""
    logits -= np.maximum.reduce(logits, axis=-1, keepdims=True, out=row)
    if logits.dtype == np.float32:  # float64 has no denormal slowdown at these magnitudes
        np.maximum(logits, LOGIT_FLOOR, out=logits)
    np.exp(logits, out=logits)
    logits /= np.add.reduce(logits, axis=-1, keepdims=True, out=row)
    return logits


def _output_probs(hs_flat, params, s: Scratch, temperature: float = 1.0):
    """p_t = softmax(y_t / temperature), y_t = Why h_t + by, for every row (step) at once, in s.probs."""
    logits = c_dot(hs_flat, params["Why"].T, s.probs)
    logits += params["by"]
    if temperature != 1.0:
        logits /= temperature
    return _softmax_rows(logits, s.row)


class Forward(NamedTuple):
    hs: np.ndarray  # (B, T, H) hidden state after each input character
    probs: np.ndarray  # (B, T, V) distribution over the next character
    h_last: np.ndarray  # (B, H) state to carry into the next chunk


def forward(params, inputs, h_prev=None, temperature: float = 1.0) -> Forward:
    """Every hidden state and every next-character distribution for `inputs` of shape (B, T)."""
    inputs, h_prev = _as_batch(inputs, h_prev, params)
    (B, T), (H, V) = inputs.shape, params["Wxh"].shape
    s = Scratch(B, T, H, V, params["Whh"].dtype)  # fresh: the result is views of it
    hs = _recurrence(params, inputs, h_prev, s)[1:]  # (T, B, H)
    probs = _output_probs(hs.reshape(T * B, H), params, s, temperature).reshape(T, B, V)
    return Forward(hs.transpose(1, 0, 2), probs.transpose(1, 0, 2), hs[-1].copy())


def loss_and_grads(params, inputs, targets, h_prev, grads_out=None, workspace: Workspace | None = None):
    """Summed cross-entropy (nats) over all B*T positions, its gradients (unclipped), and the last state.

    inputs, targets: int arrays (B, T) (or (T,) for one stream); h_prev: (B, H) (or (H,)).
    With B = 1 this is the seed's lossFun; with B > 1 it is the sum over independent streams.
    grads_out: optional dict of preallocated arrays to write the gradients into (saves allocations;
    the Trainer passes views of one flat buffer so clipping and the optimizer are single array ops).
    workspace: optional Workspace, whose scratch arrays are reused from call to call.
    """
    Wxh, Whh, Why = params["Wxh"], params["Whh"], params["Why"]
    inputs, h_prev = _as_batch(inputs, h_prev, params)
    targets = np.asarray(targets).reshape(inputs.shape)
    B, T = inputs.shape
    H, V = Wxh.shape
    n = T * B  # positions, time-major: row t*B + b is step t of stream b
    s = workspace.scratch(B, T, H, V, Whh.dtype) if workspace is not None else Scratch(B, T, H, V, Whh.dtype)

    # ---- forward pass
    states = _recurrence(params, inputs, h_prev, s)  # states[0] = h_prev, states[t+1] = h_t
    hs_flat = states[1:].reshape(n, H)
    probs = _output_probs(hs_flat, params, s)  # p_t = softmax(Why h_t + by), all steps at once
    target_at = s.row_starts + targets.T.reshape(-1)  # flat position of p_t[target_t]
    p_target = probs.take(target_at)
    loss = -np.log(p_target).sum()  # softmax (cross-entropy loss)

    # ---- backward pass
    dy = probs  # dL/dy_t = p_t - onehot(target_t), reusing the probs buffer
    dy.put(target_at, p_target - 1)
    g = grads_out if grads_out is not None else {
        "Wxh": np.empty_like(Wxh), "Whh": np.empty_like(Whh), "Why": np.empty_like(Why),
        "bh": np.empty_like(params["bh"]), "by": np.empty_like(params["by"])}
    np.matmul(dy.T, hs_flat, out=g["Why"])  # dWhy = sum_t dy_t h_t^T
    np.matmul(s.ones, dy, out=g["by"])  # dby = sum_t dy_t
    dh = s.dh  # gradient reaching h_t from y_t, every step at once
    c_dot(dy, Why, dh.reshape(n, H))
    # tanh'(.) = 1 - h_t^2, every step at once. (Written with out= : on large arrays NumPy's check for
    # reusable temporaries in `1 - hs * hs` costs ~0.7 ms on this machine, more than the arithmetic.)
    dtanh = np.multiply(states[1:], states[1:], out=s.dtanh)
    np.subtract(1, dtanh, out=dtanh)
    # Backprop through time, last step first. dh[t] becomes dhraw_t, dL/d(pre-activation of step t).
    dot, add, multiply = c_dot, np.add, np.multiply
    tmp = s.tmp
    dhraw = dh[T - 1]
    multiply(dhraw, dtanh[T - 1], dhraw)  # the last step gets nothing from a later one
    for dh_t, dtanh_t in zip(dh[-2::-1], dtanh[-2::-1], strict=True):
        dot(dhraw, Whh, tmp)  # dhnext = Whh^T dhraw_{t+1}: into h_t from step t+1
        add(dh_t, tmp, dh_t)  # dh = Why^T dy_t + dhnext
        multiply(dh_t, dtanh_t, dh_t)  # dhraw_t = (1 - h_t^2) * dh: backprop through tanh
        dhraw = dh_t
    dhraw_flat = dh.reshape(n, H)
    np.matmul(dhraw_flat.T, states[:-1].reshape(n, H), out=g["Whh"])  # dWhh = sum_t dhraw_t h_{t-1}^T
    np.matmul(s.ones, dhraw_flat, out=g["bh"])  # dbh = sum_t dhraw_t
    # dWxh = sum_t dhraw_t x_t^T: column x_t of Wxh received dhraw_t. Scatter-add with one matrix
    # product against the one-hot inputs (the xs[t] of the seed).
    onehot = s.onehot
    onehot.fill(0)
    onehot.put(s.row_starts + inputs.T.reshape(-1), 1)
    np.matmul(dhraw_flat.T, onehot, out=g["Wxh"])
    return float(loss), g, states[-1].copy()
