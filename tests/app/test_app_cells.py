"""A model of rnn/cells (LSTM, GRU, stacked) meets the dashboard: its pages lay out the single-layer vanilla RNN
only so far, so such a checkpoint is refused with a clear message, and a CLI run of one is listed on the Runs page
with its model but not opened."""

from __future__ import annotations

from pathlib import Path

import pytest
from model_helpers import model, shown
from streamlit.testing.v1 import AppTest

from rnn.checkpoint import checkpoint_bytes
from rnn.config import TrainConfig
from rnn.corpus import load_builtin, make_corpus
from rnn.runs import RunRecorder, RunStore
from rnn.train import Trainer
from ui.checkpoint import apply_checkpoint

ROOT = Path(__file__).resolve().parents[2]
TRAIN = str(ROOT / "pages" / "2_Train.py")
RUNS = str(ROOT / "pages" / "10_Runs.py")


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("RNN_LAB_HOME", str(tmp_path))
    return tmp_path


def lstm_trainer(steps: int = 10) -> Trainer:
    corpus = make_corpus(load_builtin("zen")[:5000], "zen", seq_length=16)
    trainer = Trainer(corpus, TrainConfig(cell="lstm", num_layers=2, dropout=0.1, hidden_size=12, seq_length=16,
                                          eval_every=5))
    trainer.step(steps)
    return trainer


def test_an_uploaded_lstm_checkpoint_is_refused_and_the_model_kept(home):
    at = AppTest.from_file(TRAIN, default_timeout=120)
    at.run()
    assert not at.exception
    before = model(at).config
    ok, message = apply_checkpoint(checkpoint_bytes(lstm_trainer()), "lstm.npz")
    message = shown(message)
    assert not ok and "lstm.npz was not loaded" in message and "2-layer LSTM" in message
    assert "python -m rnn train --resume" in message and "unchanged" in message
    assert model(at).config == before


def test_a_cli_lstm_run_is_listed_with_its_model_and_not_opened(home):
    trainer = lstm_trainer(0)
    with RunRecorder(trainer, RunStore(home), name="lstm-run", source="cli"):
        trainer.step(10)
        trainer.evaluate()
    at = AppTest.from_file(RUNS, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert list(table["model"]) == ["lstm x2 drop 0.1"]
    button = [b for b in at.button if b.label == "Open in dashboard"][0]
    assert button.disabled
    assert any("Not openable here" in c.value and "2-layer LSTM" in c.value for c in at.caption)
