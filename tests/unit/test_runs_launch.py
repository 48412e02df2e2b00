"""A dashboard sweep ends with the server that launched it (rnn/runs/launch.py), in real processes.

A small "server" process launches a sweep as the Runs page does and is then stopped as an operator would:
SIGTERM (or SIGKILL, or Ctrl-C's SIGINT). Its sweep must not go on alone: the workers end, the runs are
closed as killed, the sweep row is cancelled and finished.
"""

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
from rnn.runs.store import RunStore

ROOT = Path(__file__).resolve().parents[2]

SERVER = """
    import sys, time
    from dataclasses import asdict
    from pathlib import Path
    from rnn.runs.launch import launch
    from rnn.runs.store import RunStore
    from rnn.runs.sweep import SweepSpec, expand

    store = RunStore(sys.argv[1])
    spec = SweepSpec(grid={"learning_rate": [0.05, 0.1], "hidden_size": [8]}, builtin="zen", steps=None, seconds=120,
                     base={"seq_length": 16}).validate()
    sweep_id = store.create_sweep(spec.name, asdict(spec), len(expand(spec)), owner="model-of-a-visitor")
    proc = launch(store, sweep_id, 2, Path(sys.argv[1]) / "sweep.log")
    print(sweep_id, proc.pid, flush=True)
    while True:  # a server at work, until it is stopped
        time.sleep(1)
"""


def wait_until(cond, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while not (value := cond()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)
    return value


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL, signal.SIGINT])
def test_a_dashboard_sweep_is_cancelled_when_its_server_ends(tmp_path, sig):
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen([sys.executable, "-c", textwrap.dedent(SERVER), str(tmp_path)], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, text=True)
    try:
        sweep_id, sweep_pid = map(int, server.stdout.readline().split())
        store = RunStore(tmp_path)
        # Both runs training (the budget is 120 s each: only the server's end can stop them this soon).
        def training():
            runs = store.list_runs(sweep_id=sweep_id)
            return runs if len(runs) == 2 and all(r.iterations > 0 for r in runs) else None

        runs = wait_until(training, 60, "two training runs")
        assert len(runs) == 2 and {r.owner for r in runs} == {"model-of-a-visitor"}
        worker_pids = {r.pid for r in runs}
        assert sweep_pid not in worker_pids and all(process_alive(p) for p in worker_pids)

        t0 = time.monotonic()
        server.send_signal(sig)
        server.wait(timeout=10)
        wait_until(lambda: store.get_sweep(sweep_id)["finished_at"] is not None, 30, "the sweep to finish")
        ended = time.monotonic() - t0
        sweep = store.get_sweep(sweep_id)
        assert sweep["cancelled"]
        runs = store.list_runs(sweep_id=sweep_id)
        assert [(r.status, r.message) for r in runs] == [("killed", "cancelled")] * 2
        assert all(r.train_seconds < 60 for r in runs)
        wait_until(lambda: not any(process_alive(p) for p in (*worker_pids, sweep_pid)), 20, "every process to end")
        log = (tmp_path / "sweep.log").read_text()
        assert "the process that started it has ended; cancelling" in log
        print(f"{sig.name}: sweep finished {ended:.1f} s after the server's end")
        assert ended < 20
    finally:
        if server.poll() is None:
            server.kill()
        server.stdout.close()


def test_a_finished_dashboard_sweep_ends_normally(tmp_path):
    # The watch does not get in the way: a sweep that ends by itself exits 0 (no fatal error at exit).
    from dataclasses import asdict

    from rnn.runs.launch import launch, release
    from rnn.runs.sweep import SweepSpec, expand

    store = RunStore(tmp_path)
    spec = SweepSpec(grid={"hidden_size": [8]}, builtin="zen", steps=5, base={"seq_length": 16}).validate()
    sweep_id = store.create_sweep(spec.name, asdict(spec), len(expand(spec)), owner="m")
    proc = launch(store, sweep_id, 1, tmp_path / "sweep.log")
    assert proc.wait(timeout=60) == 0, (tmp_path / "sweep.log").read_text()
    release(sweep_id)
    sweep = store.get_sweep(sweep_id)
    assert not sweep["cancelled"] and sweep["finished_at"] is not None
    assert [r.status for r in store.list_runs(sweep_id=sweep_id)] == ["finished"]
