"""The run store: every training run (CLI, dashboard, sweep) in one embedded SQLite database.

Layout under the data folder `RNN_LAB_HOME` (default `./runs`):
    runs.sqlite            runs, per-step metrics, validation points, sweeps
    checkpoints/run-N.npz  each run's final checkpoint (written to a temp file, then renamed)

Safety with several writers (dashboard sessions, CLI, sweep workers): WAL journal, one short
transaction per write (`BEGIN IMMEDIATE`, so two writers never deadlock upgrading a read lock), a busy
timeout plus a retry, and a fresh connection per operation (connections are never shared between
threads or processes). A process killed mid-write leaves the last committed state: SQLite rolls the
unfinished transaction back. A run left "running" by a dead process (same host, pid gone) is reported
as "killed"; so is a run from another host whose heartbeat is stale (its pid cannot be checked).
"""

from __future__ import annotations

import csv
import json
import os
import random
import socket
import sqlite3
import time
import urllib.parse
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ..lifecycle import process_alive

SCHEMA_VERSION = 4
DB_NAME = "runs.sqlite"
# "paused": a live dashboard model that stopped training and saved a checkpoint it can reopen from.
STATUSES = ("running", "paused", "finished", "diverged", "killed", "failed")
# A live writer refreshes its heartbeat every few seconds while training; a paused dashboard session does
# not, so the threshold is generous. It only decides for runs whose process cannot be checked (another
# host, or no pid): on this host a live pid means the run is held, for example by a paused session.
STALE_SECONDS = 600.0
BUSY_TIMEOUT_S = 30.0
INIT_RETRY_SECONDS = 30.0  # first open of a store: how long to retry a locked schema setup

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sweeps (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    spec TEXT NOT NULL,
    total INTEGER NOT NULL,
    created_at REAL NOT NULL,
    cancelled INTEGER NOT NULL DEFAULT 0,
    finished_at REAL,
    pid INTEGER,
    host TEXT,
    owner TEXT
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    source TEXT NOT NULL,
    config TEXT NOT NULL,
    corpus_name TEXT,
    corpus_fingerprint TEXT,
    vocab_size INTEGER,
    created_at REAL NOT NULL,
    heartbeat REAL NOT NULL,
    finished_at REAL,
    pid INTEGER,
    host TEXT,
    iterations INTEGER NOT NULL DEFAULT 0,
    chars_trained INTEGER NOT NULL DEFAULT 0,
    train_seconds REAL NOT NULL DEFAULT 0,
    duration REAL NOT NULL DEFAULT 0,
    chars_per_sec REAL,
    train_loss REAL,
    val_loss REAL,
    checkpoint TEXT,
    tags TEXT NOT NULL DEFAULT '[]',
    message TEXT NOT NULL DEFAULT '',
    sweep_id INTEGER REFERENCES sweeps(id) ON DELETE SET NULL,
    model_key TEXT,
    owner TEXT,
    config_trail TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS metrics (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    iteration INTEGER NOT NULL,
    chars INTEGER NOT NULL,
    seconds REAL NOT NULL,
    loss REAL,
    smooth_loss REAL,
    PRIMARY KEY (run_id, iteration)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS val_metrics (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    iteration INTEGER NOT NULL,
    val_loss REAL,
    PRIMARY KEY (run_id, iteration)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS runs_sweep ON runs(sweep_id);
CREATE INDEX IF NOT EXISTS runs_model ON runs(model_key);
CREATE INDEX IF NOT EXISTS runs_owner ON runs(owner);
"""
# Who may see and change a run (the rule; RunStore's queries apply it, rnn/runs/access.py binds it to a visitor):
# - owner NULL: made on the server (command line, a sweep started there): visible to all, changed only there.
# - owner = a live model's id (its capability, ?model=<id>): the runs of that model and the sweeps launched
#   from it; visible and changeable only with that id, which its link carries (sharing the link shares them).
# UNCLAIMED owns dashboard runs older than owners: no link reaches them; the CLI still lists them.
UNCLAIMED = "unclaimed"

# Upgrades from older schema versions, applied in order (version 2: live models find their runs by key;
# version 3: runs and sweeps have an owner, the rule above; version 4: runs keep the trail of changed settings).
_MIGRATIONS = {
    1: "ALTER TABLE runs ADD COLUMN model_key TEXT; CREATE INDEX IF NOT EXISTS runs_model ON runs(model_key)",
    2: "ALTER TABLE runs ADD COLUMN owner TEXT; ALTER TABLE sweeps ADD COLUMN owner TEXT; "
       "UPDATE runs SET owner = model_key WHERE model_key IS NOT NULL; "
       # A dashboard run from before model keys may hold pasted text and has no link: nobody's in the app.
       f"UPDATE runs SET owner = '{UNCLAIMED}' WHERE owner IS NULL AND source = 'dashboard'; "
       "CREATE INDEX IF NOT EXISTS runs_owner ON runs(owner)",
    3: "ALTER TABLE runs ADD COLUMN config_trail TEXT NOT NULL DEFAULT '{}'",
}
# A run's config is its latest; settings changed during the run (learning rate, optimizer, ... live on the Train
# page) keep their values in order in config_trail, {field: [first, ..., latest]}, fields that never changed
# left out. A trail keeps its first value and the latest TRAIL_MAX - 1: a slider moved all lesson stays small.
TRAIL_MAX = 20

# Columns a caller may set with update_run / finish_run.
_UPDATABLE = {
    "name", "status", "iterations", "chars_trained", "train_seconds", "duration", "chars_per_sec", "train_loss",
    "val_loss", "checkpoint", "message", "finished_at", "config", "pid", "host",
}


class RunStoreError(RuntimeError):
    """The run database cannot be opened, read or written; the message says what to do."""


def default_home() -> Path:
    return Path(os.environ.get("RNN_LAB_HOME") or "runs")


@dataclass
class RunRecord:
    id: int
    name: str
    status: str  # the effective status: a dead "running" run reads as "killed"
    source: str
    config: dict
    corpus_name: str | None
    corpus_fingerprint: str | None
    vocab_size: int | None
    created_at: float
    heartbeat: float
    finished_at: float | None
    pid: int | None
    host: str | None
    iterations: int
    chars_trained: int
    train_seconds: float
    duration: float
    chars_per_sec: float | None
    train_loss: float | None
    val_loss: float | None
    checkpoint: str | None
    tags: list[str] = field(default_factory=list)
    message: str = ""
    sweep_id: int | None = None
    model_key: str | None = None  # the live model (capability id) this run belongs to, if any
    owner: str | None = None  # who may see and change it in the app (see UNCLAIMED); None: made on the server
    config_trail: dict = field(default_factory=dict)  # {field: [first, ..., latest]} of settings that changed
    stored_status: str = ""

    def to_dict(self) -> dict:
        d = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "stored_status"}
        return d


class RunStore:
    """Handle on the run database of one data folder. Cheap to create; holds no open connection."""

    def __init__(self, home: str | os.PathLike | None = None):
        self.home = Path(home) if home is not None else default_home()
        self.path = self.home / DB_NAME
        self.checkpoint_dir = self.home / "checkpoints"
        try:
            self.home.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            if not self.home.is_dir():
                raise RunStoreError(f"Cannot create the run folder {self.home}: {exc}. "
                                    "Set RNN_LAB_HOME to a writable folder.") from None
        # A store we cannot write (permissions, a read-only mount) can still be read: list, show, export.
        self.read_only = not _writable(self.home, self.path)
        if self.read_only:
            self._check_version()
        else:
            self._init_schema_retrying()

    # ------------------------------------------------------------------ connections
    def _explain(self, exc: Exception) -> RunStoreError:
        text = str(exc)
        if isinstance(exc, sqlite3.DatabaseError) and ("not a database" in text or "malformed" in text):
            return RunStoreError(
                f"The run database {self.path} is unreadable ({text}). Move or delete that file (a new, empty "
                "database is then created), or set RNN_LAB_HOME to another folder."
            )
        if "readonly" in text:
            return self._read_only_error()
        return RunStoreError(f"The run database {self.path} could not be used ({type(exc).__name__}: {text}).")

    def _read_only_error(self) -> RunStoreError:
        return RunStoreError(f"The run folder {self.home} is read-only for this user: its runs can be listed, "
                             "but nothing can be recorded or changed. Set RNN_LAB_HOME to a writable folder.")

    @contextmanager
    def _connect(self, write: bool = False):
        """One connection per operation; for writes, one IMMEDIATE transaction committed on success."""
        if write and self.read_only:
            raise self._read_only_error()
        try:
            conn = self._open_read_only() if self.read_only else sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        except (sqlite3.Error, OSError) as exc:
            raise self._explain(exc) from None
        try:
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA foreign_keys = ON")
            if write:
                conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                if conn.in_transaction:
                    conn.rollback()
                raise
            if conn.in_transaction:
                conn.commit()
        except sqlite3.Error as exc:
            raise self._explain(exc) from None
        finally:
            conn.close()

    def _write(self, fn, retries: int = 5):
        """Run fn(conn) in a write transaction; retry when another writer holds the lock past the timeout."""
        for attempt in range(retries):
            try:
                with self._connect(write=True) as conn:
                    return fn(conn)
            except RunStoreError as exc:
                if "locked" in str(exc) or "busy" in str(exc):
                    if attempt < retries - 1:
                        time.sleep(0.05 * (attempt + 1))
                        continue
                raise

    def _open_read_only(self) -> sqlite3.Connection:
        """A connection that never writes. No database yet: an empty one in memory (nothing to list).
        mode=ro still needs the WAL index file (-shm) beside the database; where that cannot be made, the file
        is opened as immutable (no locks: it shows the last checkpointed state of the store)."""
        if not self.path.exists():
            conn = sqlite3.connect(":memory:", isolation_level=None)
            _run_script(conn, _SCHEMA)
            return conn
        uri = f"file:{urllib.parse.quote(str(self.path.resolve()))}?mode=ro"
        conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        try:
            conn.execute("SELECT 1 FROM meta LIMIT 1").fetchall()
            return conn
        except sqlite3.OperationalError as exc:
            conn.close()
            if "readonly" not in str(exc) and "unable to open" not in str(exc):
                raise
        return sqlite3.connect(uri + "&immutable=1", uri=True, isolation_level=None)

    def _check_version(self):
        """A read-only store cannot be upgraded: refuse one newer than this code (older ones read fine)."""
        with self._connect() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row is not None and row[0].isdigit() and int(row[0]) > SCHEMA_VERSION:
            raise RunStoreError(f"The run database {self.path} has schema version {row[0]}; this version of RNN "
                                f"Lab reads version {SCHEMA_VERSION}. Use another RNN_LAB_HOME.")

    def _init_schema_retrying(self, seconds: float = INIT_RETRY_SECONDS):
        """_init_schema, retried with a growing pause while other processes hold the lock: the first use of a
        fresh store by several processes at once races on `PRAGMA journal_mode = WAL`, which does not wait
        on SQLite's busy timeout."""
        deadline, pause = time.monotonic() + seconds, 0.01
        while True:
            try:
                return self._init_schema()
            except RunStoreError as exc:
                if not ("locked" in str(exc) or "busy" in str(exc)) or time.monotonic() + pause > deadline:
                    raise
            time.sleep(pause * (0.5 + random.random()))  # jitter, so the racers do not collide again
            pause = min(2 * pause, 0.5)

    def _init_schema(self):
        try:
            with self._connect() as conn:
                # Fast path for an existing store: a read, no write lock (sweep workers open it often).
                try:
                    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
                except sqlite3.OperationalError:  # no such table: a new database
                    row = None
                if row is not None and row[0] == str(SCHEMA_VERSION):
                    return
                # WAL lets readers and one writer work at once; the mode is stored in the file.
                conn.execute("PRAGMA journal_mode = WAL").fetchone()
                conn.execute("PRAGMA synchronous = NORMAL")
                conn.execute("BEGIN IMMEDIATE")
                has_meta = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'")
                row = None
                if has_meta.fetchone():
                    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
                version = int(row[0]) if row is not None and row[0].isdigit() else None
                while version in _MIGRATIONS:  # an older store: upgrade it in this transaction
                    _run_script(conn, _MIGRATIONS[version])
                    version += 1
                    conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(version),))
                    row = (str(version),)
                _run_script(conn, _SCHEMA)
                if row is None:
                    conn.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
                elif row[0] != str(SCHEMA_VERSION):
                    conn.rollback()
                    raise RunStoreError(
                        f"The run database {self.path} has schema version {row[0]}; this version of RNN Lab "
                        f"reads version {SCHEMA_VERSION}. Use another RNN_LAB_HOME or move the file aside."
                    )
                conn.commit()
        except RunStoreError:
            raise
        except sqlite3.Error as exc:
            raise self._explain(exc) from None

    # ------------------------------------------------------------------ runs
    def create_run(self, *, config: dict, name: str | None = None, source: str = "cli",
                   corpus_name: str | None = None, corpus_fingerprint: str | None = None,
                   vocab_size: int | None = None, tags=(), sweep_id: int | None = None,
                   pid: int | None = None, host: str | None = None, model_key: str | None = None,
                   owner: str | None = None) -> int:
        """A new run. Its owner is the given one, else its live model's, else its sweep's (None: the server's)."""
        now = time.time()

        def insert(conn):
            who = owner if owner is not None else model_key
            if who is None and sweep_id is not None:  # a sweep's run is the sweep launcher's
                row = conn.execute("SELECT owner FROM sweeps WHERE id = ?", (sweep_id,)).fetchone()
                who = row[0] if row else None
            cur = conn.execute(
                "INSERT INTO runs (name, status, source, config, corpus_name, corpus_fingerprint, vocab_size,"
                " created_at, heartbeat, pid, host, tags, sweep_id, model_key, owner)"
                " VALUES (?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                ("", source, json.dumps(config, sort_keys=True), corpus_name, corpus_fingerprint, vocab_size, now,
                 now, os.getpid() if pid is None else pid, socket.gethostname() if host is None else host,
                 json.dumps(_clean_tags(tags)), sweep_id, model_key, who),
            )
            run_id = cur.lastrowid
            conn.execute("UPDATE runs SET name = ? WHERE id = ?", (name or f"run-{run_id}", run_id))
            return run_id

        return self._write(insert)

    def update_run(self, run_id: int, *, metrics=(), val_metrics=(), **fields) -> None:
        """Append metric rows [(iteration, chars, seconds, loss, smooth_loss)], validation points
        [(iteration, val_loss)] and set run fields, all in one transaction; refreshes the heartbeat."""
        bad = set(fields) - _UPDATABLE
        if bad:
            raise ValueError(f"unknown run fields: {', '.join(sorted(bad))}")
        if "status" in fields and fields["status"] not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}")
        new_config = fields.pop("config", None)
        metrics, val_metrics = list(metrics), list(val_metrics)

        def write(conn):
            row = conn.execute("SELECT config, config_trail FROM runs WHERE id = ?", (run_id,)).fetchone()
            if row is None:
                raise KeyError(run_id)
            cols = dict(fields)
            if new_config is not None:
                cols["config"] = json.dumps(new_config, sort_keys=True)
                trail = extend_trail(_json_dict(row[1]), _json_dict(row[0]), new_config)
                cols["config_trail"] = json.dumps(trail, sort_keys=True)
            if metrics:
                conn.executemany("INSERT OR REPLACE INTO metrics VALUES (?, ?, ?, ?, ?, ?)",
                                 [(run_id, int(i), int(c), float(s), _num(l), _num(sl)) for i, c, s, l, sl in metrics])
            if val_metrics:
                conn.executemany("INSERT OR REPLACE INTO val_metrics VALUES (?, ?, ?)",
                                 [(run_id, int(i), _num(v)) for i, v in val_metrics])
            cols["heartbeat"] = time.time()
            sets = ", ".join(f"{k} = ?" for k in cols)
            conn.execute(f"UPDATE runs SET {sets} WHERE id = ?", (*cols.values(), run_id))

        try:
            self._write(write)
        except KeyError:
            raise RunStoreError(f"There is no run #{run_id} (it may have been deleted).") from None

    def finish_run(self, run_id: int, status: str = "finished", **fields) -> None:
        self.update_run(run_id, status=status, finished_at=time.time(), **fields)

    # `owned_by` (a set of owner ids; None: no check, the command line's view) limits a change to those owners'
    # runs: another's run reads as missing if it is hidden from them, as read-only if it is the server's.
    def rename(self, run_id: int, name: str, owned_by=None) -> None:
        name = name.strip()
        if not name:
            raise ValueError("a run name cannot be empty")
        self._set(run_id, "name", name[:200], owned_by)

    def set_tags(self, run_id: int, tags, owned_by=None) -> None:
        self._set(run_id, "tags", json.dumps(_clean_tags(tags)), owned_by)

    def _check_owner(self, run_id: int, owned_by) -> RunRecord:
        rec = self.get(run_id, visible_to=owned_by)
        if owned_by is not None and rec.owner not in set(owned_by):
            raise RunStoreError(f"Run #{run_id} was made on the server (command line or a server sweep): it is "
                                "read-only here; rename or delete it with `python -m rnn runs`.")
        return rec

    def _set(self, run_id, column, value, owned_by=None):
        self._check_owner(run_id, owned_by)

        def write(conn):
            return conn.execute(f"UPDATE runs SET {column} = ? WHERE id = ?", (value, run_id)).rowcount

        if not self._write(write):
            raise RunStoreError(f"There is no run #{run_id}.")

    def delete(self, run_id: int, owned_by=None) -> None:
        rec = self._check_owner(run_id, owned_by)
        self._write(lambda conn: conn.execute("DELETE FROM runs WHERE id = ?", (run_id,)))
        if rec.checkpoint:
            path = Path(rec.checkpoint)
            # Only remove checkpoints the store wrote itself, never a user's --out file.
            if path.parent.resolve() == self.checkpoint_dir.resolve():
                path.unlink(missing_ok=True)

    def checkpoint_path(self, run_id: int) -> Path:
        self.checkpoint_dir.mkdir(parents=True, exist_ok=True)
        return self.checkpoint_dir / f"run-{run_id}.npz"

    # ------------------------------------------------------------------ reading
    def _record(self, row, now: float, host: str) -> RunRecord:
        d = dict(row)
        stored = d["status"]
        status = stored
        if stored == "running":
            if d["host"] == host and d["pid"] is not None:
                killed = not process_alive(int(d["pid"]))  # this host: ask the OS
            else:
                killed = now - d["heartbeat"] > STALE_SECONDS  # elsewhere: only the heartbeat tells
            if killed:
                status = "killed"
        try:
            config = json.loads(d["config"])
            tags = json.loads(d["tags"])
        except (TypeError, ValueError):
            config, tags = {}, []
        d.update(status=status, stored_status=stored, config=config, tags=tags,
                 config_trail=_json_dict(d.get("config_trail")))
        return RunRecord(**d)

    def list_runs(self, sweep_id: int | None = None, visible_to=None) -> list[RunRecord]:
        """All runs, newest first (a sweep's: in its order). `visible_to` (a set of owner ids; None: every run,
        the command line's view) keeps the server's runs and those owners' runs."""
        where, args = _visible(visible_to)
        with self._connect() as conn:
            if sweep_id is None:
                rows = conn.execute(f"SELECT * FROM runs WHERE {where} ORDER BY id DESC", args).fetchall()
            else:
                rows = conn.execute(f"SELECT * FROM runs WHERE sweep_id = ? AND {where} ORDER BY id",
                                    (sweep_id, *args)).fetchall()
        now, host = time.time(), socket.gethostname()
        return [self._record(r, now, host) for r in rows]

    def latest_run_of_model(self, model_key: str) -> RunRecord | None:
        """The newest run of a live model (None if the key is unknown): the one its link reopens."""
        with self._connect() as conn:
            row = conn.execute("SELECT * FROM runs WHERE model_key = ? ORDER BY id DESC LIMIT 1",
                               (model_key,)).fetchone()
        return None if row is None else self._record(row, time.time(), socket.gethostname())

    def get(self, run_id: int, visible_to=None) -> RunRecord:
        """One run; a run hidden from `visible_to` (see list_runs) reads as missing, so an id tells nothing."""
        where, args = _visible(visible_to)
        with self._connect() as conn:
            row = conn.execute(f"SELECT * FROM runs WHERE id = ? AND {where}", (run_id, *args)).fetchone()
        if row is None:
            raise RunStoreError(f"There is no run #{run_id}. `python -m rnn runs list` shows the stored runs.")
        return self._record(row, time.time(), socket.gethostname())

    def metrics(self, run_id: int) -> dict[str, list]:
        """Per-step history: iteration, chars, seconds, loss, smooth_loss (lists of equal length)."""
        with self._connect() as conn:
            rows = conn.execute("SELECT iteration, chars, seconds, loss, smooth_loss FROM metrics WHERE run_id = ?"
                                " ORDER BY iteration", (run_id,)).fetchall()
        keys = ("iteration", "chars", "seconds", "loss", "smooth_loss")
        return {k: [r[i] for r in rows] for i, k in enumerate(keys)}

    def val_metrics(self, run_id: int) -> list[tuple[int, float]]:
        with self._connect() as conn:
            rows = conn.execute("SELECT iteration, val_loss FROM val_metrics WHERE run_id = ? ORDER BY iteration",
                                (run_id,)).fetchall()
        return [(int(i), v) for i, v in rows]

    def export_csv(self, run_id: int, out) -> int:
        """Write the run's metrics as CSV (one row per step, val_loss where evaluated). Returns rows written."""
        self.get(run_id)  # clear error for an unknown id
        m = self.metrics(run_id)
        val = dict(self.val_metrics(run_id))
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["iteration", "chars", "seconds", "loss", "smooth_loss", "val_loss"])
        n = 0
        seen = set()
        for i, c, s, loss, sl in zip(m["iteration"], m["chars"], m["seconds"], m["loss"], m["smooth_loss"],
                                     strict=True):
            v = val.get(i)
            seen.add(i)
            writer.writerow([i, c, f"{s:.6f}", _fmt(loss), _fmt(sl), _fmt(v)])
            n += 1
        for i in sorted(set(val) - seen):  # e.g. a validation point at iteration 0
            writer.writerow([i, "", "", "", "", _fmt(val[i])])
            n += 1
        return n

    # ------------------------------------------------------------------ sweeps
    def create_sweep(self, name: str, spec: dict, total: int, owner: str | None = None) -> int:
        """A sweep row; `owner` (a live model's id: the dashboard visitor who launched it) owns its runs."""
        def insert(conn):
            return conn.execute(
                "INSERT INTO sweeps (name, spec, total, created_at, pid, host, owner) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (name, json.dumps(spec, sort_keys=True), int(total), time.time(), os.getpid(), socket.gethostname(),
                 owner),
            ).lastrowid

        return self._write(insert)

    def get_sweep(self, sweep_id: int) -> dict:
        with self._connect() as conn:
            row = conn.execute("SELECT * FROM sweeps WHERE id = ?", (sweep_id,)).fetchone()
        if row is None:
            raise RunStoreError(f"There is no sweep #{sweep_id}.")
        d = dict(row)
        d["spec"] = json.loads(d["spec"])
        d["cancelled"] = bool(d["cancelled"])
        return d

    def set_sweep_owner(self, sweep_id: int, pid: int) -> None:
        self._write(lambda conn: conn.execute("UPDATE sweeps SET pid = ?, host = ? WHERE id = ?",
                                              (pid, socket.gethostname(), sweep_id)))

    def cancel_sweep(self, sweep_id: int) -> None:
        self._write(lambda conn: conn.execute("UPDATE sweeps SET cancelled = 1 WHERE id = ?", (sweep_id,)))

    def sweep_cancelled(self, sweep_id: int) -> bool:
        with self._connect() as conn:
            row = conn.execute("SELECT cancelled FROM sweeps WHERE id = ?", (sweep_id,)).fetchone()
        return bool(row and row[0])

    def finish_sweep(self, sweep_id: int) -> None:
        self._write(lambda conn: conn.execute("UPDATE sweeps SET finished_at = ? WHERE id = ?",
                                              (time.time(), sweep_id)))

    def active_sweeps(self) -> list[dict]:
        """Sweeps still at work: not finished, and their process alive (when it is on this host)."""
        with self._connect() as conn:
            rows = conn.execute("SELECT id, owner, pid, host, cancelled FROM sweeps WHERE finished_at IS NULL"
                                " ORDER BY id").fetchall()
        host = socket.gethostname()
        return [dict(r) for r in rows if r["host"] != host or (r["pid"] and process_alive(r["pid"]))]

    def sweep_progress(self, sweep_id: int) -> dict:
        """total, done (runs no longer running), running, cancelled, finished (the sweep process has ended)."""
        sweep = self.get_sweep(sweep_id)
        runs = self.list_runs(sweep_id=sweep_id)
        done = sum(r.status != "running" for r in runs)
        finished = sweep["finished_at"] is not None
        if not finished and sweep["host"] == socket.gethostname() and sweep["pid"] and not process_alive(sweep["pid"]):
            finished = True  # the sweep process died without saying so
        return {"total": sweep["total"], "done": done, "running": len(runs) - done, "cancelled": sweep["cancelled"],
                "finished": finished, "runs": runs}


