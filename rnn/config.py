"""TrainConfig and the one description of each of its settings.

Every setting is described once, in SETTINGS: its label, help text, CLI flag, URL key, range or choices and
kind. The CLI flags (train, sweep), the shared-link parsing, the Train page's widgets, the Runs page's sweep
form and TrainConfig.validate() are all generated from this table, so they cannot disagree.

Two ranges per numeric setting:
- `low`..`high` is what the app offers (widgets and shared links): what trains live on a dashboard;
- `cli_low`/`cli_high`, where given, is what the CLI and the engine accept beyond that (a checkpoint
  trained from the command line may carry such a value into the app; its widget then shows it).

Kinds:
- LIVE: changes mid-run through a Trainer command (also on `train --resume`);
- MODEL: needs a new model, so a checkpoint fixes it (`--resume` refuses a different value).
"""

from __future__ import annotations

import json
import math
import numbers
from dataclasses import asdict, dataclass, fields

import numpy as np

from .optim import OPTIMIZERS

DTYPES = {"float64": np.float64, "float32": np.float32}
CELLS = ("rnn", "lstm", "gru")  # the recurrent cells of rnn/model.py (rnn) and rnn/cells (lstm, gru)

LIVE = "live"
MODEL = "model"


@dataclass(frozen=True)
class Setting:
    name: str  # the TrainConfig field
    label: str
    help: str
    kind: str = LIVE
    flag: str | None = None  # CLI flag without the dashes
    url: str | None = None  # query-parameter key of a shared link
    symbol: str | None = None  # short name in run names and tables (h, T, lr, B)
    low: float | None = None  # app range, inclusive (None: unbounded)
    high: float | None = None
    cli_low: float | None = None  # wider range the CLI and the engine accept (None: the app's)
    cli_high: float | None = None
    above: bool = False  # the engine's lower bound is exclusive (value > low, not >=)
    choices: tuple = ()
    stops: tuple = ()  # preset values a select-slider offers, within low..high
    log: bool = False  # spread on a log scale (random sweeps draw log-uniform)
    sweep: bool = False  # an axis of `python -m rnn sweep` and the Runs page's sweep form

    @property
    def type(self) -> type:
        return type(getattr(TrainConfig, self.name))

    def engine_range(self) -> tuple[float | None, float | None]:
        lo = self.cli_low if self.cli_low is not None else self.low
        hi = self.cli_high if self.cli_high is not None else self.high
        return lo, hi

    def problem(self, value, app: bool = False) -> str | None:
        """Why `value` is not allowed (None when it is): in the app's range with app=True, else the engine's."""
        if self.choices:
            return None if value in self.choices else f"{self._name()} must be {self.allowed()}"
        lo, hi = (self.low, self.high) if app else self.engine_range()
        exclusive = self.above and not app
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or (
                self.type is int and not float(value).is_integer()):
            return f"{self._name()} must be {'an integer' if self.type is int else 'a number'}"
        ok = math.isfinite(value) and (lo is None or (value > lo if exclusive else value >= lo)) and (
            hi is None or value <= hi)
        return None if ok else f"{self._name()} must be {self.range_text(app)}, got {value}"

    def range_text(self, app: bool = False) -> str:
        lo, hi = (self.low, self.high) if app else self.engine_range()
        hi = None if hi == math.inf else hi
        what = "an integer" if self.type is int else "a number"
        if lo is not None and hi is not None:
            return f"between {self.format(lo)} and {self.format(hi)}"
        if lo is not None:
            return f"{what} {'>' if self.above and not app else '>='} {self.format(lo)}"
        return f"{what} <= {self.format(hi)}"

    def allowed(self, app: bool = False) -> str:
        return f"one of {', '.join(self.choices)}" if self.choices else self.range_text(app)

    def _name(self) -> str:
        return f"{self.name} ({self.label.lower()})"

    def parse(self, text: str, app: bool = True):
        """A value from text (a shared link); ValueError when it is malformed or not allowed."""
        value = text if self.choices else float(text) if self.type is float else int(text)
        if self.problem(value, app):
            raise ValueError(text)
        return value

    def format(self, value) -> str:
        return f"{value:g}" if isinstance(value, float) else str(value)


@dataclass(frozen=True)
class TrainConfig:
    """Hyperparameters. Defaults are min-char-rnn's. Frozen: the Trainer changes its settings through its
    commands (each makes a new config), so nobody else can change a running model's settings behind it."""

    hidden_size: int = 100
    seq_length: int = 25
    learning_rate: float = 0.1
    optimizer: str = "adagrad"
    clip: float = 5.0  # element-wise gradient clip; 0 disables
    batch_size: int = 1  # parallel streams through the text
    seed: int = 0
    dtype: str = "float64"
    eval_every: int = 500  # iterations between validation evaluations (0: never)
    eval_max_chars: int = 50_000  # cap on validation characters scored per evaluation
    sample_every: int = 0  # iterations between stored samples (0: never)
    sample_length: int = 200
    health_every: int = 500  # iterations between training-health records (0: never); see Trainer.health_interval
    divergence_factor: float = 3.0  # stop when the recent loss > factor * the smoothed loss (rnn/train.py)
    cell: str = "rnn"  # rnn (min-char-rnn's tanh RNN) | lstm | gru (rnn/cells)
    num_layers: int = 1  # stacked recurrent layers
    dropout: float = 0.0  # inverted dropout between layers and before the output, while training only

    def validate(self) -> TrainConfig:
        problems = [p for s in SETTINGS.values() if (p := s.problem(getattr(self, s.name)))]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_dict(cls, d: dict) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})


