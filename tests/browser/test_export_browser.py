"""Export in a real Chromium: the Train page's script download, run as a student would run it, retrains the model
to the same smoothed loss; the notebook download is a notebook."""

from __future__ import annotations

import json
import subprocess
import sys

from playwright.sync_api import Page
from streamlit_app import RERUN_TIMEOUT_MS, button, open_app, step


def test_the_downloaded_script_retrains_the_model(page: Page, app_url, tmp_path):
    open_app(page, app_url, "/Train?corpus=zen&hidden=32")
    step(page, "Step 10", 10)
    with page.expect_download(timeout=RERUN_TIMEOUT_MS) as download:
        button(page, "Script (.py)").click()
    script = tmp_path / download.value.suggested_filename
    download.value.save_as(script)
    assert script.suffix == ".py"
    out = subprocess.run([sys.executable, "-I", str(script)], capture_output=True, text=True, timeout=300,
                         cwd=tmp_path, check=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert result["iterations"] == 10 and result["smooth_loss"] > 0

    with page.expect_download(timeout=RERUN_TIMEOUT_MS) as download:
        button(page, "Notebook (.ipynb)").click()
    notebook = json.loads(download.value.path().read_text())
    assert notebook["nbformat"] == 4 and any("load_checkpoint" in "".join(c["source"]) for c in notebook["cells"])
