"""Runs: compare recorded runs, manage them, open one in the dashboard, and launch sweeps.

Everything here goes through VisitorRuns (rnn/runs/access.py): this session sees the server's runs and its
own models' runs, and changes only its own."""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from rnn.checkpoint import CheckpointError, load_checkpoint
from rnn.config import SETTINGS, TrainConfig
from rnn.corpus import BUILTINS, DEFAULT_BUILTIN
from rnn.runs.access import VisitorRuns
from rnn.runs.store import RunStore, RunStoreError
from rnn.viz.runs import X_AXES, loss_curves, parallel_coordinates, val_curves
from rnn.viz.user_text import markdown_literal
from ui import sweeps
from ui.checkpoint import dashboard_refusal
from ui.export import run_buttons
from ui.gallery import gallery_button
from ui.runs_table import BEST_CAPTION, best_per_corpus, corpora_count, corpus_labels, model_text, setting_text
from ui.state import attach_to, command, get_corpus, live, model_id, set_trainer, visible_models
from ui.widgets import page_setup

page_setup("Runs")

st.title("Runs")
st.caption("Your runs (this model's, from the Train page and your sweeps) and the runs made on the server "
           "(command line, its sweeps) are kept here. Select runs to overlay their loss curves and compare their "
           "hyperparameters. Other visitors' runs are private: the link of a model (the address bar) shares it "
           "and its runs.")

SELECTED = "runs_selected"

try:
    command("flush")  # this session's live run, up to date in the table
    visitor = VisitorRuns(RunStore(), visible_models())
    active = sweeps.active_sweep(visitor)  # first: a sweep that has just finished is wrapped up, its runs listed
    runs = visitor.runs()
except RunStoreError as exc:
    st.error(markdown_literal(exc))
    if st.button("Move the damaged database aside and start a new one"):
        try:
            sweeps.move_database_aside()
            st.rerun()
        except OSError as err:
            st.error(f"Could not move the file: {markdown_literal(err)}")
    st.stop()

by_id = {r.id: r for r in runs}
if live().note.startswith("warning"):
    st.warning("This session's training is not being recorded: "
               f"{markdown_literal(live().note.removeprefix('warning: '))}")

gallery_button(SELECTED)


# ------------------------------------------------------------------ table
def _label(run_id, status: bool = False) -> str:
    """A run's label in the pickers; an id that is not listed here (deleted, or crafted) shows nothing of it."""
    r = by_id.get(run_id)
    if r is None:
        return f"#{run_id} (not available)"
    return f"#{r.id} {r.name} ({r.status})" if status else f"#{r.id} {r.name}"


def _fmt_ts(ts):
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts)) if ts else ""


best_ids = best_per_corpus(runs)  # one per corpus: losses on different texts are not comparable
corpus_of = corpus_labels(runs)

if not runs:
    st.info("No runs yet. Train a model on the **Train** page (it is recorded automatically), run "
            "`python -m rnn train`, or start a sweep below.")
