"""Make the README's screenshots from the real app in headless Chromium.

    python scripts/screenshots.py                # docs/screenshots/*.png, python-docs corpus, 300 steps
    python scripts/screenshots.py --steps 500 --out /tmp/shots
    python scripts/screenshots.py --pages Train --live --theme dark --width 1280 --height 720 --out /tmp/shots

Starts `streamlit run dashboard.py` on a free port (RNN_LAB_HOME in a temp dir), trains the default corpus with
"Step 100" clicks, then visits every page in the sidebar and saves one full-page PNG per page. Needs Debian's
chromium at /usr/bin/chromium and the dev requirements (playwright); no browser download. Page and alert icons
are Material icons from Streamlit's own font, so no emoji font is needed.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "browser"))  # the same helpers the browser tests use

from playwright.sync_api import expect, sync_playwright  # noqa: E402
from streamlit_app import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    RERUN_TIMEOUT_MS,
    button,
    click_and_wait,
    full_screenshot,
    go_to,
    metric_value,
    open_app,
    page_titles,
    parse_int,
    running_app,
    wait_idle,
)


def slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_") or "home"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots", help="folder for the PNGs")
    ap.add_argument("--steps", type=int, default=300, help="training iterations before the pictures (x100)")
    ap.add_argument("--width", type=int, default=1400, help="viewport width in CSS pixels")
    ap.add_argument("--height", type=int, default=1000, help="viewport height in CSS pixels")
    ap.add_argument("--max-height", type=int, default=4000, help="tallest screenshot, in CSS pixels")
    ap.add_argument("--theme", choices=["light", "dark"], help="Streamlit's light or dark theme (default: its own)")
    ap.add_argument("--live", action="store_true", help="take the pictures while the model trains live (Run)")
    ap.add_argument("--pages", nargs="*", help="only these page titles (as in the sidebar), e.g. Train Sample")
    ap.add_argument("--sweep-seconds", type=float, default=0,
                    help="first record a small learning-rate sweep (seconds per run) for the Runs page")
    args = ap.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"error: no Chromium at {CHROMIUM}; apt-get install chromium", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)

    home = tempfile.mkdtemp(prefix="rnn-lab-shots-")
    if args.sweep_seconds > 0:  # a few recorded runs, so the Runs page has something to compare
        subprocess.run([sys.executable, "-m", "rnn", "sweep", "--builtin", "python-docs", "--lr", "0.03", "0.1", "0.3",
                        "--hidden", "64", "--seconds", str(args.sweep_seconds), "--workers", "2", "--name", "lr sweep"],
                       cwd=REPO, env={**os.environ, "RNN_LAB_HOME": home}, check=True, stdout=subprocess.DEVNULL)
    # toolbarMode minimal hides the developer menu and the Deploy button, which mean nothing to a reader.
    extra = ["--client.toolbarMode", "minimal"] + (["--theme.base", args.theme] if args.theme else [])
    with running_app(home, extra_args=extra) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": args.width, "height": args.height})
        open_app(page, url)

        go_to(page, "Train")
        iteration = metric_value(page, "Iteration")
        while parse_int(iteration.inner_text()) < args.steps:
            before = iteration.inner_text()
            click_and_wait(page, button(page, "Step 100"), fragment=True)
            expect(iteration).not_to_have_text(before, timeout=RERUN_TIMEOUT_MS)
        print(f"trained to iteration {iteration.inner_text()}")
        if args.live:  # the pictures show the model training (the live view redraws every second)
            click_and_wait(page, button(page, "Run"), fragment=True)

        titles = page_titles(page)
        failed: list[str] = []
        wanted = set(args.pages) if args.pages else None
        for i, title in enumerate(titles):
            if wanted is not None and title not in wanted and not (i == 0 and "home" in wanted):
                continue
            go_to(page, title)
            for label in ("Generate", "Select all"):  # fresh samples; every recorded run in the comparison
                control = button(page, label)
                if control.count():
                    click_and_wait(page, control)
            wait_idle(page)
            path = args.out / f"{i:02d}_{slug(title if i else 'home')}.png"
            full_screenshot(page, path, width=args.width, max_height=args.max_height)
            errors = page.get_by_test_id("stException").count()
            if errors:  # a traceback must never reach a page, and never a README picture
                failed.append(title)
            print(path.relative_to(REPO) if path.is_relative_to(REPO) else path, "(TRACEBACK!)" if errors else "")
        browser.close()
    if failed:
        print(f"error: tracebacks on {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
