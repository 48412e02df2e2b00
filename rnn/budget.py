"""The resource budget: the one rule for how big a model may be and how long one of its steps may take.

Every way a model comes into being goes through check() before anything is allocated: Trainer construction
and its shape changes (rnn/train.py, so the app, the CLI, sweeps and workers), a checkpoint's declared
config and vocabulary (rnn/checkpoint.py), and the corpus's vocabulary (rnn/corpus.py, check_vocab).

Two profiles, chosen by the environment so worker processes inherit their parent's:
- "app" (the default): a shared classroom server. RNN_LAB_MODEL_MB (256), RNN_LAB_STEP_SECONDS (1) and
  RNN_LAB_MAX_VOCAB (4000). One step must stay short so Step N and Pause answer within a second, and the
  estimate counts the server's replica of each live model too.
- "cli" (RNN_LAB_BUDGET=cli, set by `python -m rnn train/sweep/...` for itself and its workers): one user's
  own offline job, stopped with Ctrl-C, so it may use more: RNN_LAB_CLI_MODEL_MB (4096, or --max-model-mb),
  RNN_LAB_CLI_STEP_SECONDS (60) and RNN_LAB_CLI_MAX_VOCAB (65536). It still refuses shapes that would swap
  the machine (hidden 4096 x batch 1024 x seq 10000 wants ~1 TB).
MB here is 2**20 bytes.
"""

from __future__ import annotations

import contextlib
import math
import os
from dataclasses import dataclass

import numpy as np

from .optim import OPTIMIZERS

PROFILE_ENV = "RNN_LAB_BUDGET"
MB = 2**20

# limit -> (environment variable, default), per profile
APP_ENV = {"model_mb": ("RNN_LAB_MODEL_MB", 256.0), "step_seconds": ("RNN_LAB_STEP_SECONDS", 1.0),
        "max_vocab": ("RNN_LAB_MAX_VOCAB", 4000)}
CLI_ENV = {"model_mb": ("RNN_LAB_CLI_MODEL_MB", 4096.0), "step_seconds": ("RNN_LAB_CLI_STEP_SECONDS", 60.0),
        "max_vocab": ("RNN_LAB_CLI_MAX_VOCAB", 65536)}

# Step time ~ STEP_OVERHEAD + PER_TIME_STEP * T + SECONDS_PER_UNIT * T * B * (H*H + 2*H*V): the matrix
# products of the forward and backward pass grow with H^2 (recurrence) and H*V (output layer, one-hot input
# gradient), the Python loop over time with T. An ESTIMATE measured once on this 2-core Xeon with one BLAS
# thread (float64, Adagrad, python-code corpus, V=161) while the machine was shared (load ~12): 0.34-0.55 ns
# per unit over shapes from 64x8x50 to 512x128x200 (512x128x200: 4.9 s measured, 4.9 s estimated; the issue
# measured 3.5 s on a quieter machine). float32 runs faster; the same constant keeps the bound conservative.
SECONDS_PER_UNIT = 0.45e-9
PER_TIME_STEP = 5e-6
STEP_OVERHEAD = 1e-3
# evaluate_loss scores validation text as 16 streams x 100 characters: its own scratch arrays
EVAL_STREAMS_SEQ = (16, 100)

# The models of rnn/cells (LSTM, GRU, stacked layers, dropout): G blocks of H rows per layer's weights, and what
# one step holds per position and hidden unit (counted in rnn/cells/lstm.py, gru.py, tanh.py and stack.py; checked
# against tracemalloc in tests/unit/test_cells_budget.py): the forward cache each layer keeps for backprop, and
# the arrays one layer's backprop adds while it runs.
GATES = {"rnn": 1, "lstm": 4, "gru": 3}
CACHE = {"rnn": 2, "lstm": 8, "gru": 6}  # hs, h_{t-1}; + gates, tanh(c), c_{t-1}; + r and z, n, Wh_n h + bh_n
BACKPROP = {"rnn": 4, "lstm": 11, "gru": 11}  # derivatives of the gates, dL/d(pre-activation), dL/dh
# NumPy calls per time step and layer in the cells' loops (forward + backward), against the vanilla fast path's 6
LOOP_CALLS = {"rnn": 8, "lstm": 22, "gru": 24}
# Their time per unit of work against the vanilla fast path's: 4H- and 3H-wide products of a few rows run far
# below the machine's GEMM peak, and the gates add elementwise passes. Measured 2026-12-02 with one BLAS thread
# (float64, Adam, python-docs, V=103, load ~2.5): 1-layer LSTM/GRU H=256 B=32 T=50 0.16/0.11 s a step, 2-layer
# LSTM H=128 B=16 T=100 0.13 s, 3-layer GRU H=64 B=8 T=100 0.035 s, LSTM H=64 B=1 T=25 1.7 ms; with this factor
# the estimate is 1.2-3.2x those (the vanilla RNN's is 2.5x at H=256 B=32 T=50).
CELLS_SLOWDOWN = 1.6


