"""Reset on the Train page in a real Chromium: it asks first, in a popover that stays open while the live view
redraws every second, says where the model is kept, and leaves the old curve on the chart as a faint ghost."""

from __future__ import annotations

import re
import time

from playwright.sync_api import Page, expect
from streamlit_app import (
    RERUN_TIMEOUT_MS,
    assert_no_exception,
    button,
    chart,
    click_and_wait,
    go_to,
    metric_value,
    open_app,
    step,
)


def trace_names(page: Page, key: str) -> list[str]:
    return chart(page, key).locator(".js-plotly-plot").evaluate("gd => gd.data.map(t => t.name)")


def test_reset_asks_first_and_leaves_a_ghost(page: Page, app_url):
    open_app(page, app_url)
    go_to(page, "Train")
    reached = step(page, "Step 10", 10)
    page.get_by_test_id("stPopover").get_by_role("button", name="Reset").click()
    confirm = button(page, "Reset the model")
    expect(confirm).to_be_visible()
    time.sleep(2.5)  # two redraws of the live view: the question stays open until answered
    expect(confirm).to_be_visible()
    expect(page.get_by_text(re.compile(rf"Reset discards this model \(iteration {reached}"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"run #\d+ keeps its final checkpoint"))).to_be_visible()
    expect(metric_value(page, "Iteration")).to_have_text(re.compile(rf"^\s*{reached}\s*$"))  # nothing reset yet
    click_and_wait(page, confirm, fragment=True)
    expect(metric_value(page, "Iteration")).to_have_text(re.compile(r"^\s*0\s*$"), timeout=RERUN_TIMEOUT_MS)
    expect(page.get_by_text(re.compile(r"The previous model is run #\d+ on the Runs page"))).to_be_visible()
    page.keyboard.press("Escape")  # close the popover
    step(page, "Step 1", 1)
    deadline = time.monotonic() + RERUN_TIMEOUT_MS / 1000
    while not any(n.startswith("previous model (Reset") for n in trace_names(page, "loss_chart")):
        assert time.monotonic() < deadline, trace_names(page, "loss_chart")
        time.sleep(0.2)
    assert_no_exception(page)
