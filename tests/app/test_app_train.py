"""AppTest for the Train page: stepping, live training in a worker, mid-run settings, shape confirmation,
divergence, checkpoint download/upload. Each at.run() is one script run; run_every never fires in AppTest.
The model lives in a worker process (rnn/service): the tests read it through the same registry as the page."""

import math
import time
from pathlib import Path

import numpy as np
import pytest
from model_helpers import live_chart_payloads, live_charts, shown
from streamlit.testing.v1 import AppTest

from rnn.checkpoint import checkpoint_bytes
from rnn.corpus import make_corpus
from rnn.train import TrainConfig, Trainer
from ui.checkpoint import apply_checkpoint
from ui.state import registry

PAGE = "../../pages/2_Train.py"
TIMEOUT = 60


@pytest.fixture
def at():
    app = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def trainer(app):
    """The page's model as the worker has it now (its replica, arrays included)."""
    return registry().view(app.session_state["model_id"], fresh=True)


def running(app) -> bool:
    return registry().status(app.session_state["model_id"]).running


def wait_for(condition, seconds=20.0):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def metric(app, label):
    return next(m.value for m in app.metric if m.label == label)


def popovers(app):
    """The popover blocks of the page (AppTest has no accessor for them)."""
    found, todo = [], [app._tree]
    while todo:
        node = todo.pop()
        if getattr(node, "type", None) == "popover":
            found.append(node)
        todo.extend(getattr(node, "children", {}).values())
    return found


def click(app, key):
    app.button(key=key).click().run()
    assert not app.exception, [e.value for e in app.exception]


def test_defaults_render_controls_charts_and_sample(at):
    assert not at.error
    labels = {b.label for b in at.button}
    assert {"Step 1", "Step 10", "Step 100", "Run", "Reset the model"} <= labels
    assert [p.proto.popover.label for p in popovers(at)] == ["Reset"]
    assert {m.label for m in at.metric} >= {"Iteration", "Epoch", "Chars/s", "Recent loss"}
    for label in ("Learning rate", "Clip", "Hidden size", "Batch streams"):
        assert any(w.label == label for w in at.select_slider), label
    assert at.selectbox(key="tr_opt").label == "Optimizer"
    assert at.slider(key="tr_seq").label == "Sequence length"
    assert at.number_input(key="tr_seed").label == "Seed"
    assert at.radio(key="tr_dtype").label == "Dtype"
    assert at.file_uploader(key="tr_upload").label == "Upload checkpoint (.npz)"
    assert any(c.value == "Latest sample" for c in at.caption)
    charts = live_charts(at)  # drawn in place while training (ui/live_chart.py), not with st.plotly_chart
    assert [c["key"] for c in charts] == ["loss_chart", "grad_chart"] and not at.get("plotly_chart")
    assert [c["layout"]["height"] for c in charts] == [380, 280]  # the heights st.plotly_chart gave them
    assert metric(at, "Iteration") == "0"
    assert running(at) is False
    assert at.query_params["model"] == at.session_state["model_id"]  # the link reopens this model


@pytest.mark.parametrize("key,n", [("tr_step1", 1), ("tr_step10", 10), ("tr_step100", 100)])
def test_step_buttons_advance_iteration_and_history(at, key, n):
    click(at, key)
    t = trainer(at)
    assert t.iteration == n
    assert len(t.history["loss"]) == n and len(t.history["smooth_loss"]) == n
    assert metric(at, "Iteration") == f"{n:,}"
    assert all(math.isfinite(x) for x in t.history["loss"])
    assert metric(at, "Recent loss") != "—"


def test_stepping_twice_accumulates_and_keeps_the_same_model(at):
    first = trainer(at)
    click(at, "tr_step10")
    click(at, "tr_step10")
    assert trainer(at) is first and first.iteration == 20


def test_run_trains_in_the_worker_and_pause_stops_it(at):
    click(at, "tr_run")
    assert running(at) is True
    assert at.button(key="tr_run").label == "Pause"
    wait_for(lambda: trainer(at).iteration > 20)  # training goes on between page runs
    t0 = time.perf_counter()
    at.run()
    assert time.perf_counter() - t0 < 5  # the page only draws; it never trains
    it = trainer(at).iteration
    assert metric(at, "Iteration") != "0"
    click(at, "tr_run")
    assert running(at) is False
    assert at.button(key="tr_run").label == "Run"
    assert registry().command(at.session_state["model_id"], "touch") is None  # the worker has seen the Pause
    it3 = trainer(at).iteration
    assert it3 >= it
    time.sleep(0.5)
    at.run()
    assert trainer(at).iteration == it3  # paused: nothing trains


