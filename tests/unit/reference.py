"""An independent, deliberately plain per-timestep implementation of min-char-rnn's lossFun.

Column vectors and one-hot inputs, one time step at a time, exactly as the seed writes it. The engine
is tested against this; nothing here is shared with rnn/model.py.
"""

import numpy as np


def seed_loss_fun(params, inputs, targets, hprev):
    """inputs, targets: lists of ints; hprev: (H, 1). Returns loss, dWxh, dWhh, dWhy, dbh, dby, h_last."""
    Wxh, Whh, Why = params["Wxh"], params["Whh"], params["Why"]
    bh, by = params["bh"].reshape(-1, 1), params["by"].reshape(-1, 1)
    vocab_size = Wxh.shape[1]
    xs, hs, ys, ps = {}, {}, {}, {}
    hs[-1] = np.copy(hprev)
    loss = 0.0
    for t in range(len(inputs)):
        xs[t] = np.zeros((vocab_size, 1))
        xs[t][inputs[t]] = 1
        hs[t] = np.tanh(np.dot(Wxh, xs[t]) + np.dot(Whh, hs[t - 1]) + bh)
        ys[t] = np.dot(Why, hs[t]) + by
        ps[t] = np.exp(ys[t]) / np.sum(np.exp(ys[t]))
        loss += -np.log(ps[t][targets[t], 0])
    dWxh, dWhh, dWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
    dbh, dby = np.zeros_like(bh), np.zeros_like(by)
    dhnext = np.zeros_like(hs[0])
    for t in reversed(range(len(inputs))):
        dy = np.copy(ps[t])
        dy[targets[t]] -= 1
        dWhy += np.dot(dy, hs[t].T)
        dby += dy
        dh = np.dot(Why.T, dy) + dhnext
        dhraw = (1 - hs[t] * hs[t]) * dh
        dbh += dhraw
        dWxh += np.dot(dhraw, xs[t].T)
        dWhh += np.dot(dhraw, hs[t - 1].T)
        dhnext = np.dot(Whh.T, dhraw)
    grads = {"Wxh": dWxh, "Whh": dWhh, "Why": dWhy, "bh": dbh.ravel(), "by": dby.ravel()}
    return loss, grads, hs[len(inputs) - 1]


def seed_forward(params, inputs, hprev):
    """The forward half of the seed's lossFun: lists of hidden states (H,) and probabilities (V,) per step."""
    Wxh, Whh, Why = params["Wxh"], params["Whh"], params["Why"]
    bh, by = params["bh"].reshape(-1, 1), params["by"].reshape(-1, 1)
    h = np.asarray(hprev, dtype=np.float64).reshape(-1, 1)
    hs, ps = [], []
    for ix in inputs:
        x = np.zeros((Wxh.shape[1], 1))
        x[ix] = 1
        h = np.tanh(np.dot(Wxh, x) + np.dot(Whh, h) + bh)
        y = np.dot(Why, h) + by
        p = np.exp(y) / np.sum(np.exp(y))
        hs.append(h.ravel())
        ps.append(p.ravel())
    return hs, ps


def seed_greedy(params, h, n):
    """Greedy (argmax) generation in the seed's style: predict from h, feed the chosen character back."""
    Wxh, Whh, Why = params["Wxh"], params["Whh"], params["Why"]
    bh, by = params["bh"].reshape(-1, 1), params["by"].reshape(-1, 1)
    h = np.asarray(h, dtype=np.float64).reshape(-1, 1)
    out = []
    for _ in range(n):
        ix = int(np.argmax(np.dot(Why, h) + by))
        out.append(ix)
        x = np.zeros((Wxh.shape[1], 1))
        x[ix] = 1
        h = np.tanh(np.dot(Wxh, x) + np.dot(Whh, h) + bh)
    return out


def seed_adagrad(params, grads, mem, lr, clip=5.0):
    """The seed's update: np.clip each gradient to [-clip, clip], then mem += g^2, p -= lr g / sqrt(mem + 1e-8)."""
    for k in params:
        g = np.clip(grads[k], -clip, clip)
        mem[k] += g * g
        params[k] += -lr * g / np.sqrt(mem[k] + 1e-8)
