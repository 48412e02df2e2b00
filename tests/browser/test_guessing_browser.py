"""The guessing game in a real Chromium: a guess typed and sent with Enter, the field cleared for the next one,
a character shown on request, and the two scores side by side, kept across passages."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from streamlit_app import RERUN_TIMEOUT_MS, assert_no_exception, button, go_to, open_app, step, wait_idle


def test_a_student_plays_against_the_model(page: Page, app_url, shots):
    open_app(page, app_url, "/Train")
    step(page, "Step 100", 100)
    go_to(page, "Guessing game")
    field = page.get_by_role("textbox", name="Your guess for the next character")
    progress = page.get_by_text(re.compile(r"^Character \d+ of 20\."))
    expect(progress).to_have_text(re.compile(r"^Character 1 of 20"))

    field.fill("§")  # not in the corpus
    field.press("Enter")
    expect(page.get_by_text(re.compile("has never seen"))).to_be_visible(timeout=RERUN_TIMEOUT_MS)
    expect(field).to_have_value("")  # cleared for the next guess
    wait_idle(page)

    field.fill("e")  # the commonest letter: right or wrong, the page says which
    field.press("Enter")
    expect(page.get_by_text(re.compile(r"^(Right: |Not that one)"))).to_be_visible(timeout=RERUN_TIMEOUT_MS)
    wait_idle(page)
    right = progress.inner_text().startswith("Character 2")
    if not right:
        button(page, "Show me this one").click()
        expect(page.get_by_text(re.compile(r"^It was .* counts as \d+ guesses"))).to_be_visible(
            timeout=RERUN_TIMEOUT_MS)
    expect(progress).to_have_text(re.compile(r"^Character 2 of 20"), timeout=RERUN_TIMEOUT_MS)
    wait_idle(page)
    for label in ("You: bits per character", "The model: bits per character"):
        expect(page.get_by_test_id("stMetricLabel").filter(has_text=label)).to_be_visible()
    expect(page.get_by_test_id("stDataFrame")).to_be_visible()
    assert_no_exception(page)
    shots(page, "guessing_game")

    button(page, "New passage").click()
    expect(progress).to_have_text(re.compile(r"^Character 1 of 20"), timeout=RERUN_TIMEOUT_MS)
    expect(page.get_by_text(re.compile(r"^Over the 1 character you have played"))).to_be_visible()  # kept
    expect(page.get_by_text("This passage")).to_have_count(0)