def test_charts_redraw_less_often_when_models_share_a_worker(at, monkeypatch):
    import ui.train

    def specs():
        return live_chart_payloads(at)

    monkeypatch.setattr(ui.train, "models_per_worker", lambda: 4.0)  # a class: 8 models on 2 cores
    click(at, "tr_run")
    first, it = specs(), trainer(at).iteration
    wait_for(lambda: trainer(at).iteration > it)
    time.sleep(1.5)  # past the 1 s of a model with a worker to itself
    at.run()
    assert specs() == first  # the model moved on, but within 4 s the page sends the same charts again
    monkeypatch.setattr(ui.train, "models_per_worker", lambda: 1.0)  # a worker to itself: every second
    time.sleep(1.0)
    at.run()
    assert specs() != first
    click(at, "tr_run")


def test_learning_rate_and_clip_apply_mid_run(at):
    click(at, "tr_step10")
    t = trainer(at)
    at.select_slider(key="tr_lr").set_value(0.05).run()
    at.select_slider(key="tr_clip").set_value(1.0).run()
    assert trainer(at) is t and t.iteration == 10
    assert t.optimizer.lr == pytest.approx(0.05) and t.config.learning_rate == pytest.approx(0.05)
    assert t.config.clip == 1.0


def test_optimizer_switch_keeps_parameters_and_resets_memory(at):
    click(at, "tr_step10")
    t = trainer(at)
    before = t.flat_params.copy()
    at.selectbox(key="tr_opt").set_value("adam").run()
    assert trainer(at) is t and t.iteration == 10
    assert t.optimizer.name == "adam" and t.config.optimizer == "adam"
    np.testing.assert_array_equal(t.flat_params, before)
    assert all(not v.any() for v in t.optimizer.state.values())  # fresh optimizer memory
    assert t.optimizer.lr == pytest.approx(0.002)
    assert at.select_slider(key="tr_lr").value == pytest.approx(0.002)
    assert any("parameters are kept" in i.value for i in at.info)
    click(at, "tr_step1")
    assert t.iteration == 11


def test_sequence_length_applies_mid_run(at):
    click(at, "tr_step10")
    t = trainer(at)
    at.slider(key="tr_seq").set_value(50).run()
    click(at, "tr_step1")
    assert trainer(at) is t and t.config.seq_length == 50 and t.iteration == 11
    assert t.chars_trained == 10 * 25 + 50


def test_shape_change_resets_only_after_confirmation(at):
    click(at, "tr_step10")
    old = trainer(at)
    at.select_slider(key="tr_hidden").set_value(64).run()
    assert trainer(at) is old and old.iteration == 10 and old.config.hidden_size == 100
    assert any("Hidden size 100 → 64" in w.value for w in at.warning)
    assert at.button(key="tr_apply").label == "Apply and reset model"
    at.run()  # rerunning does not apply it either
    assert trainer(at) is old
    click(at, "tr_apply")
    new = trainer(at)
    assert new is not old and new.config.hidden_size == 64 and new.iteration == 0
    assert new.params["Whh"].shape == (64, 64)
    assert not any("→" in w.value for w in at.warning)


def test_shape_change_can_be_reverted(at):
    click(at, "tr_step10")
    old = trainer(at)
    at.radio(key="tr_dtype").set_value("float32").run()
    click(at, "tr_revert")
    assert trainer(at) is old and at.radio(key="tr_dtype").value == "float64"
    assert not at.warning


def test_impossible_shape_keeps_the_old_model():
    # hello is far too short for 128 streams of 26 characters
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    at.query_params["corpus"] = "hello"
    at.run()
    t = trainer(at)
    assert t.corpus.name == "hello"
    at.select_slider(key="tr_batch").set_value(128).run()
    click(at, "tr_apply")
    assert trainer(at) is t
    assert any("do not fit" in e.value for e in at.error)