def _visible(keys) -> tuple[str, tuple]:
    """The SQL condition (and its arguments) of the rule above: the server's runs, and runs owned by `keys`."""
    if keys is None:
        return "1", ()
    keys = tuple(sorted({str(k) for k in keys}))
    if not keys:
        return "owner IS NULL", ()
    return f"(owner IS NULL OR owner IN ({', '.join('?' * len(keys))}))", keys


def _writable(home: Path, path: Path) -> bool:
    """Whether this process may write the store: its folder (SQLite makes the WAL files there) and database."""
    return os.access(home, os.W_OK | os.X_OK) and (not path.exists() or os.access(path, os.W_OK))


def _run_script(conn, script: str) -> None:
    for stmt in script.strip().split(";"):
        if stmt.strip():
            conn.execute(stmt)


def _clean_tags(tags) -> list[str]:
    if isinstance(tags, str):
        tags = tags.split(",")
    out = []
    for t in tags:
        t = str(t).strip()[:50]
        if t and t not in out:
            out.append(t)
    return out


def extend_trail(trail: dict, old: dict, new: dict) -> dict:
    """The trail (see TRAIL_MAX) after the config went from `old` to `new`: each changed field gains its new value."""
    out = {k: list(v) for k, v in trail.items()}
    for key, value in new.items():
        values = out.get(key) or ([old[key]] if key in old else [])
        if values and values[-1] == value:
            continue
        values.append(value)
        if len(values) > TRAIL_MAX:
            values = [values[0], *values[-(TRAIL_MAX - 1):]]
        if len(values) > 1:
            out[key] = values
    return out


def trail_values(record: RunRecord, key: str) -> list:
    """The values setting `key` had in a run, first to latest (one value if it never changed; none if unknown)."""
    values = record.config_trail.get(key)
    if values:
        return list(values)
    return [record.config[key]] if key in record.config else []


def _json_dict(text) -> dict:
    try:
        value = json.loads(text) if text else {}
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _num(x):
    return None if x is None else float(x)


def _fmt(x) -> str:
    return "" if x is None else repr(float(x))
