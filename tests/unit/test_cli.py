"""`python -m rnn` end to end in a subprocess: train --json, checkpoints, sample, resume, bench, bad arguments."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from rnn.checkpoint import load_checkpoint
from rnn.cli import main
from rnn.corpus import load_builtin

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SUMMARY_KEYS = {"iterations", "chars_trained", "seconds", "chars_per_sec", "train_loss", "val_loss"}


@pytest.fixture(scope="module", autouse=True)
def run_store(tmp_path_factory):
    """`train` records runs: keep them out of the project's ./runs store (in-process and in subprocesses)."""
    home = tmp_path_factory.mktemp("rnn_lab_home")
    mp = pytest.MonkeyPatch()
    mp.setenv("RNN_LAB_HOME", str(home))
    yield home
    mp.undo()


def cli(*args, cwd=None):
    env = {**os.environ, "PYTHONPATH": ROOT, "OPENBLAS_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "rnn", *map(str, args)], capture_output=True, text=True,
                          env=env, cwd=cwd or ROOT, timeout=120)


def last_json(stdout):
    return json.loads(stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "zen.npz"
    r = cli("train", "--builtin", "zen", "--steps", 30, "--hidden", 16, "--json", "--out", path)
    assert r.returncode == 0, r.stderr
    return path, r


def test_train_json_summary(ckpt):
    path, r = ckpt
    summary = last_json(r.stdout)
    assert SUMMARY_KEYS <= set(summary)
    assert summary["iterations"] == 30 and summary["chars_trained"] == 30 * 25
    assert summary["seconds"] > 0 and summary["chars_per_sec"] > 0
    assert 0 < summary["train_loss"] < 5 and 0 < summary["val_loss"] < 5  # nats/char, V = 45
    assert summary["status"] == "ready" and summary["checkpoint"] == str(path)
    assert "Traceback" not in r.stderr and r.stderr.strip() == ""  # no progress bar when not a terminal
    trainer = load_checkpoint(path)
    assert trainer.iteration == 30 and trainer.config.hidden_size == 16
    assert trainer.corpus.text == load_builtin("zen")
    assert trainer.val_history[-1][1] == pytest.approx(summary["val_loss"])


def test_train_plain_output(tmp_path, capsys):
    r = cli("train", "--builtin", "hello", "--steps", 5, "--hidden", 8, "--seq-length", 10)
    assert r.returncode == 0, r.stderr
    assert "5 iterations" in r.stdout and "n/a (no validation split)" in r.stdout
    # zero steps: nothing to average, still a readable line rather than a crash
    assert main(["train", "--builtin", "hello", "--steps", "0", "--hidden", "8"]) == 0
    assert "0 iterations" in capsys.readouterr().out


def test_runs_are_recorded_in_the_store(run_store):
    """The fixture's store (not ./runs) receives the CLI's runs."""
    assert main(["train", "--builtin", "hello", "--steps", "3", "--hidden", "8", "--name", "cli-test"]) == 0
    assert any(run_store.iterdir())


def test_sample_is_reproducible(ckpt):
    path, _ = ckpt
    a = cli("sample", path, "--length", 50, "--seed", 1)
    b = cli("sample", path, "--length", 50, "--seed", 1)
    assert a.returncode == 0 and b.returncode == 0, a.stderr
    assert a.stdout == b.stdout
    text = a.stdout[:-1]  # print's newline
    assert len(text) == 50 and set(text) <= set(load_builtin("zen"))
    c = cli("sample", path, "--length", 50, "--seed", 2)
    assert c.stdout != a.stdout
    greedy = cli("sample", path, "--length", 30, "--temperature", 0, "--prime", "Beautiful", "--top-k", 3)
    assert greedy.returncode == 0 and greedy.stdout.startswith("Beautiful") and len(greedy.stdout) == 9 + 30 + 1


def test_resume_continues_exactly(ckpt, tmp_path):
    path, _ = ckpt
    resumed_path, full_path = tmp_path / "resumed.ckpt", tmp_path / "full.npz"  # any file name
    r = cli("train", "--resume", path, "--steps", 10, "--json", "--out", resumed_path)
    assert r.returncode == 0, r.stderr
    summary = last_json(r.stdout)
    assert summary["iterations"] == 40 and summary["new_iterations"] == 10 and summary["chars_trained"] == 250
    full = cli("train", "--builtin", "zen", "--steps", 40, "--hidden", 16, "--json", "--out", full_path)
    assert full.returncode == 0, full.stderr
    a, b = load_checkpoint(resumed_path), load_checkpoint(full_path)
    assert np.array_equal(a.flat_params, b.flat_params) and np.array_equal(a.h, b.h)
    assert a.history["loss"] == b.history["loss"]


def test_resume_takes_a_new_learning_rate_and_clip(ckpt, tmp_path, capsys):
    """--lr and --clip change the resumed run (the usual move after a divergence stop); flags that repeat
    the checkpoint's own values are accepted."""
    path, _ = ckpt
    out = tmp_path / "lower-lr.npz"
    args = ["train", "--resume", str(path), "--steps", "5", "--lr", "0.02", "--clip", "1", "--hidden", "16",
            "--out", str(out)]
    assert main(args) == 0, capsys.readouterr().err
    t = load_checkpoint(out)
    assert t.iteration == 35 and t.config.learning_rate == 0.02 and t.optimizer.lr == 0.02 and t.config.clip == 1.0
    assert max(t.history["grad_norm"][-5:]) > 1 and all(t.history["clipped"][-5:])  # clipping at 1 fired
    assert load_checkpoint(path).config.learning_rate == 0.1  # the original file is untouched


def test_resume_changes_live_settings_and_keeps_the_model(ckpt, tmp_path, capsys):
    """Live settings (rnn/config.py) change a resumed run through the Trainer's commands: a new sequence
    length reads longer chunks, a new optimizer starts its memory afresh; the weights carry over."""
    path, _ = ckpt
    out = tmp_path / "longer.npz"
    args = ["train", "--resume", str(path), "--steps", "2", "--seq-length", "40", "--optimizer", "adam",
            "--eval-every", "1", "--out", str(out), "--json"]
    assert main(args) == 0, capsys.readouterr().err
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["chars_trained"] == 2 * 40
    t = load_checkpoint(out)
    assert (t.config.seq_length, t.config.optimizer, t.config.learning_rate, t.config.eval_every) == (40, "adam",
                                                                                                      0.1, 1)
    assert t.optimizer.t == 2 and t.iteration == 32


def test_train_on_a_file_with_seconds_budget(tmp_path):
    corpus = tmp_path / "notes.txt"
    corpus.write_bytes(("caf\u00e9 cr\u00e8me \u732b\r\n" * 60).encode("utf-8"))
    r = cli("train", "--corpus", corpus, "--seconds", 0.3, "--hidden", 8, "--batch", 2, "--optimizer", "adam",
            "--lr", 0.01, "--dtype", "float32", "--json")
    assert r.returncode == 0, r.stderr
    summary = last_json(r.stdout)
    assert summary["iterations"] > 0 and summary["config"]["dtype"] == "float32"
    assert summary["config"]["optimizer"] == "adam" and summary["config"]["batch_size"] == 2
    assert summary["vocab_size"] == len(set("caf\u00e9 cr\u00e8me \u732b\n"))  # CRLF read as LF


def test_diverged_run_exits_nonzero_with_message():
    r = cli("train", "--builtin", "hello", "--lr", 1000, "--clip", 0, "--steps", 50, "--hidden", 16, "--json")
    assert r.returncode == 1
    assert last_json(r.stdout)["status"] == "diverged"
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "diverged" in lines[0] and "Traceback" not in r.stderr


def test_bench_prints_a_table():
    r = cli("bench", "--hidden", 16, "--batch", 1, "--dtype", "float64", "--seconds", 0.05, "--repeats", 1)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    assert lines[0].startswith("| what |") and "ratio" in lines[0]
    assert any(line.startswith("| train | 16 | 1 | float64 |") for line in lines)
    assert any(line.startswith("| sample |") for line in lines)
    assert all(line.rstrip().endswith("x |") for line in lines[2:])


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("bad")
    (d / "corrupt.npz").write_bytes(os.urandom(3000))
    (d / "latin1.txt").write_bytes("caf\u00e9 au lait, cr\u00e8me br\u00fbl\u00e9e ".encode("latin-1") * 10)
    (d / "short.txt").write_text("too short")
    (d / "empty.txt").write_text("")
    return d


# The brief's cases run as real subprocesses; the rest call main() in-process (same code, faster).
BAD_SUBPROCESS = [
    ("train", "--bogus"),
    ("train", "--corpus", "{d}/does-not-exist.txt"),
    ("train", "--builtin", "nope"),
    ("train", "--builtin", "zen", "--lr", "-1"),
    ("sample", "{d}/corrupt.npz"),
]
BAD_IN_PROCESS = [
    ("train", "--builtin", "zen", "--hidden", "0"),
    ("train", "--builtin", "zen", "--steps", "-5"),
    ("train", "--builtin", "zen", "--steps", "ten"),
    ("train", "--builtin", "zen", "--optimizer", "lbfgs"),
    ("train", "--builtin", "zen", "--steps", "1", "--seconds", "1"),
    ("train", "--builtin", "zen", "--steps", "1", "--threads", "zero"),
    ("train", "--corpus", "{d}/latin1.txt"),
    ("train", "--corpus", "{d}/short.txt"),
    ("train", "--corpus", "{d}/empty.txt"),
    ("train", "--resume", "{d}/corrupt.npz"),
    ("train", "--resume", "{d}/does-not-exist.npz"),
    ("train", "--resume", "{ckpt}", "--hidden", "32"),  # the checkpoint's model has 16 units
    ("train", "--resume", "{ckpt}", "--batch", "2"),
    ("train", "--resume", "{ckpt}", "--val-fraction", "0.2"),
    ("train", "--resume", "{ckpt}", "--clip", "-1"),
    ("sample", "{d}/does-not-exist.npz"),
    ("sample", "{ckpt}", "--temperature", "-1"),
    ("sample", "{ckpt}", "--temperature", "nan"),
    ("sample", "{ckpt}", "--prime", "\u00fc\u00df"),
    ("sample", "{ckpt}", "--top-k", "0"),
    ("sample", "{ckpt}", "--length", "-3"),
    ("sample",),
    ("bench", "--seconds", "0"),
    ("nonsense",),
    (),
]


def fill(args, bad_files, ckpt):
    return [a.format(d=bad_files, ckpt=ckpt[0]) for a in args]


def assert_one_line(stderr):
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and len(lines[0]) > 10, stderr


@pytest.mark.parametrize("args", BAD_SUBPROCESS, ids=" ".join)
def test_bad_arguments_exit_nonzero_one_line(args, bad_files, ckpt):
    r = cli(*fill(args, bad_files, ckpt))
    assert r.returncode != 0 and r.stdout == ""
    assert_one_line(r.stderr)


@pytest.mark.parametrize("args", BAD_IN_PROCESS, ids=lambda a: " ".join(a) or "no-command")
def test_bad_arguments_in_process(args, bad_files, ckpt, capsys):
    assert main(fill(args, bad_files, ckpt)) != 0
    out, err = capsys.readouterr()
    assert out == ""
    assert_one_line(err)


def test_seconds_budget_is_training_time_and_evaluation_is_reported_apart(capsys):
    """--seconds S trains for S seconds: evaluations (here ~2/3 of the wall time) do not eat the budget."""
    assert main(["train", "--builtin", "python-docs", "--seconds", "0.5", "--eval-every", "200", "--hidden", "16",
                 "--json", "--no-record", "--threads", "1"]) == 0
    summary = last_json(capsys.readouterr().out)
    assert 0.5 <= summary["seconds"] < 0.7
    assert summary["eval_seconds"] > 0.1 and summary["wall_seconds"] >= summary["seconds"] + summary["eval_seconds"]
    assert summary["threads"].startswith("1: ")


def test_user_errors_name_the_problem(bad_files, ckpt, capsys):
    for args, words in [(("train", "--corpus", "{d}/latin1.txt"), "UTF-8"),
                        (("train", "--corpus", "{d}/short.txt"), "seq_length + 1"),
                        (("train", "--builtin", "zen", "--lr", "-1"), "learning_rate"),
                        (("sample", "{d}/corrupt.npz"), "not a checkpoint"),
                        (("train", "--builtin", "zen", "--threads", "0"), "'auto' or a whole number"),
                        (("sample", "{ckpt}", "--prime", "\u00fc"), "never seen"),
                        (("sample", "{ckpt}", "--temperature", "-1"), "temperature")]:
        assert main(fill(args, bad_files, ckpt)) == 1
        assert words in capsys.readouterr().err


def test_engine_and_cli_never_import_streamlit_or_plotly():
    """Everything in rnn/ except rnn/viz is NumPy only: usable from a notebook or the CLI without the UI stack."""
    code = (
        "import pkgutil, importlib, sys, rnn\n"
        "names = [m.name for m in pkgutil.walk_packages(rnn.__path__, 'rnn.')\n"
        "         if not m.name.startswith(('rnn.viz', 'rnn.__main__'))]\n"
        "for name in names: importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('streamlit', 'plotly'))\n"
        "print(len(names), bad)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT,
                       env={**os.environ, "PYTHONPATH": ROOT})
    assert r.returncode == 0, r.stderr
    count, bad = r.stdout.split(" ", 1)
    assert int(count) > 10 and bad.strip() == "[]", r.stdout
