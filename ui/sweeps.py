"""Launch and follow a sweep from the Runs page.

The sweep runs as a separate `python -m rnn sweep` process (its own process pool), so the page stays
responsive and a rerun or a closed tab does not stop it; it is tied to the server (rnn/runs/launch.py) and
cancelled when the server ends. The page follows it through the run store (sweep row + runs tagged with its
id) and cancels it by setting the sweep's cancel flag, which the workers check between short training chunks.
A dashboard sweep belongs to the visitor's model (its runs too: they may train on its pasted text) and is
capped (LIMITS below): the server is shared by a class.
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import asdict
from pathlib import Path

import streamlit as st

from rnn.config import SETTINGS, TrainConfig
from rnn.corpus import BUILTINS, DEFAULT_VAL_FRACTION, load_builtin, split_point
from rnn.runs import launch
from rnn.runs.access import VisitorRuns
from rnn.runs.store import DB_NAME, default_home
from rnn.runs.sweep import SweepSpec, default_workers, expand

ACTIVE = "runs_active_sweep"
LAST_RESULT = "runs_last_sweep_result"
JOIN_COMPARE = "runs_join_compare"  # ids of a finished sweep's runs, for the page to add to its comparison
# What a visitor may start from the dashboard (the command line, the server's operator, is not capped):
MAX_RUNS = 32  # runs per sweep
MAX_STEPS = 10_000  # steps per run
MAX_SECONDS = 300.0  # seconds per run; a steps budget stops there too
VISITOR_SWEEPS = 1  # sweeps at a time per visitor


def max_workers() -> int:
    """Workers of one dashboard sweep: at most the machine's cores."""
    return default_workers()


def max_server_sweeps() -> int:
    """Dashboard sweeps at a time on the whole server (each of up to max_workers() processes)."""
    return default_workers()
# The form's text fields: sweep axes (rnn/config.py) typed as comma-separated lists; the optimizer is a
# multiselect of its choices.
LIST_LABELS = {"learning_rate": "Learning rates", "hidden_size": "Hidden sizes", "seq_length": "Sequence lengths",
               "batch_size": "Batch streams (sweep)"}


def validation_chars(builtin: str) -> int:
    """Characters in a built-in corpus's validation split (the last DEFAULT_VAL_FRACTION of its text)."""
    n = len(load_builtin(builtin))
    return n - split_point(n, TrainConfig().seq_length, DEFAULT_VAL_FRACTION)[0]


def corpus_help(default: str) -> str:
    """Why the sweep defaults to `default`: its validation loss is a mean over many characters, so the runs'
    differences are not noise (zen's is a mean over about 85)."""
    sizes = ", ".join(f"{name} {validation_chars(name):,}" for name in BUILTINS)
    return (f"Each run's validation loss is its mean loss over the corpus's validation characters ({sizes}). "
            f"{default} is the default: over that many characters the differences between runs are real, not "
            "the luck of a few sentences.")


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


def check_limits(visitor: VisitorRuns, *, budget_kind: str, budget: float, workers: int) -> None:
    """ValueError saying what fits when the sweep asks for more than a visitor may (LIMITS above)."""
    if not 1 <= workers <= max_workers():
        raise ValueError(f"Workers: {workers} is more than this server allows; use 1 to {max_workers()} (its "
                         "cores).")
    cap = MAX_STEPS if budget_kind == "steps" else MAX_SECONDS
    if not 1 <= budget <= cap:
        raise ValueError(f"Budget: {budget:g} {budget_kind} per run is more than a dashboard sweep may use; give "
                         f"1 to {cap:g} {budget_kind} (the command line, `python -m rnn sweep`, has no cap).")
    mine = visitor.active_sweeps()
    if len(mine) >= VISITOR_SWEEPS:
        raise ValueError(f"Sweep #{mine[0]} of this model is still running: one sweep at a time. Cancel it or "
                         "wait for it to finish.")
    others = [s for s in visitor.store.active_sweeps() if s["owner"] is not None]
    if len(others) >= max_server_sweeps():
        raise ValueError(f"The server is already running {len(others)} dashboard sweeps, its limit: try again "
                         "when one has finished.")


def start(visitor: VisitorRuns, owner: str, *, corpus=None, builtin: str | None, lists: dict[str, str],
          optimizers: list[str], budget_kind: str, budget: float, random_n: int, workers: int) -> int:
    """Validate the form, store the sweep's spec (owned by model `owner`), start the sweep process on it.
    Returns the sweep id. `lists` holds the text of each LIST_LABELS field."""
    store = visitor.store
    grid = {name: parse_list(lists[name], name) for name in LIST_LABELS}
    grid["optimizer"] = list(optimizers) or [TrainConfig().optimizer]
    check_limits(visitor, budget_kind=budget_kind, budget=budget, workers=workers)
    draft = SweepSpec(grid=grid, steps=1, random=random_n)
    n = len(expand(draft))
    if n > MAX_RUNS:
        raise ValueError(f"The sweep has {n} runs; a dashboard sweep may have up to {MAX_RUNS}. Give fewer values "
                         "or use Random draws.")
    sweep_dir = store.home / "sweeps"
    sweep_dir.mkdir(parents=True, exist_ok=True)
    corpus_file = None
    if corpus is not None:  # the dashboard's corpus may be pasted text: hand it over as a file
        corpus_file = sweep_dir / f"corpus-{int(time.time() * 1000)}.txt"
        corpus_file.write_text(corpus.text, encoding="utf-8")
    steps = int(budget) if budget_kind == "steps" else None
    seconds = float(budget) if budget_kind == "seconds" else MAX_SECONDS  # a steps budget is time-capped too
    spec = SweepSpec(grid=grid, builtin=builtin, corpus_file=str(corpus_file) if corpus_file else None,
                     corpus_name=corpus.name if corpus is not None else None,
                     steps=steps, seconds=seconds, random=random_n, name="sweep").validate()
    sweep_id = store.create_sweep(spec.name, asdict(spec), len(expand(spec)), owner=owner)
    # The sweep process reads the spec from the store: what it runs is exactly what the store shows.
    proc = launch.launch(store, sweep_id, workers, sweep_dir / f"sweep-{sweep_id}.log")
    st.session_state[ACTIVE] = {"id": sweep_id, "proc": proc}
    st.session_state.pop(LAST_RESULT, None)
    return sweep_id


def active_sweep(visitor: VisitorRuns) -> int | None:
    """The id of this visitor's running sweep (started in this session, or in another tab of its model), or
    None (a finished one of this session is wrapped up here)."""
    active = st.session_state.get(ACTIVE)
    if active:
        if active["proc"].poll() is None:
            return active["id"]
        forget(visitor, active["id"])
    mine = visitor.active_sweeps()
    return mine[0] if mine else None


def forget(visitor: VisitorRuns, sweep_id: int) -> None:
    """Wrap up a finished sweep: reap its process and leave a one-line summary for the page."""
    store = visitor.store
    active = st.session_state.get(ACTIVE)
    if active and active["id"] == sweep_id:
        st.session_state.pop(ACTIVE)
    else:
        active = None  # a sweep this session did not start (another tab's): nothing to reap
    proc = active["proc"] if active else None
    code = None
    if proc is not None:
        try:
            code = proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        launch.release(sweep_id)
    try:
        p = visitor.sweep_progress(sweep_id)
        runs = p["runs"]
        st.session_state[JOIN_COMPARE] = [r.id for r in runs]  # the page adds them to its comparison
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