else:
    table = pd.DataFrame([{
        "best": "★" if r.id in best_ids else "",
        "id": r.id,
        "name": r.name,
        "status": r.status,
        "source": r.source,
        "yours": "yes" if visitor.owns(r) else "",
        "corpus": corpus_of[r.id],
        "model": model_text(r.config),
        "hidden": r.config.get("hidden_size"),
        "seq len": r.config.get("seq_length"),
        "lr": setting_text(r, "learning_rate"),  # "0.1 → 0.01" when it changed during the run
        "optimizer": setting_text(r, "optimizer"),
        "batch": r.config.get("batch_size"),
        "iterations": r.iterations,
        "train loss": r.train_loss,
        "val loss": r.val_loss,
        "chars/s": r.chars_per_sec,
        "seconds": r.train_seconds,
        "tags": ", ".join(r.tags),
        "started": _fmt_ts(r.created_at),
    } for r in runs])

    def _highlight(row):
        return ["background-color: rgba(46, 160, 67, 0.25)" if row["id"] in best_ids else ""] * len(row)

    styled = table.style.apply(_highlight, axis=1).format(
        {"train loss": "{:.4f}", "val loss": "{:.4f}", "chars/s": "{:,.0f}", "seconds": "{:.1f}"},
        na_rep="–",
    )
    st.subheader("Runs")
    st.caption(f"Click a column header to sort. {BEST_CAPTION} A setting changed during a run reads first → latest.")
    st.dataframe(styled, hide_index=True, key="runs_table", column_config={
        "lr": st.column_config.TextColumn("lr", help="Learning rate; first → latest when it changed during the run"),
        "optimizer": st.column_config.TextColumn("optimizer", help="first → latest when it changed during the run"),
    })

    # ------------------------------------------------------------------ compare
    st.subheader("Compare")
    if SELECTED not in st.session_state:
        st.session_state[SELECTED] = [r.id for r in runs[:5]]
    else:  # drop runs deleted meanwhile (e.g. from the CLI)
        st.session_state[SELECTED] = [i for i in st.session_state[SELECTED] if i in by_id]
    # A finished sweep's runs join the comparison (set before the multiselect is drawn, as Streamlit requires).
    st.session_state[SELECTED] += [i for i in st.session_state.pop(sweeps.JOIN_COMPARE, [])
                                   if i in by_id and i not in st.session_state[SELECTED]]

    c1, c2 = st.columns([4, 1])
    with c2:
        st.write("")
        if st.button("Select all"):
            st.session_state[SELECTED] = [r.id for r in runs]
    with c1:
        chosen = st.multiselect("Runs to compare", options=[r.id for r in runs], key=SELECTED,
                                format_func=lambda i: _label(i, status=True))

    c1, c2, c3 = st.columns([2, 3, 1])
    x_axis = c1.radio("X axis", list(X_AXES), horizontal=True, format_func=str.capitalize)
    smoothing = c2.slider("Smoothing", 0.0, 0.99, 0.6, 0.01,
                          help="Exponential moving average, debiased at the start (as in TensorBoard). 0 = raw.")
    log_y = c3.checkbox("Log scale")

    if chosen:
        curves = []
        for i in chosen:
            r = by_id[i]
            curves.append({"label": f"#{r.id} {r.name}", "metrics": visitor.metrics(r.id),
                           "val": visitor.val_metrics(r.id)})
        st.plotly_chart(loss_curves(curves, x=x_axis, smoothing=smoothing, log_y=log_y), key="runs_loss_chart")
        if any(c["val"] for c in curves):
            st.plotly_chart(val_curves(curves, x=x_axis), key="runs_val_chart")
        n_corpora = corpora_count([by_id[i] for i in chosen])
        if n_corpora > 1:
            st.caption(f"The selected runs trained on {n_corpora} different corpora: compare their losses only "
                       "within one corpus.")
        rows = [{**by_id[i].config, "val_loss": by_id[i].val_loss, "label": by_id[i].name} for i in chosen]
        if sum(r["val_loss"] is not None for r in rows) >= 2:
            st.plotly_chart(parallel_coordinates(rows), key="runs_parcoords")
        else:
            st.caption("The parallel-coordinates plot needs at least two selected runs with a validation loss.")
    else:
        st.info("Select one or more runs to overlay their loss curves.")

    # ------------------------------------------------------------------ manage
    st.subheader("Manage a run")
    target = st.selectbox("Run", options=[r.id for r in runs], format_func=_label,
                          index=0)
    rec = by_id[target]
    mine = visitor.owns(rec)
    if not mine:
        st.caption(f"Run #{rec.id} was made on the server (command line or a server sweep): read-only here. "
                   "Rename or delete it with `python -m rnn runs`.")
    with st.form("manage_run"):
        new_name = st.text_input("Name", value=rec.name, max_chars=200, disabled=not mine)
        new_tags = st.text_input("Tags (comma-separated)", value=", ".join(rec.tags), disabled=not mine)
        if st.form_submit_button("Save name and tags", disabled=not mine):
            try:
                visitor.rename(rec.id, new_name)
                visitor.set_tags(rec.id, new_tags)
                st.rerun()
            except (ValueError, RunStoreError) as exc:
                st.error(markdown_literal(exc))
    c1, c2, c3 = st.columns(3)
    live_model = visitor.continuable(rec)
    refusal = dashboard_refusal(TrainConfig.from_dict(rec.config))
    if live_model:
        if c1.button("Continue this model", help="Attach this session to the live model this run belongs to "
                     "(as its link does): it reopens from its last checkpoint if it is not training now."):
            try:
                attach_to(live_model)
                st.switch_page("pages/2_Train.py")
            except LookupError:
                st.error(f"Run #{rec.id}'s model has no checkpoint to reopen from.")
    elif c1.button("Open in dashboard", disabled=not rec.checkpoint or refusal is not None,
                   help="Load this run's final checkpoint as the session's model, to continue training or sample."):
        try:
            set_trainer(load_checkpoint(visitor.get(rec.id).checkpoint))  # asked again: only a run we may see
            st.success(f"Loaded run #{rec.id} ({markdown_literal(rec.name)}) at iteration {rec.iterations}. "
                       "Open the Train or Sample page to continue.")
        except (CheckpointError, OSError) as exc:
            st.error(f"Could not open the checkpoint of run #{rec.id}: {markdown_literal(exc)}")
    if not rec.checkpoint:
        c1.caption("No checkpoint stored for this run (it is still running, or was killed).")
    elif refusal and not live_model:
        c1.caption(f"Not openable here: {refusal}.")
    if rec.checkpoint:
        st.caption(f"Export run #{rec.id}: a standalone script that retrains it, or a notebook that draws it")
        run_buttons(rec, TrainConfig.from_dict(rec.config))
    confirm = c3.checkbox("Yes, delete it", key=f"confirm_delete_{rec.id}", disabled=not mine)
    if c2.button("Delete run", disabled=not (confirm and mine), type="secondary"):
        try:
            visitor.delete(rec.id)
            st.rerun()
        except RunStoreError as exc:
            st.error(markdown_literal(exc))

