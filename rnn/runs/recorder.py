"""RunRecorder: writes a Trainer's progress to the run store now and then, and its result at the end.

    recorder = RunRecorder(trainer, source="cli")      # creates the run row (status "running")
    trainer.train(steps=1000, callback=lambda t: recorder.update())  # throttled: every `every` seconds
    recorder.finish()                                   # final metrics, checkpoint, "finished"/"diverged"

Each write is one transaction holding the new metric rows and the run's summary, so a reader always
sees a consistent run, and a process killed between writes leaves a run that reads as "killed".
"""

from __future__ import annotations

import json
import math
import os
import sys
import time

import numpy as np

from ..history import total_steps
from .store import RunStore


def trainer_summary(trainer, wall_seconds: float | None = None) -> dict:
    """The run-table fields that describe a trainer's current state."""
    recent = [x for x in trainer.history["loss"][-100:] if x is not None]
    out = {
        "iterations": int(trainer.iteration),
        "chars_trained": int(trainer.chars_trained),
        "train_seconds": float(trainer.seconds),
        "chars_per_sec": float(trainer.chars_per_sec) if trainer.seconds > 0 else None,
        "train_loss": float(sum(recent) / len(recent)) if recent else None,
        "val_loss": trainer.last_val_loss,
        "message": trainer.message or "",
    }
    if wall_seconds is not None:
        out["duration"] = float(wall_seconds)
    return out


DENSE_STEPS = 5000  # every step is stored up to here; then windows that double as the run doubles


def stride_at(iteration: int) -> int:
    """Steps per stored metric row around `iteration`: 1 up to DENSE_STEPS, then 2, 4, 8, ... so a run of
    N steps stores about DENSE_STEPS * (1 + log2(N / DENSE_STEPS) / 2) rows, not N (a live dashboard run
    can take thousands of steps a second)."""
    if iteration <= DENSE_STEPS:
        return 1
    return 1 << math.ceil(math.log2(iteration / DENSE_STEPS))


def history_rows(trainer, start: int = 0, final: bool = True) -> tuple[list[tuple], int]:
    """Metric rows (iteration, chars, seconds, loss, smooth_loss) for history steps from `start` (0-based,
    counting the binned steps, see rnn/history.py), and the first step not yet covered. A row closes a window
    of stride_at() steps; its loss is the window's mean. With final=False an unfinished window stays pending
    for the next call. Steps binned before they were written give one row per bin instead.
    The history holds one entry per step, the last one being the trainer's current iteration."""
    hist = trainer.history
    losses, seconds, smooth = hist["loss"], hist["seconds"], hist["smooth_loss"]
    h0 = getattr(hist, "start", 0)  # steps in bins (a plain dict of lists has none)
    n = h0 + len(losses)
    first_iter = trainer.iteration - n + 1
    per_step = trainer.config.batch_size * trainer.config.seq_length
    rows = []
    if start < h0:
        bins = hist.bins
        ends = np.cumsum(bins["steps"])
        for j in np.flatnonzero(ends > start):
            end = int(ends[j])
            rows.append((first_iter + end - 1, trainer.chars_trained - (n - end) * per_step,
                         float(bins["seconds"][j]), float(bins["loss"][j]), float(bins["smooth_loss"][j])))
        start = h0
    window_start = start
    for i in range(start - h0, n - h0):
        it = first_iter + h0 + i
        if it % stride_at(it) == 0 or (final and i == n - h0 - 1):
            window = losses[window_start - h0:i + 1]
            rows.append((it, trainer.chars_trained - (n - h0 - 1 - i) * per_step, seconds[i],
                         sum(window) / len(window), smooth[i]))
            window_start = h0 + i + 1
    return rows, window_start


def run_config(trainer) -> dict:
    return json.loads(trainer.config.to_json())


