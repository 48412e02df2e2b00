"""Runs belong to whoever made them: two visitors (two AppTest sessions, each with its own model) on one store.

A visitor's runs (its models' runs, its dashboard sweeps' runs) are listed, opened and changed only by a
session that holds the model's id (its link); the server's runs (command line, sweeps started there) are
listed for everyone and read-only in the app. Dashboard sweeps are capped.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from model_helpers import adopt, step, wait_for
from streamlit.testing.v1 import AppTest

from rnn.corpus import load_builtin, make_corpus
from rnn.runs import RunRecorder, RunStore
from rnn.runs.access import VisitorRuns
from rnn.train import TrainConfig, Trainer
from ui import sweeps
from ui.state import registry

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "pages" / "10_Runs.py")
SECRET = "Dear diary, my password is hunter2 and I love Rita. " * 8


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("RNN_LAB_HOME", str(tmp_path))
    return tmp_path


def visitor(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.query_params.update(query or {})
    at.run()
    assert not at.exception, at.exception
    return at


def cli_run(home, name="teacher baseline") -> int:
    """A run made on the server, as `python -m rnn train` records it (no model, no owner)."""
    corpus = make_corpus(load_builtin("zen"), "zen", seq_length=16)
    trainer = Trainer(corpus, TrainConfig(hidden_size=8, seq_length=16, eval_every=10))
    with RunRecorder(trainer, RunStore(home), name=name) as rec:
        trainer.step(20)
        trainer.evaluate()
    return rec.run_id


def pasted_run(home, at: AppTest) -> int:
    """The session's model trained on pasted text, recorded by its worker with a checkpoint (as on the Train page)."""
    corpus = make_corpus(SECRET, "diary.txt", seq_length=16)
    registry().replace(at.session_state["model_id"], Trainer(corpus, TrainConfig(hidden_size=8, seq_length=16)))
    step(at, 5)
    store = RunStore(home)

    def paused():
        runs = [r for r in store.list_runs() if r.model_key == at.session_state["model_id"]]
        return runs and runs[0].status == "paused" and runs[0].checkpoint

    wait_for(paused)
    (run,) = [r for r in store.list_runs() if r.model_key == at.session_state["model_id"]]
    assert SECRET[:40] in Path(run.checkpoint).read_bytes().decode("latin-1") or run.corpus_name == "diary.txt"
    return run.id


def page_text(at: AppTest) -> str:
    """Everything the page shows: tables, widget options and values, texts, charts."""
    parts = [json.dumps(at.dataframe[0].value.to_dict(), default=str)] if at.dataframe else []
    for kind in ("markdown", "caption", "info", "success", "warning", "error", "text", "code"):
        parts += [str(e.value) for e in at.get(kind)]
    for w in [*at.selectbox, *at.multiselect]:
        parts += [str(o) for o in w.options]
    parts += [str(t.value) for t in at.text_input]
    parts += [c.proto.spec for c in at.get("plotly_chart")]
    return "\n".join(parts)


def listed(at: AppTest) -> set[int]:
    return set(at.dataframe[0].value["id"]) if at.dataframe else set()


def manage(at: AppTest, run_id: int) -> None:
    at.run()  # the store as it is now
    [s for s in at.selectbox if s.label == "Run"][0].set_value(run_id).run()
    assert not at.exception, at.exception


def test_a_visitor_does_not_see_or_reach_another_visitors_run(home):
    cli = cli_run(home)
    alice = visitor()
    mine = pasted_run(home, alice)
    bob = visitor()
    assert alice.session_state["model_id"] != bob.session_state["model_id"]

    bob.run()
    assert listed(bob) == {cli}  # the server's run, not Alice's
    text = page_text(bob)
    assert "diary" not in text and "hunter2" not in text and f"#{mine} " not in text
    assert all(mine not in w.options and str(mine) not in w.options for w in bob.multiselect)
    # A crafted selection (the compare list holds run ids) is dropped, not drawn.
    bob.session_state["runs_selected"] = [mine, cli]
    bob.run()
    assert not bob.exception
    assert bob.multiselect(key="runs_selected").value == [cli]
    assert all("diary" not in c.proto.spec and f"#{mine} " not in c.proto.spec for c in bob.get("plotly_chart"))
    # A guessed link is a new model, not Alice's: still not listed.
    guesser = visitor({"model": "m-guessed-0000"})
    assert listed(guesser) == {cli} and "hunter2" not in page_text(guesser)

    alice.run()
    assert listed(alice) == {mine, cli}
    assert "diary.txt" in page_text(alice)
    assert RunStore(home).get(mine).name != "" and RunStore(home).get(mine).owner == alice.session_state["model_id"]


