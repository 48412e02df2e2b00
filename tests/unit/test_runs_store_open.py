"""Opening the run store: a fresh store opened by several processes at once, and a store we cannot write."""

from __future__ import annotations

import io
import multiprocessing as mp
import os
import sqlite3
import tempfile
import threading
import time
from contextlib import redirect_stdout

import pytest

from rnn import cli
from rnn.runs.store import RunStore, RunStoreError

NOBODY = 65534


def test_first_open_waits_for_a_writer_instead_of_failing(tmp_path):
    # Another process in the middle of creating the schema holds a write lock on the brand-new file:
    # `PRAGMA journal_mode = WAL` then fails at once with "database is locked" (no busy timeout applies).
    other = sqlite3.connect(tmp_path / "runs.sqlite", isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    threading.Timer(0.5, lambda: other.execute("COMMIT")).start()
    t0 = time.monotonic()
    store = RunStore(tmp_path)
    assert time.monotonic() - t0 >= 0.4  # it waited for the lock rather than failing
    run_id = store.create_run(config={}, name="after the wait")
    assert [r.name for r in store.list_runs()] == ["after the wait"] and run_id == 1
    other.close()


def _open_and_record(home, barrier, errors):
    barrier.wait()
    try:
        RunStore(home).create_run(config={}, name=f"pid {os.getpid()}")
    except Exception as exc:  # noqa: BLE001 - reported to the test
        errors.put(repr(exc))


def test_many_processes_opening_a_fresh_home_at_once_all_record(tmp_path):
    ctx = mp.get_context("fork")  # fast starts, so the processes really race
    procs_per_home, homes = 8, 12
    deadline = time.monotonic() + 120
    errors = ctx.Queue()
    for rep in range(homes):
        home = tmp_path / f"home{rep}"
        barrier = ctx.Barrier(procs_per_home)
        procs = [ctx.Process(target=_open_and_record, args=(home, barrier, errors)) for _ in range(procs_per_home)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(max(1.0, deadline - time.monotonic()))
            assert p.exitcode == 0, "an opener hung or crashed"
        assert errors.empty(), errors.get()
        assert len(RunStore(home).list_runs()) == procs_per_home  # every run recorded
    assert time.monotonic() < deadline


def test_the_retry_is_bounded(tmp_path, monkeypatch):
    store = RunStore(tmp_path)
    calls = []

    def always_locked():
        calls.append(time.monotonic())
        raise RunStoreError("... (OperationalError: database is locked).")

    monkeypatch.setattr(store, "_init_schema", always_locked)
    t0 = time.monotonic()
    with pytest.raises(RunStoreError, match="locked"):
        store._init_schema_retrying(seconds=0.5)
    # it gives up before the next pause would pass the deadline: with jitter, from about 0.15 s on
    assert 0.1 < time.monotonic() - t0 < 1.5 and len(calls) > 2


# ------------------------------------------------------------------ read-only stores


@pytest.fixture
def read_only_home():
    """A store with two runs in a folder other users can read but not write (as root, the test drops to
    nobody in a forked child, where the permission bits are enforced)."""
    home = tempfile.mkdtemp(prefix="rnn-ro-")
    store = RunStore(home)
    store.finish_run(store.create_run(config={"hidden_size": 8}, name="first"), "diverged")
    store.finish_run(store.create_run(config={}, name="second"), "finished", iterations=5)
    os.chmod(os.path.join(home, "runs.sqlite"), 0o444)
    os.chmod(home, 0o555)
    yield home
    os.chmod(home, 0o755)
    for name in os.listdir(home):
        os.unlink(os.path.join(home, name))
    os.rmdir(home)


def _as_other_user(fn):
    """fn() in a forked child that cannot write the store (nobody, if we are root); returns its result."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(r)
        try:
            if os.geteuid() == 0:
                os.setgid(NOBODY)
                os.setuid(NOBODY)
            out = repr(fn())
        except BaseException as exc:  # noqa: BLE001 - the parent asserts on it
            out = f"raised {type(exc).__name__}: {exc}"
        os.write(w, out.encode())
        os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        out = f.read().decode()
    os.waitpid(pid, 0)
    return out


def test_a_read_only_store_can_be_listed(read_only_home):
    def listing():
        if os.access(read_only_home, os.W_OK):
            return "the folder is writable: the test proves nothing"
        store = RunStore(read_only_home)
        return store.read_only, [(r.name, r.status) for r in store.list_runs()], store.get(2).iterations

    assert _as_other_user(listing) == repr((True, [("second", "finished"), ("first", "diverged")], 5))
    assert not any(n.endswith(("-wal", "-shm")) for n in os.listdir(read_only_home))


def test_runs_list_on_a_read_only_store(read_only_home, monkeypatch):
    monkeypatch.setenv("RNN_LAB_HOME", read_only_home)

    def run_cli():
        buf = io.StringIO()
        with redirect_stdout(buf):
            code = cli.main(["runs", "list"])
        return code, buf.getvalue()

    out = _as_other_user(run_cli)
    assert out.startswith("(0, ") and "first" in out and "second" in out, out


def test_writing_to_a_read_only_store_says_why(read_only_home):
    def write():
        RunStore(read_only_home).create_run(config={})

    out = _as_other_user(write)
    assert out.startswith("raised RunStoreError") and "read-only" in out and "RNN_LAB_HOME" in out, out


def test_a_read_only_folder_without_a_database_lists_nothing(tmp_path):
    home = tempfile.mkdtemp(prefix="rnn-ro-empty-")
    os.chmod(home, 0o555)
    try:
        out = _as_other_user(lambda: RunStore(home).list_runs())
        assert out == "[]" and os.listdir(home) == []
    finally:
        os.rmdir(home)
