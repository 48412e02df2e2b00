"""The dashboard in a real Chromium: what a teacher does in the first minutes, page by page.

Each test gets a fresh browser context, hence a fresh Streamlit session with its own model. Pages are switched
through the sidebar (client-side), since reloading a URL starts a new session.
"""

from __future__ import annotations

import re

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
    page_titles,
    parse_int,
    read_metric,
    running_app,
    step,
    wait_idle,
)

CORE_PAGES = ["Data", "Train", "Hidden states", "Sample"]



def expect_plotly(page: Page, key: str, marks: str) -> None:
    """The keyed chart is drawn by Plotly: its SVG holds `marks` (a CSS selector for the drawn data)."""
    fig = chart(page, key)
    expect(fig).to_be_visible(timeout=RERUN_TIMEOUT_MS)
    expect(fig.locator(marks).first).to_be_attached(timeout=RERUN_TIMEOUT_MS)


def test_home_page_shows(page: Page, app_url, shots):
    open_app(page, app_url)
    expect(page.locator("h1").first).to_be_visible()
    assert_no_exception(page)
    titles = page_titles(page)
    assert titles[0] == "Home", titles  # not the file name "dashboard"
    for title in CORE_PAGES:
        assert title in titles, f"{title!r} missing from the sidebar {titles}"
    shots(page, "home")


def test_every_page_opens_directly_by_url(page: Page, app_url):
    # Deep links must work in any order: each URL is a new session that has to build its own state.
    open_app(page, app_url)
    titles = page_titles(page)[1:]  # [0] is the home page itself
    for title in reversed(titles):  # the last pages first: nothing may rely on an earlier page's state
        open_app(page, app_url, "/" + title.replace(" ", "_"))
        expect(page.locator("h1").first).to_be_visible()
        assert_no_exception(page)


def test_a_fresh_servers_first_visit_by_deep_link_has_the_home_sidebar(page: Page):
    """Streamlit treats the app as a pages/ folder app until some run calls st.navigation, so the first visitor
    of /Train on a fresh server saw the folder's sidebar ("dashboard" first). Its own server: nothing ran yet."""
    with running_app() as url:
        open_app(page, url, "/Train?hidden=32")
        expect(page.locator("h1").first).to_have_text("Train")
        assert page_titles(page)[0] == "Home", page_titles(page)
        expect(page.get_by_text("32 hidden units").first).to_be_visible()  # the link's settings survived the rerun
        assert_no_exception(page)


def test_data_page_picks_builtin_corpus(page: Page, app_url, shots):
    open_app(page, app_url)
    go_to(page, "Data")
    chars = metric_value(page, "Characters")
    before = chars.inner_text()
    pick_builtin(page, "zen")
    expect(chars).not_to_have_text(before, timeout=RERUN_TIMEOUT_MS)
    assert 100 < parse_int(chars.inner_text()) < 5000  # the Zen of Python, not 465k chars of docs
    assert parse_int(metric_value(page, "Vocabulary").inner_text()) > 20
    assert_no_exception(page)
    shots(page, "data_builtin_zen")


def test_train_100_steps_draws_loss_chart(page: Page, app_url, shots):
    open_app(page, app_url)
    go_to(page, "Train")
    expect(metric_value(page, "Iteration")).to_have_text(re.compile(r"^\s*0\s*$"))
    step(page, "Step 100", 100)
    expect_plotly(page, "loss_chart", ".scatterlayer .trace path.js-line")
    expect_plotly(page, "grad_chart", ".scatterlayer .trace path.js-line")
    loss = float(re.sub(r"[^\d.]", "", metric_value(page, "Recent loss").inner_text().split()[0]))
    assert 0 < loss < 10
    expect(page.get_by_text("Latest sample").first).to_be_visible()
    assert_no_exception(page)
    shots(page, "train_100_steps")


def test_hidden_states_shows_heatmap(page: Page, app_url, shots):
    open_app(page, app_url)
    go_to(page, "Train")
    step(page, "Step 100", 100)
    go_to(page, "Hidden states")
    expect_plotly(page, "hidden_heatmap", ".heatmaplayer image")
    assert_no_exception(page)
    shots(page, "hidden_states")
    # a click on a row picks its unit for the coloured text below (heatmaps are not selectable in Plotly: the
    # page lays invisible markers on the cells)
    area = chart(page, "hidden_heatmap").locator(".nsewdrag").first.bounding_box()
    at = (area["x"] + area["width"] * 0.4, area["y"] + area["height"] * 0.6)
    page.mouse.move(*at)
    hover = chart(page, "hidden_heatmap").locator(".hoverlayer .hovertext").first
    expect(hover).to_contain_text("unit", timeout=RERUN_TIMEOUT_MS)
    unit = int(re.search(r"unit (\d+)", hover.text_content()).group(1))
    page.mouse.click(*at)
    expect(page.get_by_text(f"Unit {unit} over the text")).to_be_visible(timeout=RERUN_TIMEOUT_MS)
    assert_no_exception(page)


