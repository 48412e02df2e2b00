"""One LSTM layer with PyTorch's nn.LSTM equations (gate order i, f, g, o in the rows of Wx, Wh and b):

    i_t = sigma(Wx_i x_t + Wh_i h_{t-1} + b_i)     input gate: how much of the candidate to write
    f_t = sigma(Wx_f x_t + Wh_f h_{t-1} + b_f)     forget gate: how much of the old cell to keep
    g_t = tanh(Wx_g x_t + Wh_g h_{t-1} + b_g)      candidate cell values
    o_t = sigma(Wx_o x_t + Wh_o h_{t-1} + b_o)     output gate: how much of the cell to show
    c_t = f_t * c_{t-1} + i_t * g_t                cell state: a path on which the gradient is not multiplied by Wh
    h_t = o_t * tanh(c_t)                          hidden state
(PyTorch keeps two biases, b_ih + b_hh; here their sum is the one b.)

The stack (rnn/cells/stack.py) hands in the input part Wx x_t + b for every step at once; the loop here does one
matrix product per step for all four gates. sigma(a) = (1 + tanh(a / 2)) / 2, so the four gates are one tanh over a
(B, 4H) block: the sigma gates' pre-activations are halved first and mapped to (0, 1) after (gate_scale).
Arrays are (B, T, ...): stream b, step t.
"""

from __future__ import annotations

import numpy as np

GATES = 4  # blocks of H rows in Wx and Wh: i, f, g, o
STATE = ("h", "c")  # what a layer carries from one chunk to the next
INPUT, INPUT_BIAS = "Wx", "b"  # the input weights, and the bias the stack adds to the input part


def shapes(n_in: int, H: int) -> dict[str, tuple[int, ...]]:
    return {"Wx": (4 * H, n_in), "Wh": (4 * H, H), "b": (4 * H,)}


def init(rng, n_in: int, H: int) -> dict[str, np.ndarray]:
    """PyTorch's initialisation: every weight and bias ~ U(-1/sqrt(H), 1/sqrt(H))."""
    k = 1 / np.sqrt(H)
    return {name: rng.uniform(-k, k, shape) for name, shape in shapes(n_in, H).items()}


def gate_scale(H: int, dtype) -> np.ndarray:
    """0.5 for the sigma gates (i, f, o), 1 for the tanh candidate g: sigma(a) = 0.5 tanh(0.5 a) + 0.5."""
    scale = np.full(4 * H, 0.5, dtype)
    scale[2 * H:3 * H] = 1.0
    return scale


def forward(p, xw, h, c):
    """xw (B, T, 4H): Wx x_t + b for every step; h, c (B, H): the carried state.
    Returns hs (B, T, H), what backward needs, and the last (h, c)."""
    Wh = p["Wh"]
    B, T, G = xw.shape
    H = G // 4
    WhT = np.ascontiguousarray(Wh.T)  # (B, H) x (H, 4H) is faster on a contiguous copy
    scale = gate_scale(H, xw.dtype)
    shift = 1 - scale  # 0.5 for sigma, 0 for tanh
    gates = np.empty_like(xw)  # i, f, g, o after their nonlinearities
    tanh_cs = np.empty((B, T, H), xw.dtype)  # tanh(c_t)
    hs = np.empty((B, T, H), xw.dtype)  # h_t
    h_before, c_before = np.empty_like(hs), np.empty_like(hs)  # h_{t-1}, c_{t-1}
    for t in range(T):
        h_before[:, t], c_before[:, t] = h, c
        a = gates[:, t]
        np.add(xw[:, t], h @ WhT, out=a)  # every gate's pre-activation: Wx x_t + b + Wh h_{t-1}
        a *= scale
        np.tanh(a, out=a)
        a *= scale
        a += shift  # i, f, o = sigma(.), g = tanh(.)
        i, f, g, o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
        c = f * c + i * g  # c_t = f_t * c_{t-1} + i_t * g_t
        tc = np.tanh(c, out=tanh_cs[:, t])
        h = hs[:, t] = o * tc  # h_t = o_t * tanh(c_t)
    return hs, (gates, tanh_cs, h_before, c_before), (h, c)


def backward(p, cache, dhs):
    """dhs (B, T, H): dL/dh_t from above (the output layer or the next layer).
    Returns dL/d(pre-activation) (B, T, 4H), which is also dL/d(Wx x_t + b), and {"Wh": dWh}."""
    gates, tanh_cs, h_before, c_before = cache
    B, T, G = gates.shape
    H = G // 4
    Wh = p["Wh"]
    i, f, g, o = (gates[..., k * H:(k + 1) * H] for k in range(4))
    # Everything below that depends on the forward pass only is computed for every step at once:
    dgates = gates - gates * gates  # sigma' = s (1 - s) for i, f, o ...
    dgates[..., 2 * H:3 * H] = 1 - g * g  # ... and tanh' = 1 - g^2 for g
    o_dtanh = o * (1 - tanh_cs * tanh_cs)  # dh_t/dc_t = o_t tanh'(c_t)
    da = np.empty_like(gates)
    dh_next = np.zeros((B, H), gates.dtype)  # from step t+1 into h_t (nothing after the last step)
    dc_next = np.zeros((B, H), gates.dtype)
    for t in reversed(range(T)):
        dh = dhs[:, t] + dh_next
        dc = dc_next + dh * o_dtanh[:, t]  # into c_t: from c_{t+1} and through h_t
        d = da[:, t]
        np.multiply(dc, g[:, t], out=d[:, :H])  # dL/di
        np.multiply(dc, c_before[:, t], out=d[:, H:2 * H])  # dL/df
        np.multiply(dc, i[:, t], out=d[:, 2 * H:3 * H])  # dL/dg
        np.multiply(dh, tanh_cs[:, t], out=d[:, 3 * H:])  # dL/do
        d *= dgates[:, t]  # through sigma and tanh: dL/d(pre-activation)
        dc_next = dc * f[:, t]  # into c_{t-1}
        dh_next = d @ Wh  # into h_{t-1}: Wh^T da, all four gates at once
    dWh = da.reshape(B * T, G).T @ h_before.reshape(B * T, H)  # sum_t da_t h_{t-1}^T
    return da, {"Wh": dWh}
