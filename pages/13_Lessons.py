"""Lessons: a guided track through min-char-rnn, from predicting one character to what the network learned."""

import streamlit as st

from rnn.lessons import STEPS
from ui.lessons import progress, start, step_status
from ui.state import get_trainer
from ui.widgets import page_setup

page_setup("Lessons")
p = progress()  # from here on the lesson box follows the student in the sidebar

st.title("Lessons")
st.caption("Thirteen steps: the parts of min-char-rnn in order, then three experiments. Each step sets its scene "
           "with one click (a text, settings or a trained model, and the page to look at), asks for one thing, "
           "checks that it happened and says what you just saw. The sidebar keeps the step in view on every page.")
st.progress(len(p.done) / len(STEPS), text=f"{len(p.done)} of {len(STEPS)} steps done")

index = st.radio("Steps", range(len(STEPS)), index=p.current, key="lesson_pick",
                 format_func=lambda i: f"{'✓ ' if STEPS[i].id in p.done else ''}{STEPS[i].part}: {STEPS[i].title}")
step = STEPS[index]
with st.container(border=True):
    st.markdown(f"**{step.part}: {step.title}**")
    st.markdown(f"**Do:** {step.task}")
    if index == p.current:
        step_status(step, p.check(get_trainer(fresh=False)))
    elif step.id in p.done:
        st.success(f"Done. {step.explain}", icon=":material/check_circle:")
    label = f"Set the scene and open {step.scene.page}"
    st.button(label, type="primary", icon=":material/play_arrow:", key="lesson_go", on_click=start, args=(index,))
