"""The training loop of min-char-rnn as an object you can step, pause, save and resume exactly.

A Trainer owns everything that changes during training: parameters, optimizer memory, the carried hidden
state, the data pointer, the iteration count, the RNG and the histories. Saving all of it (see
checkpoint.py) and loading it back gives bit-identical training to never having stopped.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from . import budget, cells
from .config import DTYPES, LIVE, SETTINGS, TrainConfig
from .corpus import Corpus
from .evaluate import evaluate_loss
from .fast import Workspace
from .history import HISTORY_KEYS, LIMIT, History, thin  # noqa: F401 - HISTORY_KEYS re-exported
from .lifecycle import uninterrupted
from .model import init_params, loss_and_grads, param_shapes
from .optim import clip_grads, make_optimizer
from .recent_loss import RECENT_WEIGHT  # noqa: F401 - RECENT_WEIGHT re-exported
from .recent_loss import update as recent_update
from .runtime import one_blas_thread
from .sample import sample
from .threads import ThreadChooser

# The divergence guard. It compares the recent loss (an average over about ten steps, rnn/recent_loss.py, so one
# noisy chunk of a tiny corpus cannot trip it) with the smoothed loss (min-char-rnn's, over about a thousand steps;
# it starts at the uniform guess ln V), floored at LOSS_FLOOR. When it fires, the trainer goes back to its last
# known-good state: a copy taken at most every KEEP_EVERY iterations of a state whose own loss was healthy.
LOSS_FLOOR = 1.0  # nats/char: a few times less is within the first steps' noise on a tiny corpus
HEALTHY = 1.5  # a state is known good when the loss it gives is at most HEALTHY times the reference
KEEP_EVERY = 20  # iterations between copies of the known-good state: one copy costs ~1/6 of a step (H=100, B=1)
MAX_EVENTS = 100  # setting changes kept for the loss chart's markers (the newest; a few KB in snapshots/checkpoints)


def divergence_reference(smooth_loss: float) -> float:
    """What the guard compares against: the smoothed loss, but never less than LOSS_FLOOR."""
    return max(smooth_loss, LOSS_FLOOR)


def is_divergent(loss_per_char: float, grad_norm: float, recent_loss: float, reference: float,
                 factor: float) -> bool:
    """The divergence guard's rule: a step diverges when its loss or gradient norm is not finite (the global
    norm is NaN/inf exactly when some gradient element is), or when the recent loss, this step included,
    exceeds `factor` times the reference (divergence_reference)."""
    if not (math.isfinite(loss_per_char) and math.isfinite(grad_norm)):
        return True
    return recent_loss > factor * reference


class Trainer:
    """One model in training, and the only writer of its training state.

    Owns: the parameters (one flat buffer with named views), the gradients, the optimizer and its memory,
    the carried hidden state h, the data pointer and epoch, the iteration and character counters, the RNG,
    the divergence status and the histories (loss, validation, samples, health), and its config.

    Commands (all take effect at the next step; nothing else changes these):
    - train(steps=, seconds=, callback=): the one training loop; step(n) and train_for(seconds) are it
      with a step or time budget. The CLI, the sweep workers and the app all train through it.
    - set_learning_rate, set_clip, set_seq_length, set_optimizer(name, lr=None): live settings;
      change(**settings) applies several by name (the settings table in rnn/config.py says which are live).
    - resume(): continue after a divergence stop; evaluate(), record_sample(): extra records.
    - set_threads(n | "auto"): how many cores the next steps use (rnn/threads.py); same numbers either way.
    Each live setting that changes after the first step is noted in `events` (iteration, setting, old, new),
    so the loss chart can mark where the learning rate or the optimizer changed.

    Exactness: training is a pure function of the config, the corpus and the steps taken. The same steps
    give bit-identical parameters whatever budget or callback split them (Step 1 x 100 == Step 100), and a
    checkpoint (rnn/checkpoint.py) stores all of the state above, so resuming from one is bit for bit the
    same as never having stopped.
    """

    def __init__(self, corpus: Corpus, config: TrainConfig | None = None, threads: int | str | None = None):
        self.corpus = corpus
        self.config = (config or TrainConfig()).validate()
        cfg = self.config
        self.vocab = corpus.vocab
        budget.check(cfg, self.vocab.size)  # BudgetError before anything is allocated (rnn/budget.py)
        # All parameters live in one flat buffer and self.params holds named views of it (same for the
        # gradients), so clipping and the optimizer update are a few whole-array operations per step.
        init = init_params(self.vocab.size, cfg.hidden_size, seed=cfg.seed, dtype=DTYPES[cfg.dtype], cell=cfg.cell,
                           num_layers=cfg.num_layers)
        self.flat_params = np.concatenate([init[k].ravel() for k in self.param_shapes()])
        self.params = self.unflatten(self.flat_params)
        self.flat_grads = np.zeros_like(self.flat_params)
        self.grads = self.unflatten(self.flat_grads)
        self._workspace = Workspace()  # scratch arrays reused by every step (see fast.Workspace)
        # BLAS threads per step: `threads`, else $RNN_LAB_THREADS, else "auto" (rnn/threads.py). Not part of
        # the training state: OpenBLAS gives the same numbers whatever the count.
        self.set_threads(threads)
        self.optimizer = make_optimizer(cfg.optimizer, {"all": self.flat_params}, cfg.learning_rate)
        self.rng = np.random.default_rng(cfg.seed)
        self.iteration = 0
        self.epoch = 0
        self.chars_trained = 0
        self.seconds = 0.0  # training compute time, excluding evaluation and pauses
        self.eval_seconds = 0.0  # time spent in evaluate() by this object (not saved in checkpoints)
        self.status = "ready"  # ready | diverged
        self.read_only = False  # True for a live model's replica (rnn/service), which never trains
        self.message = ""
        self.smooth_loss = math.log(self.vocab.size)  # the seed starts it at the uniform guess
        self.recent_loss = self.smooth_loss  # the guard's short average (see RECENT_WEIGHT)
        self._good: dict | None = None  # the last known-good state (see _one_step); in memory only
        self._spare: dict | None = None  # the arrays of the next copy, reused
        self.history = History()  # the newest steps exactly, older ones binned (bounded: see history.py)
        self.val_history: list[tuple[int, float]] = []  # (iteration, nats/char)
        self.samples: list[tuple[int, str]] = []  # (iteration, text)
        self.health_history: list = []  # insight.health.HealthRecord, see _record_health
        self.events: list[tuple[int, str, object, object]] = []  # (iteration, setting, old, new): see _note
        self._setup_streams()
        # The carried state: h (B, H) for the vanilla RNN; every layer's h (and the LSTM's c) side by side (rnn/cells)
        self.h = np.zeros((cfg.batch_size, self.state_size), DTYPES[cfg.dtype])
        self.pointer = 0

    @property
    def state_size(self) -> int:
        return cells.state_size(self.config.cell, self.config.hidden_size, self.config.num_layers)

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        """{name: shape} of this model's parameters, in the order of flat_params."""
        cfg = self.config
        return param_shapes(self.vocab.size, cfg.hidden_size, cfg.cell, cfg.num_layers)

    def unflatten(self, flat: np.ndarray) -> dict[str, np.ndarray]:
        """Named views (Wxh, Whh, Why, bh, by; other cells: rnn/cells) of a flat vector laid out like flat_params."""
        out, start = {}, 0
        for k, shape in self.param_shapes().items():
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

    # ------------------------------------------------------------------ live settings
    def set_learning_rate(self, lr: float):
        lr = float(lr)
        self._check("learning_rate", lr)
        self._note("learning_rate", self.config.learning_rate, lr)
        self.config = replace(self.config, learning_rate=lr)
        self.optimizer.lr = lr

    def set_clip(self, clip: float):
        clip = float(clip)
        self._check("clip", clip)
        self._note("clip", self.config.clip, clip)
        self.config = replace(self.config, clip=clip)

    def set_seq_length(self, seq_length: int):
        """Change the BPTT length mid-run. No parameter depends on it; only the data windows are recomputed
        (ValueError, with the old length kept, if the text is too short for it)."""
        seq_length = int(seq_length)
        self._check("seq_length", seq_length)
        budget.check(replace(self.config, seq_length=seq_length), self.vocab.size)  # T sizes the BPTT arrays
        old = self.config
        self.config = replace(old, seq_length=seq_length)
        try:
            self._setup_streams()
        except ValueError:
            self.config = old
            self._setup_streams()
            raise
        self._note("seq_length", old.seq_length, seq_length)

    def set_optimizer(self, name: str, lr: float | None = None):
        """Use another optimizer mid-run: the parameters stay, the optimizer's memory starts empty.
        The same optimizer again (and no new rate) keeps its memory."""
        self._check("optimizer", name)
        lr = self.optimizer.lr if lr is None else float(lr)
        self._check("learning_rate", lr)
        if name != self.optimizer.name:
            budget.check(replace(self.config, optimizer=name), self.vocab.size)  # Adam keeps two slots
            self.optimizer = make_optimizer(name, {"all": self.flat_params}, lr)
        self.optimizer.lr = lr
        self._note("optimizer", self.config.optimizer, name)
        self._note("learning_rate", self.config.learning_rate, lr)
        self.config = replace(self.config, optimizer=name, learning_rate=lr)

    def change(self, **settings):
        """Apply live settings by TrainConfig field name (e.g. change(learning_rate=0.05, eval_every=100)).
        A setting that needs a new model (hidden_size, batch_size, seed, dtype) raises ValueError."""
        fixed = [k for k in settings if k not in SETTINGS or SETTINGS[k].kind != LIVE]
        if fixed:
            raise ValueError(f"{', '.join(fixed)} cannot change mid-run: they need a new model")
        if "optimizer" in settings:
            self.set_optimizer(settings.pop("optimizer"), settings.pop("learning_rate", None))
        commands = {"learning_rate": self.set_learning_rate, "clip": self.set_clip,
                    "seq_length": self.set_seq_length}
        for name in [k for k in settings if k in commands]:
            commands[name](settings.pop(name))
        if settings:  # the cadence of records: plain values the loop reads at every step
            self.config = replace(self.config, **settings).validate()

    def _note(self, name: str, old, new) -> None:
        """Note a live setting's change at this iteration. Changes before the first step describe the start,
        not a change of course, and are not noted; several changes of one setting at one iteration (a slider
        dragged while paused) are one change from the first value to the last. A new list: replicas share it."""
        if self.iteration == 0:
            return
        events = list(self.events)
        same = [e for e in events if e[0] == self.iteration and e[1] == name]
        if same:
            events.remove(same[0])
            old = same[0][2]
        if old != new:
            events.append((self.iteration, name, old, new))
        self.events = events[-MAX_EVENTS:]

    def _check(self, name: str, value):
        problem = SETTINGS[name].problem(value)
        if problem:
            raise ValueError(problem)

    # ------------------------------------------------------------------ training
    def train(self, steps: int | None = None, seconds: float | None = None,
              callback: Callable[[Trainer], bool | None] | None = None, every: float = 0.25,
              training_seconds: float | None = None) -> int:
        """The training loop. Trains until `steps` steps are taken, `seconds` of wall time have passed (a
        time box, for live UIs) or `training_seconds` of training time have (evaluation, samples and health
        records not counted: a CLI or sweep budget), whichever comes first; or training diverges, or
        `callback` returns False. `callback(trainer)` runs between steps at most every `every` seconds
        (progress, run recording, cancellation); it does not change what a step computes. Returns the
        number of steps taken."""
        if steps is None and seconds is None and training_seconds is None and callback is None:
            raise ValueError("give train() a budget (steps or seconds) or a callback that stops it")
        if self.read_only:
            raise RuntimeError("this Trainer is a replica of a live model: send the model a command to train it")
        start = time.perf_counter()
        deadline = None if seconds is None else start + seconds
        training_deadline = None if training_seconds is None else self.seconds + training_seconds
        last_call, taken = start, 0
        with self._training_context():
            while self.status != "diverged" and (steps is None or taken < steps):
                if deadline is not None and time.perf_counter() >= deadline:
                    break
                if training_deadline is not None and self.seconds >= training_deadline:
                    break
                with uninterrupted:  # Ctrl-C or a stop signal lands between steps, never inside one
                    stepped = self._one_step()
                if not stepped:
                    break
                taken += 1
                if callback is not None and time.perf_counter() - last_call >= every:
                    last_call = time.perf_counter()
                    if callback(self) is False:
                        break
        return taken

    def step(self, n: int = 1) -> int:
        """Take up to n training steps; stops early if training diverges. Returns steps taken."""
        return self.train(steps=n)

    def train_for(self, seconds: float, max_steps: int | None = None) -> int:
        """Train until `seconds` of wall time have passed (time-boxed, for live UIs)."""
        return self.train(steps=max_steps, seconds=seconds)

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
        # A copy of the state before this step, every KEEP_EVERY iterations; it becomes the known-good state
        # once this step shows that its loss is healthy (taken first: _next_batch may wrap the data).
        good, candidate = self._good, None
        if good is None or (self.iteration % KEEP_EVERY == 0 and self.iteration > good["counters"]["iteration"]):
            candidate = self._copy_state(self._spare)
        inputs, targets = self._next_batch()
        h_prev = self.h
        # inverted dropout from the trainer's random stream (part of the saved state), so resume is exact
        masks = cells.dropout_masks(self.rng, cfg.dropout, (*inputs.shape, cfg.hidden_size), cfg.num_layers,
                                    self.flat_params.dtype)
        plan = self._workspace.threads = self.threads.plan()
        started = time.perf_counter()
        loss, _, h_last = loss_and_grads(self.params, inputs, targets, self.h, grads_out=self.grads,
                                         workspace=self._workspace, masks=masks)
        self.threads.record(plan, time.perf_counter() - started)
        per_char = loss / inputs.size
        norm, clipped = clip_grads({"all": self.flat_grads}, cfg.clip)  # in place; unused if we stop
        reference = divergence_reference(self.smooth_loss)
        recent = recent_update(self.recent_loss, per_char)
        if is_divergent(per_char, norm, recent, reference, cfg.divergence_factor):
            self._diverged(good or candidate, per_char, recent, reference)
            return False
        if candidate is not None:  # keep the spare's arrays for the next copy
            healthy = per_char <= HEALTHY * reference
            self._good, self._spare = (candidate, good) if healthy else (good, candidate)
        self.recent_loss = recent
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
        if len(hist["loss"]) > LIMIT:
            self.history = hist.compacted()
        if cfg.eval_every and self.iteration % cfg.eval_every == 0:
            self.evaluate()
        if cfg.sample_every and self.iteration % cfg.sample_every == 0:
            self.record_sample()
        # health records read Whh and tanh saturation: the single-layer vanilla RNN's so far (issue 11, item 5)
        if cfg.health_every and self.iteration % self.health_interval == 0 and cells.is_plain(self.params):
            self._record_health(inputs, h_prev)
        return True

    @property
    def health_interval(self) -> int:
        """Iterations between health records: health_every, stretched for big models because the
        eigenvalues of Whh cost O(H^3) against O(T H^2) per step, so the records would outweigh training."""
        return self.config.health_every * max(1, round((self.config.hidden_size / 128) ** 2))

    def _record_health(self, inputs, h_prev):
        """Spectral radius of Whh and saturated-unit share (re-reading this step's chunk with the updated
        weights: one extra forward pass every health_every steps), with the recent grad norm and clip rate."""
        from .insight.health import HealthRecord, health_snapshot

        snap = health_snapshot(self.params, inputs, h_prev)
        window = self.health_interval
        self.health_history = thin(self.health_history + [HealthRecord(
            iteration=self.iteration, spectral_radius=snap.spectral_radius, saturated_share=snap.saturated_share,
            grad_norm=float(np.mean(self.history["grad_norm"][-window:])), clip_rate=self.clip_rate(window))])

    def resume(self):
        """Clear a divergence stop so training can continue (for example after lowering the LR). The guard's
        recent average starts again from the smoothed loss (after going back it is already close to it)."""
        if self.status == "diverged":
            self.status = "ready"
            self.message = ""
            self.recent_loss = self.smooth_loss

    def would_diverge(self, loss_per_char: float, grad_norm: float) -> bool:
        """Whether the guard would refuse a step with this loss and (clipped) gradient norm, from here."""
        recent = recent_update(self.recent_loss, loss_per_char)
        return is_divergent(loss_per_char, grad_norm, recent, divergence_reference(self.smooth_loss),
                            self.config.divergence_factor)

    # ------------------------------------------------------------------ the known-good state
    GOOD_COUNTERS = ("iteration", "epoch", "pointer", "chars_trained", "seconds", "smooth_loss", "recent_loss")

    def _copy_state(self, into: dict | None = None) -> dict:
        """A copy of everything a step changes: parameters, optimizer memory, hidden state, random stream,
        counters and the length of the histories. Written into `into`'s arrays when they fit (no allocation)."""
        opt = self.optimizer.state_dict()
        if into is None or into["optimizer"] != self.optimizer.name or into["h"].shape != self.h.shape:
            into = {"params": np.empty_like(self.flat_params), "h": np.empty_like(self.h),
                    "opt": {k: np.empty_like(v) for k, v in opt.items()}, "optimizer": self.optimizer.name}
        np.copyto(into["params"], self.flat_params)
        np.copyto(into["h"], self.h)
        for k, v in opt.items():
            np.copyto(into["opt"][k], v)
        into["rng"] = self.rng.bit_generator.state
        into["counters"] = {k: getattr(self, k) for k in self.GOOD_COUNTERS}
        into["n_history"] = self.history.total
        return into

    def _diverged(self, good: dict, per_char: float, recent: float, reference: float) -> None:
        """Stop, and go back to the known-good state `good`; the records after it are cut off."""
        at = self.iteration
        np.copyto(self.flat_params, good["params"])
        self.h = good["h"].copy()
        if good["optimizer"] == self.optimizer.name:
            self.optimizer.load_state_dict(good["opt"])
        else:  # switched optimizer since: its memory starts empty again, as it did at the switch
            self.optimizer = make_optimizer(self.optimizer.name, {"all": self.flat_params}, self.optimizer.lr)
        self.rng.bit_generator.state = good["rng"]
        for k, v in good["counters"].items():
            setattr(self, k, v)
        n, back = good["n_history"], self.iteration
        # new lists, never cut in place: a page may be drawing the old ones
        self.history = self.history.until(n)
        self.val_history = [(i, v) for i, v in self.val_history if i <= back]
        self.samples = [(i, t) for i, t in self.samples if i <= back]
        self.health_history = [r for r in self.health_history if r.iteration <= back]
        # the settings stay as they are after going back: changes made since apply from where it went back to
        self.events = [(min(i, back), *rest) for i, *rest in self.events]
        if good is self._good:
            kept = (f"Went back to iteration {back}, the last state known good: its parameters, optimizer memory, "
                    "hidden state, data position and random stream are restored, and the curves and samples after "
                    f"it are dropped ({at - back} step(s) undone).")
        else:  # the copy from before this step: no earlier state was checked yet (just built or loaded)
            self._good, self._spare = good, None
            kept = (f"No earlier state was known good (the model was just loaded), so it stays at iteration {back}: "
                    "this step's update was not applied.")
        self.status = "diverged"
        self.message = (
            f"Training diverged at iteration {at}: loss {per_char:.3g} nats/char, recent average {recent:.3g} "
            f"against a smoothed {reference:.3g}. {kept} Lower the learning rate or the clip value, then continue "
            "or reset."
        )

    def set_threads(self, threads: int | str | None) -> None:
        """BLAS threads for the next steps: 'auto', a count, or None for $RNN_LAB_THREADS (rnn/threads.py).
        The numbers do not depend on it, so it is not part of the training state. The models of rnn/cells run
        on one thread (only the vanilla fast path switches threads per kind of product), and say so."""
        if not cells.is_plain(self.params):
            threads = 1
        self.threads = ThreadChooser(threads, self.config.batch_size, self.config.hidden_size)

    # ------------------------------------------------------------------ evaluation
    def evaluate(self) -> float | None:
        """Validation loss in nats/char (None without a validation split); appended to val_history."""
        if self.corpus.val is None:
            return None
        # Start from the carried state: validation text continues the training text.
        started = time.perf_counter()
        val = evaluate_loss(self.params, self.corpus.val, max_chars=self.config.eval_max_chars, h0=self.h[0])
        self.eval_seconds += time.perf_counter() - started
        if self.val_history and self.val_history[-1][0] == self.iteration:
            self.val_history[-1] = (self.iteration, val)
        else:
            self.val_history = thin(self.val_history + [(self.iteration, val)])  # new list: replicas share it
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

    # ------------------------------------------------------------------ replicas (rnn/service)
    # A live model trains in a worker process; the server keeps a replica that pages read. These three
    # methods are how a replica follows the model: light state often, the arrays when a page needs them.
    COUNTERS = ("iteration", "epoch", "pointer", "chars_trained", "seconds", "smooth_loss", "recent_loss",
                "status", "message", "events")

    def export_state(self, arrays: bool = True) -> dict:
        """Config and counters, and with `arrays` copies of everything else a step changes."""
        state = {"config": self.config, "counters": {k: getattr(self, k) for k in self.COUNTERS}}
        if arrays:
            state.update(params=self.flat_params.copy(), h=self.h.copy(), optimizer=self.optimizer.name,
                         lr=self.optimizer.lr, opt={k: v.copy() for k, v in self.optimizer.state_dict().items()},
                         rng=self.rng.bit_generator.state)
        return state

    def load_state(self, state: dict) -> None:
        """Become the trainer `state` was exported from (same corpus and shape; see export_state)."""
        config = state["config"]
        if config.seq_length != self.config.seq_length:
            self.set_seq_length(config.seq_length)  # the data windows follow it
        self.config = config
        for k, v in state["counters"].items():
            setattr(self, k, v)
        if "params" in state:
            self.flat_params[...] = state["params"]
            self.h = state["h"].copy()
            self.set_optimizer(state["optimizer"], state["lr"])
            self.optimizer.load_state_dict(state["opt"])
            self.rng.bit_generator.state = state["rng"]

    def merge_records(self, history_from: int, history: dict, val_history: list, samples_from: int,
                      samples: list, health_history: list, history_bins: dict | None = None) -> None:
        """Append the history entries from step `history_from` (0 replaces it; with `history_bins`, those
        bins and entries are the whole history) and the newest records. New lists and bins, never changed
        in place: a page drawing the old ones in another thread sees them whole."""
        if history_bins is not None:
            self.history = History(history, history_bins)
        else:
            self.history = self.history.extended(history_from, history)
        self.samples = self.samples[:samples_from] + list(samples)
        self.val_history = list(val_history)
        self.health_history = list(health_history)
