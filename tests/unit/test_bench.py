"""The bench's second reference: the engine's plain model (rnn/fast.py switched off) against the fast one."""

import pytest

from rnn import fast, model
from rnn.bench import format_table, run_benchmark
from rnn.cli import main


def test_plain_reference_rows_time_the_engine_without_the_fast_module(monkeypatch):
    ran = set()
    fast_step, plain_recurrence = fast.loss_and_grads, model.hidden_states
    monkeypatch.setattr(fast, "loss_and_grads", lambda *a, **k: ran.add("fast") or fast_step(*a, **k))
    monkeypatch.setattr(model, "hidden_states", lambda *a, **k: ran.add("plain") or plain_recurrence(*a, **k))
    rows = run_benchmark(hiddens=(8,), batches=(2,), dtypes=("float32",), seconds=0.02, repeats=1,
                         reference="plain")
    assert [(r["what"], r["hidden"], r["batch"], r["dtype"]) for r in rows] == [
        ("train", 8, 2, "float32"), ("sample", 100, 1, "float64")]
    assert all(r["ref_chars_per_sec"] > 0 and r["chars_per_sec"] > 0 and r["ratio"] > 0 for r in rows)
    assert ran == {"fast", "plain"} and fast.ENABLED  # both sides ran, and the switch is back on
    assert "| what | H | B | dtype | plain model chars/s |" in format_table(rows, "plain")


def test_reference_is_checked(capsys):
    with pytest.raises(ValueError, match="reference"):
        run_benchmark(hiddens=(8,), reference="pytorch")
    assert main(["bench", "--reference", "pytorch"]) == 2
    assert "--reference" in capsys.readouterr().err


def test_bench_command_with_plain_reference(capsys):
    assert main(["bench", "--reference", "plain", "--hidden", "8", "--batch", "1", "--dtype", "float64",
                 "--seconds", "0.01", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert "plain model chars/s" in out and "| train | 8 | 1 | float64 |" in out
