"""Starter models: the shipped files are what the table says, trained, small, and made by a deterministic recipe."""

import math

import numpy as np
import pytest

from rnn.checkpoint import CheckpointError
from rnn.starters import STARTERS, load_starter, path, train_starter


@pytest.mark.parametrize("name", list(STARTERS))
def test_each_shipped_starter_is_the_trained_model_its_entry_describes(name):
    starter = STARTERS[name]
    assert path(name).stat().st_size < 1_500_000  # small enough to ship in the repository
    trainer = load_starter(name)
    assert trainer.corpus.name == starter.corpus and trainer.config == starter.config
    assert trainer.iteration == starter.steps and trainer.status == "ready"
    assert (trainer.config.cell, trainer.config.num_layers) == ("rnn", 1)  # the dashboard's pages lay it out
    assert trainer.last_val_loss < 0.5 * math.log(trainer.vocab.size)  # well below a uniform guess: trained
    assert trainer.samples, "Samples over training has something to show"


def test_the_recipe_is_deterministic():
    a, b = (train_starter(STARTERS["brackets"], steps=30) for _ in range(2))
    assert np.array_equal(a.flat_params, b.flat_params) and a.history["loss"] == b.history["loss"]


def test_an_unknown_or_missing_starter_says_what_to_do(monkeypatch, tmp_path):
    with pytest.raises(CheckpointError, match="Choose one of: prose"):
        load_starter("nope")
    monkeypatch.setattr("rnn.starters.DIR", tmp_path)
    with pytest.raises(CheckpointError, match="make_starters.py"):
        load_starter("prose")
