"""The Runs page via AppTest: runs in a temp store are listed, compared, managed; a bad database is explained."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import pytest
from model_helpers import model, shown, wait_for
from streamlit.testing.v1 import AppTest

from rnn.config import SETTINGS
from rnn.corpus import load_builtin, make_corpus
from rnn.runs import RunRecorder, RunStore
from rnn.train import TrainConfig, Trainer

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "pages" / "10_Runs.py")


def seed_run(home, lr: float, steps: int = 40, name: str | None = None, model_key: str | None = None,
             corpus: str = "zen", then_lr: float | None = None) -> int:
    """A recorded run: the server's (as the CLI records it), or a dashboard model's with `model_key`; with
    `then_lr` the learning rate changes half-way, as the Train page's slider changes it."""
    text = load_builtin(corpus)[:20_000]
    corpus = make_corpus(text, corpus, seq_length=16)
    trainer = Trainer(corpus, TrainConfig(hidden_size=12, seq_length=16, learning_rate=lr, eval_every=20))
    source = "cli" if model_key is None else "dashboard"
    with RunRecorder(trainer, RunStore(home), name=name, source=source, model_key=model_key) as rec:
        trainer.step(steps // 2)
        if then_lr is not None:
            rec.update(force=True)
            trainer.set_learning_rate(then_lr)
        trainer.step(steps - steps // 2)
        trainer.evaluate()
    return rec.run_id


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("RNN_LAB_HOME", str(tmp_path))
    return tmp_path


def open_page() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def loss_chart(at: AppTest) -> dict:
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    loss = [s for s in specs if "Training loss" in json.dumps(s.get("layout", {}).get("title", ""))]
    assert loss, "no loss chart on the page"
    return loss[0]


def test_empty_store_says_how_to_start(home):
    at = open_page()
    assert any("No runs yet" in i.value for i in at.info)
    assert [b.label for b in at.get("form_submit_button") if b.label == "Start sweep"]


def test_two_runs_overlay_two_curves_and_best_is_marked(home):
    a = seed_run(home, 0.05, name="slow")
    b = seed_run(home, 0.2, name="fast")
    at = open_page()
    sel = at.multiselect(key="runs_selected")
    assert sorted(sel.value) == [a, b]
    spec = loss_chart(at)
    assert len(spec["data"]) == 2
    assert {t["name"] for t in spec["data"]} == {f"#{a} slow", f"#{b} fast"}
    # Deselect one run: one curve left.
    sel.set_value([b]).run()
    assert not at.exception
    assert len(loss_chart(at)["data"]) == 1
    # The table marks exactly one best run: the one with the lower validation loss.
    store = RunStore(home)
    best = min(store.list_runs(), key=lambda r: r.val_loss).id
    df = at.dataframe[0].value
    assert list(df.loc[df["best"] == "★", "id"]) == [best]


def test_x_axis_and_smoothing_change_the_curves(home):
    seed_run(home, 0.1)
    at = open_page()
    raw = loss_chart(at)
    at.radio[0].set_value("characters").run()
    at.slider[0].set_value(0.0).run()
    assert not at.exception
    spec = loss_chart(at)
    assert "Characters" in json.dumps(spec["layout"]["xaxis"]["title"])
    assert spec["data"][0]["y"] != raw["data"][0]["y"]


def test_rename_tag_and_delete(home):
    # The session's own runs (its model's): the server's runs are read-only here (tests/app/test_app_privacy.py).
    at = open_page()
    a = seed_run(home, 0.1, model_key=at.session_state["model_id"])
    seed_run(home, 0.05, model_key=at.session_state["model_id"])
    at.run()
    run_box = [s for s in at.selectbox if s.label == "Run"][0]
    run_box.set_value(a).run()
    [t for t in at.text_input if t.label == "Name"][0].set_value("baseline")
    [t for t in at.text_input if t.label == "Tags (comma-separated)"][0].set_value("class, week1")
    [b for b in at.get("form_submit_button") if b.label == "Save name and tags"][0].click().run()
    assert not at.exception
    rec = RunStore(home).get(a)
    assert rec.name == "baseline" and rec.tags == ["class", "week1"]
    # Delete needs the confirmation box first.
    run_box = [s for s in at.selectbox if s.label == "Run"][0]
    run_box.set_value(a).run()
    [c for c in at.checkbox if c.label == "Yes, delete it"][0].check().run()
    [b for b in at.button if b.label == "Delete run"][0].click().run()
    assert not at.exception
    assert [r.id for r in RunStore(home).list_runs()] != [] and a not in [r.id for r in RunStore(home).list_runs()]
    assert not (Path(home) / "checkpoints" / f"run-{a}.npz").exists()


def test_open_in_dashboard_loads_the_checkpoint(home):
    a = seed_run(home, 0.1, steps=30)
    at = open_page()
    [b for b in at.button if b.label == "Open in dashboard"][0].click().run()
    assert not at.exception
    assert any(f"Loaded run #{a}" in s.value for s in at.success)
    trainer = model(at)
    assert trainer.iteration == 30 and trainer.corpus.name == "zen" and trainer.config.hidden_size == 12


def test_corrupt_database_shows_a_clear_error(home):
    (Path(home) / "runs.sqlite").write_bytes(b"this is not an sqlite file at all" * 100)
    at = open_page()
    assert at.error and "unreadable" in at.error[0].value
    assert "RNN_LAB_HOME" in at.error[0].value or "delete" in at.error[0].value
    # The page offers to move the file aside; afterwards it works with a fresh store.
    [b for b in at.button if "Move the damaged database" in b.label][0].click().run()
    assert not at.exception
    assert not at.error
    assert any(p.name.startswith("runs.sqlite.unreadable-") for p in Path(home).iterdir())


@pytest.mark.parametrize("corpus_choice", ["zen", "Current dashboard corpus"])
def test_sweep_launcher_runs_and_reports(home, corpus_choice):
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.query_params["corpus"] = "zen"  # the session's corpus (via a shared link), used by the second case
    at.run()
    [s for s in at.selectbox if s.label == "Sweep corpus"][0].set_value(corpus_choice)
    form_inputs = {t.label: t for t in at.text_input}
    form_inputs["Learning rates"].set_value("0.05, 0.1")
    form_inputs["Hidden sizes"].set_value("8")
    form_inputs["Sequence lengths"].set_value("16")
    [n for n in at.number_input if n.label == "Budget"][0].set_value(20.0)
    [b for b in at.get("form_submit_button") if b.label == "Start sweep"][0].click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    proc = at.session_state["runs_active_sweep"]["proc"]
    assert proc.wait(timeout=60) == 0
    at.run()  # the page notices the finished sweep
    assert not at.exception
    runs = RunStore(home).list_runs()
    assert len(runs) == 2 and {r.status for r in runs} == {"finished"}
    assert {r.corpus_name for r in runs} == {"zen"} and {r.vocab_size for r in runs} == {45}
    assert any("Sweep #" in shown(c.value) and "2 of 2" in shown(c.value) for c in at.caption)


def test_bad_sweep_values_show_an_error(home):
    at = open_page()
    [t for t in at.text_input if t.label == "Learning rates"][0].set_value("fast")
    [b for b in at.get("form_submit_button") if b.label == "Start sweep"][0].click().run()
    assert not at.exception
    assert at.error and "Learning rates" in at.error[0].value
    assert os.environ["RNN_LAB_HOME"] == str(home)


# ---------------------------------------------------------------- the dashboard side (Train page)
TRAIN = str(ROOT / "pages" / "2_Train.py")


def test_train_page_records_the_session_run(home):
    at = AppTest.from_file(TRAIN, default_timeout=120)
    at.query_params.update({"corpus": "zen", "hidden": "8", "seq": "16"})
    at.run()
    assert not at.exception, at.exception
    assert RunStore(home).list_runs() == []  # nothing trained, nothing recorded
    [b for b in at.button if b.label == "Step 10"][0].click().run()
    assert not at.exception
    # The worker saves a stopped model: its run is "paused", with a checkpoint to reopen it from.
    wait_for(lambda: RunStore(home).list_runs() and RunStore(home).list_runs()[0].status == "paused")
    (run,) = RunStore(home).list_runs()
    assert run.source == "dashboard" and run.corpus_name == "zen" and run.checkpoint
    assert run.config["hidden_size"] == 8 and run.iterations == 10
    assert run.model_key == at.session_state["model_id"]
    # Reset replaces the model: its run is finished with a checkpoint; the next steps start a new run.
    [b for b in at.button if b.label == "Reset the model"][0].click().run()  # in the Reset popover
    assert not at.exception
    wait_for(lambda: RunStore(home).get(run.id).status == "finished")
    done = RunStore(home).get(run.id)
    assert done.status == "finished" and done.iterations == 10 and done.checkpoint
    assert len(RunStore(home).metrics(run.id)["iteration"]) == 10
    [b for b in at.button if b.label == "Step 1"][0].click().run()
    wait_for(lambda: len(RunStore(home).list_runs()) == 2)


def test_a_shared_link_opens_with_its_settings_and_the_url_follows(home):
    at = AppTest.from_file(TRAIN, default_timeout=120)
    at.query_params.update({"corpus": "zen", "hidden": "16", "seq": "20", "lr": "0.05", "opt": "adam",
                            "batch": "2", "seed": "3", "dtype": "float32", "clip": "1"})
    at.run()
    assert not at.exception, at.exception
    t = model(at)
    c = t.config
    assert t.corpus.name == "zen"
    assert (c.hidden_size, c.seq_length, c.learning_rate, c.optimizer, c.batch_size, c.seed, c.dtype, c.clip) == (
        16, 20, 0.05, "adam", 2, 3, "float32", 1.0)
    assert at.select_slider(key="tr_hidden").value == 16
    # The URL carries the settings, so copying it shares them.
    q = dict(at.query_params)
    flat = {k: v[0] if isinstance(v, list) else v for k, v in q.items()}
    assert flat["corpus"] == "zen" and flat["hidden"] == "16" and flat["lr"] == "0.05" and flat["opt"] == "adam"


def test_bad_link_values_are_ignored(home):
    at = AppTest.from_file(TRAIN, default_timeout=120)
    at.query_params.update({"corpus": "nope", "hidden": "-3", "lr": "nan", "opt": "magic", "seq": "abc"})
    at.run()
    assert not at.exception, at.exception
    c = model(at).config
    # hidden -3 is a number: clamped to the nearest the widgets offer (issue 10); the rest is not usable
    assert c.hidden_size == 1 and c.optimizer == "adagrad" and c.learning_rate == 0.1
    assert model(at).corpus.name == "python-docs"
    (notice,) = [w.value for w in at.warning if "could not be used" in w.value]  # the page says which, once
    assert all(k in notice for k in ("corpus", "lr", "opt", "seq")) and "between 0.0001 and 1" in notice
    assert "hidden=-3 to 1" in notice
    at.run()
    assert not [w for w in at.warning if "could not be used" in w.value]


def test_link_values_beyond_the_widgets_are_clamped_to_what_the_widgets_offer(home):
    # The engine trains hidden 1024 (the CLI allows up to 4096), but the page's widgets offer up to 512.
    at = AppTest.from_file(TRAIN, default_timeout=120)
    at.query_params.update({"corpus": "zen", "hidden": "1024", "batch": "4"})
    at.run()
    assert not at.exception, at.exception
    c = model(at).config
    assert c.hidden_size == 512 and c.batch_size == 4
    assert at.select_slider(key="tr_hidden").value == 512
    assert any("hidden=1024 to 512" in w.value and "changed to the nearest value" in w.value for w in at.warning)


def test_widgets_offer_the_settings_table_ranges(home):
    at = AppTest.from_file(TRAIN, default_timeout=120)
    at.run()
    seq, hidden = SETTINGS["seq_length"], SETTINGS["hidden_size"]
    slider = at.slider(key="tr_seq")
    assert (slider.min, slider.max) == (seq.low, seq.high)
    assert list(at.select_slider(key="tr_hidden").options) == [str(v) for v in hidden.stops]
    assert list(at.selectbox(key="tr_opt").options) == list(SETTINGS["optimizer"].choices)
    assert list(at.radio(key="tr_dtype").options) == list(SETTINGS["dtype"].choices)


def test_url_round_trip_and_app_range():
    from ui.query import encode, parse

    cfg = TrainConfig(hidden_size=16, seq_length=20, learning_rate=0.05, optimizer="adam", clip=1.0, batch_size=2,
                      seed=3, dtype="float32")
    corpus, overrides, ignored, clamped = parse(encode(cfg, "zen"))
    assert corpus == "zen" and not ignored and not clamped
    assert dataclasses.replace(TrainConfig(), **overrides) == cfg
    # Beyond what the widgets offer (hidden 1024, seq 500, lr 5, clip 50, batch 256): clamped to the nearest
    # value they offer (issue 10; it used to be ignored), and reported; at the edges: kept.
    _, overrides, ignored, clamped = parse({"hidden": "1024", "seq": "500", "lr": "5", "clip": "50",
                                            "batch": "256", "seed": "7"})
    assert overrides == {"hidden_size": 512, "seq_length": 200, "learning_rate": 1.0, "clip": 20.0,
                         "batch_size": 128, "seed": 7} and not ignored
    assert clamped == {"hidden": ("1024", 512), "seq": ("500", 200), "lr": ("5", 1.0), "clip": ("50", 20.0),
                       "batch": ("256", 128)}
    _, overrides, ignored, clamped = parse({"hidden": "0", "seq": "-5", "lr": "0", "batch": "2.6", "seed": "x",
                                            "opt": "fast"})
    assert overrides == {"hidden_size": 1, "seq_length": 2, "learning_rate": 1e-4, "batch_size": 3}
    assert set(ignored) == {"seed", "opt"} and set(clamped) == {"hidden", "seq", "lr", "batch"}
    _, overrides, ignored, clamped = parse({"hidden": "512", "seq": "200", "lr": "1", "clip": "20", "batch": "128"})
    assert not ignored and not clamped and overrides == {"hidden_size": 512, "seq_length": 200,
                                                          "learning_rate": 1.0, "clip": 20.0, "batch_size": 128}


# ---------------------------------------------------------------- issue 13: the Runs page says true things
def test_best_is_marked_within_each_corpus(home):
    zen = [seed_run(home, 0.05, name="zen slow"), seed_run(home, 0.2, name="zen fast")]
    brackets = seed_run(home, 0.1, name="brackets", corpus="brackets")
    at = open_page()
    df = at.dataframe[0].value
    store = RunStore(home)
    best_zen = min((store.get(i) for i in zen), key=lambda r: r.val_loss).id
    assert sorted(df.loc[df["best"] == "★", "id"]) == sorted([best_zen, brackets])  # one per corpus
    assert any("same corpus" in c.value for c in at.caption)  # and the page says why


def test_runs_on_different_texts_of_one_name_are_told_apart(home):
    full = seed_run(home, 0.1, name="full zen")
    corpus = make_corpus(load_builtin("zen")[:600], "zen", seq_length=16)  # another text, the same name
    trainer = Trainer(corpus, TrainConfig(hidden_size=12, seq_length=16, eval_every=20))
    with RunRecorder(trainer, RunStore(home), name="cut zen") as rec:
        trainer.step(20)
        trainer.evaluate()
    at = open_page()
    df = at.dataframe[0].value.set_index("id")
    assert sorted(df.index[df["best"] == "★"]) == sorted([full, rec.run_id])  # two texts: two bests
    labels = {df.loc[full, "corpus"], df.loc[rec.run_id, "corpus"]}
    assert len(labels) == 2 and all(label.startswith("zen (") for label in labels)


def test_lr_column_shows_a_changed_rate_first_to_last(home):
    changed = seed_run(home, 0.1, name="annealed", then_lr=0.01)
    fixed = seed_run(home, 0.05, name="fixed")
    at = open_page()
    df = at.dataframe[0].value.set_index("id")
    assert df.loc[changed, "lr"] == "0.1 → 0.01"
    assert df.loc[fixed, "lr"] == "0.05"


def test_sweep_form_defaults_a_large_corpus_and_whole_steps(home):
    from rnn.corpus import DEFAULT_BUILTIN

    at = open_page()
    box = [s for s in at.selectbox if s.label == "Sweep corpus"][0]
    assert box.value == DEFAULT_BUILTIN  # ~46,000 validation characters, not zen's 85
    assert "validation characters" in box.help
    budget = [n for n in at.number_input if n.label == "Budget"][0]
    assert budget.value == 300 and isinstance(budget.value, int)  # "300", not "300.00"


def test_finished_sweep_runs_join_compare(home):
    earlier = [seed_run(home, 0.1, steps=10) for _ in range(5)]
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    assert sorted(at.multiselect(key="runs_selected").value) == sorted(earlier)
    [s for s in at.selectbox if s.label == "Sweep corpus"][0].set_value("zen")
    form_inputs = {t.label: t for t in at.text_input}
    form_inputs["Learning rates"].set_value("0.05, 0.1")
    form_inputs["Hidden sizes"].set_value("8")
    form_inputs["Sequence lengths"].set_value("16")
    [n for n in at.number_input if n.label == "Budget"][0].set_value(20)
    [b for b in at.get("form_submit_button") if b.label == "Start sweep"][0].click().run()
    assert not at.exception, at.exception
    assert at.session_state["runs_active_sweep"]["proc"].wait(timeout=60) == 0
    at.run()  # the page notices the finished sweep
    assert not at.exception
    swept = [r.id for r in RunStore(home).list_runs() if r.sweep_id is not None]
    assert len(swept) == 2
    chosen = at.multiselect(key="runs_selected").value
    assert set(swept) <= set(chosen) and set(earlier) <= set(chosen)  # added, nothing dropped
    assert len(loss_chart(at)["data"]) == 7


def test_the_gallery_loads_once_into_your_runs_and_is_overlaid(home):
    from rnn.gallery import TAG, VARIANTS

    seed_run(home, 0.1, name="server run")  # the server's, to show the selection is the gallery's alone
    at = open_page()
    ok_click = next(b for b in at.button if b.label == "Load the hyperparameter gallery").click().run()
    assert not ok_click.exception
    gallery_runs = [r for r in RunStore(home).list_runs() if TAG in r.tags]
    assert len(gallery_runs) == len(VARIANTS)
    assert {r.owner for r in gallery_runs} == {at.session_state["model_id"]}  # yours, private
    assert sorted(at.multiselect(key="runs_selected").value) == sorted(r.id for r in gallery_runs)
    assert len(loss_chart(at)["data"]) == len(VARIANTS)
    assert any("gallery's 7 runs" in s.value for s in at.success)
    next(b for b in at.button if b.label == "Load the hyperparameter gallery").click().run()
    assert len([r for r in RunStore(home).list_runs() if TAG in r.tags]) == len(VARIANTS)  # not twice