def test_sample_page_shows_several_temperatures(page: Page, app_url, shots):
    open_app(page, app_url)
    go_to(page, "Train")
    step(page, "Step 100", 100)
    go_to(page, "Sample")
    if button(page, "Generate").count():
        button(page, "Generate").click()
        wait_idle(page)
    expect(page.get_by_text(re.compile(r"^\s*T = 0\.2\s*$")).first).to_be_visible(timeout=RERUN_TIMEOUT_MS)
    temps = page.get_by_text(re.compile(r"^\s*T = \d+(\.\d+)?\s*$"))
    assert temps.count() >= 3, f"expected several temperature columns, saw {temps.all_inner_texts()}"
    expect(page.get_by_text(re.compile(r"^\s*Greedy\s*$")).first).to_be_visible()
    # Each column holds its own sample under its title, and the streams differ (same seed, other temperature).
    samples = []
    for title in temps.all_inner_texts() + ["Greedy"]:
        column = page.get_by_test_id("stColumn").filter(has=page.get_by_text(title.strip(), exact=True)).last
        samples.append(column.inner_text().replace(title.strip(), "", 1).strip())
    assert all(len(s) >= 50 for s in samples), f"short or missing samples: {[s[:30] for s in samples]}"
    assert len(set(samples)) == len(samples), "two temperatures gave the same text"
    expect_plotly(page, "next_char_chart", ".barlayer .point path")
    assert_no_exception(page)
    shots(page, "sample_temperatures")


def test_run_climbs_then_pause_stops(page: Page, app_url, shots):
    open_app(page, app_url)
    go_to(page, "Train")
    iteration = metric_value(page, "Iteration")
    button(page, "Run").click()
    expect(button(page, "Pause")).to_be_visible(timeout=RERUN_TIMEOUT_MS)
    # Live ticks redraw the metric: poll until it moves, twice, so one rerun cannot fake it.
    for _ in range(2):
        old = read_metric(page, "Iteration")
        expect(iteration).not_to_have_text(old, timeout=RERUN_TIMEOUT_MS)
    assert parse_int(read_metric(page, "Iteration")) > 0
    click_and_wait(page, button(page, "Pause"), fragment=True)
    expect(button(page, "Run")).to_be_visible()
    paused_at = parse_int(read_metric(page, "Iteration"))
    shots(page, "train_after_live_run")
    # Stopped for real, and the page shows where: Pause answers after the worker stopped, so one Step 1 lands
    # exactly one past the paused display, and the next one past that.
    reached = step(page, "Step 1", paused_at + 1)
    step(page, "Step 1", reached + 1)
    assert_no_exception(page)


def test_two_sessions_never_share_a_model(new_context, app_url):
    a = new_context().new_page()
    b = new_context().new_page()
    for p in (a, b):
        open_app(p, app_url)
        go_to(p, "Train")
    reached = step(a, "Step 10", 10)
    # b's own model is untouched by a's steps: one step there lands on 1 (or 2), not on a's count.
    b_reached = step(b, "Step 1", 1)
    step(a, "Step 1", reached + 1)
    expect(metric_value(b, "Iteration")).to_have_text(re.compile(rf"^\s*{b_reached}\s*$"))


# --------------------------------------------------------------------------- helpers used above
def pick_builtin(page: Page, name: str) -> None:
    """Choose a built-in corpus on the Data page and apply it (confirming the model reset if asked)."""
    source = page.get_by_test_id("stRadio").filter(has_text="Source")
    if source.count():
        source.get_by_text("Built-in", exact=True).click()
        wait_idle(page)
    page.get_by_role("combobox", name="Built-in corpus", exact=True).click()
    click_and_wait(page, page.get_by_role("option", name=re.compile(re.escape(name), re.I)).first)
    click_and_wait(page, button(page, "Use this corpus"))
    confirm = button(page, "Apply and reset model")  # asked when the vocabulary (model shape) changes
    if confirm.count():
        click_and_wait(page, confirm)
