"""`python -m rnn runs ...`, `python -m rnn sweep ...` and the recording done by `python -m rnn train`."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rnn.cli import main
from rnn.runs import RunStore

ROOT = Path(__file__).resolve().parents[2]
TINY = ["--builtin", "zen", "--hidden", "8", "--seq-length", "16"]


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("RNN_LAB_HOME", str(tmp_path))
    return tmp_path


def cli(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_train_records_its_run_and_runs_shows_it(home, capsys):
    code, out, _ = cli(capsys, "train", *TINY, "--steps", "40", "--eval-every", "20", "--name", "first", "--json")
    assert code == 0
    summary = json.loads(out.strip().splitlines()[-1])
    run_id = summary["run_id"]
    assert run_id is not None

    code, out, _ = cli(capsys, "runs", "list", "--json")
    runs = json.loads(out)
    assert isinstance(runs, list) and len(runs) == 1
    r = runs[0]
    assert r["id"] == run_id and r["name"] == "first" and r["status"] == "finished" and r["source"] == "cli"
    assert r["iterations"] == 40 and r["config"]["hidden_size"] == 8 and r["corpus_name"] == "zen"
    assert r["val_loss"] == pytest.approx(summary["val_loss"])
    assert r["train_loss"] == pytest.approx(summary["train_loss"])

    code, out, _ = cli(capsys, "runs", "list")
    assert code == 0 and "first" in out and "finished" in out

    code, out, _ = cli(capsys, "runs", "show", str(run_id))
    assert code == 0 and f"run #{run_id}" in out and "hidden_size" in out and "val loss" in out

    code, out, _ = cli(capsys, "runs", "export", str(run_id))
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 40 and rows[0]["iteration"] == "1" and rows[-1]["chars"] == str(40 * 16)
    assert rows[19]["val_loss"] and not rows[18]["val_loss"]

    out_file = home / "m.csv"
    code, _, err = cli(capsys, "runs", "export", str(run_id), "--out", str(out_file))
    assert code == 0 and "40 rows" in err
    assert out_file.read_text().splitlines()[0] == "iteration,chars,seconds,loss,smooth_loss,val_loss"


def test_no_record_records_nothing(home, capsys):
    code, out, _ = cli(capsys, "train", *TINY, "--steps", "5", "--no-record", "--json")
    assert code == 0 and json.loads(out.strip().splitlines()[-1])["run_id"] is None
    assert RunStore(home).list_runs() == []


def test_rename_tag_delete(home, capsys):
    cli(capsys, "train", *TINY, "--steps", "5")
    cli(capsys, "train", *TINY, "--steps", "5")
    a, b = sorted(r.id for r in RunStore(home).list_runs())
    assert cli(capsys, "runs", "rename", str(a), "baseline")[0] == 0
    assert cli(capsys, "runs", "tag", str(a), "week1", "class")[0] == 0
    r = RunStore(home).get(a)
    assert r.name == "baseline" and r.tags == ["week1", "class"]
    code, out, _ = cli(capsys, "runs", "list", "--json")
    assert [x["id"] for x in json.loads(out)] == [b, a]  # newest first
    assert cli(capsys, "runs", "delete", str(b))[0] == 0
    assert [r.id for r in RunStore(home).list_runs()] == [a]
    code, _, err = cli(capsys, "runs", "show", str(b))
    assert code == 1 and f"no run #{b}" in err


def test_corrupt_database_one_clear_line_but_training_still_works(home, capsys):
    (home / "runs.sqlite").write_bytes(b"\x00garbage" * 512)
    code, out, err = cli(capsys, "runs", "list")
    assert code == 1
    assert err.count("\n") == 1 and "unreadable" in err and "Traceback" not in err
    code, out, err = cli(capsys, "train", *TINY, "--steps", "5")
    assert code == 0 and "5 iterations" in out
    assert "warning: this run is not recorded" in err and "training continues" in err


def test_sweep_cli_tiny_grid(home, capsys):
    code, out, err = cli(capsys, "sweep", *TINY, "--lr", "0.05", "0.2", "--steps", "10", "--workers", "2", "--json")
    assert code == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    assert len(result["runs"]) == 2 and {r["status"] for r in result["runs"]} == {"finished"}
    assert "[2/2]" in err
    runs = RunStore(home).list_runs(sweep_id=result["sweep_id"])
    assert sorted(r.config["learning_rate"] for r in runs) == [0.05, 0.2]
    assert {r.config["hidden_size"] for r in runs} == {8} and {r.config["seq_length"] for r in runs} == {16}


def test_sweep_cli_dry_run_and_errors(home, capsys):
    code, out, _ = cli(capsys, "sweep", "--lr", "0.1", "0.01", "--hidden", "16", "32", "--optimizer", "adam", "sgd",
                       "--dry-run")
    assert code == 0 and len(out.strip().splitlines()) == 8
    code, out, _ = cli(capsys, "sweep", "--lr", "0.001", "0.1", "--random", "5", "--dry-run")
    assert code == 0 and len(out.strip().splitlines()) == 5
    code, _, err = cli(capsys, "sweep", "--lr", "0.1", "--steps", "0")
    assert code == 1 and "at least 1" in err
    code, _, err = cli(capsys, "sweep", "--lr", "0.1", "--workers", "0")
    assert code == 1 and "--workers" in err
    assert RunStore(home).list_runs() == []


def test_python_m_rnn_train_in_a_subprocess_records(tmp_path):
    env = {**os.environ, "RNN_LAB_HOME": str(tmp_path), "OPENBLAS_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-m", "rnn", "train", *TINY, "--steps", "10"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    proc = subprocess.run([sys.executable, "-m", "rnn", "runs", "list", "--json"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    runs = json.loads(proc.stdout)
    assert len(runs) == 1 and runs[0]["iterations"] == 10 and runs[0]["status"] == "finished"


def test_sweep_id_runs_the_spec_the_store_holds(home, capsys):
    """The dashboard stores a sweep's spec and starts `sweep --sweep-id N`: the process runs that spec."""
    from dataclasses import asdict

    from rnn.runs.sweep import SweepSpec, expand

    spec = SweepSpec(grid={"learning_rate": [0.05, 0.2], "hidden_size": [8], "seq_length": [16]}, builtin="zen",
                     steps=10, name="stored").validate()
    store = RunStore(home)
    sweep_id = store.create_sweep(spec.name, asdict(spec), len(expand(spec)))
    code, out, err = cli(capsys, "sweep", "--sweep-id", str(sweep_id), "--workers", "2", "--json")
    assert code == 0, err
    assert json.loads(out.strip().splitlines()[-1])["sweep_id"] == sweep_id
    runs = store.list_runs(sweep_id=sweep_id)
    assert sorted(r.config["learning_rate"] for r in runs) == [0.05, 0.2]
    assert {r.iterations for r in runs} == {10} and all(r.name.startswith("stored lr") for r in runs)
    # The stored spec is the whole description: flags beside --sweep-id would be a second one.
    code, _, err = cli(capsys, "sweep", "--sweep-id", str(sweep_id), "--lr", "0.1")
    assert code == 1 and "--sweep-id" in err