# ------------------------------------------------------------------ sweeps
st.subheader("Sweep")
st.caption("Train one run per combination of the values below (or N random draws), in parallel on this "
           "machine's cores. Runs appear in the table as they finish; they are yours, like this model's runs. "
           f"A dashboard sweep has up to {sweeps.MAX_RUNS} runs of up to {sweeps.MAX_STEPS:,} steps or "
           f"{sweeps.MAX_SECONDS:g} s each, one at a time per model; it stops if the server stops.")

if active is None:
    with st.form("sweep_form"):
        corpus_opts = ["Current dashboard corpus", *BUILTINS]
        defaults = {"learning_rate": "0.05, 0.1", "hidden_size": "32, 64", "seq_length": "25", "batch_size": "1"}
        cells = [*st.columns(3), *st.columns(3)]
        corpus_choice = cells[0].selectbox("Sweep corpus", corpus_opts, index=corpus_opts.index(DEFAULT_BUILTIN),
                                           help=sweeps.corpus_help(DEFAULT_BUILTIN))
        lists = {name: cell.text_input(label, defaults[name], help=sweeps.list_help(name))
                 for cell, (name, label) in zip(cells[1:5], sweeps.LIST_LABELS.items(), strict=True)}
        opts = cells[5].multiselect("Optimizers", list(SETTINGS["optimizer"].choices), default=["adagrad"])
        c1, c2, c3, c4 = st.columns(4)
        budget_kind = c1.radio("Budget per run", ["Steps", "Seconds"], horizontal=True)
        budget = c2.number_input("Budget", min_value=1, max_value=sweeps.MAX_STEPS, value=300, step=50,
                                 help=f"Up to {sweeps.MAX_STEPS:,} steps or {sweeps.MAX_SECONDS:g} seconds per run "
                                 f"(a run also stops at {sweeps.MAX_SECONDS:g} s).")
        random_n = c3.number_input("Random draws (0 = full grid)", min_value=0, max_value=sweeps.MAX_RUNS, value=0)
        workers = c4.number_input("Workers", min_value=1, max_value=sweeps.max_workers(),
                                  value=sweeps.max_workers())
        if st.form_submit_button("Start sweep"):
            try:
                corpus = get_corpus() if corpus_choice == "Current dashboard corpus" else None
                sweeps.start(visitor, model_id(), corpus=corpus, builtin=None if corpus else corpus_choice, lists=lists,
                             optimizers=opts, budget_kind=budget_kind.lower(), budget=budget,
                             random_n=int(random_n), workers=int(workers))
                st.rerun()
            except (ValueError, RunStoreError, OSError) as exc:
                st.error(markdown_literal(exc))
else:
    @st.fragment(run_every=1.0)
    def sweep_progress():
        try:
            p = visitor.sweep_progress(active)
        except RunStoreError as exc:
            st.error(markdown_literal(exc))
            return
        total = max(1, p["total"])
        label = f"Sweep #{active}: {p['done']} of {p['total']} runs done, {p['running']} running"
        if p["cancelled"]:
            label += " (cancelling…)"
        st.progress(min(1.0, p["done"] / total), text=label)
        if st.button("Cancel sweep", disabled=p["cancelled"]):
            visitor.cancel_sweep(active)
            st.rerun(scope="fragment")
        if p["finished"]:
            sweeps.forget(visitor, active)
            st.rerun(scope="app")

    sweep_progress()

last = st.session_state.get(sweeps.LAST_RESULT)
if last:
    st.caption(markdown_literal(last))  # quotes run names and the sweep log
