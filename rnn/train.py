"""The training loop of min-char-rnn as an object you can step, pause, save and resume exactly.

A Trainer owns everything that changes during training: parameters, optimizer memory, the carried hidden
state, the data pointer, the iteration count, the RNG and the histories. Saving all of it (see
checkpoint.py) and loading it back gives bit-identical training to never having stopped.
"""

from __future__ import annotations

import contextlib
import json
import math
import time
from dataclasses import asdict, dataclass, fields

import numpy as np

from .corpus import Corpus
from .evaluate import evaluate_loss
from .fast import Workspace
from .model import PARAM_NAMES, init_params, loss_and_grads, param_shapes
from .optim import clip_grads, make_optimizer
from .runtime import one_blas_thread
from .sample import sample

DTYPES = {"float64": np.float64, "float32": np.float32}


@dataclass
class TrainConfig:
    """Hyperparameters. Defaults are min-char-rnn's."""

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
    divergence_factor: float = 3.0  # stop when loss > factor * first loss (char-rnn uses 3)

    def validate(self) -> TrainConfig:
        problems = []
        if not 1 <= self.hidden_size <= 4096:
            problems.append("hidden_size must be between 1 and 4096")
        if not 1 <= self.seq_length <= 10_000:
            problems.append("seq_length must be between 1 and 10000")
        if not (math.isfinite(self.learning_rate) and self.learning_rate > 0):
            problems.append("learning_rate must be a positive number")
        if not 1 <= self.batch_size <= 1024:
            problems.append("batch_size must be between 1 and 1024")
        if self.dtype not in DTYPES:
            problems.append(f"dtype must be one of {', '.join(DTYPES)}")
        if not self.clip >= 0:  # also refuses NaN
            problems.append("clip must be >= 0 (0 disables clipping)")
        # checked here, not when training reaches the first evaluation or sample and fails there
        if min(self.eval_every, self.sample_every, self.health_every) < 0:
            problems.append("eval_every, sample_every and health_every must be >= 0 (0: never)")
        if self.eval_max_chars < 1 or self.sample_length < 0:
            problems.append("eval_max_chars must be >= 1 and sample_length >= 0")
        if not (math.isfinite(self.divergence_factor) and self.divergence_factor > 1):
            problems.append("divergence_factor must be a number > 1")
        from .optim import OPTIMIZERS

        if self.optimizer not in OPTIMIZERS:
            problems.append(f"optimizer must be one of {', '.join(OPTIMIZERS)}")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_dict(cls, d: dict) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})


HISTORY_KEYS = ("loss", "smooth_loss", "grad_norm", "clipped", "seconds")


