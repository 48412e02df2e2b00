"""Layers on top of each other, dropout, the output layer and the loss, for every cell of rnn/cells.

    x^0_t = x_t (one-hot), x^l_t = dropout(h^{l-1}_t)     each layer reads the one below (char-rnn's stacking)
    h^l_t = cell(Wx^l x^l_t + b^l, h^l_{t-1})            lstm.py, gru.py or tanh.py
    y_t = Why dropout(h^top_t) + by,  p_t = softmax(y_t),  loss = -sum_t log p_t[target_t]

Each layer's input part Wx x_t + b is one product for all steps (for layer 0 a row gather: x_t is one-hot), the
cell's loop does the recurrence, and the output layer and loss are one product after the loop, as in
rnn/model.py. Dropout masks (rnn.cells.dropout_masks) come from the caller: the Trainer draws them from its own
random stream while training; evaluation and sampling pass none.
"""

from __future__ import annotations

import numpy as np

from ..fast import LOGIT_FLOOR
from . import architecture, key, layer_state


def layer_params(params, arch, layer: int) -> dict[str, np.ndarray]:
    """One layer's parameters under the cell's own names (Wx, Wh, ...; shapes() lists them in order)."""
    return {name: params[key(name, layer)] for name in arch.module.shapes(1, 1)}


def as_batch(inputs, state, arch, dtype):
    """(T,) or (B, T) ids and None, (S,) or (B, S) state -> (B, T) ids and a (B, S) state of `dtype`."""
    inputs = np.asarray(inputs)
    if inputs.ndim == 1:
        inputs = inputs[None, :]
    B, S = inputs.shape[0], arch.state_size
    if state is None:
        return inputs, np.zeros((B, S), dtype)
    state = np.asarray(state, dtype)
    if state.shape[-1] != S:
        raise ValueError(f"the state has {state.shape[-1]} values per stream; this {arch.num_layers}-layer "
                         f"{arch.cell} of {arch.hidden} units carries {S}")
    return inputs, np.broadcast_to(state, (B, S))


def run_layers(params, inputs, state, masks=None):
    """Every layer over the chunk. Returns the architecture, the top layer's output (B, T, H) after its dropout,
    each layer's (input, cache) for backprop, and the last state (B, S)."""
    arch = architecture(params)
    dtype = params["Why"].dtype
    inputs, state = as_batch(inputs, state, arch, dtype)
    last = np.empty((inputs.shape[0], arch.state_size), dtype)
    x, caches = inputs, []
    for layer in range(arch.num_layers):
        p = layer_params(params, arch, layer)
        W, b = p[arch.module.INPUT], p[arch.module.INPUT_BIAS]
        # the input part of every step at once: for one-hot x_t, W x_t is column x_t of W (a row gather of W^T)
        xw = (W.T[x] if layer == 0 else x @ W.T) + b
        hs, cache, carried = arch.module.forward(p, xw, *layer_state(state, arch, layer))
        for part, value in zip(layer_state(last, arch, layer), carried, strict=True):
            part[...] = value
        caches.append((x, cache))
        x = hs if masks is None else hs * masks[layer]  # dropout between layers and before the output
    return arch, x, caches, last


def softmax(y):
    """Max-shifted softmax over the last axis; in float32 shifted logits are floored at fast.LOGIT_FLOOR first,
    as the vanilla fast path does (their probabilities would be denormals, which slow every later product)."""
    z = y - y.max(axis=-1, keepdims=True)
    if z.dtype == np.float32:
        np.maximum(z, LOGIT_FLOOR, out=z)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def forward(params, inputs, state=None, temperature: float = 1.0):
    """(hs, probs, state): the top layer's h for every step (B, T, H), the next-character distributions
    (B, T, V) and the state to carry (B, S). No dropout: this is the model as evaluation and sampling see it."""
    _, top, _, last = run_layers(params, inputs, state)
    probs = softmax((top @ params["Why"].T + params["by"]) / temperature)
    return top, probs, last


def loss_and_grads(params, inputs, targets, state=None, grads_out=None, masks=None):
    """Summed cross-entropy (nats) over all B*T positions, its gradients and the last state (B, S), as
    rnn.model.loss_and_grads. masks: one (B, T, H) dropout mask per layer (rnn.cells.dropout_masks) or None."""
    arch, top, caches, last = run_layers(params, inputs, state, masks)
    inputs = caches[0][0]
    targets = np.asarray(targets).reshape(inputs.shape)
    Why = params["Why"]
    B, T = inputs.shape
    V = arch.vocab

    def rows(a):  # (B, T, k) -> (B*T, k): one row per position, so a sum over t and b is one product
        return a.reshape(B * T, -1)

    # ---- the output layer and the loss, every step at once
    ps = softmax(top @ Why.T + params["by"])  # p_t = softmax(Why h_t + by)
    p_target = np.take_along_axis(ps, targets[..., None], axis=-1)
    loss = -np.log(p_target).sum()
    dy = ps
    np.put_along_axis(dy, targets[..., None], p_target - 1, axis=-1)  # dL/dy_t = p_t - onehot(target_t)
    grads = {"Why": rows(dy).T @ rows(top), "by": rows(dy).sum(axis=0)}
    dx = dy @ Why  # dL/d(top output), every step at once

    # ---- down through the layers, each backpropagating through its own time loop
    for layer in reversed(range(arch.num_layers)):
        x, cache = caches[layer]
        p = layer_params(params, arch, layer)
        if masks is not None:
            dx = dx * masks[layer]  # through the dropout of this layer's output
        dxw, recurrent = arch.module.backward(p, cache, dx)  # dL/d(W x_t + b), and the recurrent weights' grads
        W_name, b_name = arch.module.INPUT, arch.module.INPUT_BIAS
        x_rows = np.eye(V, dtype=dxw.dtype)[x].reshape(B * T, V) if layer == 0 else rows(x)  # one-hot x_t below
        grads[key(W_name, layer)] = rows(dxw).T @ x_rows  # dW = sum_t dxw_t x_t^T
        grads[key(b_name, layer)] = rows(dxw).sum(axis=0)
        grads.update({key(name, layer): g for name, g in recurrent.items()})
        if layer > 0:
            dx = dxw @ p[W_name]  # into the layer below's (dropped-out) output
    if grads_out is not None:
        for k, g in grads.items():
            grads_out[k][...] = g
        grads = grads_out
    return float(loss), grads, last
