"""The hyperparameter gallery: the shipped runs are what the table says and show what they claim; loading them
gives each owner one private copy."""

import dataclasses
import json

import pytest

from rnn import gallery
from rnn.runs.access import VisitorRuns
from rnn.runs.store import RunStore

SHIPPED = json.loads(gallery.PATH.read_text())["runs"]
BY_NAME = {r["name"].removeprefix("gallery: "): r for r in SHIPPED}
BASE = json.loads(gallery.BASE.to_json())


def test_each_shipped_run_changes_one_setting_of_the_base():
    assert [name for name, _, _ in gallery.VARIANTS] == list(BY_NAME)
    for name, what, change in gallery.VARIANTS:
        run = BY_NAME[name]
        differs = {k for k in BASE if run["config"][k] != BASE[k]}
        assert differs == set(change) and all(run["config"][k] == v for k, v in change.items()), name
        assert run["what"] == what and run["corpus_name"] == gallery.CORPUS
        iterations = [row[0] for row in run["rows"]]
        assert iterations == sorted(iterations) and iterations[-1] == run["summary"]["iterations"]


def test_the_runs_show_what_their_names_say():
    val = {name: r["summary"]["val_loss"] for name, r in BY_NAME.items()}
    assert val["lr 0.0003 (too low)"] > val["lr 0.003 (about right)"] + 0.5
    too_high = BY_NAME["lr 0.03 (too high)"]
    assert too_high["status"] == "diverged" or too_high["summary"]["val_loss"] > val["lr 0.003 (about right)"]
    assert val["seq 5 (short)"] > val["lr 0.003 (about right)"]
    assert val["hidden 16 (small)"] > val["lr 0.003 (about right)"]


def test_loading_gives_each_owner_one_private_copy(tmp_path):
    store = RunStore(tmp_path)
    ids = gallery.load_gallery(store, owner="alice")
    assert len(ids) == len(gallery.VARIANTS) and gallery.load_gallery(store, owner="alice") == ids  # once
    bob = gallery.load_gallery(store, owner="bob")
    assert set(bob).isdisjoint(ids)
    alice = VisitorRuns(store, {"alice"})
    assert {r.id for r in alice.runs()} == set(ids)  # bob's copies are not alice's to see
    for run_id, shipped in zip(ids, SHIPPED, strict=True):
        rec = store.get(run_id)
        assert rec.stored_status == shipped["status"] and "gallery" in rec.tags and rec.owner == "alice"
        assert store.metrics(run_id)["iteration"][-1] == shipped["rows"][-1][0]
        assert rec.val_loss == pytest.approx(shipped["summary"]["val_loss"])


def test_a_fresh_recording_loads(tmp_path, monkeypatch):
    monkeypatch.setattr(gallery, "VARIANTS", gallery.VARIANTS[:2])
    monkeypatch.setattr(gallery, "BASE", dataclasses.replace(gallery.BASE, hidden_size=8, eval_every=2))
    path = tmp_path / "gallery.json"
    gallery.save(gallery.record(steps=4), path)
    ids = gallery.load_gallery(RunStore(tmp_path), owner=None, path=path)
    assert [RunStore(tmp_path).get(i).iterations for i in ids] == [4, 4]
