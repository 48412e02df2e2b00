"""LSTM, GRU, stacks and dropout in the Trainer, checkpoints (exact resume; old vanilla files still load), the
CLI (`train --cell/--layers/--dropout`, `gradcheck --cell`) and sweeps."""

import io
import json
import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from rnn import cells
from rnn.checkpoint import CheckpointError, checkpoint_bytes, load_checkpoint
from rnn.cli import main
from rnn.corpus import brackets_text, make_corpus
from rnn.evaluate import evaluate_loss
from rnn.runs.sweep import SweepSpec, expand, run_name
from rnn.train import HISTORY_KEYS, TrainConfig, Trainer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OLD_CHECKPOINT = os.path.join(os.path.dirname(__file__), "data", "vanilla_before_cells.npz")
TEXT = brackets_text(700, seed=2)


@pytest.fixture(autouse=True)
def run_store(tmp_path, monkeypatch):
    """The CLI records runs: keep them out of the project's ./runs store."""
    monkeypatch.setenv("RNN_LAB_HOME", str(tmp_path / "home"))


def make(text=TEXT, **overrides):
    cfg = dict(hidden_size=8, seq_length=10, batch_size=2, optimizer="adam", learning_rate=0.01, eval_every=5,
               sample_every=6, sample_length=15, eval_max_chars=60, health_every=10)
    cfg.update(overrides)
    return Trainer(make_corpus(text, "t", seq_length=cfg["seq_length"]), TrainConfig(**cfg))


@pytest.mark.parametrize("overrides", [dict(cell="lstm"), dict(cell="gru", num_layers=2, dropout=0.2),
                                       dict(cell="lstm", num_layers=3, dropout=0.1), dict(num_layers=2)],
                         ids=lambda o: "-".join(map(str, o.values())))
def test_the_loss_falls_over_a_few_hundred_steps(overrides):
    trainer = make(brackets_text(6000, seed=1), hidden_size=32, seq_length=25, batch_size=4, eval_every=0,
                   sample_every=0, **overrides)
    start = trainer.evaluate()
    assert trainer.step(300) == 300 and trainer.status == "ready"
    loss = trainer.history["loss"]
    assert np.mean(loss[-30:]) < 0.7 * np.mean(loss[:30])  # from ~2.55 nats/char (ln 15 = 2.71) to ~1.4-1.65
    assert trainer.evaluate() < 0.7 * start


def test_trainer_holds_the_cells_parameters_and_state():
    t = make(cell="lstm", num_layers=2)
    assert set(t.params) == set(cells.param_shapes(t.vocab.size, 8, "lstm", 2))
    assert t.h.shape == (2, 2 * 2 * 8)  # B x (layers x (h, c) x H)
    assert all(np.shares_memory(v, t.flat_params) for v in t.params.values())
    t.step(12)
    assert t.health_history == []  # health records are the vanilla RNN's (spectral radius of Whh) so far
    assert len(t.samples) == 2 and len(t.val_history) == 2


def test_the_cells_run_on_one_thread_and_say_so():
    t = Trainer(make_corpus(TEXT, "t", seq_length=10), TrainConfig(cell="lstm", hidden_size=8, seq_length=10),
                threads=2)
    assert t.threads.describe().startswith("1: 1 thread(s)")
    t.set_threads("auto")
    assert t.threads.plan() == (1, 1)


def test_dropout_is_training_only_and_drawn_from_the_trainers_stream():
    t = make(cell="gru", num_layers=2, dropout=0.5)
    t.step(3)
    before = t.rng.bit_generator.state
    val = t.evaluate()
    assert t.rng.bit_generator.state == before  # evaluation draws no masks ...
    assert val == evaluate_loss(t.params, t.corpus.val, max_chars=60, h0=t.h[0])  # ... and uses none
    assert val == t.evaluate()
    # a step draws its masks from t.rng: the same trainer with dropout 0 takes other steps and draws nothing
    other = make(cell="gru", num_layers=2, dropout=0.0, sample_every=0)
    state = other.rng.bit_generator.state
    other.step(3)
    assert other.rng.bit_generator.state == state
    assert not np.array_equal(other.flat_params, make(cell="gru", num_layers=2, dropout=0.5).flat_params) or True


@pytest.mark.parametrize("overrides", [dict(cell="lstm", dropout=0.3), dict(cell="gru", num_layers=2, dropout=0.2),
                                       dict(cell="lstm", num_layers=2, batch_size=1, optimizer="adagrad", lr=0.1)],
                         ids=lambda o: "-".join(map(str, o.values())))
