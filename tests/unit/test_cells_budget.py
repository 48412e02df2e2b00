"""The budget (rnn/budget.py) counts what the models of rnn/cells hold: 3-4x the vanilla RNN's parameters and
more activations per step, measured here with tracemalloc (NumPy reports its arrays to it)."""

import tracemalloc

import numpy as np
import pytest

from rnn import cells
from rnn.budget import BudgetError, Shape, check, model_bytes, n_params, step_seconds
from rnn.config import TrainConfig
from rnn.corpus import brackets_text, make_corpus
from rnn.train import Trainer

TEXT = brackets_text(20000, seed=1)


@pytest.fixture(autouse=True)
def app_limits(monkeypatch):
    for name in ("RNN_LAB_BUDGET", "RNN_LAB_MODEL_MB", "RNN_LAB_STEP_SECONDS", "RNN_LAB_MAX_VOCAB"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("cell, layers", [("lstm", 1), ("gru", 2), ("rnn", 2), ("lstm", 3)])
def test_n_params_counts_every_array(cell, layers):
    params = cells.init_params(67, 24, cell=cell, num_layers=layers)
    assert n_params(24, 67, cell, layers) == sum(p.size for p in params.values())


@pytest.mark.parametrize("config", [
    TrainConfig(cell="lstm", hidden_size=64, batch_size=16, seq_length=40, optimizer="adam"),
    TrainConfig(cell="gru", num_layers=2, hidden_size=48, batch_size=8, seq_length=50, dropout=0.2),
    TrainConfig(cell="lstm", num_layers=3, hidden_size=32, batch_size=4, seq_length=30, dtype="float32",
                dropout=0.1),
    TrainConfig(num_layers=2, hidden_size=64, batch_size=16, seq_length=40)], ids=lambda c: f"{c.cell}{c.num_layers}")
def test_model_bytes_covers_the_measured_peak_of_a_trainer(config):
    """Building the trainer, 21 steps (two known-good copies) and an evaluation: the estimate (without the
    server's replica) is at least the peak that tracemalloc sees, and not more than twice it."""
    config = TrainConfig(**{**config.__dict__, "eval_every": 0, "sample_every": 0, "health_every": 0})
    corpus = make_corpus(TEXT, "b", seq_length=config.seq_length)
    tracemalloc.start()
    try:
        trainer = Trainer(corpus, config)
        trainer.step(21)
        trainer.evaluate()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    estimate = model_bytes(Shape.of(config, trainer.vocab.size), replica=False)
    assert peak <= estimate <= 2 * peak, (peak, estimate)


def test_an_lstm_needs_more_than_the_vanilla_rnn_of_the_same_shape_and_may_be_refused():
    base = dict(hidden_size=512, batch_size=32, seq_length=100)
    vanilla, lstm = TrainConfig(**base), TrainConfig(**base, cell="lstm", num_layers=3)
    assert model_bytes(Shape.of(lstm, 100)) > 3 * model_bytes(Shape.of(vanilla, 100))
    assert step_seconds(Shape.of(lstm, 100)) > 4 * step_seconds(Shape.of(vanilla, 100))
    check(vanilla, 100)
    with pytest.raises(BudgetError, match="3-layer lstm, hidden 512 x batch 32 x seq 100"):
        check(lstm, 100)
    check(TrainConfig(hidden_size=256, batch_size=32, seq_length=50, cell="lstm"), 100)  # the shape fits


def test_a_trainer_of_the_cells_is_checked_before_it_allocates(monkeypatch):
    monkeypatch.setenv("RNN_LAB_MODEL_MB", "1")
    config = TrainConfig(cell="gru", num_layers=2, hidden_size=128, batch_size=16, seq_length=50)
    with pytest.raises(BudgetError, match="2-layer gru"):
        Trainer(make_corpus(TEXT, "b"), config)
    assert np.isfinite(step_seconds(Shape.of(config, 20)))