def test_reset_gives_fresh_weights_with_same_settings(at):
    at.select_slider(key="tr_lr").set_value(0.05).run()
    click(at, "tr_step10")
    old = trainer(at)
    click(at, "tr_reset")
    new = trainer(at)
    assert new is not old and new.iteration == 0 and new.config.learning_rate == pytest.approx(0.05)


@pytest.mark.parametrize("how", ["reset", "checkpoint", "shape"])
def test_a_new_model_starts_paused(at, how):
    """ui.state.set_trainer pauses live training: a replaced model never trains on unasked."""
    click(at, "tr_run")
    assert running(at) is True
    old = trainer(at)
    if how == "reset":
        click(at, "tr_reset")
    elif how == "checkpoint":
        src = Trainer(make_corpus("the cat sat on the mat. " * 40, "cats"), TrainConfig(hidden_size=16))
        at.file_uploader(key="tr_upload").set_value(("cats.npz", checkpoint_bytes(src), "application/octet-stream"))
        at.run()
    else:
        at.select_slider(key="tr_hidden").set_value(32).run()
        click(at, "tr_apply")
    new = trainer(at)
    assert new is not old and running(at) is False
    assert at.button(key="tr_run").label == "Run"
    it = new.iteration
    time.sleep(0.5)
    at.run()
    assert trainer(at).iteration == it  # paused: nothing trains


def test_divergence_pauses_with_a_message_and_keeps_the_model(at):
    src = Trainer(make_corpus("the cat sat on the mat. " * 40, "cats"), TrainConfig(hidden_size=16))
    src.step(10)
    src.recent_loss = 1e9  # as if it had just blown up: the next step counts as divergent
    at.file_uploader(key="tr_upload").set_value(("cats.npz", checkpoint_bytes(src), "application/octet-stream"))
    at.run()
    click(at, "tr_run")
    wait_for(lambda: trainer(at).status == "diverged")
    t = trainer(at)
    assert t.iteration == 10 and running(at) is False
    at.run()
    assert at.button(key="tr_run").label == "Run"
    assert any("diverged" in e.value.lower() and "No earlier state was known good" in e.value for e in at.error)
    np.testing.assert_array_equal(t.flat_params, src.flat_params)  # the bad step was never applied
    click(at, "tr_step1")  # stepping resumes from the kept parameters
    t = trainer(at)
    assert t.status == "ready" and t.iteration == 11


def test_learning_rate_1_blows_up_goes_back_and_a_lower_rate_continues(at):
    """The worker's guard fires after the rate is raised to the widget's top (1.0): the page says which
    iteration the model went back to; at the old rate Step trains on from there."""
    click(at, "tr_step100")
    wait_for(lambda: trainer(at).iteration == 100)
    good = trainer(at).flat_params.copy()
    at.select_slider(key="tr_lr").set_value(1.0).run()
    for _ in range(6):  # Step 100 until the guard fires (it waits a few seconds per click)
        click(at, "tr_step100")
        wait_for(lambda: registry().status(at.session_state["model_id"]).pending_steps == 0, 60)
        if trainer(at).status == "diverged":
            break
    t = trainer(at)
    assert t.status == "diverged" and t.iteration == 100
    np.testing.assert_array_equal(t.flat_params, good)
    at.run()
    shown = " ".join(e.value for e in at.error)
    assert "Went back to iteration 100" in shown and "optimizer memory" in shown and "Nothing was lost" not in shown
    at.select_slider(key="tr_lr").set_value(0.1).run()
    click(at, "tr_step10")
    wait_for(lambda: trainer(at).iteration == 110)
    assert trainer(at).status == "ready"


def test_checkpoint_upload_replaces_the_model_and_syncs_widgets(at):
    click(at, "tr_step1")
    src = Trainer(make_corpus("the cat sat on the mat. " * 40, "cats"),
                  TrainConfig(hidden_size=32, learning_rate=0.05, seed=3))
    src.step(7)
    at.file_uploader(key="tr_upload").set_value(("cats.npz", checkpoint_bytes(src), "application/octet-stream"))
    at.run()
    assert not at.exception
    t = trainer(at)
    assert t.iteration == 7 and t.config.hidden_size == 32 and t.corpus.name == "cats"
    np.testing.assert_array_equal(t.flat_params, src.flat_params)
    assert at.select_slider(key="tr_hidden").value == 32
    assert at.select_slider(key="tr_lr").value == pytest.approx(0.05)
    assert any("Loaded cats.npz" in shown(s.value) for s in at.success)
    assert not at.warning  # no phantom shape change after loading
    click(at, "tr_step1")
    src.step(1)
    np.testing.assert_array_equal(trainer(at).flat_params, src.flat_params)  # resumes exactly


