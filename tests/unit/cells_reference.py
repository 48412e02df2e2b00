"""Deliberately plain per-step references for the models of rnn/cells: one stream, one time step, one layer at a
time, column vectors and one-hot inputs, each gate its own slice of rows, PyTorch's equations written out.
Nothing here is shared with rnn/cells (not its layout helpers either: the state layout is sliced here by hand)."""

import numpy as np


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def lstm_step(P, x, h, c):
    H = h.shape[0]

    def pre(k):  # gate k's pre-activation; gate order i, f, g, o
        rows = slice(k * H, (k + 1) * H)
        return P["Wx"][rows] @ x + P["Wh"][rows] @ h + P["b"][rows].reshape(-1, 1)

    i, f, g, o = sigmoid(pre(0)), sigmoid(pre(1)), np.tanh(pre(2)), sigmoid(pre(3))
    c = f * c + i * g
    return o * np.tanh(c), c


def gru_step(P, x, h):
    H = h.shape[0]

    def part(W, k):
        return W[k * H:(k + 1) * H]

    def bias(b, k):
        return part(b, k).reshape(-1, 1)

    r = sigmoid(part(P["Wx"], 0) @ x + bias(P["bx"], 0) + part(P["Wh"], 0) @ h + bias(P["bh"], 0))
    z = sigmoid(part(P["Wx"], 1) @ x + bias(P["bx"], 1) + part(P["Wh"], 1) @ h + bias(P["bh"], 1))
    n = np.tanh(part(P["Wx"], 2) @ x + bias(P["bx"], 2) + r * (part(P["Wh"], 2) @ h + bias(P["bh"], 2)))
    return (1 - z) * n + z * h


def rnn_step(P, x, h):
    return np.tanh(P["Wxh"] @ x + P["Whh"] @ h + P["bh"].reshape(-1, 1))


NAMES = {"lstm": ("Wx", "Wh", "b"), "gru": ("Wx", "Wh", "bx", "bh"), "rnn": ("Wxh", "Whh", "bh")}


def layer(params, cell, l):
    return {n: params[n if l == 0 else f"{n}_{l}"] for n in NAMES[cell]}


def stream_loss(params, cell, num_layers, inputs, targets, state, masks=None):
    """One stream: loss (nats, summed), the probabilities per step and the last state (S,), laid out as
    [h_0, c_0 (LSTM), h_1, c_1, ...]. masks: per layer a (T, H) array multiplying that layer's output."""
    V, H = params["Why"].shape
    parts = 2 if cell == "lstm" else 1
    hs = [state[(l * parts) * H:(l * parts + 1) * H].reshape(-1, 1) for l in range(num_layers)]
    cs = [state[(l * parts + 1) * H:(l * parts + 2) * H].reshape(-1, 1) for l in range(num_layers)] \
        if cell == "lstm" else None
    loss, probs = 0.0, []
    for t in range(len(inputs)):
        x = np.zeros((V, 1))
        x[inputs[t]] = 1
        for l in range(num_layers):
            P = layer(params, cell, l)
            if cell == "lstm":
                hs[l], cs[l] = lstm_step(P, x, hs[l], cs[l])
            elif cell == "gru":
                hs[l] = gru_step(P, x, hs[l])
            else:
                hs[l] = rnn_step(P, x, hs[l])
            x = hs[l] if masks is None else hs[l] * masks[l][t].reshape(-1, 1)
        y = params["Why"] @ x + params["by"].reshape(-1, 1)
        p = np.exp(y) / np.sum(np.exp(y))
        probs.append(p.ravel())
        loss += -np.log(p[targets[t], 0])
    last = []
    for l in range(num_layers):
        last.append(hs[l].ravel())
        if cell == "lstm":
            last.append(cs[l].ravel())
    return loss, np.array(probs), np.concatenate(last)
