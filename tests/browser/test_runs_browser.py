"""The Runs page in a real Chromium: selecting two recorded runs overlays two loss curves.

Runs its own server on a data folder seeded with two runs before the page loads (the shared `app_url`
server's folder is not exposed), using the same helpers as the other browser tests.
"""

from __future__ import annotations

import re
import time

import pytest
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
    parse_int,
    read_metric,
    running_app,
    wait_idle,
)

from rnn.corpus import load_builtin, make_corpus
from rnn.runs import RunRecorder, RunStore
from rnn.train import TrainConfig, Trainer


def seed(home, name: str, lr: float) -> int:
    corpus = make_corpus(load_builtin("zen"), "zen", seq_length=16)
    trainer = Trainer(corpus, TrainConfig(hidden_size=12, seq_length=16, learning_rate=lr, eval_every=20))
    with RunRecorder(trainer, RunStore(home), name=name) as rec:
        trainer.step(60)
    return rec.run_id


@pytest.fixture(scope="module")
def runs_app(tmp_path_factory):
    home = tmp_path_factory.mktemp("runs_home")
    ids = [seed(home, "slow lr", 0.02), seed(home, "fast lr", 0.2)]
    with running_app(home) as url:
        yield url, ids, home


def traces(page: Page):
    return chart(page, "runs_loss_chart").locator(".scatterlayer .trace")


def picker(page: Page):
    box = page.get_by_test_id("stMultiSelect").filter(has=page.get_by_text("Runs to compare", exact=True))
    return box.locator("input")


def choose(page: Page, text: str) -> None:
    field = picker(page)
    field.click()
    field.fill(text)
    page.get_by_role("option", name=re.compile(re.escape(text))).first.click()
    page.keyboard.press("Escape")
    wait_idle(page)


def test_selecting_two_runs_overlays_two_curves(page: Page, runs_app, shots):
    url, (a, b), _ = runs_app
    open_app(page, url, "/Runs")
    assert_no_exception(page)
    # Both seeded runs are listed and preselected.
    expect(traces(page)).to_have_count(2, timeout=RERUN_TIMEOUT_MS)

    # Clear the selection (Backspace removes the last chosen run): the chart goes away.
    field = picker(page)
    for _ in range(2):
        field.click()
        page.keyboard.press("Backspace")
        wait_idle(page)
    page.keyboard.press("Escape")
    expect(chart(page, "runs_loss_chart")).to_have_count(0, timeout=RERUN_TIMEOUT_MS)
    expect(page.get_by_text("Select one or more runs")).to_be_visible()

    # Select them again one by one: one curve, then two overlaid, named after the runs.
    choose(page, f"#{a} slow lr")
    expect(traces(page)).to_have_count(1, timeout=RERUN_TIMEOUT_MS)
    choose(page, f"#{b} fast lr")
    expect(traces(page)).to_have_count(2, timeout=RERUN_TIMEOUT_MS)
    legend = chart(page, "runs_loss_chart").locator(".legendtext")
    expect(legend).to_have_text([f"#{a} slow lr", f"#{b} fast lr"], timeout=RERUN_TIMEOUT_MS)
    assert_no_exception(page)
    shots(page, "runs_compare")


def test_sweep_from_the_page_shows_progress_and_cancels(page: Page, runs_app):
    url, _, home = runs_app
    open_app(page, url, "/Runs")
    form = page.get_by_test_id("stForm").filter(has=page.get_by_role("button", name="Start sweep"))
    # the fields carry a help tooltip (their allowed range), whose button has a label too: ask for the textbox
    form.get_by_role("textbox", name="Learning rates").fill("0.05, 0.1")
    form.get_by_role("textbox", name="Hidden sizes").fill("8")
    form.get_by_role("textbox", name="Sequence lengths").fill("16")
    form.get_by_text("Seconds", exact=True).click()
    budget = form.get_by_label("Budget", exact=True)
    budget.fill("60")
    budget.press("Tab")
    form.get_by_role("button", name="Start sweep").click()

    # The sweep runs in its own process: the page shows a live progress bar and stays usable.
    progress = page.get_by_test_id("stProgress")
    expect(progress).to_be_visible(timeout=RERUN_TIMEOUT_MS)
    expect(progress).to_contain_text(re.compile(r"Sweep #\d+: 0 of 2 runs done, 2 running"),
                                     timeout=RERUN_TIMEOUT_MS)
    cancel = page.get_by_role("button", name="Cancel sweep")
    expect(cancel).to_be_enabled(timeout=RERUN_TIMEOUT_MS)
    cancel.click()
    # Workers stop within a second or so of the flag, far before their 60 s budget.
    expect(page.get_by_text(re.compile(r"Sweep #\d+: 2 of 2 runs recorded \(cancelled\)"))).to_be_visible(
        timeout=RERUN_TIMEOUT_MS
    )
    expect(page.get_by_test_id("stProgress")).to_have_count(0)
    assert_no_exception(page)
    swept = [r for r in RunStore(home).list_runs() if r.sweep_id is not None]
    assert len(swept) == 2
    assert all(r.status == "killed" and r.message == "cancelled" and r.train_seconds < 50 for r in swept), swept