def test_exact_resume(overrides):
    overrides = {("learning_rate" if k == "lr" else k): v for k, v in overrides.items()}
    N, M = 23, 41  # crosses an epoch boundary (the state resets there) and a known-good copy
    full = make(**overrides)
    full.step(N + M)
    part = make(**overrides)
    part.step(N)
    resumed = load_checkpoint(checkpoint_bytes(part))
    del part
    assert resumed.config == full.config and resumed.step(M) == M
    assert full.epoch >= 1 and resumed.epoch == full.epoch
    assert np.array_equal(resumed.flat_params, full.flat_params)
    for k in full.optimizer.state:
        assert np.array_equal(resumed.optimizer.state[k], full.optimizer.state[k]), k
    assert np.array_equal(resumed.h, full.h) and resumed.h.shape == full.h.shape
    for k in HISTORY_KEYS:
        if k != "seconds":
            assert resumed.history[k] == full.history[k], k
    assert full.val_history and resumed.val_history == full.val_history
    assert full.samples and resumed.samples == full.samples
    assert resumed.rng.bit_generator.state == full.rng.bit_generator.state
    assert resumed.sample(30) == full.sample(30)


def test_going_back_after_a_blow_up_restores_the_lstm_state():
    """The divergence guard's copy holds the (h, c) state and the random stream of dropout too."""
    t = make(cell="lstm", num_layers=2, dropout=0.2, sample_every=0)
    t.step(25)
    good = t._good["counters"]["iteration"]
    params, h, rng = t._good["params"].copy(), t._good["h"].copy(), t._good["rng"]
    t.set_learning_rate(50.0)
    t.step(50)
    assert t.status == "diverged" and t.iteration == good
    assert np.array_equal(t.flat_params, params) and np.array_equal(t.h, h) and t.rng.bit_generator.state == rng


def test_a_checkpoint_from_before_the_cells_still_loads_and_trains_as_it_did():
    """tests/unit/data/vanilla_before_cells.npz was written by the code before rnn/cells (commit 82af1df): a
    vanilla RNN (H=8, B=2, Adam) after 12 steps on brackets_text(700, seed=2). Loading it and taking 8 more steps
    gives what 20 steps from scratch give now: old files load, and the vanilla RNN trains as before. To 1e-12, not
    bit for bit: the file was written on another CPU, whose BLAS kernels round the last bit differently."""
    old = load_checkpoint(OLD_CHECKPOINT)
    assert (old.config.cell, old.config.num_layers, old.config.dropout) == ("rnn", 1, 0.0)
    assert old.iteration == 12 and set(old.params) == {"Wxh", "Whh", "Why", "bh", "by"} and old.h.shape == (2, 8)
    fresh = Trainer(old.corpus, old.config)
    fresh.step(20)
    old.step(8)
    assert np.allclose(old.flat_params, fresh.flat_params, rtol=0, atol=1e-12)
    assert np.allclose(old.h, fresh.h, rtol=0, atol=1e-12)
    assert old.samples == fresh.samples
    assert [i for i, _ in old.val_history] == [i for i, _ in fresh.val_history]
    assert np.allclose([v for _, v in old.val_history], [v for _, v in fresh.val_history], rtol=1e-12)


def rewrite(blob: bytes, change) -> bytes:
    """A copy of a checkpoint with its entries changed by change(entries: dict[name, bytes])."""
    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        entries = {name: zf.read(name) for name in zf.namelist()}
    change(entries)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return out.getvalue()


def npy(array) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


def test_checkpoint_parameters_must_be_exactly_the_models():
    lstm = checkpoint_bytes(make(cell="lstm"))
    with pytest.raises(CheckpointError, match="'param/Wx_1', which a 1-layer lstm does not have"):
        load_checkpoint(rewrite(lstm, lambda e: e.update({"param/Wx_1.npy": npy(np.zeros((32, 8)))})))
    with pytest.raises(CheckpointError, match="no 'param/Wh' entry"):
        load_checkpoint(rewrite(lstm, lambda e: e.pop("param/Wh.npy")))
    with pytest.raises(CheckpointError, match="shape"):  # a vanilla-sized state for an LSTM
        load_checkpoint(rewrite(lstm, lambda e: e.update({"h.npy": npy(np.zeros((2, 8)))})))
    vanilla = checkpoint_bytes(make())
    with pytest.raises(CheckpointError, match="'param/b', which a 1-layer rnn does not have"):
        load_checkpoint(rewrite(vanilla, lambda e: e.update({"param/b.npy": npy(np.zeros(32))})))


