"""Live models (rnn/service): scheduling in one process (ModelHost), then real worker processes (Registry)."""

from __future__ import annotations

import os
import signal
import time

import numpy as np
import pytest

from rnn.corpus import load_builtin, make_corpus
from rnn.runs.store import RunStore
from rnn.service import Registry, UnknownModel
from rnn.service import host as host_module
from rnn.service.host import ModelHost
from rnn.service.protocol import Command, Evicted, Open, Reply, Snapshot, State
from rnn.train import TrainConfig, Trainer

CONFIG = TrainConfig(hidden_size=16, seq_length=10, eval_every=0, health_every=0)


@pytest.fixture(scope="module")
def corpus():
    return make_corpus(load_builtin("zen"), "zen")


def open_host(corpus, tmp_path, config=CONFIG):
    events = []
    host = ModelHost(events.append, str(tmp_path))
    host.handle(Open("m", 1, corpus=corpus, config=config, name="test"))
    return host, events


def run_until_idle(host, limit=10_000):
    for _ in range(limit):
        if not host.work():
            return
    raise AssertionError("the host never ran out of work")


def replies(events, seq):
    return [e for e in events if isinstance(e, Reply) and e.seq == seq]


# ---------------------------------------------------------------------------- one host, in process


def test_step_in_slices_is_bit_for_bit_step(corpus, tmp_path, monkeypatch):
    monkeypatch.setattr(host_module, "SLICE_SECONDS", 0.0005)  # many slices for 150 steps
    host, events = open_host(corpus, tmp_path)
    host.handle(Command("m", 1, "step", {"n": 150}))
    assert not replies(events, 1)  # answered when the steps are done, not before
    run_until_idle(host)
    assert len(replies(events, 1)) == 1 and replies(events, 1)[0].error is None
    hosted = host.models["m"].trainer
    reference = Trainer(corpus, CONFIG)
    reference.step(150)
    assert hosted.iteration == 150
    assert np.array_equal(hosted.flat_params, reference.flat_params)
    assert np.array_equal(hosted.h, reference.h)


def test_snapshots_rebuild_the_histories_on_a_replica(corpus, tmp_path, monkeypatch):
    monkeypatch.setattr(host_module, "SLICE_SECONDS", 0.0005)
    host, events = open_host(corpus, tmp_path)
    for seq, n in enumerate([7, 30, 1, 62], start=1):
        host.handle(Command("m", seq, "step", {"n": n}))
        run_until_idle(host)
    replica = Trainer(corpus, CONFIG)
    for snap in (e for e in events if isinstance(e, Snapshot)):
        replica.merge_records(snap.history_from, snap.history, snap.val_history, snap.samples_from, snap.samples,
                              snap.health_history)
        replica.load_state({"config": snap.config, "counters": snap.counters})
    host.handle(Command("m", 99, "state"))
    state = next(e for e in events if isinstance(e, State))
    replica.load_state(state.arrays)
    trainer = host.models["m"].trainer
    assert replica.iteration == trainer.iteration == 100
    assert replica.history == trainer.history
    assert np.array_equal(replica.flat_params, trainer.flat_params)
    assert replica.optimizer.state_dict()["t"] == trainer.optimizer.state_dict()["t"]


def test_pause_stops_training_within_one_slice(corpus, tmp_path):
    host, events = open_host(corpus, tmp_path)
    host.handle(Command("m", 1, "run"))
    host.work()
    host.handle(Command("m", 2, "pause"))
    assert replies(events, 2)[0].error is None
    iteration = host.models["m"].trainer.iteration
    assert iteration > 0
    host.work()  # saves (the pause's checkpoint), trains nothing
    assert host.models["m"].trainer.iteration == iteration
    run = RunStore(tmp_path).latest_run_of_model("m")
    assert run.status == "paused" and run.iterations == iteration and os.path.isfile(run.checkpoint)