class Trainer:
    def __init__(self, corpus: Corpus, config: TrainConfig | None = None):
        self.corpus = corpus
        self.config = (config or TrainConfig()).validate()
        cfg = self.config
        self.vocab = corpus.vocab
        # All parameters live in one flat buffer and self.params holds named views of it (same for the
        # gradients), so clipping and the optimizer update are a few whole-array operations per step.
        init = init_params(self.vocab.size, cfg.hidden_size, seed=cfg.seed, dtype=DTYPES[cfg.dtype])
        self.flat_params = np.concatenate([init[k].ravel() for k in PARAM_NAMES])
        self.params = self.unflatten(self.flat_params)
        self.flat_grads = np.zeros_like(self.flat_params)
        self.grads = self.unflatten(self.flat_grads)
        self._workspace = Workspace()  # scratch arrays reused by every step (see fast.Workspace)
        self.optimizer = make_optimizer(cfg.optimizer, {"all": self.flat_params}, cfg.learning_rate)
        self.rng = np.random.default_rng(cfg.seed)
        self.iteration = 0
        self.epoch = 0
        self.chars_trained = 0
        self.seconds = 0.0  # training compute time, excluding evaluation and pauses
        self.status = "ready"  # ready | diverged
        self.message = ""
        self.first_loss: float | None = None
        self.smooth_loss = math.log(self.vocab.size)  # the seed starts it at the uniform guess
        self.history: dict[str, list] = {k: [] for k in HISTORY_KEYS}
        self.val_history: list[tuple[int, float]] = []  # (iteration, nats/char)
        self.samples: list[tuple[int, str]] = []  # (iteration, text)
        self.health_history: list[dict] = []  # see _record_health
        self._setup_streams()
        self.h = np.zeros((cfg.batch_size, cfg.hidden_size), DTYPES[cfg.dtype])
        self.pointer = 0

    def unflatten(self, flat: np.ndarray) -> dict[str, np.ndarray]:
        """Named views (Wxh, Whh, Why, bh, by) of a flat vector laid out like flat_params."""
        out, start = {}, 0
        for k, shape in param_shapes(self.vocab.size, self.config.hidden_size).items():
            size = int(np.prod(shape))
            out[k] = flat[start:start + size].reshape(shape)
            start += size
        return out

    # ------------------------------------------------------------------ data
    def _setup_streams(self):
        """B streams read B contiguous segments of the training text side by side."""
        cfg = self.config
        n = len(self.corpus.train)
        self.segment = n // cfg.batch_size
        if self.segment < cfg.seq_length + 1:
            raise ValueError(
                f"the training text ({n} characters) is too short for {cfg.batch_size} streams of "
                f"seq_length + 1 = {cfg.seq_length + 1}; lower the batch size or the sequence length"
            )
        # Row b is stream b's segment; a chunk is then a slice of this (B, segment) view, not a gather.
        self._streams = self.corpus.train[:cfg.batch_size * self.segment].reshape(cfg.batch_size, self.segment)

    def wraps_at(self, pointer: int) -> bool:
        """Whether a chunk read at `pointer` would run past the end of the data (so training starts over)."""
        return pointer + self.config.seq_length + 1 > self.segment

    def _next_batch(self):
        if self.wraps_at(self.pointer):  # end of the data: go back to the start
            self.pointer = 0
            self.h[...] = 0  # reset RNN memory, as the seed does
            self.epoch += 1
        return self.chunk_at(self.pointer)

    def chunk_at(self, pointer: int):
        """(inputs, targets), each (B, seq_length): the chunk every stream reads at `pointer`."""
        chunk = self._streams[:, pointer:pointer + self.config.seq_length + 1]
        return chunk[:, :-1], chunk[:, 1:]

    @property
    def epoch_progress(self) -> float:
        """Epochs completed as a fraction (1.0 = every character read once)."""
        return self.epoch + self.pointer / max(1, self.segment)

    # ------------------------------------------------------------------ training
    def set_learning_rate(self, lr: float):
        if not (math.isfinite(lr) and lr > 0):
            raise ValueError("learning rate must be a positive number")
        self.config.learning_rate = float(lr)
        self.optimizer.lr = float(lr)

    def set_clip(self, clip: float):
        self.config.clip = float(clip)

    def step(self, n: int = 1) -> int:
        """Take up to n training steps; stops early if training diverges. Returns steps taken."""
        taken = 0
        with self._training_context():
            for _ in range(n):
                if self.status == "diverged" or not self._one_step():
                    break
                taken += 1
        return taken

    def train_for(self, seconds: float, max_steps: int | None = None) -> int:
        """Train until `seconds` of wall time have passed (time-boxed, for live UIs)."""
        deadline = time.perf_counter() + seconds
        taken = 0
        with self._training_context():
            while time.perf_counter() < deadline and (max_steps is None or taken < max_steps):
                if self.status == "diverged" or not self._one_step():
                    break
                taken += 1
        return taken

    @staticmethod
    @contextlib.contextmanager
    def _training_context():
        """One BLAS thread (see runtime.py), and no NumPy warnings: a diverging step may overflow or take
        log(0), which the divergence guard reports in words."""
        with one_blas_thread(), np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            yield

    def _one_step(self) -> bool:
        cfg = self.config
        t0 = time.perf_counter()
        inputs, targets = self._next_batch()
        h_prev = self.h
        loss, _, h_last = loss_and_grads(self.params, inputs, targets, self.h, grads_out=self.grads,
                                         workspace=self._workspace)
        per_char = loss / inputs.size
        if self.first_loss is None:
            self.first_loss = per_char
        # The global norm is NaN/inf exactly when some gradient is; clipping is in place but unused if we stop.
        norm, clipped = clip_grads({"all": self.flat_grads}, cfg.clip)
        if not math.isfinite(per_char) or not math.isfinite(norm) or per_char > cfg.divergence_factor * self.first_loss:
            # Keep the last good parameters: this step's update is never applied.
            self.status = "diverged"
            self.message = (
                f"Training diverged at iteration {self.iteration}: loss {per_char:.3g} nats/char "
                f"(started at {self.first_loss:.3g}). The parameters from before this step are kept. "
                "Lower the learning rate or the clip value, then continue or reset."
            )
            return False
        self.optimizer.step({"all": self.flat_params}, {"all": self.flat_grads})
        self.h = h_last
        self.pointer += cfg.seq_length
        self.iteration += 1
        self.chars_trained += inputs.size
        self.smooth_loss = self.smooth_loss * 0.999 + per_char * 0.001
        dt = time.perf_counter() - t0
        self.seconds += dt
        hist = self.history
        hist["loss"].append(per_char)
        hist["smooth_loss"].append(self.smooth_loss)
        hist["grad_norm"].append(norm)
        hist["clipped"].append(bool(clipped))
        hist["seconds"].append(self.seconds)
        if cfg.eval_every and self.iteration % cfg.eval_every == 0:
            self.evaluate()
        if cfg.sample_every and self.iteration % cfg.sample_every == 0:
            self.record_sample()
        if cfg.health_every and self.iteration % self.health_interval == 0:
            self._record_health(inputs, h_prev)
        return True

    @property
    def health_interval(self) -> int:
        """Iterations between health records: health_every, stretched for big models because the
        eigenvalues of Whh cost O(H^3) (6 ms at H=100, 370 ms at H=512) against O(T H^2) per step."""
        return self.config.health_every * max(1, round((self.config.hidden_size / 128) ** 2))

    def _record_health(self, inputs, h_prev):
        """Spectral radius of Whh and saturated-unit share (re-reading this step's chunk with the updated
        weights: one extra forward pass every health_every steps), with the recent grad norm and clip rate."""
        from .insight.health import health_snapshot

        snap = health_snapshot(self.params, inputs, h_prev)
        window = self.health_interval
        norms = self.history["grad_norm"][-window:]
        self.health_history.append({
            "iteration": self.iteration,
            "spectral_radius": snap["spectral_radius"],
            "saturated_share": snap["saturated_share"],
            "grad_norm": float(np.mean(norms)),
            "clip_rate": self.clip_rate(window),
        })

    def resume(self):
        """Clear a divergence stop so training can continue (for example after lowering the LR)."""
        if self.status == "diverged":
            self.status = "ready"
            self.message = ""
            self.first_loss = None  # re-anchor the guard at the current loss

    # ------------------------------------------------------------------ evaluation
    def evaluate(self) -> float | None:
        """Validation loss in nats/char (None without a validation split); appended to val_history."""
        if self.corpus.val is None:
            return None
        # Start from the carried state: validation text continues the training text.
        val = evaluate_loss(self.params, self.corpus.val, max_chars=self.config.eval_max_chars, h0=self.h[0])
        if self.val_history and self.val_history[-1][0] == self.iteration:
            self.val_history[-1] = (self.iteration, val)
        else:
            self.val_history.append((self.iteration, val))
        return val

    def record_sample(self, length: int | None = None) -> str:
        text = self.sample(length or self.config.sample_length)
        self.samples.append((self.iteration, text))
        return text

    def sample(self, length: int = 200, temperature: float = 1.0, prime: str = "", top_k: int | None = None) -> str:
        """Sample from the carried hidden state (as the seed does) with the trainer's own RNG stream,
        so a resumed run draws the same samples."""
        seed = int(self.rng.integers(2**63))
        return sample(self.params, self.vocab, length, temperature=temperature, top_k=top_k, prime=prime,
                      seed=seed, h=self.h[0])

    @property
    def chars_per_sec(self) -> float:
        return self.chars_trained / self.seconds if self.seconds > 0 else 0.0

    @property
    def last_loss(self) -> float | None:
        return self.history["loss"][-1] if self.history["loss"] else None

    @property
    def last_val_loss(self) -> float | None:
        return self.val_history[-1][1] if self.val_history else None

    def clip_rate(self, window: int = 100) -> float:
        c = self.history["clipped"][-window:]
        return sum(c) / len(c) if c else 0.0
