"""The app's pages in sidebar order: their names, Material icons and one line each for the home page's tour.

dashboard.py hands them to st.navigation, so the first sidebar entry reads "Home" (not the file name
"dashboard"). The pages stay files in pages/ named <n>_<Name>.py: the name gives the sidebar label and the
URL path (/Train, /Hidden_states, ...) exactly as Streamlit's pages/ folder did, and each page still runs on
its own (AppTest.from_file, a direct URL).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import NamedTuple

PAGES_DIR = Path(__file__).resolve().parent.parent / "pages"
HOME = "Home"
DEFAULT_ICON = ":material/insights:"
# Material icons ship with Streamlit's own font; emoji need a system emoji font that many machines lack.
ICONS = {
    HOME: ":material/home:",
    "Data": ":material/description:",
    "Train": ":material/play_arrow:",
    "Hidden states": ":material/grid_on:",
    "Sample": ":material/casino:",
    "Neurons": ":material/psychology:",
    "Surprise": ":material/bolt:",
    "Training health": ":material/monitor_heart:",
    "BPTT walkthrough": ":material/biotech:",
    "Gradient check": ":material/fact_check:",
    "Runs": ":material/bar_chart:",
    "Samples over training": ":material/history_edu:",
    "Guessing game": ":material/sports_esports:",
    "Lessons": ":material/school:",
}
_TOUR = {
    "Data": "choose a built-in text, paste your own or upload a .txt file",
    "Train": "step or run live; hidden size, sequence length, learning rate; save and load checkpoints",
    "Hidden states": "a heatmap of every hidden unit over a piece of text",
    "Sample": "generated text at temperatures 0.2 → 2.0 side by side, and what temperature does to the softmax",
}


class PageInfo(NamedTuple):
    path: str  # relative to the app's folder, as st.Page, st.page_link and st.switch_page take it
    label: str  # the sidebar name; with spaces as underscores, the URL path
    icon: str
    what: str  # one line for the tour


def icon_for(label: str) -> str:
    return ICONS.get(label, DEFAULT_ICON)


def app_pages(pages_dir: str | Path | None = None) -> list[PageInfo]:
    """Every numbered page in pages/, in number order. Pages added later need no entry here: their tour line
    is the first line of their module docstring (after a "Name:" prefix)."""
    root = Path(pages_dir) if pages_dir else PAGES_DIR
    found = []
    for f in root.glob("*.py"):
        m = re.match(r"(\d+)_(.+)\.py$", f.name)
        if not m:
            continue
        label = m.group(2).replace("_", " ")
        found.append((int(m.group(1)), PageInfo(f"pages/{f.name}", label, icon_for(label),
                                                _TOUR.get(label) or _docstring_line(f))))
    return [info for _, info in sorted(found)]


def _docstring_line(f: Path) -> str:
    try:
        doc = ast.get_docstring(ast.parse(f.read_text(encoding="utf-8"))) or ""
    except (SyntaxError, OSError, UnicodeDecodeError):
        return ""
    first = " ".join(doc.strip().split("\n\n")[0].split()) if doc.strip() else ""
    return first.split(":", 1)[1].strip() if ":" in first else first


def leave_pages_folder_mode() -> None:
    """Make the first page view of a fresh server use dashboard.py's st.navigation too.

    Streamlit decides once per server process whether the app is a classic pages/ folder app: it is until some
    run calls st.navigation. So the very first visitor of a deep link (/Train) got the folder's own sidebar,
    whose first entry is the file name "dashboard". A page that finds itself run that way switches the mode off
    and reruns; the rerun goes through dashboard.py's st.navigation to the same page (same URL path, same page
    hash). Uses Streamlit's PagesManager flag (checked against 1.67); without it this does nothing.
    """
    import streamlit as st
    from streamlit.runtime.pages_manager import PagesManager

    if getattr(PagesManager, "uses_pages_directory", None):
        PagesManager.uses_pages_directory = False
        st.rerun()
