"""A lesson in a real Chromium: from Home to a step's scene, the task done on Train, checked in the sidebar,
then the next step, and the progress on the Lessons page."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from streamlit_app import RERUN_TIMEOUT_MS, assert_no_exception, button, click_and_wait, open_app, step


def test_a_student_follows_two_steps_of_a_lesson(page: Page, app_url, shots):
    open_app(page, app_url, "/")
    click_and_wait(page, button(page, "Follow the lessons"))
    expect(page.get_by_role("heading", name="Lessons")).to_be_visible(timeout=RERUN_TIMEOUT_MS)
    page.get_by_text("4. Forward pass and loss: The loss of a guess").click()
    click_and_wait(page, button(page, "Set the scene and open Train"))
    expect(page).to_have_url(re.compile(r"/Train\?"), timeout=RERUN_TIMEOUT_MS)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("Lesson: step 4 of 13")).to_be_visible(timeout=RERUN_TIMEOUT_MS)
    expect(sidebar.get_by_text("Waiting for: one training step.")).to_be_visible()
    step(page, "Step 1", 1)
    click_and_wait(page, sidebar.get_by_role("button", name="Check", exact=True))
    expect(sidebar.get_by_text(re.compile(r"^Done: one training step\."))).to_be_visible(timeout=RERUN_TIMEOUT_MS)
    shots(page, "lesson_step_done")

    click_and_wait(page, sidebar.get_by_role("button", name="Next step", exact=True))
    expect(page).to_have_url(re.compile(r"/Sample\?"), timeout=RERUN_TIMEOUT_MS)
    expect(sidebar.get_by_text("Lesson: step 5 of 13")).to_be_visible(timeout=RERUN_TIMEOUT_MS)
    expect(sidebar.get_by_text(re.compile(r"^Done: you opened Sample\."))).to_be_visible()
    click_and_wait(page, sidebar.get_by_role("button", name="All steps", exact=True))
    expect(page.get_by_text("2 of 13 steps done")).to_be_visible(timeout=RERUN_TIMEOUT_MS)
    assert_no_exception(page)