# Why these app ranges: the app trains live on the page, a step at a time between redraws, on a shared
# machine. Hidden sizes past 512 and batches past 128 make one step (and the O(H^3) health records) too slow
# to stay responsive, and truncated BPTT past 200 steps teaches nothing a vanilla RNN can use (its
# gradient has vanished long before); the CLI keeps the engine's wider ranges for offline runs. Learning
# rates above 1 only ever diverge in the app; the CLI allows any positive rate (diverging on purpose is a
# lesson too). A sequence length of 1 has no backpropagation through time to show, so the app starts at 2.
# Learning rate first: the order of CLI --help and of sweep run names ("lr0.1 h64 T25").
_SETTINGS = (
    Setting("learning_rate", "Learning rate", "step size of the optimizer", flag="lr", url="lr", symbol="lr",
            low=1e-4, high=1.0, cli_low=0.0, cli_high=math.inf, above=True, log=True,
            stops=(1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0), sweep=True),
    Setting("hidden_size", "Hidden size", "hidden units", kind=MODEL, flag="hidden", url="hidden", symbol="h",
            low=1, high=512, cli_high=4096, stops=(8, 16, 32, 50, 64, 100, 128, 200, 256, 384, 512), sweep=True),
    Setting("seq_length", "Sequence length",
            "characters per truncated-BPTT chunk (the weights do not depend on it)", flag="seq-length", url="seq",
            symbol="T", low=2, high=200, cli_low=1, cli_high=10_000, sweep=True),
    Setting("optimizer", "Optimizer",
            "update rule (min-char-rnn: adagrad); switching mid-run keeps the weights and starts its memory afresh",
            flag="optimizer", url="opt", symbol="", choices=tuple(OPTIMIZERS), sweep=True),
    Setting("clip", "Clip", "each gradient element is clipped to ±clip (min-char-rnn uses 5; 0 = off)",
            flag="clip", url="clip", low=0.0, high=20.0, cli_high=math.inf,
            stops=(0.0, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0)),
    Setting("batch_size", "Batch streams", "parallel streams through the text per step (1 = min-char-rnn)",
            kind=MODEL, flag="batch", url="batch", symbol="B", low=1, high=128, cli_high=1024,
            stops=(1, 2, 4, 8, 16, 32, 64, 128), sweep=True),
    Setting("seed", "Seed", "random seed of the initial weights and of sampling", kind=MODEL, flag="seed",
            url="seed", low=0, high=2**31 - 1),
    # Not in the app yet (no url): its pages lay out the single-layer vanilla RNN only (issue 11).
    Setting("cell", "Cell", "recurrent cell: rnn (min-char-rnn's tanh RNN), lstm or gru (PyTorch's equations)",
            kind=MODEL, flag="cell", symbol="", choices=CELLS, sweep=True),
    Setting("num_layers", "Layers", "stacked recurrent layers, each reading the hidden states of the one below",
            kind=MODEL, flag="layers", symbol="L", low=1, high=3, sweep=True),
    Setting("dropout", "Dropout",
            "fraction of hidden units zeroed between layers and before the output while training (as char-rnn); "
            "0 = off", flag="dropout", symbol="drop", low=0.0, high=0.9, stops=(0.0, 0.1, 0.2, 0.3, 0.5),
            sweep=True),
    Setting("dtype", "Dtype", "floating-point precision of the parameters", kind=MODEL, flag="dtype", url="dtype",
            choices=tuple(DTYPES)),
    Setting("eval_every", "Validation every", "validation every N steps, 0: at the end only",
            flag="eval-every", low=0),
    Setting("eval_max_chars", "Validation characters", "cap on validation characters scored per evaluation",
            low=1),
    Setting("sample_every", "Sample every", "iterations between stored samples (0: never)", low=0),
    Setting("sample_length", "Sample length", "characters per stored sample", low=0),
    Setting("health_every", "Health every", "iterations between training-health records (0: never)", low=0),
    Setting("divergence_factor", "Divergence factor",
            "stop (and go back to the last known-good state) when the recent loss exceeds this times the smoothed loss",
            low=1.0, above=True),
)
SETTINGS: dict[str, Setting] = {s.name: s for s in _SETTINGS}


def model_text(config: dict) -> str:
    """A stored config's model in a few characters: "rnn" (also for runs from before the cells), "lstm x2",
    "gru x3 drop 0.2"."""
    text = str(config.get("cell", "rnn"))
    layers, dropout = config.get("num_layers", 1), config.get("dropout", 0.0)
    if layers != 1:
        text += f" x{layers}"
    if dropout:
        text += f" drop {dropout:g}"
    return text
assert set(SETTINGS) == {f.name for f in fields(TrainConfig)}, "every TrainConfig field has one Setting"