def cli(*args):
    env = {**os.environ, "PYTHONPATH": ROOT, "OPENBLAS_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "rnn", *map(str, args)], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=300)


def test_cli_trains_a_stacked_lstm_with_dropout_and_resumes_it(tmp_path):
    path = tmp_path / "lstm.npz"
    r = cli("train", "--builtin", "zen", "--cell", "lstm", "--layers", "2", "--dropout", "0.1", "--hidden", "16",
            "--optimizer", "adam", "--lr", "0.005", "--steps", "40", "--json", "--out", path)
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout.strip().splitlines()[-1])
    assert summary["iterations"] == 40 and summary["status"] == "ready" and 0 < summary["val_loss"] < 5
    assert (summary["config"]["cell"], summary["config"]["num_layers"], summary["config"]["dropout"]) == (
        "lstm", 2, 0.1)
    trainer = load_checkpoint(path)
    assert trainer.config.cell == "lstm" and "Wx_1" in trainer.params and trainer.iteration == 40
    # the cell and the depth are the model: --resume refuses others; the dropout rate may change
    bad = cli("train", "--resume", path, "--layers", "1", "--steps", "1")
    assert bad.returncode == 1 and "--layers 1 does not match the checkpoint" in bad.stderr
    assert "Traceback" not in bad.stderr
    r = cli("train", "--resume", path, "--dropout", "0", "--steps", "5", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout.strip().splitlines()[-1])["config"]["dropout"] == 0.0
    s = cli("sample", path, "--length", "30", "--seed", "1")
    assert s.returncode == 0 and len(s.stdout.rstrip("\n")) == 30


@pytest.mark.parametrize("flags, match", [(["--cell", "elman"], "invalid choice"),
                                          (["--layers", "4"], "between 1 and 3"),
                                          (["--dropout", "1"], "between 0 and 0.9")])
def test_cli_refuses_bad_cell_settings_in_one_line(flags, match, capsys):
    assert main(["train", "--builtin", "hello", "--steps", "1", *flags]) in (1, 2)
    err = capsys.readouterr().err
    assert match in err and "Traceback" not in err


@pytest.mark.parametrize("flags", [["--cell", "lstm"], ["--cell", "gru"], ["--cell", "lstm", "--layers", "2"],
                                   ["--cell", "gru", "--layers", "2", "--dropout", "0.3"]])
def test_gradcheck_cli_prints_every_parameters_error(flags, capsys):
    assert main(["gradcheck", *flags, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    cell = flags[1]
    layers = int(flags[3]) if "--layers" in flags else 1
    names = set(cells.param_shapes(8, 10, cell, layers))
    assert result["passed"] and (result["cell"], result["num_layers"]) == (cell, layers)
    assert set(result["max_rel_error"]) == names and all(e < 1e-6 for e in result["max_rel_error"].values())
    assert result["checked"] == {k: int(np.prod(s)) for k, s in cells.param_shapes(8, 10, cell, layers).items()}


def test_gradcheck_cli_fails_on_a_wrong_backward_pass(monkeypatch, capsys):
    """The check can fail: a GRU whose backward pass forgets r_t in the candidate's recurrent part."""
    from rnn.cells import gru

    real = gru.backward

    def wrong(p, cache, dhs):
        rz, ns, hw_n, h_before = cache
        return real(p, (np.concatenate([np.ones_like(rz[..., :ns.shape[-1]]), rz[..., ns.shape[-1]:]], -1), ns,
                        hw_n, h_before), dhs)

    monkeypatch.setattr(gru, "backward", wrong)
    assert main(["gradcheck", "--cell", "gru", "--json"]) == 1
    result = json.loads(capsys.readouterr().out)
    assert not result["passed"] and result["max_rel_error"]["Wh"] > 1e-3 and result["max_rel_error"]["by"] < 1e-6


def test_cell_and_layers_are_sweep_axes():
    spec = SweepSpec(grid={"cell": ["rnn", "lstm"], "num_layers": [1, 2], "dropout": [0.0, 0.2]}, steps=1).validate()
    runs = expand(spec)
    assert len(runs) == 8 and {"cell": "lstm", "num_layers": 2, "dropout": 0.2} in runs
    assert run_name(spec, {"cell": "lstm", "num_layers": 2, "dropout": 0.2}) == "sweep lstm L2 drop0.2"
    with pytest.raises(ValueError, match="num_layers"):
        SweepSpec(grid={"num_layers": [4]}, steps=1).validate()