def test_only_the_owner_renames_or_deletes_and_server_runs_are_read_only(home):
    cli = cli_run(home)
    alice = visitor()
    mine = pasted_run(home, alice)
    bob = visitor()
    # Bob: the server's run is read-only (no rename, no delete), whatever he types.
    manage(bob, cli)
    assert any("read-only here" in c.value for c in bob.caption)
    assert all(t.disabled for t in bob.text_input if t.label in ("Name", "Tags (comma-separated)"))
    assert [b for b in bob.get("form_submit_button") if b.label == "Save name and tags"][0].disabled
    assert [c for c in bob.checkbox if c.label == "Yes, delete it"][0].disabled
    assert [b for b in bob.button if b.label == "Delete run"][0].disabled
    bob.session_state[f"confirm_delete_{cli}"] = True  # a forged confirmation does not enable Delete
    bob.run()
    assert not bob.exception and [b for b in bob.button if b.label == "Delete run"][0].disabled
    # (a forged click that got past the disabled button meets the store's check: tests/unit/test_runs_access.py)
    assert {r.id for r in RunStore(home).list_runs()} == {cli, mine}
    assert RunStore(home).get(cli).name == "teacher baseline"

    # Alice renames and deletes her own run.
    manage(alice, mine)
    assert not any("read-only here" in c.value for c in alice.caption)
    [t for t in alice.text_input if t.label == "Name"][0].set_value("my diary model")
    [b for b in alice.get("form_submit_button") if b.label == "Save name and tags"][0].click().run()
    assert not alice.exception and RunStore(home).get(mine).name == "my diary model"
    manage(alice, mine)
    [c for c in alice.checkbox if c.label == "Yes, delete it"][0].check().run()
    [b for b in alice.button if b.label == "Delete run"][0].click().run()
    assert not alice.exception
    assert {r.id for r in RunStore(home).list_runs()} == {cli}


def test_the_server_runs_open_for_all_and_own_runs_continue(home):
    cli = cli_run(home)
    alice = visitor()
    mine = pasted_run(home, alice)
    bob = visitor()
    manage(bob, cli)
    assert not [b for b in bob.button if b.label == "Continue this model"]
    [b for b in bob.button if b.label == "Open in dashboard"][0].click().run()
    assert any(f"Loaded run #{cli}" in s.value for s in bob.success)
    # Alice's newest run continues her model; nobody else is offered her model.
    manage(alice, mine)
    assert [b for b in alice.button if b.label == "Continue this model"]


def test_a_session_keeps_the_runs_of_every_model_it_showed_and_a_shared_link_shares(home):
    alice = visitor()
    first_model = alice.session_state["model_id"]
    first = pasted_run(home, alice)
    # Alice moves on to another model (a link, Continue): her first model's runs stay hers in this session.
    adopt(alice, Trainer(make_corpus(load_builtin("zen"), "zen", seq_length=16), TrainConfig(hidden_size=8)))
    alice.run()
    assert alice.session_state["model_id"] != first_model
    assert first in listed(alice)
    # Alice shares her first model's link: whoever opens it sees that model's runs (and only those).
    carol = visitor({"model": first_model})
    assert first in listed(carol) and "diary.txt" in page_text(carol)
    assert listed(visitor()) == set()


