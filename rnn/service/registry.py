"""The server's side of live models: which worker hosts each model, its replica, commands and their replies.

One Registry per server process. A model is created from a corpus and a config, or reopened by its id from
the run store (its last checkpoint) after a restart or when its worker died. The replica is an ordinary
Trainer that never trains: `view()` brings it up to date from the worker's snapshots (and, with
fresh=True, its arrays), so pages read it as they always read a Trainer.
"""

from __future__ import annotations

import atexit
import itertools
import os
import threading
import time
from dataclasses import dataclass, field

from ..checkpoint import load_checkpoint
from ..corpus import Corpus
from ..runs.store import RunStore, RunStoreError, default_home
from ..train import TrainConfig, Trainer
from .protocol import Command, Evicted, Open, Reply, Snapshot, State, new_model_id
from .worker import ProcessWorker

TOUCH_EVERY = 2.0  # seconds between "a page is looking" messages per model (the worker pauses unwatched ones)
REPLY_TIMEOUT = 10.0  # a command the worker has not answered by then is reported as still under way


def _replica(trainer: Trainer) -> Trainer:
    """Mark a trainer as a replica: it follows its model and refuses to train (pages send commands instead)."""
    trainer.read_only = True
    return trainer


class UnknownModel(LookupError):
    """No model has this id here or in the run store (a mistyped or deleted link)."""


@dataclass
class Live:
    """What the server holds for one model."""

    model_id: str
    replica: Trainer
    worker: object
    generation: int = 1
    snapshots: list = field(default_factory=list)  # received, not yet applied to the replica
    state: State | None = None
    running: bool = False
    pending_steps: int = 0
    ordered: int = 0  # the last run/pause/step sent: snapshots older than it do not say whether the model runs
    run_id: int | None = None
    sample: tuple[int, str] | None = None
    note: str = ""
    version: int = 0
    arrays_version: int = 0  # the version whose arrays the replica holds
    last_touch: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    state_ready: threading.Condition = None

    def __post_init__(self):
        self.state_ready = threading.Condition(self.lock)


