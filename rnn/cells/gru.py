"""One GRU layer with PyTorch's nn.GRU equations (gate order r, z, n in the rows of Wx, Wh, bx and bh):

    r_t = sigma(Wx_r x_t + bx_r + Wh_r h_{t-1} + bh_r)          reset gate
    z_t = sigma(Wx_z x_t + bx_z + Wh_z h_{t-1} + bh_z)          update gate: how much of the old state to keep
    n_t = tanh(Wx_n x_t + bx_n + r_t * (Wh_n h_{t-1} + bh_n))   candidate state
    h_t = (1 - z_t) * n_t + z_t * h_{t-1}

The stack (rnn/cells/stack.py) hands in the input part Wx x_t + bx for every step at once; the loop here does one
matrix product per step for all three gates (Wh h_{t-1} + bh: bh stays inside, since r_t multiplies its n part).
sigma(a) = (1 + tanh(a / 2)) / 2. Arrays are (B, T, ...): stream b, step t.
"""

from __future__ import annotations

import numpy as np

GATES = 3  # blocks of H rows in Wx and Wh: r, z, n
STATE = ("h",)
INPUT, INPUT_BIAS = "Wx", "bx"


def shapes(n_in: int, H: int) -> dict[str, tuple[int, ...]]:
    return {"Wx": (3 * H, n_in), "Wh": (3 * H, H), "bx": (3 * H,), "bh": (3 * H,)}


def init(rng, n_in: int, H: int) -> dict[str, np.ndarray]:
    """PyTorch's initialisation: every weight and bias ~ U(-1/sqrt(H), 1/sqrt(H))."""
    k = 1 / np.sqrt(H)
    return {name: rng.uniform(-k, k, shape) for name, shape in shapes(n_in, H).items()}


def sigmoid(a, out):
    """sigma(a) = 0.5 tanh(0.5 a) + 0.5, in place in `out` (no overflow, unlike 1 / (1 + exp(-a)))."""
    np.multiply(a, 0.5, out=out)
    np.tanh(out, out=out)
    out *= 0.5
    out += 0.5
    return out


def forward(p, xw, h):
    """xw (B, T, 3H): Wx x_t + bx for every step; h (B, H): the carried state.
    Returns hs (B, T, H), what backward needs, and the last (h,)."""
    Wh, bh = p["Wh"], p["bh"]
    B, T, G = xw.shape
    H = G // 3
    WhT = np.ascontiguousarray(Wh.T)
    rz = np.empty((B, T, 2 * H), xw.dtype)  # r_t and z_t side by side
    ns = np.empty((B, T, H), xw.dtype)  # n_t
    hw_n = np.empty((B, T, H), xw.dtype)  # Wh_n h_{t-1} + bh_n
    hs, h_before = np.empty_like(ns), np.empty_like(ns)  # h_t, h_{t-1}
    for t in range(T):
        h_before[:, t] = h
        hw = h @ WhT + bh  # Wh h_{t-1} + bh for the three gates at once
        sigmoid(xw[:, t, :2 * H] + hw[:, :2 * H], out=rz[:, t])  # r_t, z_t
        r, z = rz[:, t, :H], rz[:, t, H:]
        hw_n[:, t] = hw[:, 2 * H:]
        n = np.tanh(xw[:, t, 2 * H:] + r * hw_n[:, t], out=ns[:, t])  # n_t
        h = hs[:, t] = n + z * (h - n)  # h_t = (1 - z_t) n_t + z_t h_{t-1}
    return hs, (rz, ns, hw_n, h_before), (hs[:, -1].copy(),)


def backward(p, cache, dhs):
    """dhs (B, T, H): dL/dh_t from above. Returns dL/d(Wx x_t + bx) (B, T, 3H) and {"Wh": dWh, "bh": dbh}."""
    rz, ns, hw_n, h_before = cache
    B, T, H = ns.shape
    Wh = p["Wh"]
    r, z = rz[..., :H], rz[..., H:]
    # Everything below that depends on the forward pass only is computed for every step at once:
    to_an = (1 - z) * (1 - ns * ns)  # dh_t/d(n pre-activation) = (1 - z_t) tanh'
    to_ar = hw_n * r * (1 - r)  # d(n pre-activation)/d(r pre-activation) = (Wh_n h + bh_n) sigma'(r)
    to_az = (h_before - ns) * z * (1 - z)  # dh_t/d(z pre-activation) = (h_{t-1} - n_t) sigma'(z)
    dxw = np.empty((B, T, 3 * H), ns.dtype)  # dL/d(Wx x_t + bx): r, z, n
    dhw = np.empty_like(dxw)  # dL/d(Wh h_{t-1} + bh): the same for r and z, times r_t for n
    dh_next = np.zeros((B, H), ns.dtype)
    for t in reversed(range(T)):
        dh = dhs[:, t] + dh_next
        an = np.multiply(dh, to_an[:, t], out=dxw[:, t, 2 * H:])  # dL/d(n pre-activation)
        np.multiply(an, to_ar[:, t], out=dxw[:, t, :H])  # dL/d(r pre-activation)
        np.multiply(dh, to_az[:, t], out=dxw[:, t, H:2 * H])  # dL/d(z pre-activation)
        dhw[:, t, :2 * H] = dxw[:, t, :2 * H]
        np.multiply(an, r[:, t], out=dhw[:, t, 2 * H:])
        dh_next = dh * z[:, t] + dhw[:, t] @ Wh  # into h_{t-1}: directly through z, and through every gate
    rows = dhw.reshape(B * T, 3 * H)
    return dxw, {"Wh": rows.T @ h_before.reshape(B * T, H), "bh": rows.sum(axis=0)}