def test_bad_checkpoint_upload_shows_error_and_keeps_model(at):
    click(at, "tr_step10")
    t = trainer(at)
    at.file_uploader(key="tr_upload").set_value(("junk.npz", b"this is not a zip file", "application/octet-stream"))
    at.run()
    assert not at.exception
    assert trainer(at) is t and t.iteration == 10
    assert any("junk.npz could not be loaded" in shown(e.value) and "unchanged" in e.value for e in at.error)


def test_apply_checkpoint_helper_reports_reason():
    ok, message = apply_checkpoint(b"PK\x03\x04broken", "broken.npz")
    assert not ok and "broken.npz could not be loaded" in shown(message)


def test_sessions_have_their_own_models():
    a = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    b = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    a.run()
    b.run()
    a.button(key="tr_step10").click().run()
    assert a.session_state["model_id"] != b.session_state["model_id"]
    assert trainer(a).iteration == 10 and trainer(b).iteration == 0


def test_the_same_link_in_a_new_session_shows_the_same_model(at):
    click(at, "tr_step10")
    other = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    other.query_params["model"] = at.session_state["model_id"]  # a reload, or the link in a second tab
    other.run()
    assert other.session_state["model_id"] == at.session_state["model_id"]
    assert metric(other, "Iteration") == "10"


def test_an_unknown_model_id_makes_a_new_model_and_says_so():
    app = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    app.query_params["model"] = "not-a-model"
    app.run()
    assert not app.exception
    assert app.session_state["model_id"] != "not-a-model"
    assert any("not on this server" in i.value for i in app.info)


def test_share_link_has_the_settings_but_not_the_model(at):
    at.select_slider(key="tr_lr").set_value(0.05).run()
    (link,) = [c.value for c in at.code if "hidden=" in c.value]
    assert "lr=0.05" in link and "corpus=python-docs" in link
    assert "model=" not in link  # the model id is a key to this model: never in the link for a class


# --------------------------------------------------------------------------- issue 13: the headline loss, Reset,
# the chart's markers and ghost, the checkpoint's name


def hello_app():
    app = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    app.query_params["corpus"] = "hello"
    app.run()
    assert trainer(app).corpus.name == "hello"
    return app


def test_the_headline_loss_follows_step_mode_on_hello():
    """Finding 2: after Step 100 on hello the page said 'as unsure as choosing among 7.1 of the 8 characters'
    (min-char-rnn's smooth_loss, still near ln 8); the headline is now the recent loss, and says so."""
    at = hello_app()
    click(at, "tr_step100")
    t = trainer(at)
    assert t.iteration == 100 and t.corpus.val is None  # hello has no validation split: no later rescue
    recent = float(metric(at, "Recent loss"))
    assert recent == pytest.approx(t.recent_loss, abs=5e-4) and recent < 0.5 * t.smooth_loss
    words = [c.value for c in at.caption if "bits/char" in c.value and "perplexity" in c.value]
    assert words and words[0].startswith("Recent training loss (last ~10 steps): ")
    choices = float(words[0].split("choosing among about ")[1].split()[0])
    assert choices < 3  # not "7.1 of the 8"
    fig = chart(at, 0)
    widths = {t["name"]: t["line"].get("width", 0) for t in fig["data"] if "line" in t}
    assert max(widths, key=widths.get).startswith("recent loss")
    assert any(n.startswith("smooth_loss (min-char-rnn") for n in widths)  # min-char-rnn's, still there


def chart(app, i):
    return live_charts(app)[i]


