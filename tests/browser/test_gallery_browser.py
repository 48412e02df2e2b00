"""The hyperparameter gallery in a real Chromium: one click on Runs overlays its seven recorded runs."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from streamlit_app import RERUN_TIMEOUT_MS, assert_no_exception, button, chart, click_and_wait, go_to, open_app


def test_one_click_overlays_the_gallery(page: Page, app_url, shots):
    open_app(page, app_url, "/")
    go_to(page, "Runs")
    click_and_wait(page, button(page, "Load the hyperparameter gallery"))
    expect(page.get_by_text(re.compile("The gallery's 7 runs are in your list"))).to_be_visible(
        timeout=RERUN_TIMEOUT_MS)
    curves = chart(page, "runs_loss_chart").locator("g.trace.scatter")
    expect(curves).to_have_count(7, timeout=RERUN_TIMEOUT_MS)
    picked = page.get_by_test_id("stMultiSelect").filter(has_text="gallery: lr 0.03 (too high)")
    expect(picked).to_be_visible()  # selected in Compare (the table's cells are a canvas' hidden copies)
    assert_no_exception(page)
    page.set_viewport_size({"width": 1280, "height": 720})
    shots(page, "runs_gallery")