class RunRecorder:
    """Records one Trainer as one run of the store, from creation to its final status.

    Creating it creates the run row (status "running") and writes the history the trainer already has (a
    resumed checkpoint's past), so the run's curve starts at step 1. `update()` then writes what is new at
    most every `every` seconds: the trainer can step thousands of times a second, and the store is SQLite on
    disk. Each write adds only the metric rows not yet written (strided by stride_at, so a long run stays
    small) and refreshes the summary, in one transaction. `finish()` records the final status ("finished" or
    "diverged") with a checkpoint, `fail()` a "failed" or "killed" one; used as a context manager, it picks
    between them by how the block ended. `save()` writes a checkpoint without ending the run (a live model
    that pauses or autosaves). The trainer itself is only read, never changed.
    """

    def __init__(self, trainer, store: RunStore | None = None, *, name: str | None = None, source: str = "cli",
                 tags=(), every: float = 5.0, save_checkpoint: bool = True, sweep_id: int | None = None,
                 model_key: str | None = None, run_id: int | None = None):
        self.store = store if store is not None else RunStore()
        self.trainer = trainer
        self.every = every
        self.save_checkpoint = save_checkpoint
        self.t0 = time.perf_counter()
        self.last_write = self.t0
        self.done = False
        corpus = trainer.corpus
        if run_id is None:
            run_id = self.store.create_run(
                config=run_config(trainer), name=name, source=source, corpus_name=corpus.name,
                corpus_fingerprint=corpus.fingerprint, vocab_size=trainer.vocab.size, tags=tags, sweep_id=sweep_id,
                model_key=model_key,
            )
        self.run_id = run_id  # given: a reopened model continues its run (metric rows are keyed by iteration)
        # A resumed checkpoint brings its past history: record it too, so the run's curve starts at step 1.
        self._written = 0
        self._val_written = -1  # the last validation iteration written
        self.update(force=True)

    def _pending(self, final: bool = True):
        rows, self._next = history_rows(self.trainer, self._written, final)
        # by iteration, not position: old validation points are thinned out of a long run's list
        vals = [p for p in self.trainer.val_history if p[0] > self._val_written]
        return rows, vals

    def update(self, force: bool = False, **fields) -> bool:
        """Write new metrics and the summary if `every` seconds have passed (or force), with any extra run
        fields (e.g. status). Returns True if written."""
        now = time.perf_counter()
        if self.done or (not force and now - self.last_write < self.every):
            return False
        if total_steps(self.trainer.history) < self._written:  # the history was replaced: write it again
            self._written, self._val_written = 0, -1
        rows, vals = self._pending(final=False)
        self.store.update_run(self.run_id, metrics=rows, val_metrics=vals, config=run_config(self.trainer),
                              **trainer_summary(self.trainer, now - self.t0), **fields)
        self._written = self._next
        self._val_written = max([self._val_written] + [i for i, _ in vals])
        self.last_write = now
        return True

    def finish(self, status: str | None = None, message: str | None = None) -> str:
        """Record the final state (and a checkpoint); status defaults to 'diverged' or 'finished'."""
        if self.done:
            return status or ""
        status = status or ("diverged" if self.trainer.status == "diverged" else "finished")
        checkpoint = None
        if self.save_checkpoint:
            checkpoint = self._write_checkpoint()
        rows, vals = self._pending()
        fields = trainer_summary(self.trainer, time.perf_counter() - self.t0)
        if message is not None:
            fields["message"] = message
        if checkpoint:
            fields["checkpoint"] = checkpoint
        self.store.finish_run(self.run_id, status, metrics=rows, val_metrics=vals,
                              config=run_config(self.trainer), **fields)
        self.done = True
        return status

    def save(self, status: str = "paused") -> bool:
        """Metrics, a checkpoint and `status`, without finishing: a live model that pauses (or autosaves
        while it trains, status "running") continues the same run later. False if no checkpoint was written."""
        if self.done:
            return False
        checkpoint = self._write_checkpoint() if self.save_checkpoint else None
        fields = {"status": status, "checkpoint": checkpoint} if checkpoint else {"status": status}
        self.update(force=True, **fields)
        return checkpoint is not None

    def fail(self, message: str, status: str = "failed") -> None:
        """Mark the run failed (an error) or killed (interrupted), keeping what was recorded."""
        if self.done:
            return
        rows, vals = self._pending()
        self.store.finish_run(self.run_id, status, metrics=rows, val_metrics=vals, message=message[:2000],
                              **{k: v for k, v in trainer_summary(self.trainer, time.perf_counter() - self.t0).items()
                                 if k != "message"})
        self.done = True

    def _write_checkpoint(self) -> str | None:
        from ..checkpoint import save_checkpoint

        path = self.store.checkpoint_path(self.run_id)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            with open(tmp, "wb") as f:
                save_checkpoint(self.trainer, f)
            os.replace(tmp, path)  # atomic: a reader never sees half a checkpoint
        except OSError:
            tmp.unlink(missing_ok=True)
            return None
        return str(path)

    # `with RunRecorder(...) as rec:` finishes on success, marks failed/killed on an exception.
    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.finish()
        elif issubclass(exc_type, KeyboardInterrupt):
            self.fail("interrupted", status="killed")
        else:
            self.fail(f"{exc_type.__name__}: {exc}")
        return False


class SafeRecorder:
    """A RunRecorder that never stops training: if the store cannot be used, it warns once on stderr and
    goes quiet. Used by the CLI (recording is a convenience there, training is the job)."""

    def __init__(self, trainer, *, enabled: bool = True, warn=None, **kwargs):
        self.rec: RunRecorder | None = None
        self._warn = warn or (lambda msg: print(msg, file=sys.stderr))
        if enabled:
            self._call(lambda: setattr(self, "rec", RunRecorder(trainer, **kwargs)))

    @property
    def run_id(self) -> int | None:
        return self.rec.run_id if self.rec else None

    def _call(self, fn):
        try:
            return fn()
        except Exception as exc:  # any store failure: keep training, say why nothing is recorded
            self.rec = None
            self._warn(f"warning: this run is not recorded ({exc}); training continues")
            return None

    def update(self, force: bool = False):
        if self.rec:
            self._call(lambda: self.rec.update(force))

    def finish(self, status: str | None = None):
        if self.rec:
            self._call(lambda: self.rec.finish(status))

    def save(self, status: str = "paused"):
        if self.rec:
            self._call(lambda: self.rec.save(status))

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if self.rec:
            self._call(lambda: self.rec.__exit__(exc_type, exc, tb))
        return False
