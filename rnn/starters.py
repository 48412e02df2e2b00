"""Starter models: checkpoints trained by this engine and shipped with it, so every page (and a lesson) can open
on a trained model at once instead of an untrained one that needs thousands of iterations.

`python scripts/make_starters.py` trains them again from the table below, step for step the same on the same
CPU, BLAS and Python (the python-docs and python-code corpora are read from the running Python's own files;
another CPU may round the last bits differently). Each file holds its corpus, so it loads anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .checkpoint import CheckpointError, load_checkpoint
from .config import TrainConfig
from .corpus import load_builtin, make_corpus
from .train import Trainer

DIR = Path(__file__).resolve().parent / "starter_models"


@dataclass(frozen=True)
class Starter:
    name: str  # the file's stem
    title: str  # what a picker shows
    corpus: str  # a built-in corpus
    config: TrainConfig
    steps: int
    what: str  # what to look at with it


def _config(**kw) -> TrainConfig:
    # Adam with 16 streams learns in a minute what min-char-rnn's Adagrad with one stream learns in ten.
    base = dict(seq_length=50, batch_size=16, optimizer="adam", learning_rate=3e-3, dtype="float32",
                eval_every=500, sample_every=250)
    return TrainConfig(**(base | kw)).validate()


STARTERS = {s.name: s for s in (
    Starter("prose", "English prose (python-docs), 128 units", "python-docs", _config(hidden_size=128), 5000,
            "Neurons and Surprise on English: spaces, line ends, quotes, the ends of words"),
    Starter("code", "Python code (python-code), 128 units", "python-code", _config(hidden_size=128), 6000,
            "indentation, brackets and keywords; the Sample page writes something like Python"),
    Starter("brackets", "Nested brackets (brackets), 64 units", "brackets", _config(hidden_size=64, seq_length=100),
            8000, "long-range memory: does it close what it opened? (Training health, Neurons)"),
)}


def path(name: str) -> Path:
    return DIR / f"{name}.npz"


def train_starter(starter: Starter, steps: int | None = None) -> Trainer:
    """The starter trained from scratch (its seed, one BLAS thread): what scripts/make_starters.py saves."""
    corpus = make_corpus(load_builtin(starter.corpus), starter.corpus, seq_length=starter.config.seq_length)
    trainer = Trainer(corpus, starter.config, threads=1)
    trainer.step(starter.steps if steps is None else steps)
    return trainer


def load_starter(name: str) -> Trainer:
    if name not in STARTERS:
        raise CheckpointError(f"There is no starter model {name!r}. Choose one of: {', '.join(STARTERS)}.")
    if not path(name).exists():
        raise CheckpointError(f"The starter model file {path(name)} is missing: make it with "
                              "`python scripts/make_starters.py`.")
    return load_checkpoint(path(name))
