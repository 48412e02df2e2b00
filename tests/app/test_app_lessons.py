"""Lessons in the app: a step sets its scene, the sidebar box follows the student and checks the task."""

from pathlib import Path

from model_helpers import model, step
from streamlit.testing.v1 import AppTest

from rnn.lessons import STEPS

ROOT = Path(__file__).resolve().parents[2]
INDEX = {s.id: i for i, s in enumerate(STEPS)}


def ok(at):
    assert not at.exception, [e.value for e in at.exception]
    return at


def lessons_page():
    """The Lessons page inside the app's navigation (dashboard.py), so its buttons can switch pages."""
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    return ok(at.switch_page("pages/13_Lessons.py").run())


def press(at, label):
    return ok(next(b for b in at.button if b.label == label).click().run())


def test_the_lessons_page_lists_the_track_and_shows_progress():
    at = lessons_page()
    assert len(at.radio(key="lesson_pick").options) == len(STEPS)
    assert "0 of 13 steps done" in at.get("progress")[0].proto.text
    assert any(m.value.startswith("**Do:** Look at the samples") for m in at.markdown)


def test_setting_the_scene_makes_the_model_and_the_sidebar_checks_the_task():
    at = lessons_page()
    ok(at.radio(key="lesson_pick").set_value(INDEX["too-high"]).run())
    press(at, "Set the scene and open Train")
    m = model(at)
    assert m.corpus.name == "zen" and m.config.learning_rate == 1.0 and m.iteration == 0
    progress = at.session_state["lesson_progress"]
    assert progress.current == INDEX["too-high"] and progress.start_iteration == 0
    assert any("Waiting for: training diverged" in c.value for c in at.sidebar.caption)
    assert any(b.label == "Step 100" for b in at.button)  # on the Train page now
    step(at, 50)  # what Run does, in the worker
    press(at, "Check")
    assert "too-high" in progress.done
    assert any("Done: training diverged" in s.value for s in at.sidebar.success)
    ok(at.switch_page("pages/13_Lessons.py").run())
    assert "1 of 13 steps done" in at.get("progress")[0].proto.text


def test_a_step_on_a_starter_model_opens_it():
    at = lessons_page()
    ok(at.radio(key="lesson_pick").set_value(INDEX["learned"]).run())
    press(at, "Set the scene and open Neurons")
    assert model(at).iteration == 5000 and model(at).corpus.name == "python-docs"


def test_next_step_in_the_sidebar_moves_on_with_a_fresh_check():
    at = lessons_page()
    progress = at.session_state["lesson_progress"]
    progress.opened("Sample")  # step 1's task (its page) done
    ok(at.run())
    assert any("Done: you opened Sample" in s.value for s in at.sidebar.success)
    press(at, "Next step")  # step 2 opens Data, and opening it is the step's goal
    assert progress.current == 1 and progress.pages == {"Data"} and "data" in progress.done
    assert any(t.value == "Data" for t in at.title)
    assert any("Done: you opened Data" in s.value for s in at.sidebar.success)
