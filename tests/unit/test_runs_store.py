"""The run store: round trip across processes, concurrent writers, killed runs, corrupt files."""

from __future__ import annotations

import io
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from rnn.checkpoint import load_checkpoint
from rnn.corpus import load_builtin, make_corpus
from rnn.runs import RunRecorder, RunStore, RunStoreError
from rnn.runs import store as store_mod
from rnn.train import TrainConfig, Trainer

ROOT = Path(__file__).resolve().parents[2]


def tiny_trainer(lr=0.1, eval_every=10, seed=0) -> Trainer:
    corpus = make_corpus(load_builtin("zen"), "zen", seq_length=16)
    return Trainer(corpus, TrainConfig(hidden_size=10, seq_length=16, learning_rate=lr, eval_every=eval_every,
                                       seed=seed))


def run_py(code: str, home, **kw) -> subprocess.Popen:
    env = {**os.environ, "RNN_LAB_HOME": str(home), "OPENBLAS_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def test_round_trip_across_processes(tmp_path):
    proc = run_py("""
        from rnn.corpus import load_builtin, make_corpus
        from rnn.runs import RunRecorder
        from rnn.train import TrainConfig, Trainer
        t = Trainer(make_corpus(load_builtin("zen"), "zen", seq_length=16),
                    TrainConfig(hidden_size=10, seq_length=16, batch_size=2, eval_every=25))
        with RunRecorder(t, name="from a child", tags=["a", "b"]) as rec:
            t.step(60)
        print(rec.run_id)
    """, tmp_path)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    run_id = int(out.strip())

    store = RunStore(tmp_path)
    (rec,) = store.list_runs()
    assert rec.id == run_id and rec.name == "from a child" and rec.tags == ["a", "b"]
    assert rec.status == "finished" and rec.source == "cli"
    assert rec.iterations == 60 and rec.chars_trained == 60 * 2 * 16
    assert rec.config["hidden_size"] == 10 and rec.config["batch_size"] == 2
    assert rec.corpus_name == "zen" and rec.corpus_fingerprint == make_corpus(load_builtin("zen"), "zen").fingerprint
    assert rec.train_loss is not None and rec.val_loss is not None and rec.chars_per_sec > 0
    m = store.metrics(run_id)
    assert m["iteration"] == list(range(1, 61))
    assert m["chars"] == [i * 32 for i in range(1, 61)]
    assert all(b >= a for a, b in zip(m["seconds"], m["seconds"][1:], strict=False))
    assert [i for i, _ in store.val_metrics(run_id)] == [25, 50]
    # The stored checkpoint resumes the same model.
    t = load_checkpoint(rec.checkpoint)
    assert t.iteration == 60 and t.history["loss"] == m["loss"]


def test_concurrent_writers_lose_nothing(tmp_path):
    store = RunStore(tmp_path)
    shared = store.create_run(config={"shared": True}, name="shared")
    n_proc, n_rows = 4, 60
    code = f"""
        import sys
        from rnn.runs import RunStore
        k = int(sys.argv[1])
        store = RunStore()
        own = store.create_run(config={{"writer": k}}, name=f"writer {{k}}")
        for i in range({n_rows}):
            # one transaction each: a row in the writer's own run and one in the shared run
            store.update_run(own, metrics=[(i, i, 0.0, 1.0, 1.0)], iterations=i + 1)
            store.update_run({shared}, metrics=[(k * 1000 + i, 0, 0.0, float(k), 1.0)])
        store.rename(own, f"writer {{k}} done")
        store.finish_run(own)
    """
    env = {**os.environ, "RNN_LAB_HOME": str(tmp_path), "OPENBLAS_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), str(k)], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for k in range(n_proc)]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        assert "locked" not in err
    runs = {r.name: r for r in store.list_runs()}
    for k in range(n_proc):
        r = runs[f"writer {k} done"]
        assert r.status == "finished" and r.iterations == n_rows
        assert store.metrics(r.id)["iteration"] == list(range(n_rows))
    assert len(store.metrics(shared)["iteration"]) == n_proc * n_rows
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_killed_run_is_marked_killed_and_consistent(tmp_path):
    proc = run_py("""
        import sys
        from rnn.corpus import load_builtin, make_corpus
        from rnn.runs import RunRecorder
        from rnn.train import TrainConfig, Trainer
        t = Trainer(make_corpus(load_builtin("zen"), "zen", seq_length=16), TrainConfig(hidden_size=10, seq_length=16))
        rec = RunRecorder(t, every=0.0)
        print(rec.run_id, flush=True)
        while True:  # until killed
            t.step(5)
            rec.update(force=True)
    """, tmp_path)
    run_id = int(proc.stdout.readline())
    store = RunStore(tmp_path)
    deadline = time.monotonic() + 60
    while store.get(run_id).iterations < 20:  # let it write a few times
        assert proc.poll() is None, proc.stderr.read()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert store.get(run_id).status == "running"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stdout.close()
    proc.stderr.close()

    rec = store.get(run_id)
    assert rec.status == "killed" and rec.stored_status == "running"
    assert rec.checkpoint is None and rec.finished_at is None
    # Never half-written: the summary and the metric rows come from the same transaction.
    m = store.metrics(run_id)
    assert m["iteration"] == list(range(1, rec.iterations + 1))
    assert rec.iterations % 5 == 0
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_stale_heartbeat_reads_as_killed(tmp_path, monkeypatch):
    store = RunStore(tmp_path)
    # A run started on another machine: its pid cannot be checked, only its heartbeat.
    run_id = store.create_run(config={}, host="elsewhere", pid=1)
    assert store.get(run_id).status == "running"
    monkeypatch.setattr(store_mod, "STALE_SECONDS", -1.0)
    assert store.get(run_id).status == "killed"


def test_paused_run_of_a_live_process_is_not_killed(tmp_path, monkeypatch):
    """A dashboard run paused for longer than the heartbeat threshold: its process (this one) is alive."""
    store = RunStore(tmp_path)
    run_id = store.create_run(config={}, pid=os.getpid())
    monkeypatch.setattr(store_mod, "STALE_SECONDS", -1.0)
    assert store.get(run_id).status == "running"


def test_recorder_statuses(tmp_path):
    store = RunStore(tmp_path)
    t = tiny_trainer()
    with pytest.raises(RuntimeError):
        with RunRecorder(t, store) as rec:
            t.step(5)
            raise RuntimeError("boom")
    r = store.get(rec.run_id)
    assert r.status == "failed" and "boom" in r.message and r.iterations == 5
    assert len(store.metrics(rec.run_id)["iteration"]) == 5

    t = tiny_trainer()
    with pytest.raises(KeyboardInterrupt):
        with RunRecorder(t, store) as rec:
            t.step(3)
            raise KeyboardInterrupt
    assert store.get(rec.run_id).status == "killed"

    t = tiny_trainer(lr=1e6)  # diverges at once
    with RunRecorder(t, store) as rec, np.errstate(all="ignore"):
        t.step(50)
    r = store.get(rec.run_id)
    assert t.status == "diverged" and r.status == "diverged" and "diverged" in r.message


def test_resumed_trainer_records_its_whole_history(tmp_path):
    store = RunStore(tmp_path)
    t = tiny_trainer()
    with RunRecorder(t, store) as first:
        t.step(20)
    resumed = load_checkpoint(store.get(first.run_id).checkpoint)
    with RunRecorder(resumed, store) as second:
        resumed.step(10)
    m = store.metrics(second.run_id)
    assert m["iteration"] == list(range(1, 31))
    assert m["loss"][:20] == store.metrics(first.run_id)["loss"]


def test_export_rename_tag_delete(tmp_path):
    store = RunStore(tmp_path)
    t = tiny_trainer(eval_every=5)
    with RunRecorder(t, store) as rec:
        t.step(10)
    buf = io.StringIO()
    assert store.export_csv(rec.run_id, buf) == 10
    lines = buf.getvalue().splitlines()
    assert lines[0] == "iteration,chars,seconds,loss,smooth_loss,val_loss"
    it5 = lines[5].split(",")
    assert it5[0] == "5" and it5[1] == "80" and float(it5[5]) == pytest.approx(t.val_history[0][1])
    assert lines[4].split(",")[5] == ""
    assert float(lines[1].split(",")[3]) == t.history["loss"][0]

    store.rename(rec.run_id, "  baseline  ")
    store.set_tags(rec.run_id, "week1, class ,week1,")
    r = store.get(rec.run_id)
    assert r.name == "baseline" and r.tags == ["week1", "class"]
    with pytest.raises(ValueError):
        store.rename(rec.run_id, " ")
    ckpt = Path(r.checkpoint)
    assert ckpt.exists()
    store.delete(rec.run_id)
    assert not ckpt.exists()
    assert store.list_runs() == []
    with sqlite3.connect(store.path) as conn:  # the metrics went with it
        assert conn.execute("SELECT COUNT(*) FROM metrics").fetchone()[0] == 0
    with pytest.raises(RunStoreError, match="no run #"):
        store.get(rec.run_id)


def test_unreadable_database_gives_a_clear_error(tmp_path):
    (tmp_path / "runs.sqlite").write_bytes(os.urandom(4096))
    with pytest.raises(RunStoreError) as info:
        RunStore(tmp_path)
    msg = str(info.value)
    assert "unreadable" in msg and str(tmp_path / "runs.sqlite") in msg and "RNN_LAB_HOME" in msg


def test_newer_schema_is_refused(tmp_path):
    RunStore(tmp_path)
    with sqlite3.connect(tmp_path / "runs.sqlite") as conn:
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(RunStoreError, match="schema version 99"):
        RunStore(tmp_path)


def test_default_home_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("RNN_LAB_HOME", str(tmp_path / "lab"))
    store = RunStore()
    assert store.path == tmp_path / "lab" / "runs.sqlite" and store.path.exists()


def test_long_runs_store_windows_not_every_step():
    from types import SimpleNamespace

    from rnn.runs.recorder import DENSE_STEPS, history_rows

    n = 8 * DENSE_STEPS
    losses = [float(i % 7) for i in range(n)]
    t = SimpleNamespace(iteration=n, chars_trained=n * 10, config=SimpleNamespace(batch_size=2, seq_length=5),
                        history={"loss": losses, "seconds": [0.001 * i for i in range(n)],
                                 "smooth_loss": [1.0] * n})
    rows, nxt = history_rows(t)
    its = [r[0] for r in rows]
    assert nxt == n and its[-1] == n
    assert its[:DENSE_STEPS] == list(range(1, DENSE_STEPS + 1))  # dense at first
    assert len(rows) == DENSE_STEPS * (1 + 3 / 2)  # log2(8) = 3 doublings; instead of 8 * DENSE_STEPS
    # Each row's loss is the mean over its window, so the overall mean is kept.
    widths = [b - a for a, b in zip([0, *its], its, strict=False)]
    assert sum(r[3] * w for r, w in zip(rows, widths, strict=True)) == pytest.approx(sum(losses))
    assert rows[-1][1] == n * 10 and rows[0][1] == 10
    # Written in pieces (as the recorder does while training), the rows are the same.
    t.history = {k: v[: n // 3 + 1] for k, v in t.history.items()}
    t.iteration, t.chars_trained = n // 3 + 1, (n // 3 + 1) * 10
    part1, nxt1 = history_rows(t, 0, final=False)
    t.history = {"loss": losses, "seconds": [0.001 * i for i in range(n)], "smooth_loss": [1.0] * n}
    t.iteration, t.chars_trained = n, n * 10
    part2, _ = history_rows(t, nxt1, final=True)
    assert part1 + part2 == rows


def _schema_2() -> str:
    """The schema before owners (version 2): no owner column in runs or sweeps."""
    old = _schema_3().replace(",\n    owner TEXT", "").replace(
        "CREATE INDEX IF NOT EXISTS runs_owner ON runs(owner);", "")
    assert "owner" not in old
    return old


def _schema_3() -> str:
    """The schema before setting trails (version 3): no config_trail column in runs."""
    old = store_mod._SCHEMA.replace(",\n    config_trail TEXT NOT NULL DEFAULT '{}'", "")
    assert "config_trail" not in old
    return old


def test_a_schema_1_store_is_upgraded_in_place(tmp_path):
    # A store written before live models (schema 1, no model_key column) keeps its runs and gains the column.
    db = tmp_path / "runs.sqlite"
    conn = sqlite3.connect(db)
    old_schema = _schema_2().replace(",\n    model_key TEXT", "").replace(
        "CREATE INDEX IF NOT EXISTS runs_model ON runs(model_key);", "")
    conn.executescript(old_schema)
    conn.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    conn.execute("INSERT INTO runs (name, status, source, config, created_at, heartbeat) "
                 "VALUES ('old', 'finished', 'cli', '{}', 1.0, 1.0)")
    conn.commit()
    conn.close()
    store = RunStore(tmp_path)
    assert [r.name for r in store.list_runs()] == ["old"]
    run_id = store.create_run(config={}, model_key="abc")
    assert store.latest_run_of_model("abc").id == run_id
    assert store.latest_run_of_model("nope") is None
    # It went through version 2 to 3: the old run has no owner, so it is the server's (visible to all).
    assert store.get(run_id).owner == "abc" and store.list_runs(visible_to=set())[-1].owner is None


def test_a_schema_2_store_gains_owners(tmp_path):
    # Before owners (schema 2): a live model's runs become its own, an older dashboard run (no model key)
    # nobody's in the app, CLI and sweep runs stay the server's; sweeps gain the column.
    db = tmp_path / "runs.sqlite"
    conn = sqlite3.connect(db)
    conn.executescript(_schema_2())
    conn.execute("INSERT INTO meta VALUES ('schema_version', '2')")
    conn.execute("INSERT INTO sweeps (name, spec, total, created_at) VALUES ('old sweep', '{}', 1, 1.0)")
    for name, source, key, sweep in [("cli", "cli", None, None), ("live", "dashboard", "key-a", None),
                                     ("pasted", "dashboard", None, None), ("swept", "sweep", None, 1)]:
        conn.execute("INSERT INTO runs (name, status, source, config, created_at, heartbeat, model_key, sweep_id)"
                     " VALUES (?, 'finished', ?, '{}', 1.0, 1.0, ?, ?)", (name, source, key, sweep))
    conn.commit()
    conn.close()
    store = RunStore(tmp_path)
    owners = {r.name: r.owner for r in store.list_runs()}
    assert owners == {"cli": None, "live": "key-a", "pasted": store_mod.UNCLAIMED, "swept": None}
    with sqlite3.connect(db) as c:
        assert c.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == "4"
    assert store.get_sweep(1)["owner"] is None
    assert {r.name for r in store.list_runs(visible_to={"key-a"})} == {"cli", "live", "swept"}
    assert {r.name for r in store.list_runs(visible_to={"key-b"})} == {"cli", "swept"}
    RunStore(tmp_path)  # opening it again is the fast path, and changes nothing
    assert {r.name: r.owner for r in store.list_runs()} == owners


def test_a_changed_setting_keeps_its_trail_first_to_last(tmp_path):
    store = RunStore(tmp_path)
    run_id = store.create_run(config={"learning_rate": 0.1, "optimizer": "adagrad", "hidden_size": 32})
    assert store.get(run_id).config_trail == {}  # nothing changed yet
    store.update_run(run_id, config={"learning_rate": 0.1, "optimizer": "adagrad", "hidden_size": 32})
    store.update_run(run_id, config={"learning_rate": 0.05, "optimizer": "adagrad", "hidden_size": 32})
    store.update_run(run_id, config={"learning_rate": 0.05, "optimizer": "adam", "hidden_size": 32})
    store.finish_run(run_id, config={"learning_rate": 0.01, "optimizer": "adam", "hidden_size": 32})
    rec = store.get(run_id)
    assert rec.config["learning_rate"] == 0.01  # the config is the last one, as before
    assert rec.config_trail == {"learning_rate": [0.1, 0.05, 0.01], "optimizer": ["adagrad", "adam"]}
    assert store_mod.trail_values(rec, "learning_rate") == [0.1, 0.05, 0.01]
    assert store_mod.trail_values(rec, "hidden_size") == [32]


def test_a_long_trail_keeps_its_first_and_latest_values(tmp_path):
    store = RunStore(tmp_path)
    run_id = store.create_run(config={"learning_rate": 1.0})
    for i in range(2, 200):
        store.update_run(run_id, config={"learning_rate": 1.0 / i})
    trail = store.get(run_id).config_trail["learning_rate"]
    assert len(trail) == store_mod.TRAIL_MAX and trail[0] == 1.0 and trail[-1] == 1.0 / 199


def test_a_schema_3_store_gains_trails(tmp_path):
    db = tmp_path / "runs.sqlite"
    conn = sqlite3.connect(db)
    conn.executescript(_schema_3())
    conn.execute("INSERT INTO meta VALUES ('schema_version', '3')")
    conn.execute("INSERT INTO runs (name, status, source, config, created_at, heartbeat) "
                 "VALUES ('old', 'finished', 'cli', '{\"learning_rate\": 0.1}', 1.0, 1.0)")
    conn.commit()
    conn.close()
    store = RunStore(tmp_path)
    (old,) = store.list_runs()
    assert old.config_trail == {} and store_mod.trail_values(old, "learning_rate") == [0.1]
    store.update_run(old.id, config={"learning_rate": 0.01})
    assert store.get(old.id).config_trail == {"learning_rate": [0.1, 0.01]}
