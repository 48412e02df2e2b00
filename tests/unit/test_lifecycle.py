"""How CLI processes end, with real processes: SIGTERM/SIGHUP to a sweep or a train, SIGKILL of a sweep,
and a live-model worker whose server dies. Every wait polls against a deadline."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from rnn.lifecycle import process_alive
from rnn.runs import RunStore

ROOT = Path(__file__).resolve().parents[2]
SWEEP = [sys.executable, "-m", "rnn", "sweep", "--builtin", "zen", "--lr", "0.05", "0.1", "0.2", "--hidden", "8",
         "--seq-length", "16", "--seconds", "60", "--workers", "2"]


def descendants(pid: int) -> set[int]:
    """Every living process below `pid` (children, grandchildren: the forkserver's workers), from /proc."""
    parent_of = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                    parent_of[int(entry)] = int(f.read().rsplit(")", 1)[-1].split()[1])
            except (OSError, ValueError, IndexError):
                pass
    found, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, pp in parent_of.items() if pp in frontier} - found
        found |= frontier
    return {p for p in found if process_alive(p)}


def wait_for(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def start(cmd, home) -> subprocess.Popen:
    env = {**os.environ, "RNN_LAB_HOME": str(home), "OPENBLAS_NUM_THREADS": "1"}
    # its own session: the signal goes to the one process the test names, as `kill PID` does
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def start_sweep(home):
    proc = start(SWEEP, home)
    store = RunStore(home)

    def two_training():
        assert proc.poll() is None, proc.stderr.read()
        return sum(r.status == "running" and r.iterations > 0 for r in store.list_runs()) == 2

    wait_for(two_training, 60, "the two workers did not start training")
    workers = descendants(proc.pid)
    assert len(workers) >= 2  # the forkserver and its two workers (and maybe the resource tracker)
    return proc, store, workers


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_stop_signal_ends_the_sweep_and_every_worker(tmp_path, signum):
    proc, store, workers = start_sweep(tmp_path)
    t0 = time.monotonic()
    os.kill(proc.pid, signum)  # the sweep process only, not its workers
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 128 + signum and f"terminated by {signal.Signals(signum).name}" in err
    wait_for(lambda: not any(process_alive(p) for p in workers), 10, "a worker outlived the sweep")
    assert time.monotonic() - t0 < 20  # nothing trained on for its 60 s
    runs = store.list_runs()
    assert len(runs) == 2  # the queued third run never started
    assert all(r.stored_status == "killed" for r in runs), [(r.stored_status, r.message) for r in runs]
    sweep = store.get_sweep(runs[0].sweep_id)
    assert sweep["cancelled"] and sweep["finished_at"] is not None


def test_workers_leave_by_themselves_when_the_sweep_is_killed(tmp_path):
    proc, store, workers = start_sweep(tmp_path)
    t0 = time.monotonic()
    os.kill(proc.pid, signal.SIGKILL)  # nothing can be cleaned up by the sweep process itself
    proc.communicate(timeout=10)
    wait_for(lambda: not any(process_alive(p) for p in workers), 10, "a worker outlived the killed sweep")
    assert time.monotonic() - t0 < 10
    runs = store.list_runs()
    assert len(runs) == 2  # the queued run did not start after the parent died
    assert all(r.stored_status == "killed" and r.message == "the sweep process ended" for r in runs), \
        [(r.stored_status, r.message) for r in runs]
    sweep = store.get_sweep(runs[0].sweep_id)
    assert sweep["cancelled"] and sweep["finished_at"] is not None


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_stop_signal_to_cli_train_records_the_run_killed(tmp_path, signum):
    proc = start([sys.executable, "-m", "rnn", "train", "--builtin", "zen", "--hidden", "8", "--seq-length", "16",
                  "--seconds", "60"], tmp_path)
    store = RunStore(tmp_path)

    def recording():
        assert proc.poll() is None, proc.stderr.read()
        return any(r.status == "running" and r.iterations > 0 for r in store.list_runs())  # written every 5 s

    wait_for(recording, 60, "the run was not recorded while training")
    t0 = time.monotonic()
    os.kill(proc.pid, signum)
    _, err = proc.communicate(timeout=20)
    assert time.monotonic() - t0 < 10
    assert proc.returncode == 128 + signum and "terminated by" in err
    (run,) = store.list_runs()
    assert run.stored_status == "killed" and run.iterations > 0 and run.message == "interrupted", \
        (run.stored_status, run.message, err)
    assert store.metrics(run.id)["iteration"][-1] == run.iterations  # its metrics were written to the end


class SignalOnAppend(list):
    """A history list that sends this process a signal while the Trainer is in the middle of a step."""

    def __init__(self, items, signum):
        super().__init__(items)
        self.signum = signum

    def append(self, item):
        if self.signum:
            os.kill(os.getpid(), self.signum)
            self.signum = None
        super().append(item)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_lands_between_training_steps_never_inside_one(signum):
    # The cause of a run left "running" after a kill: the signal fell between two history appends, and the
    # recorder's cleanup failed on lists of different lengths.
    from rnn.corpus import load_builtin, make_corpus
    from rnn.lifecycle import stop_signals
    from rnn.train import TrainConfig, Trainer

    trainer = Trainer(make_corpus(load_builtin("zen"), "zen"), TrainConfig(hidden_size=8, seq_length=16))
    trainer.step(3)
    trainer.history["smooth_loss"] = SignalOnAppend(trainer.history["smooth_loss"], signum)  # after "loss"
    with pytest.raises(KeyboardInterrupt), stop_signals():
        trainer.step(10)
    assert trainer.iteration == 4  # the step the signal arrived in was finished, and no other begun
    assert {len(v) for v in trainer.history.values()} == {4}
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # stop_signals put the test's handlers back
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


SERVER = textwrap.dedent("""
    import sys, time
    from rnn.corpus import load_builtin, make_corpus
    from rnn.service import Registry
    from rnn.train import TrainConfig
    registry = Registry(workers=1, store_home=sys.argv[1])
    model_id = registry.create(make_corpus(load_builtin("zen"), "zen"), TrainConfig(hidden_size=16, seq_length=10))
    registry.command(model_id, "run")
    print(registry.status(model_id).worker.process.pid, flush=True)
    time.sleep(600)
""")


def test_a_live_model_worker_exits_when_its_server_dies(tmp_path):
    proc = start([sys.executable, "-c", SERVER, str(tmp_path)], tmp_path)
    worker_pid = int(proc.stdout.readline())
    store = RunStore(tmp_path)
    wait_for(lambda: any(r.status == "running" for r in store.list_runs()), 30, "the model did not start")
    os.kill(proc.pid, signal.SIGKILL)  # the server goes without a word: the worker's socket closes
    proc.communicate(timeout=10)
    wait_for(lambda: not process_alive(worker_pid), 15, "the worker outlived its server")
    (run,) = store.list_runs()
    assert run.status != "running"  # saved on the way out (paused), or at least not left training
