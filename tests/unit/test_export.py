"""rnn/export and `python -m rnn export`: the standalone script retrains a run from scratch and reproduces its
smoothed loss (run in a subprocess, compared with the Trainer's), the notebook executes (nbclient) and draws its
figures, and the CLI's exit codes and messages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rnn.checkpoint import checkpoint_bytes, save_checkpoint
from rnn.cli import main
from rnn.corpus import load_builtin, make_corpus
from rnn.export import ExportError, safe_stem, script_text
from rnn.runs import RunRecorder, RunStore
from rnn.train import TrainConfig, Trainer

ROOT = Path(__file__).resolve().parents[2]
TOLERANCE = 1e-6  # the brief's bound on the smoothed loss after the last iteration (float64)
# A pasted corpus with everything a string literal must escape: quotes of both kinds, backslashes, a triple quote,
# control characters, braces that look like the template's markers, CRLF remnants and non-ASCII (combining marks,
# emoji, right-to-left text, a line separator).
PASTED = ("She said \"it's a \\n newline\", not '\\\\'.\n\"\"\" or ''' end?\t{{CORPUS}} {x}\r\n"
          "Café naïve e\u0301 \U0001F600 שלום \u2028 zeichen ß\x0b\x0c\n") * 12


def trained(text: str, name: str, steps: int, *, changes=(), **settings) -> Trainer:
    corpus = make_corpus(text, name, seq_length=settings.get("seq_length", 25))
    trainer = Trainer(corpus, TrainConfig(**settings), threads=1)
    done = 0
    for at, command, value in changes:  # live setting changes at given iterations, as the Train page makes them
        trainer.step(at - done)
        done = at
        trainer.change(**{command: value})
    trainer.step(steps - done)
    assert trainer.iteration == steps and trainer.status == "ready"
    return trainer


def run_script(source: str, tmp_path: Path, name: str = "exported.py") -> dict:
    """Run an exported script in a fresh interpreter (NumPy only: no `rnn` on its path); its last line's JSON."""
    path = tmp_path / name
    path.write_text(source, encoding="utf-8")
    env = {"PATH": os.environ.get("PATH", ""), "OPENBLAS_NUM_THREADS": "1", "PYTHONIOENCODING": "utf-8"}
    out = subprocess.run([sys.executable, "-I", str(path)], capture_output=True, text=True, timeout=300,
                         cwd=tmp_path, env=env, encoding="utf-8")
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


