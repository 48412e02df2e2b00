"""Classroom load test: N live models in one Chromium while one tab toggles Pause/Run.

    python scripts/load_test.py                        # 8 tabs, 20 toggles, a 30 s measuring window
    python scripts/load_test.py --sessions 1 --json    # one tab, plus the headless engine's rate and the redraw rate
    python scripts/load_test.py --url http://127.0.0.1:8501   # an app that is already running (loopback only)

Without --url it starts `streamlit run dashboard.py` on a free loopback port with RNN_LAB_HOME in a temp dir (the
browser tests' running_app) and stops it at the end. One headless Chromium (/usr/bin/chromium) opens the Train page
in N tabs, each its own model, and presses Run in each. Then:

1. the measuring window (--seconds): every tab trains; each tab's Iteration metric at the window's start and end
   gives its chars/s of wall time (iterations x seq_length x batch_size);
2. with one session, the headless engine (Trainer.train in this process, the app's default config, one BLAS
   thread) trains for as long before and after the window, interleaved, for the app/headless ratio;
3. tab 1 toggles Pause/Run --toggles times; each click's effect (the button's label flips; after Run the Iteration
   metric moves, after Pause it stops) is timed inside the page, and every tab is checked for a blank page after
   every toggle and at the end.

The toggling tab is the one in front (the teacher's); the other tabs' renderer processes run at nice 15, below the
app's server and workers, since in a class each student's browser runs on the student's own machine; every tab
keeps its 1 s redraw timer. The table says how many cores the browser, the server and the workers used.

All along, a thread polls GET /_stcore/health every 0.2 s and every tab counts console messages and page errors
with "Bad delta path" and closes of its websocket. Every wait has a deadline and the whole run stops by itself
after --max-seconds. Needs the dev requirements (playwright) and Debian's chromium; no browser download.
"""

from __future__ import annotations

import os

# Before NumPy is imported: the headless engine then runs with one BLAS thread, as the app's workers do.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import contextlib  # noqa: E402
import json  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import urllib.error  # noqa: E402
import urllib.parse  # noqa: E402
import urllib.request  # noqa: E402
from collections import Counter  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "browser"))  # the same helpers the browser tests use

from playwright.sync_api import Error as PlaywrightError  # noqa: E402
from playwright.sync_api import Page, sync_playwright  # noqa: E402
from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402
from streamlit_app import CHROMIUM, CHROMIUM_ARGS, open_app, running_app  # noqa: E402

RUN_BUTTON = ".st-key-tr_run button"  # the Run/Pause button (its key is tr_run in the old and the new page)
EFFECT_TIMEOUT_MS = 20_000  # a click that shows no effect within this long counts as "no effect"
QUIET_MS = 2_500  # after Pause: the Iteration metric unchanged this long (> the 1 s redraw) means it stopped
HEALTH_EVERY_S = 0.2
HEALTH_TIMEOUT_S = 5.0

# Runs inside every tab: watches the Run/Pause label, the Iteration metric and whether the page is blank, and
# notes when each changed, on the page's own clock (performance.now()), so a click's effect is timed where it
# shows, not when this process gets round to looking. A capturing click listener notes the click's time.
MONITOR_JS = """(everyMs) => {
    if (window.__lt) return;
    const s = window.__lt = {lastClick: null, label: null, labelSince: null, iter: null, iterSince: null,
                             blank: false, blankEpisodes: 0};
    document.addEventListener('click', (e) => {
        if (e.target.closest && e.target.closest('.st-key-tr_run')) s.lastClick = performance.now();
    }, true);
    const readIter = () => {
        for (const m of document.querySelectorAll('[data-testid="stMetric"]')) {
            const l = m.querySelector('[data-testid="stMetricLabel"]');
            const v = m.querySelector('[data-testid="stMetricValue"]');
            if (l && v && l.textContent.trim() === 'Iteration') {
                const n = parseInt(v.textContent.replace(/[^0-9-]/g, ''), 10);
                return Number.isNaN(n) ? null : n;
            }
        }
        return null;
    };
    const tick = () => {
        const now = performance.now();
        const app = document.querySelector('[data-testid="stApp"]');
        const main = document.querySelector('[data-testid="stMainBlockContainer"]');
        // The page's title is always drawn; a page without it (or without the app root) has lost its content.
        const blank = !app || !main || !main.querySelector('h1');
        if (blank && !s.blank) s.blankEpisodes++;
        s.blank = blank;
        const b = document.querySelector('.st-key-tr_run button');
        const p = b && (b.querySelector('[data-testid="stMarkdownContainer"]') || b);
        const label = p ? p.textContent.trim() : null;
        if (label && label !== s.label) { s.label = label; s.labelSince = now; }
        const it = readIter();
        if (it !== null && it !== s.iter) { s.iter = it; s.iterSince = now; }
    };
    tick();
    setInterval(tick, everyMs);
}"""

