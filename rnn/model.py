"""The vanilla character-level RNN of min-char-rnn, vectorized over time and over B parallel streams.

Equations (one stream, one time step), exactly the seed's:

    h_t = tanh(Wxh x_t + Whh h_{t-1} + bh)     hidden state   (x_t is a one-hot column)
    y_t = Why h_t + by                          logits
    p_t = softmax(y_t)                          next-character probabilities
    loss = -sum_t log p_t[target_t]             cross-entropy in nats, summed

What is vectorized (and why it is the same maths):
  * Wxh x_t with a one-hot x_t is just column x_t of Wxh, so all inputs are one gather.
  * y_t, p_t and the loss do not feed back into the recurrence, so they are computed for all
    steps with one matrix product after the loop.
  * Only h_t depends on h_{t-1}; that loop (and its mirror in backprop) stays in Python.
Arrays are (B, T, ...): stream b, step t.

The code below is the plain version. rnn/fast.py computes the same two functions with speed tricks
(reused buffers, direct C calls, a faster tanh); while fast.ENABLED is true, forward and loss_and_grads
hand their work to it, nanoGPT's flash/manual pattern.

LSTM, GRU, stacked layers and dropout live in rnn/cells: init_params(..., cell=, num_layers=) builds them,
and forward and loss_and_grads hand any model other than this one (they tell from its keys) to rnn/cells.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import cells, fast

PARAM_NAMES = ("Wxh", "Whh", "Why", "bh", "by")


def init_params(vocab_size: int, hidden_size: int, seed: int = 0, dtype=np.float64, cell: str = "rnn",
                num_layers: int = 1) -> dict[str, np.ndarray]:
    """Weights ~ N(0, 0.01^2) and zero biases, as the seed initialises them. Other cells or depths: rnn/cells."""
    if cell != "rnn" or num_layers != 1:
        return cells.init_params(vocab_size, hidden_size, seed, dtype, cell, num_layers)
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


def param_shapes(vocab_size: int, hidden_size: int, cell: str = "rnn", num_layers: int = 1) -> dict[str, tuple]:
    """{name: shape} in the order of the Trainer's flat buffer (PARAM_NAMES here; rnn/cells for other models)."""
    if cell != "rnn" or num_layers != 1:
        return cells.param_shapes(vocab_size, hidden_size, cell, num_layers)
    V, H = vocab_size, hidden_size
    return {"Wxh": (H, V), "Whh": (H, H), "Why": (V, H), "bh": (H,), "by": (V,)}


def as_batch(inputs, h_prev, params):
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


