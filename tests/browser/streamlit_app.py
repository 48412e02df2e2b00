"""Start the dashboard in a real Streamlit server and drive it from Playwright.

Shared by the browser tests (tests/browser/) and scripts/screenshots.py, so the screenshots in the README come
from the same tested helpers.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from playwright.sync_api import Locator, Page, expect
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
# Flags for Debian's chromium running as root in a container, without network access (see DESIGN.md).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
]
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"][data-test-connection-state="CONNECTED"]'
# Streamlit starts in a second or two; a cold import of numpy/plotly/pandas on a busy 2-core box takes longer.
START_TIMEOUT_S = 90
# One rerun of a page (training 100 steps, building figures) on a loaded machine.
RERUN_TIMEOUT_MS = 60_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_app(
    home: str | os.PathLike | None = None, script: str = "dashboard.py", extra_args: list[str] | None = None
) -> Iterator[str]:
    """Run `streamlit run <script>` on a free port; yield its base URL; stop it afterwards.

    `home` becomes RNN_LAB_HOME (where the app keeps saved runs), a fresh temp dir by default, so tests never
    touch a user's files. The server log is kept in that dir and printed if the server fails to start.
    """
    with contextlib.ExitStack() as stack:
        if home is None:
            home = stack.enter_context(tempfile.TemporaryDirectory(prefix="rnn-lab-home-"))
        port = free_port()
        env = {
            **os.environ,
            "RNN_LAB_HOME": str(home),
            "OPENBLAS_NUM_THREADS": "1",
            "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
            "PYTHONUNBUFFERED": "1",
        }
        log_path = Path(home) / "streamlit.log"
        log = stack.enter_context(open(log_path, "w+"))
        cmd = [
            sys.executable, "-m", "streamlit", "run", script,
            "--server.headless", "true",
            "--server.port", str(port),
            "--server.address", "127.0.0.1",
            "--server.fileWatcherType", "none",
            "--browser.gatherUsageStats", "false",
            *(extra_args or []),
        ]  # fmt: skip
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_healthy(url, proc, log_path)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


def _wait_healthy(url: str, proc: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {proc.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200 and r.read().strip() == b"ok":
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)  # polling a server that is starting, not waiting for the UI
    raise RuntimeError(
        f"streamlit did not answer /_stcore/health within {START_TIMEOUT_S}s:\n{log_path.read_text()[-3000:]}"
    )


# --------------------------------------------------------------------------- driving pages
def wait_idle(page: Page, timeout: float = RERUN_TIMEOUT_MS) -> None:
    """Wait until the script has finished its run and the websocket is connected.

    Right after a click the state may still read notRunning for a moment before the rerun starts, so callers
    that need the rerun's result should also wait for that result (a metric value, an element).
    """
    expect(page.locator(IDLE)).to_be_attached(timeout=timeout)
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=timeout)


def _script_finished(payload):
    """The status of a websocket message that ends a script or fragment run (None for any other message).
    Decoded with Streamlit's own protobuf classes."""
    if not isinstance(payload, bytes):
        return None
    try:
        msg = ForwardMsg.FromString(payload)
    except Exception:  # not a ForwardMsg: nothing to count
        return None
    return msg.script_finished if msg.WhichOneof("type") == "script_finished" else None


def _run_finished(payload) -> bool:
    """True for the message that ends a whole-script run (not a fragment tick, not a run cut short by a rerun)."""
    return _script_finished(payload) in (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR)


def _fragment_finished(payload) -> bool:
    """True for the message that ends a fragment's run (the Train page's live view and its buttons)."""
    return _script_finished(payload) == ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY


def track_socket(page: Page) -> None:
    """Remember the page's current Streamlit websocket (a reload opens a new one)."""
    if getattr(page, "_st_tracked", False):
        return
    page._st_tracked = True

    def on_ws(ws):
        if "/_stcore/stream" in ws.url:
            page._st_socket = ws

    page.on("websocket", on_ws)


def click_and_wait(page: Page, target: Locator, timeout: float = RERUN_TIMEOUT_MS, fragment: bool = False) -> None:
    """Click something that reruns the script (with fragment=True: a button inside a fragment, which reruns
    only that fragment), and wait until that rerun has finished and is drawn.

    The script-state attribute alone cannot tell "not started yet" from "already done" (a quick run may never
    show as running), so this waits for the server's script_finished message on the websocket. A fragment
    that also reruns on a timer may finish a timed run first: callers then wait for the effect they expect.
    """
    ws = getattr(page, "_st_socket", None)
    if ws is None:
        raise RuntimeError("open the app with open_app() first, so its websocket is tracked")
    done = _fragment_finished if fragment else _run_finished
    with ws.expect_event("framereceived", predicate=done, timeout=timeout):
        target.click()
    wait_idle(page, timeout)


def assert_no_exception(page: Page) -> None:
    """No traceback box and no 'Error' alert on the page."""
    expect(page.get_by_test_id("stException")).to_have_count(0)


def open_app(page: Page, base_url: str, path: str = "/") -> None:
    track_socket(page)
    page.goto(base_url.rstrip("/") + path)
    wait_idle(page)