class BudgetError(ValueError):
    """A model, step or vocabulary over the budget; the message says what was asked, the limit and what fits."""


@dataclass(frozen=True)
class Limits:
    model_mb: float
    step_seconds: float
    max_vocab: int
    app: bool  # the app's profile: counts the server's replica of each live model, suggests app values
    env: dict  # limit name -> the environment variable that sets it (named in messages)


def _read(env_name: str, default, kind):
    raw = os.environ.get(env_name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = kind(raw)
    except ValueError:
        value = None
    if value is None or not (math.isfinite(value) and value > 0):
        raise BudgetError(f"{env_name} must be a positive number, got {raw!r}")
    return value


def limits() -> Limits:
    """The limits of this process: the CLI's when RNN_LAB_BUDGET=cli, else the app's."""
    cli = os.environ.get(PROFILE_ENV) == "cli"
    table = CLI_ENV if cli else APP_ENV
    kinds = {"model_mb": float, "step_seconds": float, "max_vocab": int}
    values = {k: _read(env, default, kinds[k]) for k, (env, default) in table.items()}
    return Limits(**values, app=not cli, env={k: env for k, (env, _) in table.items()})


@contextlib.contextmanager
def profile(name: str, model_mb: float | None = None):
    """Inside the block the limits of `name` ("cli" or "app") apply, also in the worker processes started
    in it (they inherit the environment); the environment is restored afterwards, so a test calling the CLI
    in-process leaves the app's limits alone. model_mb: the CLI's --max-model-mb."""
    keys = (PROFILE_ENV, CLI_ENV["model_mb"][0])
    before = {k: os.environ.get(k) for k in keys}
    os.environ[PROFILE_ENV] = name
    if model_mb is not None:
        if not (math.isfinite(model_mb) and model_mb > 0):
            raise BudgetError(f"--max-model-mb must be a positive number of megabytes, got {model_mb:g}")
        os.environ[CLI_ENV["model_mb"][0]] = repr(float(model_mb))
    try:
        yield
    finally:
        for k, v in before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


# --------------------------------------------------------------------------- estimates


@dataclass(frozen=True)
class Shape:
    hidden: int
    batch: int
    seq: int
    vocab: int
    dtype: str = "float64"
    optimizer: str = "adagrad"
    cell: str = "rnn"
    layers: int = 1

    @classmethod
    def of(cls, config, vocab_size: int) -> Shape:
        return cls(int(config.hidden_size), int(config.batch_size), int(config.seq_length), int(vocab_size),
                   str(config.dtype), str(config.optimizer), str(getattr(config, "cell", "rnn")),
                   int(getattr(config, "num_layers", 1)))

    @property
    def plain(self) -> bool:
        """The single-layer vanilla RNN of rnn/model.py and rnn/fast.py (everything else runs in rnn/cells)."""
        return self.cell == "rnn" and self.layers == 1

    def text(self) -> str:
        model = "" if self.plain else f"{self.layers}-layer {self.cell}, "
        return f"{model}hidden {self.hidden} x batch {self.batch} x seq {self.seq}"


def n_params(hidden: int, vocab: int, cell: str = "rnn", layers: int = 1) -> int:
    """Vanilla: Wxh (H x V), Whh (H x H), Why (V x H), bh (H), by (V). rnn/cells: G blocks of H rows per layer
    (LSTM 4, GRU 3), the first layer reading V inputs and the others H; the GRU has two biases."""
    H, V, G = hidden, vocab, GATES.get(cell, 4)
    biases = 2 if cell == "gru" else 1
    per_layer = [G * H * (n_in + H) + biases * G * H for n_in in [V] + [H] * (layers - 1)]
    return sum(per_layer) + V * H + V


def model_bytes(shape: Shape, replica: bool = True) -> int:
    """Bytes a model of this shape holds while it trains (rnn/train.py, rnn/optim.py, rnn/fast.py):
    - parameters and gradients (one flat buffer each), the optimizer's memory (one buffer per slot: Adagrad,
      SGD-momentum and RMSprop 1, Adam 2) and its scratch buffer (1);
    - one step's BPTT arrays (fast.Scratch): states (T+1) x B x H, dh and 1 - h^2 (T x B x H each),
      probabilities and one-hot inputs (T*B x V each), Wxh transposed (V x H), small rows;
    - validation's scratch (the same arrays for 16 streams x 100 characters);
    - for the models of rnn/cells instead of those two, the larger of one step's and one evaluation's arrays;
    - the divergence guard's two copies of the known-good state (parameters, optimizer memory, hidden state);
    - with `replica`, the server's copy of the model (a Trainer that never trains: the same flat buffers).
    Building the parameters briefly needs a float64 draw and a copy, less than the buffers above."""
    H, V = shape.hidden, shape.vocab
    item = np.dtype(shape.dtype).itemsize
    slots = len(OPTIMIZERS[shape.optimizer].slots) if shape.optimizer in OPTIMIZERS else 2
    params = n_params(H, V, shape.cell, shape.layers)
    state = shape.batch * H * shape.layers * (2 if shape.cell == "lstm" else 1)  # h (and the LSTM's c) per layer
    guard = 2 * (params * (1 + slots) + state) * item
    trainer = params * item * (2 + slots + 1) + guard
    if shape.plain:  # fast.Workspace: the step's and validation's scratch arrays are both kept
        activations = _scratch_bytes(shape.batch, shape.seq, H, V, item) + _scratch_bytes(*EVAL_STREAMS_SEQ, H, V, item)
    else:  # rnn/cells allocates a pass's arrays for that pass only: a step's or an evaluation's, never both
        activations = max(_cells_step_bytes(shape, shape.batch, shape.seq, item, backprop=True),
                          _cells_step_bytes(shape, *EVAL_STREAMS_SEQ, item, backprop=False))
    return trainer * (2 if replica else 1) + activations


def _scratch_bytes(B: int, T: int, H: int, V: int, item: int) -> int:
    """fast.Scratch: states, dh, 1 - h^2, one step's product; probabilities, one-hot inputs; Wxh^T; rows."""
    n = T * B
    return item * ((T + 1) * B * H + B * H + 2 * n * H + 2 * n * V + V * H + 2 * n) + 8 * n


def _cells_step_bytes(shape: Shape, B: int, T: int, item: int, backprop: bool) -> int:
    """One pass of rnn/cells over B streams x T steps: every layer's forward cache (and its dropout mask and
    masked output), the input part of a layer (G H wide, twice while its bias is added), the output layer's
    logits and probabilities; with backprop also one layer's backprop arrays and the one-hot inputs."""
    n, H, V, L = B * T, shape.hidden, shape.vocab, shape.layers
    G = GATES.get(shape.cell, 4)
    per_position = L * (CACHE.get(shape.cell, 8) + 2) * H + 2 * G * H + 3 * V
    if backprop:
        per_position += BACKPROP.get(shape.cell, 11) * H + 2 * V
    return item * n * per_position


def step_seconds(shape: Shape) -> float:
    """Expected seconds of one training step on this machine (an estimate; see SECONDS_PER_UNIT). For the
    models of rnn/cells the units are their matrix products' flops over 6 (the vanilla RNN's 6 H^2 + 8 H V per
    character is about 6 of its units), and their loops make more NumPy calls per time step (LOOP_CALLS)."""
    H, B, T, V = shape.hidden, shape.batch, shape.seq, shape.vocab
    if shape.plain:
        return STEP_OVERHEAD + PER_TIME_STEP * T + SECONDS_PER_UNIT * T * B * (H * H + 2 * H * V)
    G, L = GATES.get(shape.cell, 4), shape.layers
    # per character: each layer's recurrence forward and back (6 G H^2), the upper layers' input products (6 G H^2),
    # the first layer's one-hot input gradient (2 G H V), the output layer (6 H V)
    flops = L * 6 * G * H * H + (L - 1) * 6 * G * H * H + 2 * G * H * V + 6 * H * V
    calls = PER_TIME_STEP * T * L * LOOP_CALLS.get(shape.cell, 24) / 6
    return STEP_OVERHEAD + calls + CELLS_SLOWDOWN * SECONDS_PER_UNIT * T * B * flops / 6


def fmt_bytes(n: float) -> str:
    """Bytes in the unit that reads best: 1.0 GB rather than 1024 MB (units of 2**10)."""
    if n >= 1000 * MB:
        return f"{n / (1024 * MB):.1f} GB"
    if n >= 1000 * 1024:
        return f"{n / MB:.0f} MB"
    return f"{n / 1024:.0f} KB"


def _fits(shape: Shape, lim: Limits) -> bool:
    return model_bytes(shape, lim.app) <= lim.model_mb * MB and step_seconds(shape) <= lim.step_seconds


def _largest(shape: Shape, field: str, lim: Limits) -> int | None:
    """The largest value of `field` below the asked one that fits with the rest unchanged (None if not even
    the smallest allowed value does)."""
    from dataclasses import replace

    from .config import SETTINGS

    setting = SETTINGS[_FIELDS[field]]
    lo, hi = int(setting.low if lim.app else setting.engine_range()[0]), getattr(shape, field)
    if lo >= hi or not _fits(replace(shape, **{field: lo}), lim):
        return None
    while hi - lo > 1:  # both the bytes and the time grow with each of H, B, T
        mid = (lo + hi) // 2
        if _fits(replace(shape, **{field: mid}), lim):
            lo = mid
        else:
            hi = mid
    return lo


_FIELDS = {"hidden": "hidden_size", "batch": "batch_size", "seq": "seq_length"}


def what_fits(shape: Shape, lim: Limits) -> str:
    hints = []
    for field, others in (("hidden", "batch and seq"), ("batch", "hidden and seq"), ("seq", "hidden and batch")):
        best = _largest(shape, field, lim)
        if best is not None:
            hints.append(f"{field} <= {best} at this {others}")
    if not hints:
        return (f"no smaller hidden size, batch or sequence length fits on its own at vocabulary {shape.vocab}; "
                "try smaller values of several, or fewer distinct characters")
    return (", or ".join(hints) if len(hints) < 3 else f"{hints[0]}, {hints[1]}, or {hints[2]}") + " fits"


# --------------------------------------------------------------------------- checks


def check_vocab(vocab_size: int, lim: Limits | None = None) -> None:
    lim = lim or limits()
    if vocab_size > lim.max_vocab:
        raise BudgetError(
            f"the text has {vocab_size:,} distinct characters; the limit is {lim.max_vocab:,} "
            f"({lim.env['max_vocab']}). Each one adds a row and a column to the model, so use a text in fewer "
            "scripts or a slice of it")


def check(config, vocab_size: int, lim: Limits | None = None) -> None:
    """BudgetError unless a model of `config` (TrainConfig-like) over `vocab_size` symbols fits the limits."""
    lim = lim or limits()
    check_vocab(vocab_size, lim)
    shape = Shape.of(config, vocab_size)
    need, seconds = model_bytes(shape, lim.app), step_seconds(shape)
    if need > lim.model_mb * MB:
        raise BudgetError(
            f"{shape.text()} (vocabulary {shape.vocab}, {shape.dtype}, {shape.optimizer}) needs ~{fmt_bytes(need)}; "
            f"the limit is {fmt_bytes(lim.model_mb * MB)} ({lim.env['model_mb']}): {what_fits(shape, lim)}")
    if seconds > lim.step_seconds:
        raise BudgetError(
            f"one step of {shape.text()} (vocabulary {shape.vocab}) is expected to take ~{seconds:.1f} s; the "
            f"limit is {lim.step_seconds:g} s ({lim.env['step_seconds']}), so that Step and Pause answer "
            f"quickly: {what_fits(shape, lim)}")
