"""Guided lessons in the app (rnn/lessons.py): the student's progress in session state, the scene a step sets,
and the lesson box that follows the student from page to page in the sidebar."""

from __future__ import annotations

import streamlit as st

from rnn.lessons import STEPS, Progress, Step
from rnn.train import Trainer
from ui.navigation import app_pages
from ui.starters import open_starter
from ui.state import builtin_corpus, default_config, get_trainer, set_trainer
from ui.widgets import show_outcome

KEY = "lesson_progress"


def progress() -> Progress:
    return st.session_state.setdefault(KEY, Progress())


def started() -> bool:
    return KEY in st.session_state


def page_path(label: str) -> str:
    return next(p.path for p in app_pages() if p.label == label)


def set_scene(index: int) -> str | None:
    """Make step `index` current with its model; returns an error message, or None when it is set."""
    step = STEPS[index]
    scene = step.scene
    if scene.starter:
        ok, message = open_starter(scene.starter)
        if not ok:
            return message
    elif scene.corpus:
        config = default_config(**scene.settings)
        set_trainer(Trainer(builtin_corpus(scene.corpus, config.seq_length), config))
    progress().begin(index, get_trainer(fresh=False).iteration)
    return None


_GOTO = "_lesson_goto"  # the page a scene opens, on the run after its button's callback
_ERROR = "_lesson_error"


def start(index: int) -> None:
    """The callback of "Set the scene" and "Next step": the model now, the page on the next run (a callback
    runs before the script, where st.switch_page is not allowed)."""
    error = set_scene(index)
    if error:
        st.session_state[_ERROR] = (False, error)
    else:
        st.session_state[_GOTO] = page_path(STEPS[index].scene.page)


def step_status(step: Step, done: bool) -> None:
    if done:
        st.success(f"Done: {step.goal}. {step.explain}", icon=":material/check_circle:")
    else:
        st.caption(f"Waiting for: {step.goal}.")


def lesson_sidebar(page: str) -> None:
    """Open the page a scene asked for; note the page as opened for the current step; once a lesson has begun,
    show its step in the sidebar."""
    goto = st.session_state.pop(_GOTO, None)
    if goto:
        st.switch_page(goto)
    if not started():
        return
    show_outcome(_ERROR)
    p = progress()
    p.opened(page)
    done = p.check(get_trainer(fresh=False))
    step = p.step
    with st.sidebar:
        st.markdown(f"#### Lesson: step {p.current + 1} of {len(STEPS)}")
        st.markdown(f"**{step.title}**  \n{step.task}")
        step_status(step, done)
        row = st.container(horizontal=True)
        if done and p.current + 1 < len(STEPS):
            row.button("Next step", type="primary", key="lesson_next_sidebar", on_click=start, args=(p.current + 1,))
        else:
            row.button("Check", key="lesson_check_sidebar", help="Look again whether the step is done.")
        if page != "Lessons" and row.button("All steps", key="lesson_all_sidebar"):
            st.switch_page(page_path("Lessons"))
