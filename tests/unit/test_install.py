"""The distribution: `pip install <repo>` into a fresh venv gives a working `rnn-lab` outside the source tree,
and the dependency floors are written the same in requirements.txt and pyproject.toml."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import rnn

ROOT = Path(__file__).resolve().parents[2]
CACHES = shutil.ignore_patterns(".git", "__pycache__", ".*_cache", ".hypothesis", ".venv", "*.egg-info")


def not_source(folder, names):
    """Left out of the copy that gets installed: VCS data, caches, and at the top the local run store,
    earlier build output and the screenshots (rnn/runs is source: only the root's runs/ is skipped)."""
    top = {"runs", "build", "docs"} if Path(folder) == ROOT else set()
    return CACHES(folder, names) | (top & set(names))


def run(cmd, cwd, env, timeout=180):
    r = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, f"{cmd} exited {r.returncode}\nstdout:\n{r.stdout}\nstderr:\n{r.stderr}"
    return r.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A venv with the package installed by `pip install <dir>` (not editable), and a folder outside the tree.

    --system-site-packages: numpy and threadpoolctl come from the interpreter running the tests, so the test
    checks our packaging without downloading the engine's dependencies again (the floors check, .ci/floors,
    installs them from scratch). The package itself is built and installed into the venv from a copy of the
    source tree, so the build leaves no build/ or *.egg-info behind in the checkout."""
    base = tmp_path_factory.mktemp("install")
    src, venv, elsewhere = base / "src", base / "venv", base / "elsewhere"
    shutil.copytree(ROOT, src, ignore=not_source)
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env |= {"PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1", "RNN_LAB_HOME": str(base / "home")}
    run([sys.executable, "-m", "venv", "--system-site-packages", venv], base, env)
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
    run([bin_dir / "python", "-m", "pip", "install", "-q", src], base, env, timeout=300)
    return bin_dir, elsewhere, env


def test_console_script_prints_the_version(installed):
    bin_dir, elsewhere, env = installed
    assert run([bin_dir / "rnn-lab", "--version"], elsewhere, env).strip() == f"rnn-lab {rnn.__version__}"


def test_module_prints_the_version(installed):
    bin_dir, elsewhere, env = installed
    assert run([bin_dir / "python", "-m", "rnn", "--version"], elsewhere, env).strip() == (
        f"python -m rnn {rnn.__version__}")


def test_console_script_names_itself_in_usage_errors(installed):
    bin_dir, elsewhere, env = installed
    r = subprocess.run([bin_dir / "rnn-lab"], cwd=elsewhere, env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and r.stderr.startswith("rnn-lab: ") and "Traceback" not in r.stderr


def test_console_script_trains(installed):
    bin_dir, elsewhere, env = installed
    out = run([bin_dir / "rnn-lab", "train", "--builtin", "hello", "--steps", 5, "--json", "--no-record"],
              elsewhere, env)
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["iterations"] == 5 and summary["status"] == "ready"
    assert 0 < summary["train_loss"] < 10


def test_the_starter_models_are_installed_with_the_engine(installed):
    bin_dir, elsewhere, env = installed
    probe = ("from rnn.starters import STARTERS, load_starter, path; t = load_starter('brackets');"
             "print(path('brackets').parent.parent.name, t.iteration == STARTERS['brackets'].steps)")
    assert run([bin_dir / "python", "-c", probe], elsewhere, env).split() == ["rnn", "True"]


def test_only_the_engine_is_installed(installed):
    """`rnn` is imported from the venv (not the checkout); ui/, pages/ and dashboard.py are not part of it."""
    bin_dir, elsewhere, env = installed
    probe = ("import importlib.metadata as m, json, rnn; d = m.distribution('rnn-lab');"
             "print(json.dumps([rnn.__file__, d.version, sorted({f.parts[0] for f in d.files})]))")
    module_file, version, top_level = json.loads(run([bin_dir / "python", "-c", probe], elsewhere, env))
    assert Path(module_file).resolve().is_relative_to(bin_dir.parent.resolve())
    assert version == rnn.__version__
    assert {p for p in top_level if not p.startswith(("..", "rnn_lab-"))} == {"rnn"}


def floors_of(lines) -> dict[str, str]:
    """{name: lower bound} of `name>=version` requirement lines."""
    found = (re.fullmatch(r"\s*([A-Za-z0-9_.-]+)\s*>=\s*([0-9][^,;\s]*)\s*", line) for line in lines)
    return {m[1].lower(): m[2] for m in found if m}


def requirement_floors(name: str) -> dict[str, str]:
    return floors_of(line.split("#")[0] for line in (ROOT / name).read_text().splitlines())


def test_requirements_and_pyproject_name_the_same_floors():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    runtime = requirement_floors("requirements.txt")
    assert runtime == floors_of(project["dependencies"] + extras["app"])
    assert {"numpy", "threadpoolctl", "streamlit", "plotly", "pandas"} <= set(runtime)
    assert requirement_floors("requirements-dev.txt") == floors_of(extras["dev"] + extras["ray"])