def test_unwatched_model_pauses_and_saves(corpus, tmp_path, monkeypatch):
    host, events = open_host(corpus, tmp_path)
    host.handle(Command("m", 1, "run"))
    host.work()
    monkeypatch.setattr(host_module, "IDLE_SECONDS", 0.0)
    host.tick()
    hosted = host.models["m"]
    assert not hosted.busy and "no page had looked" in hosted.note
    assert events[-1].running is False and "Paused" in events[-1].note
    run = RunStore(tmp_path).latest_run_of_model("m")
    assert run.status == "paused" and run.iterations == hosted.trainer.iteration > 0 and run.checkpoint


def test_a_saved_unwatched_model_leaves_the_worker(corpus, tmp_path, monkeypatch):
    host, events = open_host(corpus, tmp_path)
    host.handle(Command("m", 1, "step", {"n": 5}))
    run_until_idle(host)  # the stopped model is saved
    host.tick()
    assert "m" in host.models  # watched recently: kept
    monkeypatch.setattr(host_module, "EVICT_SECONDS", 0.0)
    host.tick()
    assert "m" not in host.models and isinstance(events[-1], Evicted)
    assert RunStore(tmp_path).latest_run_of_model("m").iterations == 5


def test_a_refused_setting_is_an_error_reply_and_the_model_is_kept(corpus, tmp_path):
    host, events = open_host(corpus, tmp_path)
    host.handle(Command("m", 1, "step", {"n": 5}))
    run_until_idle(host)
    before = host.models["m"].trainer.flat_params.copy()
    host.handle(Command("m", 2, "nonsense"))
    assert "unknown command" in replies(events, 2)[0].error
    host.handle(Command("m", 3, "run"))
    host.handle(Command("m", 4, "pause"))
    assert host.models["m"].trainer.iteration == 5 and np.array_equal(before, host.models["m"].trainer.flat_params)


# ---------------------------------------------------------------------------- real worker processes


@pytest.fixture
def registry(tmp_path):
    reg = Registry(workers=2, store_home=str(tmp_path))
    yield reg
    reg.shutdown()


def test_registry_steps_exactly_in_a_worker(registry, corpus):
    model_id = registry.create(corpus, CONFIG, name="exact")
    assert len(model_id) >= 20  # a capability, not a counter
    assert registry.command(model_id, "step", n=100) is None
    replica = registry.view(model_id, fresh=True)
    reference = Trainer(corpus, CONFIG)
    reference.step(100)
    assert replica.iteration == 100
    assert np.array_equal(replica.flat_params, reference.flat_params)
    assert replica.history["loss"] == reference.history["loss"]


def test_a_pause_sent_without_waiting_is_not_undone_by_an_older_snapshot(registry, corpus):
    model_id = registry.create(corpus, CONFIG, name="toggle")
    assert registry.command(model_id, "run") is None
    registry.command(model_id, "pause", wait=False)
    live = registry.status(model_id)
    assert not live.running  # the page shows Paused at once
    # what the worker may still send before it sees the Pause: a snapshot of the model training
    registry._on_event(Snapshot(model_id, live.generation, live.version, True, 0, None, CONFIG, {}, 0, {}, [], 0,
                                [], [], None, acked=live.ordered - 1))
    assert not registry.status(model_id).running
    assert registry.command(model_id, "touch") is None  # handled after the Pause, so it has been seen
    assert not registry.status(model_id).running


def test_run_pause_and_reopen_after_a_server_restart(tmp_path, corpus):
    first = Registry(workers=1, store_home=str(tmp_path))
    model_id = first.create(corpus, CONFIG)
    first.command(model_id, "run")
    deadline = time.monotonic() + 30
    while first.view(model_id).iteration < 50 and time.monotonic() < deadline:
        time.sleep(0.05)
    t0 = time.monotonic()
    assert first.command(model_id, "pause") is None
    assert time.monotonic() - t0 < 1.0
    stopped_at = first.view(model_id, fresh=True).iteration
    time.sleep(0.3)
    assert first.view(model_id, fresh=True).iteration == stopped_at
    params = first.view(model_id, fresh=True).flat_params.copy()
    first.shutdown()  # the server stops: the worker saves the model

    run = RunStore(tmp_path).latest_run_of_model(model_id)
    assert run.status == "paused" and run.iterations == stopped_at
    second = Registry(workers=1, store_home=str(tmp_path))
    try:
        replica = second.view(model_id, fresh=True)
        assert replica.iteration == stopped_at and np.array_equal(replica.flat_params, params)
        assert "Reopened" in second.status(model_id).note
        with pytest.raises(UnknownModel):
            second.view("no-such-model")
    finally:
        second.shutdown()