CASES = {
    "B=1 adagrad, built-in zen": dict(text="zen", steps=300, hidden_size=32),
    "B=1 adagrad, pasted quotes/backslashes/unicode": dict(text=PASTED, steps=250, hidden_size=24, seq_length=20),
    "B=4 adam, pasted": dict(text=PASTED, steps=250, hidden_size=24, batch_size=4, seq_length=16,
                             optimizer="adam", learning_rate=0.01),
    "B=4 adam, built-in zen, seed 7": dict(text="zen", steps=300, hidden_size=32, batch_size=4, optimizer="adam",
                                          learning_rate=0.005, seed=7),
    "B=16 H=64 adagrad (exp tanh), zen": dict(text="zen", steps=200, hidden_size=64, batch_size=16, seq_length=16),
    "B=2 sgd then rmsprop, lr/clip/T changed mid-run": dict(
        text="zen", steps=240, hidden_size=16, batch_size=2, optimizer="sgd", learning_rate=0.05,
        changes=((60, "learning_rate", 0.02), (100, "clip", 1.0), (140, "seq_length", 12),
                 (180, "optimizer", "rmsprop"))),
    "B=1 adagrad, built-in hello": dict(text="hello", steps=200, hidden_size=8, seq_length=5),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_script_reproduces_the_smoothed_loss(case, tmp_path):
    spec = dict(CASES[case])
    text, steps, changes = spec.pop("text"), spec.pop("steps"), spec.pop("changes", ())
    name = text if text in ("zen", "hello") else "pasted"
    trainer = trained(load_builtin(text) if name != "pasted" else text, name, steps, changes=changes, **spec)
    source = script_text(trainer)
    assert "import rnn" not in source and "from rnn" not in source
    got = run_script(source, tmp_path)
    diff = abs(got["smooth_loss"] - trainer.smooth_loss)
    print(f"\nEXPORT-DIFF | {case} | {steps} | {trainer.smooth_loss!r} | {got['smooth_loss']!r} | {diff:.3g}")
    assert got["iterations"] == steps
    assert diff <= TOLERANCE


def test_a_float32_run_is_reproduced_too(tmp_path):
    trainer = trained(load_builtin("zen"), "zen", 200, hidden_size=32, batch_size=2, dtype="float32")
    got = run_script(script_text(trainer), tmp_path)
    diff = abs(got["smooth_loss"] - trainer.smooth_loss)
    print(f"\nEXPORT-DIFF | B=2 adagrad float32, zen | 200 | {trainer.smooth_loss!r} | {got['smooth_loss']!r} | "
          f"{diff:.3g}")
    assert diff <= 1e-5


def test_a_run_the_divergence_guard_stopped_is_reproduced_from_where_it_went_back(tmp_path):
    corpus = make_corpus(load_builtin("zen"), "zen")
    trainer = Trainer(corpus, TrainConfig(hidden_size=32), threads=1)
    trainer.step(100)
    trainer.set_learning_rate(3.0)  # blows up (tests/unit/test_train.py: 3.0, not 1.0, diverges on this CPU)
    trainer.step(300)
    assert trainer.status == "diverged"
    back = trainer.iteration
    assert 60 <= back <= 100 + 300
    trainer.set_learning_rate(0.05)  # what the page suggests: a lower rate, then continue from there
    trainer.resume()
    trainer.step(100)
    assert trainer.iteration == back + 100 and trainer.status == "ready"
    got = run_script(script_text(trainer), tmp_path)
    diff = abs(got["smooth_loss"] - trainer.smooth_loss)
    print(f"\nEXPORT-DIFF | diverged at lr 3.0, back to {back}, then lr 0.05 | {trainer.iteration} | "
          f"{trainer.smooth_loss!r} | {got['smooth_loss']!r} | {diff:.3g}")
    assert got["iterations"] == trainer.iteration and diff <= TOLERANCE


@pytest.mark.parametrize("builtin", ["python-docs", "python-code", "brackets", "zen", "hello"])
def test_a_builtin_corpus_is_read_by_its_recipe_not_embedded(builtin, tmp_path):
    text = load_builtin(builtin)
    trainer = trained(text, builtin, 5, hidden_size=8, batch_size=2, seq_length=10)
    source = script_text(trainer)
    assert len(source) < 20_000  # the recipe, not the text (python-docs is 465k characters)
    got = run_script(source, tmp_path)  # the script checks the text's SHA-256 before training
    assert got["iterations"] == 5 and abs(got["smooth_loss"] - trainer.smooth_loss) <= TOLERANCE


def test_a_renamed_or_edited_builtin_is_embedded(tmp_path):
    trainer = trained(load_builtin("zen")[:-10], "zen", 20, hidden_size=8)  # not the built-in text any more
    source = script_text(trainer)
    assert "import this" not in source and "text = (" in source
    assert run_script(source, tmp_path)["iterations"] == 20


def test_a_big_pasted_corpus_is_embedded_compressed(tmp_path):
    rng = np.random.default_rng(0)
    alphabet = list("abcdefghij \n\"'\\{}é\U0001F600")
    text = "".join(rng.choice(alphabet, size=250_000))
    trainer = trained(text, "big paste", 30, hidden_size=16, batch_size=4)
    source = script_text(trainer)
    assert "zlib.decompress" in source and len(source) < 400_000
    got = run_script(source, tmp_path)
    assert got["iterations"] == 30 and abs(got["smooth_loss"] - trainer.smooth_loss) <= TOLERANCE


def test_an_untrained_model_exports_a_script_that_trains_nothing(tmp_path):
    trainer = trained(load_builtin("zen"), "zen", 0, hidden_size=8)
    got = run_script(script_text(trainer), tmp_path)
    assert got == {"iterations": 0, "smooth_loss": trainer.smooth_loss}


def test_user_text_cannot_break_out_of_the_script(tmp_path):
    hostile = 'x"""\nimport os; os.system("echo pwned")\n"""{{ITERATIONS}}'
    trainer = trained(PASTED, hostile, 3, hidden_size=8)
    source = script_text(trainer, origin=hostile, filename=hostile)
    compile(source, "exported.py", "exec")
    assert 'os.system("echo pwned")' not in source
    assert run_script(source, tmp_path)["iterations"] == 3


@pytest.mark.parametrize("settings, words", [
    (dict(cell="lstm"), "1-layer LSTM"), (dict(cell="gru", num_layers=2), "2-layer GRU"),
    (dict(num_layers=2), "2-layer vanilla RNN"), (dict(dropout=0.2), "with dropout 0.2"),
])
def test_what_the_script_cannot_reproduce_is_refused_with_what_to_do_instead(settings, words):
    trainer = Trainer(make_corpus(load_builtin("zen"), "zen"), TrainConfig(hidden_size=8, **settings))
    with pytest.raises(ExportError, match="notebook") as err:
        script_text(trainer)
    assert words in str(err.value)


def test_file_name_stems_are_sanitised():
    assert safe_stem("../../etc/passwd") == "etc-passwd"
    assert safe_stem('a "b" <c> \u00e9\n') == "a-b-c"
    assert safe_stem("...") == "run" and len(safe_stem("x" * 500)) == 60


# ---------------------------------------------------------------------------- the CLI
@pytest.fixture
def ckpt(tmp_path):
    trainer = trained(load_builtin("zen"), "zen", 120, hidden_size=16, batch_size=2)
    path = tmp_path / "model.npz"
    save_checkpoint(trainer, path)
    return trainer, path


def test_cli_exports_a_script_that_reproduces_the_checkpoint(ckpt, tmp_path, capsys):
    trainer, path = ckpt
    out = tmp_path / "retrain.py"
    assert main(["export", str(path), "--to", "py", "-o", str(out)]) == 0
    assert "wrote the script" in capsys.readouterr().err
    got = run_script(out.read_text(encoding="utf-8"), tmp_path, "retrain.py")
    assert got["iterations"] == 120 and abs(got["smooth_loss"] - trainer.smooth_loss) <= TOLERANCE


def test_cli_export_of_a_recorded_run(tmp_path, capsys):
    home = tmp_path / "home"
    trainer = Trainer(make_corpus(load_builtin("zen"), "zen"), TrainConfig(hidden_size=12), threads=1)
    with RunRecorder(trainer, RunStore(home), name="my run", source="cli") as rec:
        trainer.step(50)
    out = tmp_path / "run.py"
    assert main(["export", "--run", str(rec.run_id), "--home", str(home), "--to", "py", "-o", str(out)]) == 0
    source = out.read_text(encoding="utf-8")
    assert f"run #{rec.run_id}" in source
    assert abs(run_script(source, tmp_path, "run.py")["smooth_loss"] - trainer.smooth_loss) <= TOLERANCE
    capsys.readouterr()
    assert main(["export", "--run", "999", "--home", str(home), "--to", "py", "-o", str(out)]) == 1
    assert "no run #999" in capsys.readouterr().err.lower()


def test_cli_refusals_are_one_line_and_exit_1(tmp_path, capsys):
    lstm = Trainer(make_corpus(load_builtin("zen"), "zen"), TrainConfig(hidden_size=8, cell="lstm"))
    path = tmp_path / "lstm.npz"
    save_checkpoint(lstm, path)
    out = tmp_path / "x.py"
    assert main(["export", str(path), "--to", "py", "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: Cannot export a standalone script") and "--to ipynb" in err
    assert "Traceback" not in err and not out.exists()
    assert main(["export", str(tmp_path / "missing.npz"), "--to", "py", "-o", str(out)]) == 1
    assert "no checkpoint file" in capsys.readouterr().err
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    assert main(["export", str(tmp_path / "junk.npz"), "--to", "ipynb", "-o", str(out)]) == 1
    assert "not a checkpoint" in capsys.readouterr().err
    assert main(["export", str(path), "--to", "exe", "-o", str(out)]) == 2
    assert main(["export", "--to", "py", "-o", str(out)]) == 2  # neither CKPT nor --run


def test_train_json_and_the_exported_script_report_the_same_smooth_loss(tmp_path):
    """The brief's end-to-end: `train --json` reports smooth_loss; the script exported from its checkpoint prints
    the same number in its last line."""
    ckpt = tmp_path / "m.npz"
    out = subprocess.run([sys.executable, "-m", "rnn", "train", "--builtin", "zen", "--hidden", "16", "--batch", "2",
                          "--steps", "150", "--json", "--no-record", "--out", str(ckpt)],
                         capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    assert main(["export", str(ckpt), "--to", "py", "-o", str(tmp_path / "m.py")]) == 0
    got = run_script((tmp_path / "m.py").read_text(encoding="utf-8"), tmp_path, "m.py")
    diff = abs(got["smooth_loss"] - summary["smooth_loss"])
    print(f"\nEXPORT-DIFF | train --json (CLI), B=2 zen, then export | 150 | {summary['smooth_loss']!r} | "
          f"{got['smooth_loss']!r} | {diff:.3g}")
    assert got["iterations"] == summary["iterations"] == 150 and diff <= TOLERANCE


def test_cli_writes_to_stdout_with_dash(ckpt):
    _, path = ckpt
    out = subprocess.run([sys.executable, "-m", "rnn", "export", str(path), "--to", "py", "-o", "-"],
                         capture_output=True, text=True, cwd=ROOT, timeout=120, encoding="utf-8")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith('"""min-char-rnn') and "ITERATIONS = 120" in out.stdout


# ---------------------------------------------------------------------------- the notebook
nbformat = pytest.importorskip("nbformat")


def execute(nb_path: Path) -> object:
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(nb_path, as_version=4)
    os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    nbclient.NotebookClient(nb, timeout=120, startup_timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(nb_path.parent)}}).execute()
    return nb


def outputs(nb) -> tuple[list[dict], str]:
    """(the Plotly figures the notebook displayed, all its printed text)."""
    figures, text = [], ""
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            assert out["output_type"] != "error", out
            data = out.get("data", {})
            if "application/vnd.plotly.v1+json" in data:
                figures.append(data["application/vnd.plotly.v1+json"])
            text += out.get("text", "")
    return figures, text


def check_figures(figures, text, iteration):
    assert len(figures) == 2
    loss, heatmap = figures
    assert loss["layout"]["yaxis"]["title"]["text"].startswith("loss (nats per character)")
    assert {"loss per step", "smooth_loss (min-char-rnn, ~1000 steps)"} <= {t.get("name") for t in loss["data"]}
    assert {t["type"] for t in heatmap["data"]} >= {"heatmap"}
    for temperature in (0.5, 1.0, 1.5):
        assert f"----- temperature {temperature} -----" in text
    assert f"iteration {iteration:,}" in text


def test_the_notebook_runs_and_draws_a_checkpoint_beside_it(ckpt, tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", os.environ.get("PYTHONPATH", ""))
    trainer, path = ckpt
    nb_path = tmp_path / "sub" / "model.ipynb"
    nb_path.parent.mkdir()
    assert main(["export", str(path), "--to", "ipynb", "-o", str(nb_path)]) == 0
    assert "'../model.npz'" in nb_path.read_text()  # relative to the notebook's folder
    figures, text = outputs(execute(nb_path))
    check_figures(figures, text, trainer.iteration)


def test_the_notebook_embeds_any_model_the_script_cannot_reproduce(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", os.environ.get("PYTHONPATH", ""))
    from rnn.export import notebook_bytes

    trainer = trained(load_builtin("zen"), "zen", 30, hidden_size=12, cell="gru", num_layers=2)
    nb_path = tmp_path / "gru.ipynb"
    nb_path.write_bytes(notebook_bytes(checkpoint=checkpoint_bytes(trainer)))
    figures, text = outputs(execute(nb_path))
    check_figures(figures, text, 30)
    assert "gru x 2" in text


def test_the_notebook_never_puts_user_text_in_markdown(tmp_path):
    from rnn.export import notebook_text

    nb = nbformat.reads(notebook_text(checkpoint_path="<b>**x**</b>.npz"), as_version=4)
    markdown = " ".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "<b>" not in markdown and "**x**" not in markdown
    nbformat.validate(nb)


def test_a_notebook_refuses_to_embed_a_huge_checkpoint():
    from rnn.export import notebook_bytes
    from rnn.export.notebook import EMBED_MAX_BYTES

    with pytest.raises(ExportError, match="MiB"):
        notebook_bytes(checkpoint=b"\0" * (EMBED_MAX_BYTES + 1))
