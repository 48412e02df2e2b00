"""The export download buttons on the Train and Runs pages (ui/export.py): they exist, carry the right file names
and build the right files when clicked (a script that retrains the model, a notebook that loads it); what the script
cannot reproduce is said in plain text and its button disabled."""

from __future__ import annotations

import inspect
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from model_helpers import model, step
from streamlit.testing.v1 import AppTest

from rnn.checkpoint import load_checkpoint
from rnn.corpus import load_builtin, make_corpus
from rnn.runs import RunRecorder, RunStore
from rnn.train import TrainConfig, Trainer

ROOT = Path(__file__).resolve().parents[2]
nbformat = pytest.importorskip("nbformat")


@pytest.fixture
def offered(monkeypatch):
    """{file name: data} of every download button the page draws (Streamlit calls a callable on the click)."""
    import streamlit.elements.widgets.button as button

    files = {}
    marshall, signature = button.marshall_file, inspect.signature(button.marshall_file)

    def spy(*args, **kwargs):
        bound = signature.bind(*args, **kwargs).arguments
        files[bound.get("file_name")] = bound["data"]
        return marshall(*args, **kwargs)

    monkeypatch.setattr(button, "marshall_file", spy)
    return files


def buttons(at) -> dict[str, object]:
    """The download buttons by label (AppTest has no accessor for them: their protos)."""
    return {b.proto.label: b.proto for b in at.get("download_button")}


def content(data) -> bytes:
    data = data() if callable(data) else data
    return data.encode() if isinstance(data, str) else bytes(data)


def run_script(source: bytes, tmp_path: Path) -> dict:
    path = tmp_path / "exported.py"
    path.write_bytes(source)
    out = subprocess.run([sys.executable, "-I", str(path)], capture_output=True, text=True, timeout=300,
                         env={"PATH": os.environ.get("PATH", ""), "OPENBLAS_NUM_THREADS": "1"})
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def embedded_trainer(notebook: bytes):
    """The checkpoint embedded in an exported notebook, loaded (as its first code cell does)."""
    import base64
    import re

    nb = nbformat.reads(notebook.decode("utf-8"), as_version=4)
    nbformat.validate(nb)
    setup = next(c.source for c in nb.cells if c.cell_type == "code")
    packed = "".join(re.findall(r'^\s+"([A-Za-z0-9+/=]+)"$', setup, flags=re.M))
    return load_checkpoint(io.BytesIO(base64.b64decode(packed)))


def test_train_page_offers_a_script_and_a_notebook_of_the_model(offered, tmp_path):
    at = AppTest.from_file(str(ROOT / "pages" / "2_Train.py"), default_timeout=60)
    at.run()
    step(at, 12)
    at.run()
    assert not at.exception, at.exception
    found = buttons(at)
    assert {"Download checkpoint", "Script (.py)", "Notebook (.ipynb)"} <= set(found)
    assert not found["Script (.py)"].disabled
    script_name, nb_name = "min_char_rnn-python-docs-it12.py", "rnn-python-docs-it12.ipynb"
    assert {script_name, nb_name} <= set(offered)
    trainer = model(at)
    source = content(offered[script_name])
    assert b"ITERATIONS = 12" in source and b"pydoc_data" in source and b"import rnn" not in source
    got = run_script(source, tmp_path)
    assert got["iterations"] == 12 and abs(got["smooth_loss"] - trainer.smooth_loss) <= 1e-6
    loaded = embedded_trainer(content(offered[nb_name]))
    assert loaded.iteration == 12 and loaded.corpus.name == "python-docs"


def seed_run(home, name: str, **settings) -> int:
    trainer = Trainer(make_corpus(load_builtin("zen"), "zen", seq_length=16),
                      TrainConfig(hidden_size=12, seq_length=16, **settings), threads=1)
    with RunRecorder(trainer, RunStore(home), name=name, source="cli") as rec:
        trainer.step(40)
    return rec.run_id, trainer.smooth_loss


def test_runs_page_offers_the_selected_runs_script_and_notebook(home, offered, tmp_path):
    run_id, smooth = seed_run(home, 'my "best" run/../x')
    at = AppTest.from_file(str(ROOT / "pages" / "10_Runs.py"), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    found = buttons(at)
    assert {"Script (.py)", "Notebook (.ipynb)"} <= set(found) and not found["Script (.py)"].disabled
    stem = f"run{run_id}-my-best-run-..-x"  # a sanitised run name: no slashes, quotes or spaces
    assert {f"min_char_rnn-{stem}-it40.py", f"rnn-{stem}-it40.ipynb"} <= set(offered)
    source = content(offered[f"min_char_rnn-{stem}-it40.py"])
    assert f"run #{run_id} of the RNN Lab run store".encode() in source
    assert abs(run_script(source, tmp_path)["smooth_loss"] - smooth) <= 1e-6
    assert embedded_trainer(content(offered[f"rnn-{stem}-it40.ipynb"])).iteration == 40


def test_runs_page_says_why_an_lstm_run_has_no_script(home, offered):
    run_id, _ = seed_run(home, "lstm **run**", cell="lstm")
    at = AppTest.from_file(str(ROOT / "pages" / "10_Runs.py"), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    found = buttons(at)
    assert found["Script (.py)"].disabled and not found["Notebook (.ipynb)"].disabled
    texts = [t.value for t in at.text]
    assert any(t.startswith("No script for this model:") and "1-layer LSTM" in t and "notebook" in t for t in texts)
    nb = [data for name, data in offered.items() if name.endswith(".ipynb")]
    assert embedded_trainer(content(nb[-1])).config.cell == "lstm"


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("RNN_LAB_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def test_a_big_checkpoint_is_referred_to_not_read_into_the_notebook(tmp_path, monkeypatch):
    import ui.export as export

    path = tmp_path / "big.npz"
    path.write_bytes(b"\0" * 100)
    monkeypatch.setattr(export, "EMBED_MAX_BYTES", 99)
    monkeypatch.setattr(export, "open", None, raising=False)  # the file is never opened
    nb = nbformat.reads(export.notebook_from_file(str(path)).decode("utf-8"), as_version=4)
    assert repr(str(path)) in nb.cells[1].source
