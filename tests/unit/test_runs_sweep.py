"""Sweeps: configuration expansion, a tiny grid on the process pool and on a local Ray instance, cancel."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from rnn.corpus import load_builtin, make_corpus
from rnn.runs import RunStore
from rnn.runs.sweep import SweepResult, SweepSpec, expand, run_name, run_sweep
from rnn.train import TrainConfig, Trainer

ROOT = Path(__file__).resolve().parents[2]


def tiny_spec(**kw) -> SweepSpec:
    base = {"grid": {"learning_rate": [0.05, 0.2], "hidden_size": [8]}, "builtin": "zen", "steps": 15,
            "base": {"seq_length": 16}, "name": "t"}
    base.update(kw)
    return SweepSpec(**base)


def test_grid_is_the_cartesian_product():
    spec = SweepSpec(grid={"learning_rate": [0.1, 0.01], "hidden_size": [16, 32, 64], "optimizer": ["adam"]},
                     steps=10)
    configs = expand(spec)
    assert len(configs) == 6
    assert {(c["learning_rate"], c["hidden_size"]) for c in configs} == {(lr, h) for lr in (0.1, 0.01)
                                                                           for h in (16, 32, 64)}
    assert all(c["optimizer"] == "adam" for c in configs)
    assert run_name(spec, configs[0]) == "sweep lr0.1 h16 adam"


def test_random_search_draws_within_the_ranges_reproducibly():
    spec = SweepSpec(grid={"learning_rate": [0.001, 0.1], "hidden_size": [16, 32], "batch_size": [1, 4]}, steps=10,
                     random=20, seed=3)
    a, b = expand(spec), expand(spec)
    assert a == b and len(a) == 20
    assert all(0.001 <= c["learning_rate"] <= 0.1 for c in a)
    assert len({c["learning_rate"] for c in a}) > 10  # continuous, not just the two ends
    assert {c["hidden_size"] for c in a} <= {16, 32} and {c["batch_size"] for c in a} <= {1, 4}
    assert expand(SweepSpec(grid=spec.grid, steps=10, random=20, seed=4)) != a


@pytest.mark.parametrize("bad, match", [
    ({"grid": {"momentum": [0.9]}}, "cannot sweep momentum"),
    ({"grid": {"learning_rate": []}}, "--lr needs at least one value"),
    ({"grid": {"hidden_size": [16, 0]}}, "hidden_size"),
    ({"steps": None, "seconds": None}, "budget"),
    ({"steps": 0}, "at least 1"),
    ({"random": -1}, "random"),
    ({"grid": {"learning_rate": [0.1] * 11, "hidden_size": list(range(1, 101))}}, "more than the limit"),
])
def test_bad_specs_are_refused(bad, match):
    with pytest.raises(ValueError, match=match):
        tiny_spec(**bad).validate()


def test_steps_and_seconds_together_stop_at_whichever_comes_first(tmp_path):
    # The dashboard caps a steps budget in time too (ui/sweeps.py MAX_SECONDS): both may be given.
    store = RunStore(tmp_path)
    spec = tiny_spec(grid={"learning_rate": [0.1]}, steps=10**7, seconds=0.5).validate()
    t0 = time.perf_counter()
    (res,) = run_sweep(spec, store, workers=1).results
    assert res.status == "finished" and time.perf_counter() - t0 < 30
    assert 0 < store.get(res.run_id).iterations < 10**7
    spec = tiny_spec(grid={"learning_rate": [0.1]}, steps=7, seconds=60.0).validate()
    (res,) = run_sweep(spec, store, workers=1).results
    assert store.get(res.run_id).iterations == 7


def check_results(store: RunStore, result, n: int, source: str):
    runs = store.list_runs(sweep_id=result.sweep_id)
    assert len(runs) == n == len(result.results)
    assert {r.status for r in runs} == {"finished"}
    assert {r.source for r in runs} == {source}
    assert sorted(r.config["learning_rate"] for r in runs) == [0.05, 0.2]
    for r in runs:
        assert r.iterations == 15 and r.val_loss is not None and r.checkpoint
        assert store.metrics(r.id)["iteration"] == list(range(1, 16))
        assert r.name.startswith("t lr")
    progress = store.sweep_progress(result.sweep_id)
    assert progress["done"] == progress["total"] == n and progress["finished"]


def test_tiny_grid_on_the_process_pool(tmp_path):
    store = RunStore(tmp_path)
    seen = []
    result = run_sweep(tiny_spec(), store, workers=2, on_progress=lambda d, t, r: seen.append((d, t)))
    check_results(store, result, 2, "sweep")
    assert seen == [(1, 2), (2, 2)]
    # The same seed and config give the same model whichever worker ran it.
    again = run_sweep(tiny_spec(), store, workers=1)
    assert by_lr(store, again.sweep_id) == by_lr(store, result.sweep_id)


def test_a_bad_configuration_is_one_failed_run(tmp_path):
    store = RunStore(tmp_path)
    # 500 streams do not fit the Zen of Python: that run fails, the other finishes.
    result = run_sweep(tiny_spec(grid={"batch_size": [1, 500]}), store, workers=2)
    statuses = sorted(r.status for r in result.results)
    assert statuses == ["failed", "finished"]
    failed = [r for r in store.list_runs() if r.status == "failed"]
    assert len(failed) == 1 and "too short" in failed[0].message


def test_cancel_stops_running_workers(tmp_path):
    store = RunStore(tmp_path)
    spec = tiny_spec(steps=None, seconds=60.0, grid={"learning_rate": [0.05, 0.1, 0.2]})
    sweep_id = store.create_sweep("t", {}, 3)
    box = {}
    thread = threading.Thread(target=lambda: box.setdefault("r", run_sweep(spec, store, workers=2,
                                                                            sweep_id=sweep_id)), daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not any(r.iterations > 0 for r in store.list_runs(sweep_id=sweep_id)):
        assert time.monotonic() < deadline, "no worker started"
        time.sleep(0.1)
    t0 = time.monotonic()
    store.cancel_sweep(sweep_id)
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert time.monotonic() - t0 < 15  # far less than the 60 s budget
    result = box["r"]
    assert result.cancelled
    assert {r.status for r in result.results} <= {"killed", "cancelled"}
    runs = store.list_runs(sweep_id=sweep_id)
    assert runs and all(r.status == "killed" and r.message == "cancelled" for r in runs)


def test_ray_backend_missing_gives_a_clear_message(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    with pytest.raises(ValueError, match="pip install ray"):
        run_sweep(tiny_spec(), RunStore(tmp_path), backend="ray")


@pytest.fixture(scope="module")
def local_ray():
    ray = pytest.importorskip("ray", reason="ray is not installed (optional; pip install ray)")
    saved = os.environ.pop("RAY_ADDRESS", None)
    # A local instance for this test module only: 2 CPUs, no dashboard, shut down afterwards.
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    yield ray
    ray.shutdown()
    if saved is not None:
        os.environ["RAY_ADDRESS"] = saved


def by_lr(store, sweep_id):
    return {r.config["learning_rate"]: r.val_loss for r in store.list_runs(sweep_id=sweep_id)}


def test_tiny_grid_on_a_local_ray_instance(tmp_path, local_ray):
    store = RunStore(tmp_path)
    result = run_sweep(tiny_spec(), store, backend="ray")
    check_results(store, result, 2, "sweep-ray")
    assert local_ray.is_initialized()  # an instance the caller started is left running
    # Same seeds and configs as training here: the same numbers, wherever the runs executed.
    corpus = make_corpus(load_builtin("zen"), "zen", seq_length=16)
    for lr, val in by_lr(store, result.sweep_id).items():
        t = Trainer(corpus, TrainConfig(hidden_size=8, seq_length=16, learning_rate=lr, eval_every=0))
        t.step(15)
        assert t.evaluate() == val


def test_cli_sweep_joins_the_cluster_named_by_ray_address(tmp_path, local_ray):
    # `python -m rnn sweep --backend ray` in another process connects to RAY_ADDRESS instead of starting Ray.
    address = local_ray.get_runtime_context().gcs_address
    env = {**os.environ, "RAY_ADDRESS": address, "RNN_LAB_HOME": str(tmp_path), "OPENBLAS_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-m", "rnn", "sweep", "--builtin", "zen", "--lr", "0.05", "0.2",
                           "--hidden", "8", "--seq-length", "16", "--steps", "15", "--backend", "ray", "--name", "t",
                           "--json"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    check_results(RunStore(tmp_path), SweepResult(result["sweep_id"], result["runs"]), 2, "sweep-ray")


def test_ctrl_c_on_a_cli_sweep_marks_its_runs_killed(tmp_path):
    env = {**os.environ, "RNN_LAB_HOME": str(tmp_path), "OPENBLAS_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "rnn", "sweep", "--builtin", "zen", "--lr", "0.05", "0.1", "0.2",
                             "--hidden", "8", "--seq-length", "16", "--seconds", "60", "--workers", "2"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)  # its own process group, like a terminal's foreground job
    store = RunStore(tmp_path)
    deadline = time.monotonic() + 60
    while sum(r.iterations > 0 for r in store.list_runs()) < 2:
        assert proc.poll() is None, proc.stderr.read()
        assert time.monotonic() < deadline, "the workers did not start"
        time.sleep(0.1)
    t0 = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C does: every process of the group gets SIGINT
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "interrupted" in err
    assert time.monotonic() - t0 < 20  # the queued third run did not train for its 60 s
    runs = store.list_runs()
    assert len(runs) == 2 and all(r.status == "killed" for r in runs)
    assert all(store.metrics(r.id)["iteration"][-1] == r.iterations for r in runs)
