"""Shared test setup: make the repo root importable (`import rnn`) however pytest is invoked."""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
# The engine's matrices are small: one BLAS thread is as fast and does not fight other processes.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
# Runs recorded by tests (e.g. `python -m rnn train` in a subprocess) go to a throwaway folder, never ./runs.
if not os.environ.get("RNN_LAB_HOME"):
    import atexit
    import shutil
    import tempfile

    os.environ["RNN_LAB_HOME"] = tempfile.mkdtemp(prefix="rnn-lab-tests-")
    atexit.register(shutil.rmtree, os.environ["RNN_LAB_HOME"], True)


def pytest_collection_modifyitems(config, items):
    """Each tier is a folder: tests/unit (engine, CLI), tests/app (AppTest pages), tests/browser (Chromium).
    The folder names the marker, so `-m "not browser"` or `-m unit` selects a tier without listing files."""
    import pytest

    for item in items:
        parts = item.path.relative_to(ROOT).parts
        if len(parts) > 2 and parts[0] == "tests" and parts[1] in ("unit", "app", "browser"):
            item.add_marker(getattr(pytest.mark, parts[1]))
