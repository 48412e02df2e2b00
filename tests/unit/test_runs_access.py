"""Who sees and changes which run: the store's owner rule, and VisitorRuns, the app's only way to runs."""

from __future__ import annotations

import pytest

from rnn.runs.access import VisitorRuns
from rnn.runs.store import RunStore, RunStoreError


@pytest.fixture
def store(tmp_path):
    return RunStore(tmp_path)


def _runs(store):
    cli = store.create_run(config={}, name="teacher cli", source="cli")
    a = store.create_run(config={}, name="a live", source="dashboard", model_key="model-a",
                         corpus_name="a's diary.txt")
    store.update_run(a, metrics=[(1, 10, 0.1, 3.0, 3.0)], val_metrics=[(1, 2.5)], checkpoint="/x/run-a.npz")
    b = store.create_run(config={}, name="b live", source="dashboard", model_key="model-b")
    return cli, a, b


def test_each_visitor_sees_the_server_runs_and_its_own(store):
    cli, a, b = _runs(store)
    alice, bob = VisitorRuns(store, {"model-a"}), VisitorRuns(store, {"model-b"})
    assert [r.id for r in alice.runs()] == [a, cli]
    assert [r.id for r in bob.runs()] == [b, cli]
    assert {r.id for r in VisitorRuns(store, set()).runs()} == {cli}  # no model yet: the server's only
    assert {r.id for r in store.list_runs()} == {cli, a, b}  # the command line (the operator) sees all
    assert store.get(a).owner == "model-a" and store.get(cli).owner is None


def test_another_visitors_run_reads_as_missing_whatever_the_id(store):
    cli, a, _ = _runs(store)
    bob = VisitorRuns(store, {"model-b"})
    for action in (lambda: bob.get(a), lambda: bob.metrics(a), lambda: bob.val_metrics(a),
                   lambda: bob.rename(a, "mine now"), lambda: bob.set_tags(a, "x"), lambda: bob.delete(a)):
        with pytest.raises(RunStoreError, match=f"no run #{a}"):
            action()
    rec = store.get(a)  # untouched
    assert rec.name == "a live" and rec.tags == [] and store.metrics(a)["loss"] == [3.0]
    with pytest.raises(RunStoreError, match="no run #999"):  # and a missing run reads the same
        bob.get(999)
    assert bob.continuable(store.get(a)) is None  # even with the record in hand, not its model


def test_server_runs_are_read_only_in_the_app(store):
    cli, _, _ = _runs(store)
    bob = VisitorRuns(store, {"model-b"})
    assert not bob.owns(bob.get(cli))
    for action in (lambda: bob.rename(cli, "mine"), lambda: bob.set_tags(cli, "x"), lambda: bob.delete(cli)):
        with pytest.raises(RunStoreError, match="read-only here"):
            action()
    assert store.get(cli).name == "teacher cli"
    assert bob.metrics(cli) is not None  # but readable: comparing with the teacher's runs is the point


def test_a_visitor_changes_its_own_runs(store):
    _, a, _ = _runs(store)
    alice = VisitorRuns(store, {"model-a", "older-model"})
    assert alice.owns(alice.get(a)) and alice.continuable(alice.get(a)) == "model-a"
    alice.rename(a, "baseline")
    alice.set_tags(a, "week1")
    assert store.get(a).name == "baseline" and store.get(a).tags == ["week1"]
    newer = store.create_run(config={}, model_key="model-a")
    assert alice.continuable(alice.get(a)) is None and alice.continuable(alice.get(newer)) == "model-a"
    alice.delete(a)
    assert a not in {r.id for r in store.list_runs()}


def test_a_dashboard_sweep_and_its_runs_belong_to_its_launcher(store):
    cli, _, b = _runs(store)
    sweep = store.create_sweep("sweep", {}, 2, owner="model-a")
    runs = [store.create_run(config={}, source="sweep", sweep_id=sweep) for _ in range(2)]
    server_sweep = store.create_sweep("sweep", {}, 1)
    server_run = store.create_run(config={}, source="sweep", sweep_id=server_sweep)
    alice, bob = VisitorRuns(store, {"model-a"}), VisitorRuns(store, {"model-b"})
    assert {store.get(r).owner for r in runs} == {"model-a"} and store.get(server_run).owner is None
    assert {r.id for r in alice.runs(sweep_id=sweep)} == set(runs)
    assert bob.runs(sweep_id=sweep) == [] and {r.id for r in bob.runs()} == {cli, b, server_run}
    assert alice.owns(alice.get(runs[0]))
    assert alice.active_sweeps() == [sweep] and bob.active_sweeps() == []  # this process is the sweep's
    assert alice.sweep_progress(sweep)["total"] == 2
    for action in (lambda: bob.sweep_progress(sweep), lambda: bob.cancel_sweep(sweep),
                   lambda: bob.cancel_sweep(server_sweep)):
        with pytest.raises(RunStoreError, match="no sweep #"):
            action()
    assert not store.sweep_cancelled(sweep)
    alice.cancel_sweep(sweep)
    assert store.sweep_cancelled(sweep)
    store.finish_sweep(sweep)
    assert alice.active_sweeps() == []