def softmax(y):
    """Softmax over the last axis, shifted by the max first (the same result, and exp cannot overflow)."""
    e = np.exp(y - y.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def hidden_states(params, inputs, h_prev):
    """h_t = tanh(Wxh x_t + Whh h_{t-1} + bh) for every step: (B, T, H), hs[:, t] = h_t."""
    Wxh, Whh, bh = params["Wxh"], params["Whh"], params["bh"]
    B, T = inputs.shape
    x_part = Wxh.T[inputs] + bh  # Wxh x_t + bh for every step: x_t is one-hot, so Wxh x_t is column x_t of Wxh
    hs = np.empty((B, T, Whh.shape[0]), Whh.dtype)
    h = h_prev
    for t in range(T):
        h = np.tanh(x_part[:, t] + h @ Whh.T)  # h_t = tanh(Wxh x_t + Whh h_{t-1} + bh)
        hs[:, t] = h
    return hs


class Forward(NamedTuple):
    hs: np.ndarray  # (B, T, H) hidden state after each input character
    probs: np.ndarray  # (B, T, V) distribution over the next character
    h_last: np.ndarray  # (B, H) state to carry into the next chunk (other models: their (B, S) state, rnn/cells)


def forward(params, inputs, h_prev=None, temperature: float = 1.0, workspace: fast.Workspace | None = None) -> Forward:
    """Every hidden state and every next-character distribution for `inputs` of shape (B, T).

    workspace: optional fast.Workspace for the fast path's arrays; hs and probs are then views of them,
    valid until the workspace's next use (evaluate_loss reads each chunk at once).
    """
    if not cells.is_plain(params):  # LSTM, GRU or stacked layers; h_prev is then their state (rnn/cells)
        return Forward(*cells.forward(params, inputs, h_prev, temperature))
    inputs, h_prev = as_batch(inputs, h_prev, params)
    if fast.ENABLED:  # the same maths in preallocated buffers with direct C calls (rnn/fast.py)
        return Forward(*fast.forward(params, inputs, h_prev, temperature, workspace))
    hs = hidden_states(params, inputs, h_prev)
    ys = hs @ params["Why"].T + params["by"]  # y_t = Why h_t + by, every step at once
    probs = softmax(ys / temperature)  # p_t = softmax(y_t / temperature)
    return Forward(hs, probs, hs[:, -1].copy())


def loss_and_grads(params, inputs, targets, h_prev, grads_out=None, workspace: fast.Workspace | None = None,
                   masks=None):
    """Summed cross-entropy (nats) over all B*T positions, its gradients (unclipped), and the last state.

    inputs, targets: int arrays (B, T) (or (T,) for one stream); h_prev: (B, H) (or (H,)).
    With B = 1 this is the seed's lossFun; with B > 1 it is the sum over independent streams.
    grads_out: optional dict of arrays to write the gradients into (the Trainer passes views of one flat
    buffer, so clipping and the optimizer are single array operations).
    workspace: optional fast.Workspace whose scratch arrays the fast path reuses from call to call.
    masks: dropout masks (rnn.cells.dropout_masks) while training with dropout, else None.
    """
    if masks is not None or not cells.is_plain(params):  # dropout, LSTM, GRU or stacked layers: rnn/cells
        return cells.loss_and_grads(params, inputs, targets, h_prev, grads_out, masks)
    inputs, h_prev = as_batch(inputs, h_prev, params)
    targets = np.asarray(targets).reshape(inputs.shape)
    if fast.ENABLED:  # the same maths in reused buffers, written straight into grads_out (rnn/fast.py)
        return fast.loss_and_grads(params, inputs, targets, h_prev, grads_out, workspace)
    Wxh, Whh, Why = params["Wxh"], params["Whh"], params["Why"]
    B, T = inputs.shape
    V = Wxh.shape[1]

    def rows(a):  # (B, T, k) -> (B*T, k): one row per position, so a sum over t and b is one product
        return a.reshape(B * T, -1)

    # ---- forward pass
    hs = hidden_states(params, inputs, h_prev)  # hs[:, t] = h_t, the recurrence
    ps = softmax(hs @ Why.T + params["by"])  # p_t = softmax(y_t), y_t = Why h_t + by
    p_target = np.take_along_axis(ps, targets[..., None], axis=-1)
    loss = -np.log(p_target).sum()  # cross-entropy, summed over steps and streams

    # ---- backward pass
    xs = np.eye(V, dtype=Wxh.dtype)[inputs]  # the one-hot inputs x_t
    dy = ps - np.eye(V, dtype=Wxh.dtype)[targets]  # dL/dy_t = p_t - onehot(target_t)
    dWhy = rows(dy).T @ rows(hs)  # dWhy = sum_t dy_t h_t^T
    dby = rows(dy).sum(axis=0)  # dby = sum_t dy_t
    dh_from_y = dy @ Why  # Why^T dy_t, every step at once
    h_before = np.concatenate([h_prev[:, None], hs[:, :-1]], axis=1)  # h_{t-1} for every step
    dhraw = np.empty_like(hs)
    dhnext = np.zeros_like(h_prev)
    for t in reversed(range(T)):  # backprop through time, last step first
        dh = dh_from_y[:, t] + dhnext  # dh = Why^T dy_t + dhnext
        dhraw[:, t] = (1 - hs[:, t] * hs[:, t]) * dh  # backprop through tanh
        dhnext = dhraw[:, t] @ Whh  # dhnext = Whh^T dhraw: into h_{t-1}
    dWhh = rows(dhraw).T @ rows(h_before)  # dWhh = sum_t dhraw_t h_{t-1}^T
    dbh = rows(dhraw).sum(axis=0)  # dbh = sum_t dhraw_t
    dWxh = rows(dhraw).T @ rows(xs)  # dWxh = sum_t dhraw_t x_t^T

    grads = {"Wxh": dWxh, "Whh": dWhh, "Why": dWhy, "bh": dbh, "by": dby}
    if grads_out is not None:
        for k, g in grads.items():
            grads_out[k][...] = g
        grads = grads_out
    return float(loss), grads, hs[:, -1].copy()