# ---------------------------------------------------------------- sweep caps
def fill_sweep(at: AppTest, *, lrs="0.05", hidden="8", budget=20.0, kind="Steps", workers=None) -> None:
    form = {t.label: t for t in at.text_input}
    form["Learning rates"].set_value(lrs)
    form["Hidden sizes"].set_value(hidden)
    form["Sequence lengths"].set_value("16")
    [r for r in at.radio if r.label == "Budget per run"][0].set_value(kind)
    [n for n in at.number_input if n.label == "Budget"][0].set_value(budget)
    if workers is not None:
        [n for n in at.number_input if n.label == "Workers"][0].set_value(workers)
    [b for b in at.get("form_submit_button") if b.label == "Start sweep"][0].click().run()
    assert not at.exception, at.exception


def errors(at: AppTest) -> str:
    return " ".join(e.value for e in at.error)


def test_sweeps_over_the_caps_are_refused_with_what_fits(home):
    at = visitor()
    assert [n for n in at.number_input if n.label == "Workers"][0].max == sweeps.max_workers()
    fill_sweep(at, budget=sweeps.MAX_SECONDS * 4, kind="Seconds")
    assert f"1 to {sweeps.MAX_SECONDS:g} seconds" in errors(at)
    at.run()
    fill_sweep(at, lrs=", ".join(str(0.01 * i) for i in range(1, 12)), hidden="8, 16, 32")  # 33 runs
    assert "33 runs" in errors(at) and f"up to {sweeps.MAX_RUNS}" in errors(at)
    assert RunStore(home).list_runs() == [] and not (Path(home) / "sweeps").exists()  # nothing started
    with pytest.raises(ValueError, match="more than this server allows"):  # past the widget: the same rule
        sweeps.check_limits(VisitorRuns(RunStore(home), set()), budget_kind="steps", budget=10,
                            workers=sweeps.max_workers() + 1)


def test_one_sweep_at_a_time_per_visitor_and_its_runs_are_its_own(home):
    alice = visitor()
    fill_sweep(alice, budget=30.0, kind="Seconds")
    assert not alice.error, errors(alice)
    active = alice.session_state["runs_active_sweep"]
    sweep = RunStore(home).get_sweep(active["id"])
    assert sweep["owner"] == alice.session_state["model_id"] and sweep["spec"]["seconds"] == 30.0
    # The same model in a second tab: no second sweep (the tab shows the running one instead).
    tab = visitor({"model": alice.session_state["model_id"]})
    assert not [b for b in tab.get("form_submit_button") if b.label == "Start sweep"]
    assert [p.proto.text.startswith(f"Sweep #{active['id']}:") for p in tab.get("progress")] == [True]
    with pytest.raises(ValueError, match=f"Sweep #{active['id']} of this model is still running"):
        sweeps.check_limits(VisitorRuns(RunStore(home), {alice.session_state["model_id"]}), budget_kind="steps",
                            budget=10, workers=1)
    wait_for(lambda: RunStore(home).list_runs(sweep_id=active["id"]), seconds=60)
    bob = visitor()
    assert listed(bob) == set()  # Alice's sweep runs may be on her pasted text: hers only
    RunStore(home).cancel_sweep(active["id"])
    assert active["proc"].wait(timeout=60) is not None
    alice.run()
    assert not alice.exception
    runs = RunStore(home).list_runs(sweep_id=active["id"])
    assert runs and {r.owner for r in runs} == {alice.session_state["model_id"]}
    assert {r.id for r in runs} <= listed(alice)


def test_the_server_runs_a_bounded_number_of_dashboard_sweeps(home):
    store = RunStore(home)
    others = [store.create_sweep("sweep", {}, 1, owner=f"someone-{i}") for i in range(sweeps.max_server_sweeps())]
    store.create_sweep("sweep", {}, 1)  # a sweep started on the command line does not count
    at = visitor()
    fill_sweep(at)
    assert f"already running {len(others)} dashboard sweeps" in errors(at)
    store.finish_sweep(others[0])
    at.run()
    with pytest.raises(ValueError, match="Workers"):  # the limit is free again: the next check is reached
        sweeps.check_limits(VisitorRuns(store, {at.session_state["model_id"]}), budget_kind="steps", budget=10,
                            workers=0)
    sweeps.check_limits(VisitorRuns(store, {at.session_state["model_id"]}), budget_kind="steps", budget=10,
                        workers=1)
