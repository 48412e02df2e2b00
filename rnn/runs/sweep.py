"""Hyperparameter sweeps: grid or random search, each run trained for a fixed budget and recorded.

Backends:
- "process": a ProcessPoolExecutor sized to the machine's cores. Each worker records its run live in the
  store (heartbeat, metrics), so progress and cancellation work through the database.
- "ray": tasks on a Ray cluster (`RAY_ADDRESS`, or a local instance). Workers may be on other machines
  without the database, so each task returns its metrics and checkpoint and the driver records them.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import os
import random
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass, field, fields, replace

from ..config import SETTINGS
from ..lifecycle import handle_stop_signals, watch_parent
from ..threads import ENV as THREADS_ENV
from .store import RunStore

# The sweepable settings (rnn/config.py marks them), in the order run names list them.
AXES = [s.name for s in SETTINGS.values() if s.sweep]
MAX_RUNS = 1000


@dataclass
class SweepSpec:
    """What to sweep. `grid` maps TrainConfig fields (AXES) to lists of values; `random` > 0 draws that many
    configs (log-scale settings such as the learning rate log-uniformly between the smallest and largest
    given value, the rest uniformly from the given choices) instead of the full grid. Budget: `steps` or
    `seconds` per run, or both (a run stops at whichever comes first). This is what the run store keeps for a
    sweep, and what its process runs."""

    grid: dict = field(default_factory=dict)
    builtin: str | None = None
    corpus_file: str | None = None
    corpus_name: str | None = None  # shown name of a corpus file (default: the file's name)
    val_fraction: float = 0.1
    steps: int | None = 200
    seconds: float | None = None
    random: int = 0
    seed: int = 0
    base: dict = field(default_factory=dict)  # fixed TrainConfig fields (clip, dtype, seed, eval_every, ...)
    name: str = "sweep"
    tags: list = field(default_factory=list)

    @classmethod
    def from_dict(cls, d: dict) -> SweepSpec:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})

    def validate(self) -> SweepSpec:
        unknown = set(self.grid) - set(AXES)
        if unknown:
            raise ValueError(f"cannot sweep {', '.join(sorted(unknown))}; choose from {', '.join(AXES)}")
        for k, values in self.grid.items():
            if not values:
                raise ValueError(f"--{SETTINGS[k].flag} needs at least one value")
            problems = [p for v in values if (p := SETTINGS[k].problem(v))]
            if problems:
                raise ValueError(problems[0])
        if self.steps is None and self.seconds is None:  # both: whichever comes first (the dashboard's cap)
            raise ValueError("give a budget per run: steps or seconds")
        if self.steps is not None and self.steps < 1:
            raise ValueError("steps per run must be at least 1")
        if self.seconds is not None and not (self.seconds > 0 and math.isfinite(self.seconds)):
            raise ValueError("seconds per run must be a positive number")
        if self.random < 0:
            raise ValueError("--random must be >= 0")
        if self.builtin and self.corpus_file:
            raise ValueError("give either a built-in corpus or a corpus file, not both")
        n = len(expand(self))
        if n > MAX_RUNS:
            raise ValueError(f"the sweep has {n} runs, more than the limit of {MAX_RUNS}; use --random N")
        return self


def expand(spec: SweepSpec) -> list[dict]:
    """The list of TrainConfig overrides, one per run (the grid's cartesian product, or random draws)."""
    keys = [k for k in AXES if k in spec.grid]
    if spec.random:
        rng = random.Random(spec.seed)
        out = []
        for _ in range(spec.random):
            cfg = {}
            for k in keys:
                values = spec.grid[k]
                if SETTINGS[k].log and len(values) > 1:
                    lo, hi = math.log(min(values)), math.log(max(values))
                    cfg[k] = float(f"{math.exp(rng.uniform(lo, hi)):.4g}")
                else:
                    cfg[k] = rng.choice(list(values))
            out.append(cfg)
        return out
    combos = itertools.product(*(spec.grid[k] for k in keys))
    return [dict(zip(keys, combo, strict=True)) for combo in combos]


def run_name(spec: SweepSpec, overrides: dict) -> str:
    parts = [f"{SETTINGS[k].symbol}{SETTINGS[k].format(v)}" for k, v in overrides.items()]
    return f"{spec.name} " + " ".join(parts) if parts else spec.name


@dataclass
class RunResult:
    """How one run of a sweep ended: status finished | diverged | failed | killed | cancelled."""

    index: int  # position in expand(spec)
    status: str
    run_id: int | None = None
    val_loss: float | None = None
    train_loss: float | None = None
    message: str = ""


@dataclass
class SweepTask:
    """One run of a sweep, as a worker receives it."""

    index: int
    overrides: dict
    name: str
    spec: SweepSpec
    sweep_id: int
    home: str | None  # the run store's folder; None on Ray, where the driver records


def _load_text(spec: SweepSpec) -> tuple[str, str]:
    from ..corpus import DEFAULT_BUILTIN, decode_bytes, load_builtin

    if spec.corpus_file:
        with open(spec.corpus_file, "rb") as f:
            return decode_bytes(f.read()), spec.corpus_name or os.path.basename(spec.corpus_file)
    name = spec.builtin or DEFAULT_BUILTIN
    return load_builtin(name), name


def _build(task: SweepTask, text: str | None = None, corpus_name: str | None = None):
    from ..corpus import make_corpus
    from ..train import TrainConfig, Trainer

    if text is None:
        text, corpus_name = _load_text(task.spec)
    # Sweeps score each run once at the end unless the spec asks for more.
    cfg = TrainConfig(**{"eval_every": 0, **task.spec.base, **task.overrides}).validate()
    corpus = make_corpus(text, corpus_name, seq_length=cfg.seq_length, val_fraction=task.spec.val_fraction)
    return Trainer(corpus, cfg)


def _train(trainer, spec: SweepSpec, check: Callable[[], bool] | None = None) -> bool:
    """Train for the spec's budget; returns False if `check()` asked to stop early."""
    stopped = False

    def callback(_trainer) -> bool:
        nonlocal stopped
        stopped = not check()
        return not stopped

    trainer.train(steps=spec.steps, training_seconds=spec.seconds, callback=callback if check else None)
    return not stopped


# A pool worker's view of its sweep process (see _worker_init): set once that process is gone.
_orphaned = threading.Event()
_idle = threading.Event()  # no run in progress in this worker
_idle.set()
ORPHAN_GRACE_SECONDS = 5.0  # an orphaned worker's run gets this long to record "killed" before the worker exits


def _worker_init(sweep_pid: int, threads: str) -> None:
    """In each pool worker: its BLAS threads (one when the workers fill the cores), a stop signal marks its
    run killed (as Ctrl-C does), and the worker leaves when the sweep process dies, even by SIGKILL: the run
    stops, queued runs never start."""
    os.environ[THREADS_ENV] = threads
    handle_stop_signals()
    watch_parent(sweep_pid, _leave_orphaned)


def _leave_orphaned() -> None:
    _orphaned.set()
    _idle.wait(ORPHAN_GRACE_SECONDS)  # the run sees the flag at its next callback and records itself killed
    os._exit(0)


def _close_orphaned_sweep(store: RunStore, sweep_id: int) -> None:
    """The sweep process died without closing its sweep: a worker that notices closes it, cancelled."""
    store.cancel_sweep(sweep_id)
    store.finish_sweep(sweep_id)


def process_task(task: SweepTask) -> RunResult:
    """One sweep run inside a pool worker: trains and records live in the store at task.home."""
    _idle.clear()
    try:
        return _process_task(task)
    finally:
        _idle.set()


def _process_task(task: SweepTask) -> RunResult:
    from .recorder import RunRecorder

    store = RunStore(task.home)
    if _orphaned.is_set():
        _close_orphaned_sweep(store, task.sweep_id)
    if _orphaned.is_set() or store.sweep_cancelled(task.sweep_id):
        return RunResult(task.index, "cancelled")
    try:
        trainer = _build(task)
    except Exception as exc:  # a bad config (e.g. batch too large for the corpus) is one failed run, not a crash
        run_id = store.create_run(config=task.overrides, name=task.name, source="sweep", sweep_id=task.sweep_id,
                                  tags=task.spec.tags)
        store.finish_run(run_id, "failed", message=f"{type(exc).__name__}: {exc}")
        return RunResult(task.index, "failed", run_id, message=str(exc))
    rec = RunRecorder(trainer, store, name=task.name, source="sweep", sweep_id=task.sweep_id, every=1.0,
                      tags=task.spec.tags)
    try:
        def check():
            rec.update()
            return not _orphaned.is_set() and not store.sweep_cancelled(task.sweep_id)

        if not _train(trainer, task.spec, check):
            if _orphaned.is_set():  # quickly, before the grace period ends: no final evaluation
                rec.fail("the sweep process ended", status="killed")
                _close_orphaned_sweep(store, task.sweep_id)
            else:
                trainer.evaluate()
                rec.fail("cancelled", status="killed")
            return RunResult(task.index, "killed", rec.run_id)
        trainer.evaluate()
        status = rec.finish()
    except KeyboardInterrupt:  # Ctrl-C reaches the workers too (and a stop signal sent to the process group)
        rec.fail("interrupted", status="killed")
        # Cancel the sweep from here as well: this worker may pick up a queued task before the main
        # process has recorded the cancellation, and that run must not start.
        store.cancel_sweep(task.sweep_id)
        raise
    except BaseException as exc:
        rec.fail(f"{type(exc).__name__}: {exc}")
        raise
    return RunResult(task.index, status, rec.run_id, trainer.last_val_loss, rec.store.get(rec.run_id).train_loss)


@dataclass
class RemoteRun:
    """What a Ray worker sends back for the driver to record (the worker may have no run store)."""

    index: int
    status: str
    message: str = ""
    config: dict | None = None  # None: the run failed before training
    corpus_name: str = ""
    fingerprint: str = ""
    vocab_size: int = 0
    summary: dict = field(default_factory=dict)  # recorder.trainer_summary
    metrics: list = field(default_factory=list)
    val_metrics: list = field(default_factory=list)
    checkpoint: bytes = b""
    host: str = ""
    pid: int = 0


def remote_task(task: SweepTask, text: str, corpus_name: str) -> RemoteRun:
    """One sweep run on a Ray worker (maybe another machine): trains and returns everything to record."""
    from ..checkpoint import checkpoint_bytes
    from .recorder import history_rows, run_config, trainer_summary

    t0 = time.perf_counter()
    os.environ[THREADS_ENV] = "1"  # a Ray task asks for one CPU (num_cpus=1 below)
    try:
        trainer = _build(task, text, corpus_name)
    except Exception as exc:
        return RemoteRun(task.index, "failed", message=f"{type(exc).__name__}: {exc}")
    _train(trainer, task.spec)
    trainer.evaluate()
    return RemoteRun(
        task.index, "diverged" if trainer.status == "diverged" else "finished", config=run_config(trainer),
        corpus_name=corpus_name, fingerprint=trainer.corpus.fingerprint, vocab_size=trainer.vocab.size,
        summary=trainer_summary(trainer, time.perf_counter() - t0), metrics=history_rows(trainer)[0],
        val_metrics=list(trainer.val_history), checkpoint=checkpoint_bytes(trainer), host=socket.gethostname(),
        pid=os.getpid())


@dataclass
class SweepResult:
    sweep_id: int
    results: list[RunResult]
    cancelled: bool = False


def _tasks(spec: SweepSpec, sweep_id: int, home: str | None) -> list[SweepTask]:
    return [SweepTask(i, o, run_name(spec, o), spec, sweep_id, home) for i, o in enumerate(expand(spec))]


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def run_sweep(spec: SweepSpec, store: RunStore | None = None, *, workers: int | None = None,
              backend: str = "process", sweep_id: int | None = None,
              on_progress: Callable[[int, int, RunResult], None] | None = None) -> SweepResult:
    """Run every configuration of the sweep; results land in `store`. `sweep_id` reuses a sweep row made
    beforehand (the dashboard does, to show progress); cancel with store.cancel_sweep(sweep_id)."""
    spec.validate()
    store = store if store is not None else RunStore()
    configs = expand(spec)
    if sweep_id is None:
        sweep_id = store.create_sweep(spec.name, asdict(spec), len(configs))
    else:
        store.set_sweep_owner(sweep_id, os.getpid())
    try:
        tasks = _tasks(spec, sweep_id, str(store.home.resolve()))
        workers = max(1, min(workers or default_workers(), len(tasks) or 1))
        if backend == "process":
            results = _run_process(tasks, store, sweep_id, workers, on_progress)
        elif backend == "ray":
            results = _run_ray(tasks, spec, store, sweep_id, on_progress)
        else:
            raise ValueError(f"unknown backend {backend!r}; use 'process' or 'ray'")
    except KeyboardInterrupt:
        store.cancel_sweep(sweep_id)  # queued runs then return at once instead of starting
        raise
    finally:
        store.finish_sweep(sweep_id)
    return SweepResult(sweep_id, sorted(results, key=lambda r: r.index), store.sweep_cancelled(sweep_id))


def _mp_context():
    import multiprocessing as mp

    # Not plain fork: a caller with other threads (a web app, a notebook, a test polling the store) may hold a
    # lock (e.g. SQLite's) at fork time, and the child would deadlock on it. A forkserver forks workers from
    # a clean single-threaded process; elsewhere (macOS, Windows) spawn is the default anyway.
    return mp.get_context("forkserver") if "forkserver" in mp.get_all_start_methods() else None


def _run_process(tasks, store, sweep_id, workers, on_progress):
    results = []
    threads = "1" if workers >= (os.cpu_count() or 1) else os.environ.get(THREADS_ENV, "auto")
    with ProcessPoolExecutor(max_workers=workers, mp_context=_mp_context(), initializer=_worker_init,
                             initargs=(os.getpid(), threads)) as pool:
        pending = {pool.submit(process_task, t): t for t in tasks}
        try:
            _wait_all(pending, results, len(tasks), store, sweep_id, on_progress)
        except KeyboardInterrupt:  # Ctrl-C, or a stop signal (rnn.lifecycle)
            # Before the pool's exit waits for its workers: queued runs must see the flag and return at once.
            store.cancel_sweep(sweep_id)
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    return results


def _wait_all(pending, results, total, store, sweep_id, on_progress):
    """Collect results as runs finish; once the sweep is cancelled, drop the runs not started yet."""
    while pending:
        done, _ = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
        for fut in done:
            task = pending.pop(fut)
            try:
                res = fut.result()
            except Exception as exc:  # a worker crashed (e.g. killed): record what we know
                res = RunResult(task.index, "failed", message=str(exc))
            results.append(res)
            if on_progress:
                on_progress(len(results), total, res)
        if pending and store.sweep_cancelled(sweep_id):
            for fut in list(pending):
                if fut.cancel():  # not started yet
                    task = pending.pop(fut)
                    results.append(RunResult(task.index, "cancelled"))
            # running workers see the flag within a fraction of a second and stop themselves


def loopback_unless_cluster() -> None:
    """Before Ray is first imported: a local instance (no RAY_ADDRESS) listens on 127.0.0.1 only. By default
    Ray binds its services to the machine's network address on Linux; this switch (Ray's own, named for the
    platforms where it is the default) makes its node address the loopback one. Its subprocesses inherit it."""
    if not os.environ.get("RAY_ADDRESS"):
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")


def _import_ray():
    loopback_unless_cluster()
    try:
        import ray
    except ImportError:
        raise ValueError("the Ray backend needs the optional package 'ray': pip install ray "
                         "(or use --backend process)") from None
    return ray


def _run_ray(tasks, spec: SweepSpec, store: RunStore, sweep_id: int, on_progress):
    ray = _import_ray()
    started_here = False
    if not ray.is_initialized():
        # RAY_ADDRESS (if set) names the cluster; otherwise a local instance is started for this sweep.
        address = os.environ.get("RAY_ADDRESS") or None
        kwargs = {}
        if address:  # the cluster's machines may not have this code: ship the rnn package with the job
            kwargs["runtime_env"] = {"py_modules": [os.path.dirname(os.path.dirname(os.path.abspath(__file__)))]}
        ray.init(address=address, include_dashboard=False, log_to_driver=False, logging_level="ERROR", **kwargs)
        started_here = True
    try:
        text, corpus_name = _load_text(spec)
        text_ref = ray.put(text)
        remote = ray.remote(num_cpus=1)(remote_task)
        refs = {}
        for t in tasks:
            t = replace(t, home=None)  # the store is the driver's
            refs[remote.remote(t, text_ref, corpus_name)] = t
        results = []
        try:
            _wait_ray(ray, refs, results, len(tasks), store, sweep_id, spec, on_progress)
        except BaseException:  # Ctrl-C or a stop signal: a cluster's tasks would run on for nobody
            for ref in refs:
                with contextlib.suppress(Exception):
                    ray.cancel(ref, force=True)
            raise
        return results
    finally:
        if started_here:
            ray.shutdown()


def _wait_ray(ray, refs: dict, results: list, total: int, store, sweep_id, spec, on_progress) -> None:
    """Record Ray tasks as they finish (`refs` shrinks as they do); once the sweep is cancelled, cancel the rest."""
    while refs:
        ready, _ = ray.wait(list(refs), num_returns=1, timeout=0.5)
        for ref in ready:
            task = refs.pop(ref)
            try:
                payload = ray.get(ref)
            except Exception as exc:  # the task failed or was cancelled
                payload = RemoteRun(task.index, "failed", message=f"{type(exc).__name__}: {exc}")
            res = _record_payload(store, sweep_id, task, payload, spec)
            results.append(res)
            if on_progress:
                on_progress(len(results), total, res)
        if refs and store.sweep_cancelled(sweep_id):
            for ref in refs:
                ray.cancel(ref, force=True)
            for task in refs.values():
                results.append(RunResult(task.index, "cancelled"))
            refs.clear()


def _record_payload(store: RunStore, sweep_id: int, task: SweepTask, payload: RemoteRun,
                    spec: SweepSpec) -> RunResult:
    """Write one finished Ray task into the store (one run row, its metrics and checkpoint)."""
    if payload.config is None:
        run_id = store.create_run(config=task.overrides, name=task.name, source="sweep-ray", sweep_id=sweep_id,
                                  tags=spec.tags)
        store.finish_run(run_id, "failed", message=payload.message[:2000])
        return RunResult(task.index, "failed", run_id, message=payload.message)
    run_id = store.create_run(config=payload.config, name=task.name, source="sweep-ray", sweep_id=sweep_id,
                              corpus_name=payload.corpus_name, corpus_fingerprint=payload.fingerprint,
                              vocab_size=payload.vocab_size, tags=spec.tags, pid=payload.pid, host=payload.host)
    path = store.checkpoint_path(run_id)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(payload.checkpoint)
    os.replace(tmp, path)
    store.finish_run(run_id, payload.status, metrics=payload.metrics, val_metrics=payload.val_metrics,
                     checkpoint=str(path), **payload.summary)
    s = payload.summary
    return RunResult(task.index, payload.status, run_id, s["val_loss"], s["train_loss"])
