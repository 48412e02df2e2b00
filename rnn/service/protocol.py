"""The messages between the server (rnn.service.registry) and the workers hosting live models (host.py).

Server -> worker: Open (start hosting a model), Command (change it), Close (save and stop hosting).
Worker -> server: Snapshot (the model's light state and the history added since the last one), Reply (a
command's outcome), State (the arrays the replica needs: parameters, hidden state, optimizer memory),
Evicted (a saved model the worker no longer holds).
All are plain dataclasses of numbers, strings, lists and NumPy arrays: they cross process boundaries
by pickle between our own processes only (never from a user's file).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from ..config import TrainConfig


def new_model_id() -> str:
    """A capability: 128 random bits, URL-safe. Knowing it is what lets a page attach to a model."""
    return secrets.token_urlsafe(16)


@dataclass
class Open:
    model_id: str
    generation: int
    corpus: object = None  # a Corpus, with config: a fresh model
    config: TrainConfig | None = None
    checkpoint: bytes | None = None  # or a checkpoint to load
    run_id: int | None = None  # the run to continue (a model reopened from the run store)
    name: str = ""
    store_home: str | None = None  # the run store the model records into (the server's)


@dataclass
class Command:
    model_id: str
    seq: int
    name: str  # step, run, pause, change, record_sample, touch, state
    args: dict = field(default_factory=dict)


@dataclass
class Close:
    model_id: str


@dataclass
class Snapshot:
    model_id: str
    generation: int  # which trainer of the model (Reset, a new shape, corpus or checkpoint make a new one)
    version: int  # counts the changes of this generation's state
    running: bool
    pending_steps: int
    run_id: int | None
    config: TrainConfig
    counters: dict  # iteration, epoch, pointer, chars_trained, seconds, smooth_loss, recent_loss, status, message
    history_from: int  # index of the first history entry in `history`
    history: dict[str, list]
    val_history: list
    samples_from: int
    samples: list
    health_history: list
    sample: tuple[int, str] | None  # the latest sample from the carried state (drawn in the worker)
    note: str = ""  # why the worker did something on its own (paused when unwatched, ...)
    acked: int = 0  # the last command (seq) the worker had handled for this model when it took the snapshot
    history_bins: dict | None = None  # set: `history` and these bins are the whole history (rnn/history.py)


@dataclass
class Reply:
    model_id: str
    seq: int
    error: str | None = None


@dataclass
class Evicted:
    """The worker let go of a saved, unwatched model: the next look at it reopens it from the run store."""

    model_id: str
    generation: int


@dataclass
class State:
    model_id: str
    generation: int
    version: int
    arrays: dict  # Trainer.export_state()
