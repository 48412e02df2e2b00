"""The Train page's charts while the model trains live (ui/live_chart.py), in a real Chromium: a tooltip the reader
holds stays up and follows the new data, a zoom and a hidden legend entry survive the redraws, and the chart is
the same Plotly <div> throughout. (st.plotly_chart mounted a new chart for every new figure: all three were lost
at each redraw.)"""

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
    open_app,
    step,
)

# What the test reads of the loss chart's Plotly <div> (plotly.js's gd): the mark the test left on it, the
# newest iteration drawn, the x range, the tooltip (the unified hover box) and the smooth_loss trace's visibility.
_STATE = """([key, mark]) => {
    const gd = document.querySelector(`.st-key-${key} .js-plotly-plot`);
    if (!gd || !gd._fullData) return null;
    if (mark && gd.dataset.testMark === undefined) gd.dataset.testMark = mark;
    const recent = gd._fullData.find(t => t.name.startsWith("recent loss"));
    const smooth = gd._fullData.find(t => t.name.startsWith("smooth_loss"));
    const hover = gd.querySelector(".hoverlayer");
    return {
        mark: gd.dataset.testMark ?? null,
        last: recent ? recent.x[recent._length - 1] : 0,
        range: gd._fullLayout.xaxis.range.slice(),
        autorange: gd._fullLayout.xaxis.autorange,
        tooltip: hover && hover.childElementCount ? hover.textContent : null,
        smooth: smooth ? smooth.visible : null,
    };
}"""
REDRAWS = 3  # new figures the chart must live through in each phase


def state(page: Page, key: str = "loss_chart", mark: str | None = None) -> dict:
    return page.wait_for_function(_STATE, arg=[key, mark], timeout=RERUN_TIMEOUT_MS).json_value()


def through_redraws(page: Page, check, n: int = REDRAWS) -> list[dict]:
    """Poll the chart until it has drawn n newer iterations (n new figures), calling check(state) on every look."""
    seen = [state(page)]
    check(seen[0])
    while len({s["last"] for s in seen}) <= n:
        page.wait_for_function(f"""() => {{ const s = ({_STATE})(["loss_chart", null]);
                                   return s && s.last !== {seen[-1]["last"]}; }}""", timeout=RERUN_TIMEOUT_MS)
        seen.append(state(page))
        check(seen[-1])
    return seen


def plot_area(page: Page) -> dict:
    """The loss chart's drawing area (Plotly's drag layer), in page pixels."""
    return chart(page, "loss_chart").locator(".nsewdrag").first.bounding_box()


def test_tooltip_zoom_and_legend_survive_live_redraws(page: Page, app_url):
    open_app(page, app_url)
    go_to(page, "Train")
    step(page, "Step 10", 10)
    expect(chart(page, "loss_chart").locator(".scatterlayer .trace path.js-line").first).to_be_attached(
        timeout=RERUN_TIMEOUT_MS)
    first = state(page, mark="the same node")
    click_and_wait(page, button(page, "Run"), fragment=True)
    try:
        # 1. a tooltip: the mouse rests on the chart while new figures arrive
        box = plot_area(page)
        page.mouse.move(box["x"] + 0.6 * box["width"], box["y"] + 0.5 * box["height"])
        expect(chart(page, "loss_chart").locator(".hoverlayer .legend")).to_be_attached(timeout=RERUN_TIMEOUT_MS)

        def tooltip_up(s):
            assert s["tooltip"], f"the tooltip vanished at iteration {s['last']}"
            assert s["mark"] == "the same node", "the chart was mounted again"

        seen = through_redraws(page, tooltip_up)
        assert seen[-1]["last"] > first["last"]  # the chart's data grew under the tooltip ...
        assert len({s["tooltip"] for s in seen}) > 1  # ... and the tooltip says what is under the mouse now

        # 2. a zoom: drag across the middle of the x axis (a horizontal drag zooms x only)
        box = plot_area(page)
        y = box["y"] + 0.5 * box["height"]
        page.mouse.move(box["x"] + 0.2 * box["width"], y)
        page.mouse.down()
        page.mouse.move(box["x"] + 0.5 * box["width"], y + 2, steps=8)
        page.mouse.up()
        zoomed = state(page)
        assert zoomed["autorange"] is False
        page.mouse.move(box["x"] + box["width"] + 40, y)  # away from the chart

        def zoom_kept(s):
            assert s["mark"] == "the same node", "the chart was mounted again"
            assert s["range"] == zoomed["range"] and s["autorange"] is False, (s["range"], zoomed["range"])

        through_redraws(page, zoom_kept)

        # 3. a legend click hides a curve (smooth_loss), and it stays hidden
        chart(page, "loss_chart").locator(".legend .traces").filter(has_text="smooth_loss").first.click()
        page.wait_for_function(f"() => ({_STATE})(['loss_chart', null])?.smooth === 'legendonly'",
                               timeout=RERUN_TIMEOUT_MS)

        def still_hidden(s):
            assert s["smooth"] == "legendonly" and s["range"] == zoomed["range"], s

        through_redraws(page, still_hidden)
    finally:
        if button(page, "Pause").count():  # leave the model paused: the other tests share these two cores
            click_and_wait(page, button(page, "Pause"), fragment=True)
    assert_no_exception(page)


_COLORS = """() => { const gd = document.querySelector('.st-key-loss_chart .js-plotly-plot');
    const app = document.querySelector('[data-testid="stApp"]');
    return gd && gd._fullLayout ? [gd._fullLayout.paper_bgcolor, getComputedStyle(app).backgroundColor] : null }"""


def _same_colour(plotly: str, css: str) -> bool:
    """'rgba(23, 22, 20, 1)' (Plotly's) against 'rgb(23, 22, 20)' (the page's)."""
    return re.findall(r"[\d.]+", plotly)[:3] == re.findall(r"[\d.]+", css)[:3]


def test_the_live_chart_follows_the_light_and_dark_theme(page: Page, app_url):
    """The chart's background is the page's, and changes with it (Streamlit follows the system's colour scheme)."""
    page.emulate_media(color_scheme="light")
    open_app(page, app_url)
    go_to(page, "Train")
    step(page, "Step 1", 1)
    light = page.wait_for_function(_COLORS, timeout=RERUN_TIMEOUT_MS).json_value()
    assert _same_colour(*light), light
    page.emulate_media(color_scheme="dark")
    page.wait_for_function(f"() => {{ const c = ({_COLORS})(); return c && c[0] !== {light[0]!r}; }}",
                           timeout=RERUN_TIMEOUT_MS)
    dark = page.evaluate(_COLORS)
    assert _same_colour(*dark) and dark[0] != light[0], (light, dark)
    assert_no_exception(page)