def nav_link(page: Page, title: str) -> Locator:
    """The sidebar link of a page (titles come from file names: 2_Train.py -> 'Train'). The link also holds
    its Material icon, whose text is the icon's name, so the match is on the label alone."""
    nav = page.get_by_test_id("stSidebarNav")
    more = nav.get_by_test_id("stSidebarNavViewButton")
    # With many pages Streamlit folds the list behind a "View more" button.
    if more.count() and re.search(r"more", more.inner_text(), re.I):
        more.click()
    label = page.get_by_test_id("stMarkdownContainer").filter(has_text=re.compile(rf"^\s*{re.escape(title)}\s*$"))
    return nav.get_by_test_id("stSidebarNavLink").filter(has=label)


def go_to(page: Page, title: str) -> None:
    """Switch page in the same Streamlit session (a full reload would start a new session and a new model)."""
    link = nav_link(page, title)
    click_and_wait(page, link)
    expect(link).to_have_attribute("aria-current", "page")


def page_titles(page: Page) -> list[str]:
    """Titles of every page in the sidebar, in order."""
    nav_link(page, "")  # unfold the list if needed
    links = page.get_by_test_id("stSidebarNav").get_by_test_id("stSidebarNavLink")
    return [t.strip() for t in links.get_by_test_id("stMarkdownContainer").all_inner_texts()]


def metric_value(page: Page, label: str) -> Locator:
    metric = page.get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").filter(has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))
    )
    return metric.get_by_test_id("stMetricValue")


_READ_METRIC_JS = """(label) => {
    for (const m of document.querySelectorAll('[data-testid="stMetric"]')) {
        const l = m.querySelector('[data-testid="stMetricLabel"]');
        const v = m.querySelector('[data-testid="stMetricValue"]');
        if (l && v && l.innerText.trim() === label) return v.innerText.trim();
    }
    return null;
}"""


def read_metric(page: Page, label: str, timeout: float = RERUN_TIMEOUT_MS) -> str:
    """A metric's current text, read in one step inside the page.

    While live training redraws the metric several times a second, a Locator read can keep finding its element
    detached; reading label and value in one script cannot.
    """
    return page.wait_for_function(_READ_METRIC_JS, arg=label, timeout=timeout).json_value()


def parse_int(text: str) -> int:
    return int(re.sub(r"[^\d-]", "", text))


def button(page: Page, name: str) -> Locator:
    """A button by its label. A keyboard shortcut may follow it in the accessible name (the Train page's
    "Step 1 Shortcut S"): the label must match exactly up to there."""
    return page.get_by_role("button", name=re.compile(rf"^{re.escape(name)}(?: Shortcut \S+)?$"))


def chart(page: Page, key: str) -> Locator:
    """A Plotly chart by its Streamlit key (the element gets the class st-key-<key>): st.plotly_chart's, or a
    live chart redrawn in place (ui/live_chart.py, the Train page's). Either holds Plotly's .js-plotly-plot."""
    return page.locator(f".st-key-{key}").locator('[data-testid="stPlotlyChart"], [data-testid="rnnLiveChart"]')


def select_option(page: Page, label: str, option: str) -> None:
    page.get_by_role("combobox", name=label, exact=True).click()
    page.get_by_role("option", name=option).first.click()
    wait_idle(page)


def full_screenshot(page: Page, path: str | os.PathLike, width: int = 1400, max_height: int = 8000) -> None:
    """A screenshot of the whole page.

    Streamlit scrolls inside its own container, so Playwright's full_page sees only the viewport: grow the
    viewport to the content's height instead, then put it back.
    """
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    old = page.viewport_size
    height = page.evaluate(
        """() => {
            // The bottom of the lowest element, in document coordinates of Streamlit's scrolling container
            // (its scrollHeight adds a large blank padding under the content).
            const main = document.querySelector('[data-testid="stMain"]');
            const block = document.querySelector('[data-testid="stMainBlockContainer"]');
            if (!main || !block) return document.body.scrollHeight;
            let bottom = 0;
            for (const el of block.querySelectorAll(':scope > div > div')) {
                bottom = Math.max(bottom, el.getBoundingClientRect().bottom + main.scrollTop);
            }
            const side = document.querySelector('[data-testid="stSidebarContent"]');
            return Math.max(bottom + 24, side ? side.scrollHeight : 0, window.innerHeight > 600 ? 600 : 0);
        }"""
    )
    size = {"width": width, "height": max(600, min(int(height), max_height))}
    page.set_viewport_size(size)
    page.mouse.move(size["width"] - 5, size["height"] - 5)  # no hover tooltip in the picture
    wait_idle(page)
    page.screenshot(path=str(path), animations="disabled")
    if old:
        page.set_viewport_size(old)


def step(page: Page, label: str, expected_iteration: int) -> int:
    """Click a Step button ("Step 1", "Step 10", "Step 100"), wait for the iteration it leads to, check that the
    step count was exact (a click is applied once: tests/browser/test_click_once.py), and return it."""
    click_and_wait(page, button(page, label), fragment=True)
    expect(metric_value(page, "Iteration")).to_have_text(
        re.compile(rf"^\s*{expected_iteration:,}\s*$"), timeout=RERUN_TIMEOUT_MS)
    wait_idle(page)
    return parse_int(read_metric(page, "Iteration"))
