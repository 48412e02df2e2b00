"""Fixtures for the real-browser tests: one Streamlit server per test session, Debian's Chromium.

The tests run only where /usr/bin/chromium exists (Debian's package; no `playwright install`). Elsewhere they are
skipped with the reason; under CI (CI=true) a missing browser fails them instead, because CI installs it.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # the helpers next to this file, also used by scripts/

SCREENSHOTS = Path(__file__).parent / "screenshots"
_HAVE_CHROMIUM = os.path.exists("/usr/bin/chromium")
try:
    import playwright.sync_api  # noqa: F401

    _HAVE_PLAYWRIGHT = True
except ImportError:
    _HAVE_PLAYWRIGHT = False

if _HAVE_PLAYWRIGHT:
    from streamlit_app import CHROMIUM, CHROMIUM_ARGS, running_app
else:  # the tests below are all skipped; keep the module importable
    CHROMIUM, CHROMIUM_ARGS, running_app = "/usr/bin/chromium", [], None


def _missing() -> str | None:
    if not _HAVE_PLAYWRIGHT:
        return "playwright is not installed (python -m pip install -r requirements-dev.txt)"
    if not _HAVE_CHROMIUM:
        return "no Chromium at /usr/bin/chromium (apt-get install chromium)"
    return None


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("true", "1", "yes")


def pytest_collection_modifyitems(config, items):
    reason = _missing()
    if reason is None or _in_ci():
        return
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session", autouse=True)
def _browser_required_in_ci():
    # CI installs chromium, so a skip there would hide that the UI was never tested: fail instead.
    reason = _missing()
    if reason is not None and _in_ci():
        pytest.fail(f"CI=true but {reason}")


@pytest.fixture(scope="session", autouse=True)
def _forget_old_failure_pictures():
    # A failure picture from an earlier run would be mistaken for this run's. (A fixture, not
    # pytest_sessionstart: this conftest is loaded after the session starts when pytest runs from the root.)
    for old in SCREENSHOTS.glob("FAILED-*.png"):
        old.unlink(missing_ok=True)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # Wide enough that the sidebar stays open and columns sit side by side.
    return {**browser_context_args, "viewport": {"width": 1400, "height": 1000}}


@pytest.fixture(scope="session")
def app_url(tmp_path_factory):
    """Base URL of `streamlit run dashboard.py`, with RNN_LAB_HOME in a temp dir."""
    home = tmp_path_factory.mktemp("rnn_lab_home")
    with running_app(home) as url:
        yield url


@pytest.fixture
def shots():
    """Save a full-page screenshot as tests/browser/screenshots/<name>.png."""
    from streamlit_app import full_screenshot

    def save(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        full_screenshot(page, path)
        return path

    return save


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    # On a failure, keep a picture of what the browser showed: most UI failures are obvious in it.
    report = yield
    if report.when == "call" and report.failed and "page" in getattr(item, "funcargs", {}):
        try:
            name = re.sub(r"[^\w.-]", "_", item.name)
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            item.funcargs["page"].screenshot(path=str(SCREENSHOTS / f"FAILED-{name}.png"), timeout=5000)
        except Exception:  # the browser may be gone; the test failure is what matters
            pass
    return report