def test_reset_asks_first_and_says_where_the_model_is_kept(at):
    """Finding 5: Reset sits in a popover that says what is discarded and how to get it back; the run it
    names holds the model's final checkpoint."""
    from rnn.checkpoint import load_checkpoint
    from rnn.runs.store import RunStore

    click(at, "tr_step10")
    old = trainer(at)
    at.run()
    (popover,) = popovers(at)
    asked = " ".join(m.value for m in at.markdown if "Reset discards" in m.value)
    run_id = registry().status(at.session_state["model_id"]).run_id
    assert run_id is not None and f"run #{run_id}" in asked and "**Runs** page" in asked and "iteration 10" in asked
    assert trainer(at) is old  # drawing the question changes nothing
    click(at, "tr_reset")
    new = trainer(at)
    assert new is not old and new.iteration == 0
    assert any(f"run #{run_id} on the Runs page" in i.value for i in at.info)
    rec = RunStore(registry().store_home).get(run_id)
    wait_for(lambda: RunStore(registry().store_home).get(run_id).checkpoint is not None)
    rec = RunStore(registry().store_home).get(run_id)
    back = load_checkpoint(rec.checkpoint)
    np.testing.assert_array_equal(back.flat_params, old.flat_params)  # Open in dashboard brings it back
    at.run()
    assert any("untrained" in m.value for m in at.markdown)  # nothing to lose now: the question says so


def test_a_reset_leaves_a_ghost_of_the_previous_curve(at):
    click(at, "tr_step10")
    assert not any(t["name"].startswith("previous model") for t in chart(at, 0)["data"])
    click(at, "tr_reset")
    click(at, "tr_step1")
    (ghost,) = [t for t in chart(at, 0)["data"] if t["name"].startswith("previous model")]
    assert "Reset" in ghost["name"] and "10 iterations" in ghost["name"] and ghost["opacity"] < 0.6
    at.select_slider(key="tr_hidden").set_value(32).run()
    click(at, "tr_apply")
    names = [t["name"] for t in chart(at, 0)["data"]]
    # the model reset to was trained 1 step: its curve is the ghost now
    assert any(n.startswith("previous model (Hidden size 100 → 32") and "1 iterations" in n for n in names)


def test_a_learning_rate_change_is_marked_on_the_loss_curve(at):
    click(at, "tr_step10")
    at.select_slider(key="tr_lr").set_value(0.05).run()
    click(at, "tr_step10")
    assert trainer(at).events == [(10, "learning_rate", 0.1, 0.05)]
    (marks,) = [t for t in chart(at, 0)["data"] if t["name"] == "setting changed"]
    assert marks["text"] == ["learning rate 0.1 → 0.05"]


def test_the_checkpoint_file_name_has_the_iteration(at, monkeypatch):
    import inspect

    import streamlit.elements.widgets.button as button

    from ui.checkpoint import checkpoint_filename

    offered = []  # the file names the page gives its download button (Streamlit sends them on the click)
    marshall, signature = button.marshall_file, inspect.signature(button.marshall_file)

    def spy(*args, **kwargs):
        name = signature.bind(*args, **kwargs).arguments.get("file_name")
        if name.endswith(".npz"):  # not the export buttons' files (tests/app/test_app_export.py)
            offered.append(name)
        return marshall(*args, **kwargs)

    monkeypatch.setattr(button, "marshall_file", spy)
    click(at, "tr_step10")
    assert offered[-1] == "rnn-python-docs-h100-it10.npz" == checkpoint_filename(trainer(at))
    click(at, "tr_step1")
    assert offered[-1].endswith("-it11.npz")


def test_presenter_mode_and_a_lesson_link_that_hides_controls():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "pages" / "2_Train.py"), default_timeout=60)
    at.query_params["present"] = "1"
    at.query_params["hide"] = "optimizer,clip,nonsense"
    at.run()
    assert not at.exception
    assert at.sidebar.toggle(key="presenter_toggle").value is True
    assert any("font-size: 125%" in h.proto.body for h in at.get("html"))
    assert not at.title  # the sidebar names the page; its height goes to the chart
    labels = {w.label for w in [*at.select_slider, *at.selectbox, *at.slider]}
    assert "Learning rate" in labels and "Optimizer" not in labels and "Clip" not in labels
    assert at.query_params["hide"] == "clip,optimizer" and at.query_params["present"] == "1"  # kept
    at.sidebar.toggle(key="presenter_toggle").set_value(False).run()
    assert not at.exception and [t.value for t in at.title] == ["Train"]
    assert not any("font-size: 125%" in h.proto.body for h in at.get("html"))
    assert "present" not in at.query_params