def test_a_dead_worker_marks_its_run_killed_and_the_model_reopens(registry, corpus, tmp_path):
    model_id = registry.create(corpus, CONFIG)
    registry.command(model_id, "step", n=20)
    registry.command(model_id, "pause")  # saves a checkpoint at iteration 20
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        run = RunStore(tmp_path).latest_run_of_model(model_id)
        if run is not None and run.checkpoint:
            break
        time.sleep(0.05)
    worker = registry.status(model_id).worker
    os.kill(worker.process.pid, signal.SIGKILL)
    worker.process.wait(5)
    deadline = time.monotonic() + 5
    while RunStore(tmp_path).latest_run_of_model(model_id).stored_status != "killed":
        assert time.monotonic() < deadline, "the run was not marked killed"
        time.sleep(0.05)
    replica = registry.view(model_id, fresh=True)  # reopened from the checkpoint in a new worker
    assert replica.iteration == 20
    assert registry.command(model_id, "step", n=5) is None
    assert registry.view(model_id).iteration == 25


@pytest.fixture(scope="module")
def local_ray():
    ray = pytest.importorskip("ray", reason="ray is not installed (optional; pip install ray)")
    if ray.is_initialized():
        ray.shutdown()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    yield ray
    ray.shutdown()


def test_ray_actors_host_live_models_the_same_way(local_ray, corpus, tmp_path):
    registry = Registry(workers=1, store_home=str(tmp_path), backend="ray")
    try:
        model_id = registry.create(corpus, CONFIG)
        assert registry.command(model_id, "step", n=60, timeout=60) is None
        replica = registry.view(model_id, fresh=True, timeout=30)
        reference = Trainer(corpus, CONFIG)
        reference.step(60)
        assert replica.iteration == 60 and np.array_equal(replica.flat_params, reference.flat_params)
        assert registry.command(model_id, "run") is None
        assert registry.command(model_id, "pause") is None
        assert registry.view(model_id, fresh=True).iteration >= 60
    finally:
        registry.shutdown()
    run = RunStore(tmp_path).latest_run_of_model(model_id)
    assert run.status == "paused" and run.checkpoint  # the actor saved the model when the server stopped


def test_an_evicted_model_reopens_from_the_store(registry, corpus, monkeypatch):
    model_id = registry.create(corpus, CONFIG)
    registry.command(model_id, "step", n=15)
    worker = registry.status(model_id).worker
    wait_for_run = time.monotonic() + 10
    while not getattr(RunStore(registry.store_home).latest_run_of_model(model_id), "checkpoint", None):
        assert time.monotonic() < wait_for_run, "the stopped model was never saved"
        time.sleep(0.05)
    # What the worker does after EVICT_SECONDS unwatched, done at once:
    registry._on_event(Evicted(model_id, registry.status(model_id).generation))
    assert worker.alive
    replica = registry.view(model_id, fresh=True)  # reopened from its checkpoint
    assert replica.iteration == 15 and "Reopened" in registry.status(model_id).note


def test_workers_run_below_the_server_in_cpu_priority(registry, corpus):
    from rnn.service.worker import WORKER_NICE

    model_id = registry.create(corpus, CONFIG)
    registry.command(model_id, "step", n=1)  # the worker is up
    pid = registry.status(model_id).worker.process.pid
    assert os.getpriority(os.PRIO_PROCESS, pid) == min(19, os.getpriority(os.PRIO_PROCESS, 0) + WORKER_NICE)