def test_a_shared_link_trains_with_its_settings_and_the_run_appears(page: Page, runs_app):
    url, _, home = runs_app
    before = {r.id for r in RunStore(home).list_runs()}
    # A teacher's link: the Train page opens with the zen corpus and these settings.
    open_app(page, url, "/Train?corpus=zen&hidden=16&seq=20&lr=0.05&opt=adam")
    expect(page.get_by_text(re.compile(r"Corpus\s+zen")).first).to_be_visible(timeout=RERUN_TIMEOUT_MS)
    click_and_wait(page, button(page, "Step 10"), fragment=True)
    expect(metric_value(page, "Iteration")).to_have_text(re.compile(r"^\s*10\s*$"), timeout=RERUN_TIMEOUT_MS)
    assert "hidden=16" in page.url and "opt=adam" in page.url and "corpus=zen" in page.url

    # The session's run is recorded and shows on the Runs page (same session: switch via the sidebar).
    go_to(page, "Runs")
    new = [r for r in RunStore(home).list_runs() if r.id not in before and r.source == "dashboard"]
    assert len(new) == 1
    run = new[0]
    assert run.corpus_name == "zen" and run.iterations == 10
    assert (run.config["hidden_size"], run.config["seq_length"], run.config["optimizer"]) == (16, 20, "adam")
    legend = chart(page, "runs_loss_chart").locator(".legendtext")
    expect(legend.filter(has_text=f"#{run.id} ")).to_have_count(1, timeout=RERUN_TIMEOUT_MS)
    assert_no_exception(page)


def test_play_steps_through_the_samples_and_stops_at_the_latest(page: Page, runs_app, browser):
    url, _, _ = runs_app
    open_app(page, url, "/Train?corpus=zen&hidden=16")
    # A sample is stored every 200 iterations: 200, 400, ... 1200, six of them, so that playing through them
    # takes ~5 s and a Pause click lands before the end even on a loaded machine.
    for _ in range(12):
        click_and_wait(page, button(page, "Step 100"), fragment=True)
        if parse_int(read_metric(page, "Iteration")) >= 1200:
            break
    expect(metric_value(page, "Iteration")).to_have_text(re.compile(r"^\s*1,[2-9]00\s*$"), timeout=RERUN_TIMEOUT_MS)
    last = parse_int(read_metric(page, "Iteration")) // 200 * 200
    latest = f"Sample at iteration {last:,}"
    go_to(page, "Samples over training")
    heading = page.get_by_text(re.compile(r"^Sample at iteration [\d,]+$"))
    expect(heading).to_have_text(latest, timeout=RERUN_TIMEOUT_MS)

    click_and_wait(page, button(page, "Play"))
    expect(heading).to_have_text("Sample at iteration 200", timeout=RERUN_TIMEOUT_MS)  # from the first
    expect(button(page, "Pause")).to_be_visible()
    # Meanwhile another visitor's session answers as usual: the player is a browser timer, not a server loop.
    other = browser.new_page()
    try:
        t0 = time.monotonic()
        open_app(other, url, "/")
        expect(other.get_by_test_id("stSidebarNav")).to_be_visible(timeout=RERUN_TIMEOUT_MS)
        assert time.monotonic() - t0 < 30
    finally:
        other.close()
    page.bring_to_front()  # Chromium throttles the timers of a tab left in the background
    # It steps on by itself, then stops at the latest sample and offers Play again.
    expect(heading).to_have_text(latest, timeout=RERUN_TIMEOUT_MS)
    expect(button(page, "Play")).to_be_visible(timeout=RERUN_TIMEOUT_MS)
    page.wait_for_timeout(2000)  # no further timed reruns move it
    expect(heading).to_have_text(latest)
    expect(page.get_by_text("Novel share")).to_be_visible()  # the memorisation check is back
    assert_no_exception(page)

    # Pause stops it where it is.
    click_and_wait(page, button(page, "Play"))
    expect(heading).to_have_text("Sample at iteration 200", timeout=RERUN_TIMEOUT_MS)
    button(page, "Pause").click()
    expect(button(page, "Play")).to_be_visible(timeout=RERUN_TIMEOUT_MS)
    stopped = heading.inner_text()
    page.wait_for_timeout(2000)
    expect(heading).to_have_text(stopped)
    assert stopped != latest
