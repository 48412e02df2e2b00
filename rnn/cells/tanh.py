"""One layer of the vanilla tanh RNN, for stacks and dropout (the single-layer model is rnn/model.py):

    h_t = tanh(Wxh x_t + Whh h_{t-1} + bh)

The stack (rnn/cells/stack.py) hands in Wxh x_t + bh for every step at once. Arrays are (B, T, ...).
"""

from __future__ import annotations

import numpy as np

GATES = 1
STATE = ("h",)
INPUT, INPUT_BIAS = "Wxh", "bh"


def shapes(n_in: int, H: int) -> dict[str, tuple[int, ...]]:
    return {"Wxh": (H, n_in), "Whh": (H, H), "bh": (H,)}


def init(rng, n_in: int, H: int) -> dict[str, np.ndarray]:
    """The seed's initialisation: weights ~ N(0, 0.01^2), zero bias."""
    return {"Wxh": rng.standard_normal((H, n_in)) * 0.01, "Whh": rng.standard_normal((H, H)) * 0.01,
            "bh": np.zeros(H)}


def forward(p, xw, h):
    """xw (B, T, H): Wxh x_t + bh for every step; h (B, H). Returns hs, what backward needs, the last (h,)."""
    WhhT = np.ascontiguousarray(p["Whh"].T)
    hs, h_before = np.empty_like(xw), np.empty_like(xw)
    for t in range(xw.shape[1]):
        h_before[:, t] = h
        h = hs[:, t] = np.tanh(xw[:, t] + h @ WhhT)  # h_t = tanh(Wxh x_t + Whh h_{t-1} + bh)
    return hs, (hs, h_before), (hs[:, -1].copy(),)


def backward(p, cache, dhs):
    """dhs (B, T, H): dL/dh_t from above. Returns dL/d(Wxh x_t + bh) (B, T, H) and {"Whh": dWhh}."""
    hs, h_before = cache
    B, T, H = hs.shape
    Whh = p["Whh"]
    dtanh = 1 - hs * hs
    dhraw = np.empty_like(hs)
    dh_next = np.zeros((B, H), hs.dtype)
    for t in reversed(range(T)):
        dhraw[:, t] = (dhs[:, t] + dh_next) * dtanh[:, t]  # backprop through tanh
        dh_next = dhraw[:, t] @ Whh  # into h_{t-1}
    return dhraw, {"Whh": dhraw.reshape(B * T, H).T @ h_before.reshape(B * T, H)}