class Registry:
    """Live models of one server. Workers: processes on this machine, or Ray actors (backend "ray", the
    default when RAY_ADDRESS is set); as many as cores (RNN_LAB_WORKERS to change it), started on demand."""

    def __init__(self, workers: int | None = None, store_home: str | None = None, backend: str | None = None):
        self.size = workers or int(os.environ.get("RNN_LAB_WORKERS") or os.cpu_count() or 1)
        self._home = store_home
        self.backend = backend or ("ray" if os.environ.get("RAY_ADDRESS") else "process")
        if self.backend not in ("process", "ray"):
            raise ValueError(f"unknown backend {self.backend!r}; use 'process' or 'ray'")
        self._workers: list = []
        self._models: dict[str, Live] = {}
        self._replies: dict[int, list] = {}  # seq -> [threading.Event, error]
        self._seq = itertools.count(1)
        self._lock = threading.RLock()
        atexit.register(self.shutdown)

    @property
    def store_home(self) -> str:
        """The run store the models record into: the given folder, else RNN_LAB_HOME as it is now."""
        return os.path.abspath(self._home or default_home())

    def _open(self, live: Live, **fields) -> None:
        live.worker.send(Open(live.model_id, live.generation, store_home=self.store_home, **fields))

    # ------------------------------------------------------------------ models
    def create(self, corpus: Corpus, config: TrainConfig, name: str = "") -> str:
        """A new model (ValueError, and nothing created, if the config does not fit the corpus)."""
        replica = _replica(Trainer(corpus, config))
        model_id = new_model_id()
        with self._lock:
            live = Live(model_id, replica, self._least_loaded())
            self._models[model_id] = live
        self._open(live, corpus=corpus, config=config, name=name)
        return model_id

    def adopt(self, trainer: Trainer, name: str = "") -> str:
        """A new live model that starts as a copy of `trainer` (trained or not)."""
        model_id = self.create(trainer.corpus, trainer.config, name=name)
        if trainer.iteration or trainer.history["loss"]:
            self.replace(model_id, trainer, name=name)
        return model_id

    def replace(self, model_id: str, trainer: Trainer, name: str = "") -> Trainer:
        """Give the model a new trainer (Reset, a new shape or corpus, an uploaded checkpoint, a stored run): the
        old run is complete and a new one starts. The worker and the replica both start as copies of `trainer`
        (rebuilt from its corpus and config when untrained, else from its checkpoint); returns the replica."""
        from ..checkpoint import checkpoint_bytes

        live = self._live(model_id)
        fresh = trainer.iteration == 0 and not trainer.history["loss"]
        data = None if fresh else checkpoint_bytes(trainer)
        replica = _replica(Trainer(trainer.corpus, trainer.config) if fresh else load_checkpoint(data))
        with live.lock:
            live.generation += 1
            live.replica, live.snapshots, live.state, live.arrays_version = replica, [], None, 0
            live.running, live.pending_steps, live.sample, live.note, live.version = False, 0, None, "", 0
            live.ordered = 0
        if fresh:
            self._open(live, corpus=trainer.corpus, config=trainer.config, name=name)
        else:
            self._open(live, checkpoint=data, name=name)
        return replica

    def attach(self, model_id: str) -> bool:
        """True if the model is here or could be reopened from the run store; UnknownModel otherwise."""
        self._live(model_id)
        return True

    def _live(self, model_id: str) -> Live:
        with self._lock:
            live = self._models.get(model_id)
            if live is not None and live.worker.alive:
                return live
            return self._reopen(model_id)

    def _reopen(self, model_id: str) -> Live:
        """Load the model's last checkpoint from the run store into a worker (after a restart, or after its
        worker died). Its run continues."""
        try:
            rec = RunStore(self.store_home).latest_run_of_model(model_id)
        except RunStoreError:
            rec = None
        if rec is None or not rec.checkpoint or not os.path.isfile(rec.checkpoint):
            self._models.pop(model_id, None)
            raise UnknownModel(model_id)
        with open(rec.checkpoint, "rb") as f:
            data = f.read()
        replica = _replica(load_checkpoint(data))
        live = Live(model_id, replica, self._least_loaded(), run_id=rec.id,
                    note=f"Reopened from its last checkpoint (iteration {replica.iteration:,}).")
        self._models[model_id] = live
        self._open(live, checkpoint=data, run_id=rec.id, name=rec.name)
        return live

    # ------------------------------------------------------------------ commands
    def command(self, model_id: str, name: str, wait: bool = True, timeout: float = REPLY_TIMEOUT, **args):
        """Send a command (step n=, run, pause, change **settings, record_sample); with wait, return the worker's
        error message (None: done) or "timeout"."""
        live = self._live(model_id)
        seq = next(self._seq)
        waiter = [threading.Event(), None]
        if wait:
            self._replies[seq] = waiter
        with live.lock:  # what the page shows next already reflects the command
            if name in ("run", "pause", "step"):
                live.ordered = seq
            if name == "run":
                live.running = True
            elif name == "pause":
                live.running, live.pending_steps = False, 0
        live.worker.send(Command(model_id, seq, name, args))
        if not wait:
            return None
        try:
            return waiter[1] if waiter[0].wait(timeout) else "timeout"
        finally:
            self._replies.pop(seq, None)

    def view(self, model_id: str, fresh: bool = False, timeout: float = 5.0) -> Trainer:
        """The model's replica, up to date with the latest snapshot (and with fresh, with the model's arrays:
        parameters, hidden state, optimizer memory)."""
        live = self._live(model_id)
        now = time.monotonic()
        if now - live.last_touch >= TOUCH_EVERY:
            live.last_touch = now
            self.command(model_id, "touch", wait=False)
        with live.lock:
            version = live.version
            stale = fresh and live.arrays_version != version
            if stale:
                live.state = None
        if stale:  # the model moved since the replica's arrays were copied: ask for them
            self.command(model_id, "state", wait=False)
            with live.lock:
                live.state_ready.wait_for(lambda: live.state is not None and live.state.version >= version, timeout)
        with live.lock:
            self._apply(live)
            return live.replica

    def checkpoint(self, model_id: str) -> bytes:
        """The model's checkpoint as it is now (for a download)."""
        from ..checkpoint import checkpoint_bytes

        live = self._live(model_id)
        self.view(model_id, fresh=True)
        with live.lock:  # no snapshot is applied halfway through
            return checkpoint_bytes(live.replica)

    def status(self, model_id: str) -> Live:
        """The server's record of the model: running, pending_steps, note, run_id, sample (read-only use)."""
        return self._live(model_id)

    def running_per_worker(self) -> float:
        """Training models per worker (0 when none trains): above 1, they share the workers' time."""
        with self._lock:
            running = sum(1 for live in self._models.values() if live.running or live.pending_steps)
        return running / self.size

    def _apply(self, live: Live) -> None:
        for snap in live.snapshots:
            live.replica.merge_records(snap.history_from, snap.history, snap.val_history, snap.samples_from,
                                       snap.samples, snap.health_history, snap.history_bins)
            live.replica.load_state({"config": snap.config, "counters": snap.counters})
        live.snapshots.clear()
        if live.state is not None and live.state.generation == live.generation:
            live.replica.load_state(live.state.arrays)
            live.arrays_version = live.state.version
            live.state = None

    # ------------------------------------------------------------------ events from workers
    def _on_event(self, event) -> None:
        if isinstance(event, Reply):
            waiter = self._replies.get(event.seq)
            if waiter is not None:
                waiter[1] = event.error
                waiter[0].set()
            return
        live = self._models.get(event.model_id)
        if live is None or event.generation != live.generation:
            return  # an older trainer of the model: its news no longer matters
        if isinstance(event, Evicted):
            with self._lock:
                self._models.pop(event.model_id, None)
            return
        with live.lock:
            if isinstance(event, Snapshot):
                live.snapshots.append(event)
                if event.acked >= live.ordered:  # else it was taken before the worker saw the last Run/Pause
                    live.running, live.pending_steps = event.running, event.pending_steps
                live.run_id, live.sample, live.version = event.run_id, event.sample, event.version
                live.note = event.note or live.note
            elif isinstance(event, State):
                live.state = event
                live.state_ready.notify_all()

    def _on_death(self, worker) -> None:
        """A worker died: its models' runs are killed at once (their last checkpoints stay), and the next look
        at one of them reopens it from that checkpoint in a new worker."""
        with self._lock:
            if worker in self._workers:
                self._workers.remove(worker)
            lost = [live for live in self._models.values() if live.worker is worker]
            for live in lost:
                del self._models[live.model_id]
        if getattr(self, "_stopping", False):
            return
        store = RunStore(self.store_home)
        for live in lost:
            if live.run_id is not None:
                try:
                    store.finish_run(live.run_id, "killed", message="its worker process stopped")
                except RunStoreError:
                    pass

    # ------------------------------------------------------------------ workers
    def _least_loaded(self):
        """A live worker with the fewest models; a new one while the pool is not full."""
        self._workers = [w for w in self._workers if w.alive]
        load = {id(w): 0 for w in self._workers}
        for live in self._models.values():
            if id(live.worker) in load:
                load[id(live.worker)] += 1
        if len(self._workers) < self.size and all(load.values()) or not self._workers:
            if self.backend == "ray":
                from .ray_worker import RayWorker as Worker
            else:
                Worker = ProcessWorker
            worker = Worker(len(self._workers), self._on_event, self._on_death, self._home)
            self._workers.append(worker)
            return worker
        return min(self._workers, key=lambda w: load[id(w)])

    def shutdown(self) -> None:
        """Save every model and stop the workers (at server exit)."""
        self._stopping = True
        for worker in list(self._workers):
            worker.stop()
        self._workers.clear()