# Checked from here after every toggle: the app root, its main block with text in it, the title, the button.
BLANK_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    const main = document.querySelector('[data-testid="stMainBlockContainer"]');
    return !app || !main || main.innerText.trim() === '' || !main.querySelector('h1')
           || !document.querySelector('.st-key-tr_run button');
}"""


# --------------------------------------------------------------------------- the pieces
@dataclass
class Tab:
    page: Page
    index: int
    delta_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    ws_closes: int = 0
    finished: Counter = field(default_factory=Counter)  # script_finished messages by status name
    count_frames: bool = False

    @property
    def fragment_runs(self) -> int:
        """Fragment runs that ended (as tests/browser/streamlit_app.py's _fragment_finished)."""
        return self.finished["FINISHED_FRAGMENT_RUN_SUCCESSFULLY"]

    def state(self) -> dict:
        return ask(self.page, "() => ({...window.__lt, now: performance.now()})")


def ask(page: Page, fn: str, arg=None, timeout_ms: float = 15_000):
    """page.evaluate with a time limit (a hung renderer would block evaluate for ever, and the run has its
    deadline): the function's value, wrapped in an array so that a false or null answer still ends the wait."""
    return page.wait_for_function(f"(arg) => [({fn})(arg)]", arg=arg, timeout=RUN.ms(timeout_ms),
                                  polling=50).json_value()[0]


def safe_state(tab: Tab) -> dict:
    try:
        return tab.state()
    except PlaywrightError:  # a crashed page
        return {}


def attach_listeners(tab: Tab) -> None:
    def on_console(msg):
        if msg.type == "error":
            tab.console_errors.append(msg.text[:300])
        if "Bad delta path" in msg.text:
            tab.delta_errors.append(msg.text[:300])

    def on_pageerror(err):
        text = str(err)
        tab.page_errors.append(text[:300])
        if "Bad delta path" in text:
            tab.delta_errors.append(text[:300])

    def on_frame(payload):
        # The message that ends a fragment run is tiny; skip decoding the big ones (figures) on a busy machine.
        if not isinstance(payload, bytes) or len(payload) >= 512:
            return
        try:
            msg = ForwardMsg.FromString(payload)
        except Exception:  # not a ForwardMsg: nothing to count
            return
        if msg.WhichOneof("type") == "script_finished":
            tab.finished[ForwardMsg.ScriptFinishedStatus.Name(msg.script_finished)] += 1

    def on_close(_ws):
        tab.ws_closes += 1

    def on_ws(ws):
        if "/_stcore/stream" in ws.url:
            ws.on("close", on_close)
            if tab.count_frames:
                ws.on("framereceived", on_frame)

    tab.page.on("console", on_console)
    tab.page.on("pageerror", on_pageerror)
    tab.page.on("websocket", on_ws)


class HealthPoller(threading.Thread):
    """GET /_stcore/health every HEALTH_EVERY_S seconds; (start time, latency s, ok) per request."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url = url.rstrip("/") + "/_stcore/health"
        self.samples: list[tuple[float, float, bool]] = []
        self._halt = threading.Event()

    def run(self) -> None:
        next_at = time.perf_counter()
        while not self._halt.is_set():
            t0 = time.perf_counter()
            try:
                with urllib.request.urlopen(self.url, timeout=HEALTH_TIMEOUT_S) as r:
                    ok = r.status == 200 and r.read().strip() == b"ok"
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                ok = False
            self.samples.append((t0, time.perf_counter() - t0, ok))
            next_at += HEALTH_EVERY_S
            self._halt.wait(max(0.0, next_at - time.perf_counter()))  # the polling cadence

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=HEALTH_TIMEOUT_S + 1)

    def between(self, *spans: tuple[float, float]) -> dict:
        """Latency summary (ms) of the requests started within any of the (start, end) spans."""
        picked = [(dt, ok) for t, dt, ok in self.samples if any(a <= t <= b for a, b in spans)]
        lat = [dt * 1000 for dt, _ in picked]
        return {"n": len(lat), "failed": sum(1 for _, ok in picked if not ok), **summary(lat)}


def pct(values: list[float], q: float) -> float | None:
    """The q-th percentile (0-100), linear between the nearest ranks; None for no values."""
    if not values:
        return None
    v = sorted(values)
    k = (len(v) - 1) * q / 100
    lo = int(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def summary(values: list[float]) -> dict:
    return {"p50": pct(values, 50), "p95": pct(values, 95), "max": max(values) if values else None}


def headless_rate(corpus, seconds: float) -> float:
    """Chars/s of wall time of the engine alone, in this process, with the app's default config."""
    from rnn.train import Trainer
    from ui.state import default_config

    trainer = Trainer(corpus, default_config())
    t0 = time.perf_counter()
    trainer.train(seconds=seconds)
    return trainer.chars_trained / (time.perf_counter() - t0)


def chars_per_step() -> int:
    from ui.state import default_config

    cfg = default_config()
    return cfg.seq_length * cfg.batch_size


class OutOfTime(Exception):
    pass


class Deadline:
    def __init__(self, seconds: float):
        self.end = time.monotonic() + seconds

    def ms(self, cap: float) -> float:
        """A wait's timeout in ms: `cap`, or what is left of the run if that is less."""
        left = (self.end - time.monotonic()) * 1000
        if left <= 0:
            raise OutOfTime("the load test ran out of its --max-seconds")
        return min(cap, left)

    def grant(self, seconds: float) -> None:
        """At least this much more time (for the final checks after the toggles ran out of time)."""
        self.end = max(self.end, time.monotonic() + seconds)


RUN = Deadline(600)  # the whole run's; measure() sets it from --max-seconds


# --------------------------------------------------------------------------- driving the tabs
def open_tab(context, url: str, index: int, count_frames: bool, every_ms: int) -> Tab:
    tab = Tab(context.new_page(), index, count_frames=count_frames)
    attach_listeners(tab)
    open_app(tab.page, url, "/Train")
    tab.page.locator(RUN_BUTTON).wait_for(state="visible", timeout=60_000)
    ask(tab.page, MONITOR_JS, every_ms)
    return tab


def wait_label(tab: Tab, want: str, after: float, timeout_ms: float) -> float | None:
    """Page time at which the button read `want` (first seen after page time `after`), or None on timeout."""
    try:
        handle = tab.page.wait_for_function(
            "([want, after]) => { const s = window.__lt; return s.label === want && s.labelSince >= after"
            " ? s.labelSince : null; }",
            arg=[want, after], timeout=timeout_ms, polling=20,
        )
        return handle.json_value()
    except PlaywrightTimeout:
        return None


def click(tab: Tab, deadline: Deadline) -> float | None:
    """Click the Run/Pause button; the page time of the click (from the page's own click listener), or None if
    the page did not take the click within EFFECT_TIMEOUT_MS (too busy to scroll to the button or to handle
    events)."""
    before = ask(tab.page, "() => window.__lt.lastClick")
    try:
        tab.page.locator(RUN_BUTTON).click(timeout=deadline.ms(EFFECT_TIMEOUT_MS))
        return tab.page.wait_for_function(
            "(before) => { const c = window.__lt.lastClick; return c !== null && c !== before ? c : null; }",
            arg=before, timeout=deadline.ms(10_000), polling=20,
        ).json_value()
    except PlaywrightTimeout:
        return None


def press(tab: Tab, want: str, deadline: Deadline) -> float | None:
    """Click the button once; the time in ms until it read `want` (None if it did not within the timeout)."""
    t_click = click(tab, deadline)
    flipped = None if t_click is None else wait_label(tab, want, t_click, deadline.ms(EFFECT_TIMEOUT_MS))
    return None if flipped is None else flipped - t_click


def toggle(tab: Tab, deadline: Deadline) -> dict:
    """One Pause or Run click on the toggling tab and its effects, timed in the page."""
    label = tab.state()["label"]
    want = "Run" if label == "Pause" else "Pause"
    t_click = click(tab, deadline)
    flipped = None if t_click is None else wait_label(tab, want, t_click, deadline.ms(EFFECT_TIMEOUT_MS))
    out = {"action": label, "label_ms": None if flipped is None else flipped - t_click, "settled_ms": None,
           "click_taken": t_click is not None}
    if flipped is None:
        return out
    try:
        if want == "Run":  # paused: the Iteration metric keeps one value for QUIET_MS
            handle = tab.page.wait_for_function(
                "(quiet) => { const s = window.__lt; return performance.now() - s.iterSince >= quiet"
                " ? s.iterSince : null; }",
                arg=QUIET_MS, timeout=deadline.ms(EFFECT_TIMEOUT_MS), polling=50,
            )
        else:  # running: the Iteration metric moves
            handle = tab.page.wait_for_function(
                "(after) => { const s = window.__lt; return s.iterSince > after ? s.iterSince : null; }",
                arg=t_click, timeout=deadline.ms(EFFECT_TIMEOUT_MS), polling=20,
            )
        out["settled_ms"] = max(handle.json_value(), flipped) - t_click
    except PlaywrightTimeout:
        pass
    return out


def blank_tabs(tabs: list[Tab], hung: list[int]) -> list[int]:
    """Indexes (from 1) of the tabs that show a blank page now; those that do not answer go to `hung`."""
    blank = []
    for tab in tabs:
        try:
            if ask(tab.page, BLANK_JS, timeout_ms=10_000):
                blank.append(tab.index)
        except PlaywrightTimeout:
            hung.append(tab.index)
        except PlaywrightError:  # a crashed or closed page is as blank as it gets
            blank.append(tab.index)
    return blank


def wait_window(tabs: list[Tab], seconds: float, deadline: Deadline, blanks: list[int], hung: list[int]) -> None:
    """Let the measuring window pass (this is what is measured, not a wait for something), looking at the tabs
    every couple of seconds; Playwright delivers the pages' events meanwhile."""
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        tabs[0].page.wait_for_timeout(deadline.ms(min(2000, left * 1000)))
        blanks.extend(blank_tabs(tabs, hung))


# --------------------------------------------------------------------------- CPU of the browser's tabs
STUDENT_NICE = 15  # the other tabs' renderers: below the server (0) and its workers (10)


def descendants(marker: bytes, roots: set[int] | None = None) -> set[int]:
    """The descendant processes of `roots` (default: this script) whose command line holds `marker`."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, todo = set(), [c for r in (roots or {os.getpid()}) for c in children.get(r, [])]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if marker in f.read():
                    found.add(pid)
        except OSError:
            pass
    return found


def renderer_pids() -> set[int]:
    """Chromium's renderer processes, one per tab here."""
    return descendants(b"--type=renderer")


# Who used the CPU in the window: the browser, the app's server, its workers (the last two only when this script
# started the app).
CPU_GROUPS = {"browser": b"chromium", "server": b"streamlit", "workers": b"rnn.service"}


def lower_priority(pids: set[int], whole_session: bool = False) -> None:
    """The students' tabs yield the CPU to the server, its workers and the teacher's tab: in a class each
    student's browser runs on the student's own machine, not on the server. With whole_session, their whole
    scheduling group too (Linux autogroups: nice only ranks processes within one session, and a browser that
    Playwright starts has a session of its own)."""
    for pid in pids:
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, pid, STUDENT_NICE)
        if whole_session:
            with contextlib.suppress(OSError), open(f"/proc/{pid}/autogroup", "w") as f:
                f.write(str(STUDENT_NICE))


