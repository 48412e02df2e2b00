"""The bench's second reference: the engine's plain model (rnn/fast.py switched off) against the fast one."""

import pytest

from rnn import bench_torch, fast, model
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


def test_torch_reference_without_pytorch_says_it_is_optional(monkeypatch, capsys):
    monkeypatch.setattr(bench_torch, "available", lambda: False)
    with pytest.raises(ValueError, match="needs PyTorch"):
        run_benchmark(hiddens=(8,), reference="torch")
    assert main(["bench", "--reference", "torch", "--hidden", "8"]) == 1
    assert "optional" in capsys.readouterr().err


def test_torch_table_reads_each_ratio():
    row = {"what": "train", "hidden": 256, "batch": 32, "dtype": "float32", "torch_threads": 2,
           "chars_per_sec": 120_000, "engine_one_chars_per_sec": 110_000, "torch_one_chars_per_sec": 66_000,
           "torch_default_chars_per_sec": 80_000, "ratio": 1.5, "ratio_one_thread": 1.67}
    table = format_table([row], "torch")
    assert "PyTorch 2 threads (default)" in table.splitlines()[0]
    assert "| 256 | 32 | float32 | 120,000 | 110,000 | 66,000 | 80,000 | 1.50x | 1.67x |" in table


@pytest.mark.skipif(not bench_torch.available(), reason="PyTorch is an optional comparison")
def test_torch_reference_row_times_all_four():
    rows = run_benchmark(hiddens=(16,), batches=(4,), dtypes=("float32",), seconds=0.05, repeats=1,
                         reference="torch")
    assert len(rows) == 1 and all(rows[0][k] > 0 for k in (
        "chars_per_sec", "engine_one_chars_per_sec", "torch_one_chars_per_sec", "torch_default_chars_per_sec"))
