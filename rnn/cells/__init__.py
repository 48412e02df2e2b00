"""LSTM and GRU cells, stacked layers and dropout: the recurrent models beyond rnn/model.py's vanilla RNN.

rnn/model.py keeps min-char-rnn's single-layer tanh RNN (and its fast path); every other model runs here, and
model.init_params / forward / loss_and_grads hand such models to this package. One file per idea:
    lstm.py, gru.py, tanh.py   one layer of each cell: its equations, its time loop and its backprop
    stack.py                   layers on top of each other, dropout, the output layer and the loss
    this file                  the parameter names and the carried state's layout, shared by both

Parameters (PyTorch's names where PyTorch has them, so results compare with nn.LSTM / nn.GRU):
    lstm: Wx (4H, V), Wh (4H, H), b (4H,)            gate order i, f, g, o
    gru:  Wx (3H, V), Wh (3H, H), bx (3H,), bh (3H,)  gate order r, z, n
    rnn:  Wxh (H, V), Whh (H, H), bh (H,)             the seed's names
    then Why (V, H) and by (V,) for the output, as in the seed. Layer l >= 1 has the same keys with the suffix
    _l ("Wx_1"); its input is the layer below's hidden state, so its Wx is (G H, H).
The cell and the number of layers are read from the keys (architecture()), so a params dict is the whole model.

The carried state is one array (B, S) (or (S,) for one stream): layer 0's h, then (LSTM) layer 0's c, then
layer 1's h, ... each H wide, so S = num_layers * H (LSTM: twice that). For the single-layer vanilla RNN that is
its h (B, H), as before. One array is what the Trainer carries, a checkpoint stores and a sample starts from.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import gru, lstm, tanh

CELLS = {"rnn": tanh, "lstm": lstm, "gru": gru}
MAX_LAYERS = 3


class Architecture(NamedTuple):
    cell: str  # rnn | lstm | gru
    num_layers: int
    hidden: int  # H
    vocab: int  # V

    @property
    def module(self):
        return CELLS[self.cell]

    @property
    def state_size(self) -> int:
        return state_size(self.cell, self.hidden, self.num_layers)


def key(name: str, layer: int) -> str:
    """A parameter's key in layer `layer`: "Wx" in layer 0, "Wx_1" in layer 1."""
    return name if layer == 0 else f"{name}_{layer}"


def check(cell: str, num_layers: int) -> None:
    if cell not in CELLS:
        raise ValueError(f"unknown cell {cell!r}; choose one of {', '.join(CELLS)}")
    if not 1 <= int(num_layers) <= MAX_LAYERS:
        raise ValueError(f"num_layers must be between 1 and {MAX_LAYERS}, got {num_layers}")


def param_shapes(vocab_size: int, hidden_size: int, cell: str = "rnn", num_layers: int = 1) -> dict:
    """{key: shape} in the order of the flat parameter buffer: layer 0, layer 1, ..., then Why, by."""
    check(cell, num_layers)
    V, H = int(vocab_size), int(hidden_size)
    out = {}
    for layer in range(num_layers):
        for name, shape in CELLS[cell].shapes(V if layer == 0 else H, H).items():
            out[key(name, layer)] = shape
    out["Why"], out["by"] = (V, H), (V,)
    return out


def all_param_keys() -> set[str]:
    """Every key any model of any cell and depth may have (what a checkpoint may hold)."""
    return {k for cell in CELLS for k in param_shapes(2, 2, cell, MAX_LAYERS)}


def init_params(vocab_size: int, hidden_size: int, seed: int = 0, dtype=np.float64, cell: str = "rnn",
                num_layers: int = 1) -> dict[str, np.ndarray]:
    """Each layer initialised as its cell says (lstm, gru: PyTorch's U(+-1/sqrt(H)); rnn: the seed's N(0, 0.01^2));
    the output layer as the seed's, Why ~ N(0, 0.01^2) and by = 0. Drawn in param_shapes' order from `seed`."""
    check(cell, num_layers)
    rng = np.random.default_rng(seed)
    V, H = int(vocab_size), int(hidden_size)
    params = {}
    for layer in range(num_layers):
        for name, value in CELLS[cell].init(rng, V if layer == 0 else H, H).items():
            params[key(name, layer)] = value
    params["Why"] = rng.standard_normal((V, H)) * 0.01
    params["by"] = np.zeros(V)
    return {k: np.asarray(v, dtype) for k, v in params.items()}


def architecture(params) -> Architecture:
    """Which model a params dict is: its cell (from the keys), number of layers, hidden size and vocabulary."""
    if "Whh" in params:
        cell, recurrent = "rnn", "Whh"
    elif "Wh" in params:
        cell, recurrent = ("gru" if "bx" in params else "lstm"), "Wh"
    else:
        raise ValueError("these parameters are not a model of rnn/model.py or rnn/cells (no Whh or Wh)")
    layers = 1
    while key(recurrent, layers) in params:
        layers += 1
    V, H = params["Why"].shape
    return Architecture(cell, layers, H, V)


def is_plain(params) -> bool:
    """The single-layer vanilla RNN of rnn/model.py (and of its fast path)."""
    return "Whh" in params and "Whh_1" not in params


def state_size(cell: str, hidden_size: int, num_layers: int = 1) -> int:
    """Width S of the carried state (B, S)."""
    return num_layers * len(CELLS[cell].STATE) * int(hidden_size)


def layer_state(state, arch: Architecture, layer: int) -> tuple[np.ndarray, ...]:
    """Views of one layer's part of a state (B, S) (or (S,)): (h,), or (h, c) for the LSTM."""
    H, parts = arch.hidden, len(arch.module.STATE)
    start = layer * parts * H
    return tuple(state[..., start + k * H:start + (k + 1) * H] for k in range(parts))


def top_hidden(params, state) -> np.ndarray:
    """The top layer's h in a state (B, S) or (S,): what the output layer reads."""
    arch = architecture(params)
    return layer_state(state, arch, arch.num_layers - 1)[0]


def dropout_masks(rng, p: float, shape: tuple[int, int, int], num_layers: int, dtype) -> list[np.ndarray] | None:
    """Inverted dropout: one mask (B, T, H) per layer's output, each unit kept with probability 1 - p and then
    scaled by 1 / (1 - p), so evaluation and sampling need no rescaling (they use no mask). None when p = 0
    (no random numbers drawn: a run without dropout draws exactly what it drew before dropout existed)."""
    if not p:
        return None
    keep = 1.0 - p
    return [np.where(rng.random(shape, dtype=np.float32) < keep, 1 / keep, 0).astype(dtype) for _ in range(num_layers)]


from .stack import forward, loss_and_grads  # noqa: E402 - stack.py reads the layout above

__all__ = ["CELLS", "MAX_LAYERS", "Architecture", "all_param_keys", "architecture", "dropout_masks", "forward",
           "init_params", "is_plain", "key", "layer_state", "loss_and_grads", "param_shapes", "state_size",
           "top_hidden"]