def cpu_seconds(pids: set[int]) -> float:
    """User + system CPU seconds so far of these processes (those still alive)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


# --------------------------------------------------------------------------- the run
def stored_runs(home: str, model_ids: list[str | None]) -> list[dict]:
    """What the run store says of each tab's model (autosaved every ~10 s): did it train, whatever the page
    showed?"""
    from rnn.runs.store import RunStore

    store, out = RunStore(home), []
    for model_id in model_ids:
        rec = store.latest_run_of_model(model_id) if model_id else None
        out.append({"status": rec.status, "iterations": rec.iterations, "chars_trained": rec.chars_trained}
                   if rec else {"status": None, "iterations": 0, "chars_trained": 0})
    return out


def measure(args, url: str, home: str | None = None) -> dict:
    global RUN
    deadline = RUN = Deadline(args.max_seconds)
    per_step = chars_per_step()
    health = HealthPoller(url)
    health.start()
    result: dict = {"url": url, "streamlit_args": args.streamlit_arg, "sessions": args.sessions,
                    "toggles": args.toggles, "seconds": args.seconds,
                    "chars_per_step": per_step, "cpus": os.cpu_count(), "load_avg_start": os.getloadavg()[0]}
    corpus = None
    if args.sessions == 1 and not args.no_headless:
        from rnn.corpus import load_builtin, make_corpus

        corpus = make_corpus(load_builtin("python-docs"), "python-docs")
    blanks: list[int] = []
    hung: list[int] = []  # tabs that did not answer a blank-page check within 10 s
    t_start = time.perf_counter()
    try:
        with sync_playwright() as pw:
            # Every tab keeps its 1 s redraw timer (Chromium would slow the timers of background tabs, which
            # would lighten the server's load): in a class each student's tab is in front on their own machine.
            # (and keeps the priorities this script gives its tabs' processes: see lower_priority)
            def launch():
                return pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                          args=[*CHROMIUM_ARGS, "--disable-background-timer-throttling",
                                                "--disable-renderer-backgrounding"])

            # --students-elsewhere: the students' tabs in a browser of their own, started first so that its
            # processes are known, the whole of it at low priority (as if on the students' machines)
            elsewhere = launch() if args.students_elsewhere and args.sessions > 1 else None
            students_root = descendants(b"chromium") if elsewhere else set()
            browser = launch()
            try:
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                context.set_default_timeout(60_000)
                student_context = context
                if elsewhere:
                    student_context = elsewhere.new_context(viewport={"width": 1400, "height": 1000})
                    student_context.set_default_timeout(60_000)
                result["students_elsewhere"] = bool(elsewhere)
                tabs, result["tabs_not_opened"], teacher = [], 0, set()
                for i in range(args.sessions):
                    # Only the toggling tab times its clicks finely and counts its fragment runs.
                    try:
                        tabs.append(open_tab(context if i == 0 else student_context, url, i + 1,
                                             count_frames=not tabs, every_ms=200 if tabs else 20))
                        if len(tabs) == 1:
                            teacher = renderer_pids()
                        log(args, f"tab {i + 1} open")
                    except (PlaywrightError, AssertionError) as e:  # not drawn within 60 s: go on without it
                        result["tabs_not_opened"] += 1
                        log(args, f"tab {i + 1} did not open: {str(e).splitlines()[0][:120]}")
                if not tabs:
                    raise RuntimeError("no tab opened the Train page")
                tabs[0].page.bring_to_front()  # the tab that toggles is the one its user looks at
                if elsewhere:
                    lower_priority(descendants(b"chromium", students_root) | students_root, whole_session=True)
                else:
                    lower_priority(renderer_pids() - teacher)
                headless = []
                if corpus is not None:
                    headless.append(headless_rate(corpus, args.seconds))
                    log(args, f"headless engine: {headless[-1]:,.0f} chars/s")
                start_ms = [press(tab, "Pause", deadline) for tab in tabs]
                # a Run that showed no effect (the page busy opening the other tabs) is pressed once more, and counted
                result["start_clicks_repeated"] = sum(1 for ms in start_ms if ms is None)
                start_ms = [ms if ms is not None or tab.state().get("label") == "Pause"
                            else press(tab, "Pause", deadline) for tab, ms in zip(tabs, start_ms, strict=True)]
                result["start_click_ms"] = start_ms
                log(args, "all tabs training")
                tabs[0].page.wait_for_timeout(args.warmup * 1000)  # let every model get going before the window

                # 1. the measuring window
                s0 = [safe_state(tab) for tab in tabs]
                groups = {name: descendants(marker) for name, marker in CPU_GROUPS.items()}
                cpu0 = {name: cpu_seconds(pids) for name, pids in groups.items()}
                runs0, w0 = tabs[0].fragment_runs, time.perf_counter()
                wait_window(tabs, args.seconds, deadline, blanks, hung)
                s1 = [safe_state(tab) for tab in tabs]
                runs1, w1 = tabs[0].fragment_runs, time.perf_counter()
                cpu_share = {name: (cpu_seconds(pids) - cpu0[name]) / (w1 - w0) for name, pids in groups.items()}
                rates = []
                for a, b in zip(s0, s1, strict=True):
                    if a.get("iter") is None or b.get("iter") is None:  # a page that did not answer: no figure
                        continue
                    span = (b["iterSince"] - a["iterSince"]) / 1000
                    rates.append((b["iter"] - a["iter"]) * per_step / span if span > 0 else 0.0)
                result["window"] = {
                    "wall_s": w1 - w0,
                    "chars_per_s": sum(rates),
                    "per_session_chars_per_s": rates,
                    "sessions_read": len(rates),
                    "redraws_per_s": (runs1 - runs0) / (w1 - w0),
                    "cores_used": cpu_share,
                    "health_ms": health.between((w0, w1)),
                }
                log(args, f"window: {sum(rates):,.0f} chars/s in all")

                # 2. the headless engine again, with the app paused
                first = "Pause"
                if corpus is not None:
                    result["pause_before_headless_ms"] = press(tabs[0], "Run", deadline)
                    headless.append(headless_rate(corpus, args.seconds))
                    log(args, f"headless engine: {headless[-1]:,.0f} chars/s")
                    first = "Run"
                if headless:
                    result["headless"] = {"chars_per_s": headless, "mean": sum(headless) / len(headless),
                                          "ratio": result["window"]["chars_per_s"] / (sum(headless) / len(headless))}

                # 3. the toggles
                t0 = time.perf_counter()
                toggles = []
                for k in range(args.toggles):
                    try:
                        try:
                            toggles.append(toggle(tabs[0], deadline))
                        except PlaywrightError as e:  # a TimeoutError too: the page crashed or hangs; go on
                            toggles.append({"action": "?", "label_ms": None, "settled_ms": None, "click_taken": False,
                                            "error": str(e).splitlines()[0][:200]})
                        blanks.extend(blank_tabs(tabs, hung))
                    except OutOfTime:
                        result["stopped_early"] = f"out of --max-seconds after {len(toggles)} of {args.toggles} toggles"
                        deadline.grant(10 * args.sessions + 20)  # for the final checks below
                        break
                    log(args, f"toggle {k + 1} ({toggles[-1]['action']}): {toggles[-1]['label_ms']} ms")
                t1 = time.perf_counter()
                blanks.extend(blank_tabs(tabs, hung))
                states = [safe_state(tab) for tab in tabs]
                label_ms = [t["label_ms"] for t in toggles if t["label_ms"] is not None]
                result["toggle"] = {
                    "first": first,
                    "clicks": toggles,
                    "no_effect": sum(1 for t in toggles if t["label_ms"] is None),
                    "clicks_not_taken": sum(1 for t in toggles if not t["click_taken"]),
                    "click_to_label_ms": summary(label_ms),
                    "pause_to_stop_ms": summary([t["settled_ms"] for t in toggles
                                                 if t["action"] == "Pause" and t["settled_ms"] is not None]),
                    "run_to_moving_ms": summary([t["settled_ms"] for t in toggles
                                                 if t["action"] == "Run" and t["settled_ms"] is not None]),
                    "health_ms": health.between((t0, t1)),
                }
                result["blank_checks"] = sorted(set(blanks))
                # A blank spell as the page saw it; a tab found blank from here but not in-page (its renderer
                # crashed, or a spell shorter than the page's polling) counts once.
                result["blank_pages"] = sum(s.get("blankEpisodes") or int(tab.index in blanks)
                                            for tab, s in zip(tabs, states, strict=True))
                result["blank_found_by_checks"] = len(blanks)
                result["unanswered_checks"] = len(hung)
                result["blank_episodes_in_page"] = [s.get("blankEpisodes") for s in states]
                # Counted before the browser closes (closing a tab closes its websocket).
                result["delta_errors"] = sum(len(t.delta_errors) for t in tabs)
                result["delta_error_texts"] = [e for t in tabs for e in t.delta_errors][:5]
                result["page_errors"] = sum(len(t.page_errors) for t in tabs)
                result["page_error_texts"] = [e for t in tabs for e in t.page_errors][:5]
                result["console_errors"] = sum(len(t.console_errors) for t in tabs)
                result["console_error_texts"] = sorted({e for t in tabs for e in t.console_errors})[:5]
                result["script_finished_tab1"] = dict(tabs[0].finished)
                result["ws_closes"] = sum(t.ws_closes for t in tabs)
                model_ids = [urllib.parse.parse_qs(urllib.parse.urlsplit(t.page.url).query).get("model", [None])[0]
                             for t in tabs]
            finally:
                browser.close()
                if elsewhere:
                    elsewhere.close()
    finally:
        health.stop()
    # Under load = the window and the toggles (not starting the tabs, not the headless runs with the app paused).
    result["health_ms"] = health.between((w0, w1), (t0, t1))
    result["health_ms_whole_run"] = health.between((t_start, time.perf_counter()))
    result["wall_s"] = time.perf_counter() - t_start
    result["load_avg_end"] = os.getloadavg()[0]
    if home is not None:  # our own server: its run store is ours to read
        result["stored_runs"] = stored_runs(home, model_ids)
    return result


def log(args, text: str) -> None:
    if not args.quiet:
        print(f"[load_test] {text}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- the report
def _ms(x) -> str:
    return "—" if x is None else f"{x:,.0f}"


def table(r: dict) -> str:
    w, t = r["window"], r["toggle"]
    n = r["sessions"]
    per = w["per_session_chars_per_s"]
    rows = [
        ("sessions (tabs)", f"{n}" + (f" ({r['tabs_not_opened']} did not open in 60 s)"
                                      if r["tabs_not_opened"] else ""), ""),
        ("the other tabs", "a second Chromium, all of it at nice 15" if r.get("students_elsewhere")
         else "in the same Chromium, renderers at nice 15", ""),
        ("CPUs; load average at start / end", f"{r['cpus']}; {r['load_avg_start']:.1f} / {r['load_avg_end']:.1f}", ""),
        ("health p50 / p95 (ms), window + toggles",
         f"{_ms(r['health_ms']['p50'])} / {_ms(r['health_ms']['p95'])}", "p95 < 250"),
        ("health p95 (ms): window / toggles", f"{_ms(w['health_ms']['p95'])} / {_ms(t['health_ms']['p95'])}", ""),
        ("health requests failed", f"{r['health_ms']['failed']} of {r['health_ms']['n']}", "0"),
        (f"click-to-effect p50 / p95 (ms), {len(t['clicks'])} toggles",
         f"{_ms(t['click_to_label_ms']['p50'])} / {_ms(t['click_to_label_ms']['p95'])}", "p95 < 1,500"),
        (f"clicks with no effect within {EFFECT_TIMEOUT_MS // 1000} s (of them, not taken by the page)",
         f"{t['no_effect']} ({t['clicks_not_taken']})", "0"),
        ("Pause → Iteration stops, p50 / p95 (ms)",
         f"{_ms(t['pause_to_stop_ms']['p50'])} / {_ms(t['pause_to_stop_ms']['p95'])}", ""),
        ("Run → Iteration moves, p50 / p95 (ms)",
         f"{_ms(t['run_to_moving_ms']['p50'])} / {_ms(t['run_to_moving_ms']['p95'])}", ""),
        ("Run presses at the start that showed no effect (pressed again)", f"{r.get('start_clicks_repeated', 0)}", ""),
        ("blank pages", f"{r['blank_pages']}", "0"),
        ("tab checks unanswered within 10 s", f"{r['unanswered_checks']}", "0"),
        ("frontend delta errors", f"{r['delta_errors']}", "0"),
        ("page errors / console errors", f"{r['page_errors']} / {r['console_errors']}", ""),
        ("websocket closes", f"{r['ws_closes']}", "0"),
        (f"training chars/s, all {n} sessions ({w['wall_s']:.0f} s window)", f"{w['chars_per_s']:,.0f}"
         + ("" if w["sessions_read"] == n else f" ({w['sessions_read']} tabs answered)"), ""),
        ("per-session chars/s (min / median / max)",
         f"{min(per):,.0f} / {pct(per, 50):,.0f} / {max(per):,.0f}" if per else "—", ""),
        ("live-view redraws/s of tab 1 (fragment runs that ended)", f"{w['redraws_per_s']:.2f}",
         ">= 1" if n == 1 else ""),
        ("cores used in the window: browser / server / workers",
         " / ".join(f"{w['cores_used'][k]:.2f}" for k in CPU_GROUPS), f"of {r['cpus']}"),
        ("tab 1's runs cut short by a rerun (whole test)",
         f"{r['script_finished_tab1'].get('FINISHED_EARLY_FOR_RERUN', 0)}", ""),
    ]
    if "stored_runs" in r:
        its = [x["iterations"] for x in r["stored_runs"]]
        rows.append(("iterations per model in the run store at the end (min / median / max)",
                     f"{min(its):,} / {pct(its, 50):,.0f} / {max(its):,}", ""))
    if "headless" in r:
        h = r["headless"]
        rows += [
            ("headless engine chars/s (before / after)",
             " / ".join(f"{x:,.0f}" for x in h["chars_per_s"]), ""),
            ("app / headless", f"{h['ratio']:.2f}", ">= 0.85"),
        ]
    if "stopped_early" in r:
        rows.append(("stopped early", r["stopped_early"], ""))
    lines = ["| figure | measured | goal |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=8, help="tabs, each training its own model (default 8)")
    ap.add_argument("--toggles", type=int, default=20, help="Pause/Run clicks on the first tab (default 20)")
    ap.add_argument("--seconds", type=float, default=30, help="the measuring window for chars/s (default 30)")
    ap.add_argument("--warmup", type=float, default=5, help="seconds of training before the window (default 5)")
    ap.add_argument("--url", help="an app already running on this machine (else one is started in a temp home)")
    ap.add_argument("--streamlit-arg", action="append", default=[], metavar="ARG",
                    help="an extra argument for the app this script starts (repeatable), "
                    "e.g. --streamlit-arg=--runner.postScriptGC=false")
    ap.add_argument("--students-elsewhere", action="store_true",
                    help="tabs 2..N in a second Chromium run wholly at low CPU priority, as if each student's "
                         "browser were on the student's own machine (the default: all tabs in one Chromium)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON instead of a table")
    ap.add_argument("--no-headless", action="store_true", help="with --sessions 1: skip the headless engine")
    ap.add_argument("--max-seconds", type=float, default=600, help="stop the whole run after this long")
    ap.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    args = ap.parse_args(argv)
    if args.sessions < 1 or args.toggles < 0 or args.seconds <= 0:
        ap.error("need --sessions >= 1, --toggles >= 0, --seconds > 0")
    if not Path(CHROMIUM).exists():
        print(f"error: no Chromium at {CHROMIUM}; apt-get install chromium", file=sys.stderr)
        return 1
    if args.url and urllib.parse.urlsplit(args.url).hostname not in ("127.0.0.1", "localhost", "::1"):
        ap.error("--url must be a loopback address: this script sends load")
    # The last resort if a wait somewhere has no deadline after all: interrupt the run (the app and the browser
    # are stopped on the way out) a minute after --max-seconds.
    watchdog = threading.Timer(args.max_seconds + 60, lambda: os.kill(os.getpid(), signal.SIGINT))
    watchdog.daemon = True
    watchdog.start()
    with contextlib.ExitStack() as stack:
        stack.callback(watchdog.cancel)
        if args.url:
            url = args.url.rstrip("/")
        else:
            home = stack.enter_context(tempfile.TemporaryDirectory(prefix="rnn-lab-load-"))
            url = stack.enter_context(running_app(home, extra_args=args.streamlit_arg))
            log(args, f"started the app at {url} (RNN_LAB_HOME={home})")
        result = measure(args, url, None if args.url else home)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
