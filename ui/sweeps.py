"""Launch and follow a sweep from the Runs page.

The sweep runs as a separate `python -m rnn sweep` process (its own process pool), so the page stays
responsive and a rerun or a closed tab does not stop it. The page follows it through the run store
(sweep row + runs tagged with its id) and cancels it by setting the sweep's cancel flag, which the
workers check between short training chunks.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

import streamlit as st

from rnn.config import SETTINGS, TrainConfig
from rnn.runs.store import DB_NAME, RunStore, default_home
from rnn.runs.sweep import SweepSpec, expand

ACTIVE = "runs_active_sweep"
LAST_RESULT = "runs_last_sweep_result"
REPO = Path(__file__).resolve().parents[1]
# The form's text fields: sweep axes (rnn/config.py) typed as comma-separated lists; the optimizer is a
# multiselect of its choices.
LIST_LABELS = {"learning_rate": "Learning rates", "hidden_size": "Hidden sizes", "seq_length": "Sequence lengths",
               "batch_size": "Batch streams (sweep)"}


def list_help(name: str) -> str:
    return f"Comma-separated values, each {SETTINGS[name].allowed(app=True)}."


def parse_list(text: str, name: str) -> list:
    """The values of a comma-separated field, each within the app's range of setting `name`."""
    setting, label = SETTINGS[name], LIST_LABELS[name]
    values = []
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            values.append(setting.parse(part, app=True))
        except ValueError:
            raise ValueError(f"{label}: {part!r} is not {setting.allowed(app=True)}; separate values with "
                             "commas") from None
    if not values:
        raise ValueError(f"{label}: give at least one value")
    return values


def start(store: RunStore, *, corpus=None, builtin: str | None, lists: dict[str, str], optimizers: list[str],
          budget_kind: str, budget: float, random_n: int, workers: int) -> int:
    """Validate the form, store the sweep's spec, start the sweep process on it. Returns the sweep id.
    `lists` holds the text of each LIST_LABELS field."""
    grid = {name: parse_list(lists[name], name) for name in LIST_LABELS}
    grid["optimizer"] = list(optimizers) or [TrainConfig().optimizer]
    sweep_dir = store.home / "sweeps"
    sweep_dir.mkdir(parents=True, exist_ok=True)
    corpus_file = None
    if corpus is not None:  # the dashboard's corpus may be pasted text: hand it over as a file
        corpus_file = sweep_dir / f"corpus-{int(time.time() * 1000)}.txt"
        corpus_file.write_text(corpus.text, encoding="utf-8")
    steps = int(budget) if budget_kind == "steps" else None
    seconds = float(budget) if budget_kind == "seconds" else None
    spec = SweepSpec(grid=grid, builtin=builtin, corpus_file=str(corpus_file) if corpus_file else None,
                     corpus_name=corpus.name if corpus is not None else None,
                     steps=steps, seconds=seconds, random=random_n, name="sweep").validate()
    sweep_id = store.create_sweep(spec.name, asdict(spec), len(expand(spec)))
    # The sweep process reads the spec from the store: what it runs is exactly what the store shows.
    cmd = [sys.executable, "-m", "rnn", "sweep", "--home", str(store.home.resolve()), "--sweep-id", str(sweep_id),
           "--workers", str(workers)]
    log = open(sweep_dir / f"sweep-{sweep_id}.log", "w")  # noqa: SIM115 - the child owns it from here
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True)
    log.close()
    st.session_state[ACTIVE] = {"id": sweep_id, "proc": proc}
    st.session_state.pop(LAST_RESULT, None)
    return sweep_id


def active_sweep(store: RunStore) -> int | None:
    """The id of this session's running sweep, or None (a finished one is wrapped up here)."""
    active = st.session_state.get(ACTIVE)
    if not active:
        return None
    proc = active["proc"]
    if proc.poll() is not None:
        forget(store, active["id"])
        return None
    return active["id"]


def forget(store: RunStore, sweep_id: int) -> None:
    """Wrap up a finished sweep: reap its process and leave a one-line summary for the page."""
    active = st.session_state.pop(ACTIVE, None)
    proc = active["proc"] if active else None
    code = None
    if proc is not None:
        try:
            code = proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
    try:
        p = store.sweep_progress(sweep_id)
        runs = p["runs"]
        scored = [r for r in runs if r.val_loss is not None]
        msg = f"Sweep #{sweep_id}: {len(runs)} of {p['total']} runs recorded"
        if p["cancelled"]:
            msg += " (cancelled)"
        if scored:
            best = min(scored, key=lambda r: r.val_loss)
            msg += f"; best: #{best.id} {best.name}, val loss {best.val_loss:.4f}"
    except Exception as exc:  # the summary is a courtesy; never break the page for it
        msg = f"Sweep #{sweep_id} ended ({exc})"
    if code not in (0, None) and not store.sweep_cancelled(sweep_id):
        log = store.home / "sweeps" / f"sweep-{sweep_id}.log"
        tail = log.read_text(errors="replace").strip().splitlines()[-1:] if log.exists() else []
        msg += f". The sweep process failed: {tail[0] if tail else f'exit code {code}'}"
    st.session_state[LAST_RESULT] = msg


def move_database_aside() -> Path:
    """Rename an unreadable runs.sqlite (and its WAL files) so a fresh database can be created."""
    path = default_home() / DB_NAME
    dest = path.with_name(f"{DB_NAME}.unreadable-{time.strftime('%Y%m%d-%H%M%S')}")
    os.replace(path, dest)
    for suffix in ("-wal", "-shm"):
        extra = path.with_name(DB_NAME + suffix)
        if extra.exists():
            os.replace(extra, dest.with_name(dest.name + suffix))
    return dest
