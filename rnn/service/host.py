"""The models one worker hosts: each trains in short slices, in turn, and reports what changed.

A ModelHost has no threads and no I/O of its own besides the run store: a worker process (worker.py) or a
Ray actor feeds it messages (`handle`), lets it train (`work`) and does its housekeeping (`tick`), and
sends on the events it emits. That keeps the scheduling testable in one process, step by step.

Time slices, not whole commands: Step 100 on a big model or Run on many models share the worker fairly,
and Pause takes effect within one slice. The Trainer does every step (Step N in slices is bit for bit
Step N at once).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

from ..checkpoint import load_checkpoint
from ..runs.recorder import SafeRecorder
from ..runs.store import RunStore
from ..sample import sample
from ..train import Trainer
from .protocol import Close, Command, Evicted, Open, Reply, Snapshot, State


def _seconds(name: str, default: float) -> float:
    """A timing that tests (and unusual servers) may shorten through the environment."""
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


SLICE_SECONDS = 0.1  # one model's turn: Pause waits at most this long for the worker
SNAPSHOT_EVERY = 0.25  # seconds between snapshots of a training model (a page redraws about once a second)
SAMPLE_EVERY = 1.0  # seconds between latest samples of a training model (~5 ms each)
AUTOSAVE_EVERY = _seconds("RNN_LAB_AUTOSAVE_SECONDS", 10.0)  # a server restart loses at most this much
IDLE_SECONDS = _seconds("RNN_LAB_IDLE_SECONDS", 60.0)  # unwatched this long: pause and save
EVICT_SECONDS = _seconds("RNN_LAB_EVICT_SECONDS", 600.0)  # paused, saved and unwatched: free the memory
SAMPLE_LENGTH = 200


@dataclass
class Hosted:
    """One live model in a worker, and what the worker knows about it."""

    model_id: str
    generation: int
    trainer: Trainer
    name: str
    store_home: str | None = None
    recorder: SafeRecorder | None = None
    run_id: int | None = None  # continue this run on the first save (a model reopened from the store)
    running: bool = False
    pending_steps: int = 0
    step_seq: int | None = None  # the Step command that pending_steps belong to
    acked: int = 0  # the last command handled (its seq), so the server can tell stale snapshots
    touched: float = field(default_factory=time.monotonic)
    version: int = 0
    saved_version: int = 0
    last_save: float = field(default_factory=time.monotonic)
    last_snapshot: float = 0.0
    last_sample: float = 0.0
    sample: tuple[int, str] | None = None
    sent_history: int = 0
    sent_samples: int = 0
    save_soon: bool = False
    note: str = ""

    @property
    def busy(self) -> bool:
        return self.running or self.pending_steps > 0


class ModelHost:
    def __init__(self, emit, store_home: str | None = None):
        self.emit = emit  # called with each outgoing event (Snapshot, Reply, State)
        self.store_home = store_home
        self.models: dict[str, Hosted] = {}
        self._turn = 0

    # ------------------------------------------------------------------ messages
    def handle(self, msg) -> None:
        if isinstance(msg, Open):
            self._open(msg)
        elif isinstance(msg, Close):  # the server stops: keep the model to reopen later
            m = self.models.pop(msg.model_id, None)
            if m is not None:
                m.running = m.pending_steps = 0
                self._save(m)
        elif isinstance(msg, Command):
            m = self.models.get(msg.model_id)
            if m is None:
                self.emit(Reply(msg.model_id, msg.seq, "this model is not open in its worker any more"))
                return
            m.touched, m.acked = time.monotonic(), max(m.acked, msg.seq)
            try:
                self._command(m, msg)
            except ValueError as exc:  # a setting the Trainer refused: the model is unchanged
                self.emit(Reply(m.model_id, msg.seq, str(exc)))
                return
            except Exception as exc:  # noqa: BLE001 - a bug must not take the worker and its other models down
                self.emit(Reply(m.model_id, msg.seq, f"{type(exc).__name__}: {exc}"))
                return
            if msg.name not in ("touch", "state", "flush", "step"):
                self._snapshot(m)  # before the reply: a page that waited for it reads the new state
            if msg.name != "step" or m.pending_steps == 0:
                self.emit(Reply(m.model_id, msg.seq))

    def _open(self, msg: Open) -> None:
        old = self.models.get(msg.model_id)
        if old is not None:
            self._save(old, final=True)  # a new generation replaces it: its run is complete
        try:
            if msg.checkpoint is not None:
                trainer = load_checkpoint(msg.checkpoint)
            else:
                trainer = Trainer(msg.corpus, msg.config)
        except ValueError as exc:  # the server checked it already; say so if it fails here anyway
            self.models.pop(msg.model_id, None)
            self.emit(Reply(msg.model_id, -msg.generation, str(exc)))
            return
        m = Hosted(msg.model_id, msg.generation, trainer, msg.name, run_id=msg.run_id,
                   store_home=msg.store_home or self.store_home)
        self.models[msg.model_id] = m
        self._snapshot(m)

    def _command(self, m: Hosted, msg: Command) -> None:
        t, a = m.trainer, msg.args
        if msg.name == "step":
            t.resume()  # Step after a divergence means "try again from here"
            m.running = False
            m.pending_steps, m.step_seq = int(a["n"]), msg.seq
        elif msg.name == "run":
            t.resume()
            m.running, m.note = True, ""
        elif msg.name == "pause":
            m.running, m.pending_steps = False, 0
            self._finish_step(m)
        elif msg.name == "change":
            t.change(**a)
            m.version += 1
        elif msg.name == "record_sample":
            t.record_sample()
            m.version += 1
        elif msg.name == "flush":  # a reader of the run store wants the run up to date
            if m.recorder is not None:
                m.recorder.update(force=True)
        elif msg.name == "state":
            self.emit(State(m.model_id, m.generation, m.version, t.export_state()))
        elif msg.name != "touch":
            raise ValueError(f"unknown command {msg.name!r}")

    # ------------------------------------------------------------------ training
    def work(self) -> bool:
        """Give the next model with work one slice of training. False when no model has work."""
        for m in self.models.values():
            if m.save_soon:
                self._save(m)
        busy = [m for m in self.models.values() if m.busy]
        if not busy:
            return False
        m = busy[self._turn % len(busy)]
        self._turn += 1
        t = m.trainer
        taken = t.train(steps=m.pending_steps or None, seconds=SLICE_SECONDS)
        m.version += 1
        if m.pending_steps:
            m.pending_steps = 0 if t.status == "diverged" else m.pending_steps - taken
            if m.pending_steps == 0:
                self._finish_step(m)
        if t.status == "diverged" and m.running:
            m.running = False
            m.save_soon = True
        self._record(m)
        now = time.monotonic()
        if not m.busy or now - m.last_snapshot >= SNAPSHOT_EVERY:
            self._snapshot(m)
        return True

    def _finish_step(self, m: Hosted) -> None:
        m.save_soon = True  # stopped: save it (after the reply, so the page does not wait for the file)
        if m.step_seq is not None:
            seq, m.step_seq = m.step_seq, None
            self._snapshot(m)
            self.emit(Reply(m.model_id, seq))

    def tick(self) -> None:
        """Housekeeping, about once a second: pause unwatched models, autosave, free forgotten ones."""
        now = time.monotonic()
        for m in list(self.models.values()):
            unwatched = now - m.touched
            if m.busy and unwatched > IDLE_SECONDS:
                m.running, m.pending_steps, m.step_seq = False, 0, None
                m.note = f"Paused: no page had looked at this model for {IDLE_SECONDS:.0f} s."
                self._save(m)
                self._snapshot(m)
            elif m.version != m.saved_version and now - m.last_save >= AUTOSAVE_EVERY:
                self._save(m)
            elif not m.busy and m.version == m.saved_version and unwatched > EVICT_SECONDS:
                del self.models[m.model_id]  # saved: its link reopens it from the run store
                self.emit(Evicted(m.model_id, m.generation))

    # ------------------------------------------------------------------ the run store
    def _record(self, m: Hosted) -> None:
        """Start the model's run when it first trains (an untrained model is not worth a row)."""
        if m.recorder is None and m.trainer.iteration > 0:
            m.recorder = SafeRecorder(m.trainer, source="dashboard", every=AUTOSAVE_EVERY,
                                      store=RunStore(m.store_home), name=m.name, model_key=m.model_id,
                                      run_id=m.run_id, warn=lambda msg: setattr(m, "note", msg))

    def _save(self, m: Hosted, final: bool = False) -> None:
        """Checkpoint into the model's run: "running" or "paused", or with final the run's end (the model is
        replaced or leaves the worker). Nothing to save for a model that never trained."""
        self._record(m)
        if m.recorder is None:
            return
        if final:
            m.recorder.finish()  # "finished" or "diverged", with a checkpoint
        else:
            m.recorder.save("running" if m.busy else "paused")
        m.saved_version, m.last_save, m.save_soon = m.version, time.monotonic(), False

    # ------------------------------------------------------------------ snapshots
    def _snapshot(self, m: Hosted) -> None:
        t, now = m.trainer, time.monotonic()
        if t.iteration and (m.sample is None or (m.sample[0] != t.iteration and now - m.last_sample >= SAMPLE_EVERY)
                            or not m.busy and m.sample[0] != t.iteration):
            # its own seed (the iteration): drawing it never disturbs the trainer's random stream
            m.sample = (t.iteration, sample(t.params, t.vocab, SAMPLE_LENGTH, seed=t.iteration, h=t.h[0]))
            m.last_sample = now
        hist = t.history
        n_hist = hist.total
        # New steps only; the whole history (its bins too) when some unsent steps were binned meanwhile, or
        # the history was replaced.
        incremental = hist.start <= m.sent_history <= n_hist
        start = m.sent_history if incremental else hist.start
        s_start = m.sent_samples if m.sent_samples <= len(t.samples) else 0
        self.emit(Snapshot(
            model_id=m.model_id, generation=m.generation, version=m.version, running=m.running,
            pending_steps=m.pending_steps, run_id=m.recorder.run_id if m.recorder else m.run_id,
            config=t.config, counters=t.export_state(arrays=False)["counters"],
            history_from=start, history=hist.since(start), history_bins=None if incremental else hist.bins,
            val_history=list(t.val_history), samples_from=s_start, samples=t.samples[s_start:],
            health_history=list(t.health_history), sample=m.sample, note=m.note, acked=m.acked,
        ))
        m.sent_history, m.sent_samples, m.last_snapshot = n_hist, len(t.samples), now
