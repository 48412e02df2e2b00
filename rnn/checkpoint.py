"""Checkpoints: one .npz holding everything a Trainer needs to resume bit for bit.

Only plain numeric arrays are stored; text (config, vocabulary, corpus, histories) goes in as UTF-8
bytes. Loading uses allow_pickle=False, so a file can never run code, and every field is checked
before use, so a truncated, foreign or hostile file gets a CheckpointError with a readable message.
"""

from __future__ import annotations

import io
import json
import os
import zipfile

import numpy as np

from .corpus import Corpus, CorpusError, validate_text
from .history import as_arrays, as_lists
from .insight.health import HealthRecord
from .model import PARAM_NAMES, param_shapes
from .train import DTYPES, HISTORY_KEYS, TrainConfig, Trainer
from .vocab import Vocab

FORMAT = "rnn-lab-checkpoint"
VERSION = 1
MAX_FILE_BYTES = 512 * 1024 * 1024
MAX_MEMBERS = 200
MAX_UNPACKED_BYTES = 2 * 1024**3


class CheckpointError(ValueError):
    """A file that is not a usable RNN Lab checkpoint; the message says why."""


def _text_array(s: str) -> np.ndarray:
    return np.frombuffer(s.encode("utf-8"), dtype=np.uint8)


def _array_text(a: np.ndarray) -> str:
    if a.dtype != np.uint8 or a.ndim != 1:
        raise CheckpointError("a text field is not stored as bytes")
    return a.tobytes().decode("utf-8")


def save_checkpoint(trainer: Trainer, file) -> None:
    """Write the trainer's full state to a path or a binary file object."""
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "config": json.loads(trainer.config.to_json()),
        "corpus_name": trainer.corpus.name,
        "train_chars": int(len(trainer.corpus.train)),
        "notice": trainer.corpus.notice,
        "vocab": trainer.vocab.to_json(),
        "iteration": trainer.iteration,
        "epoch": trainer.epoch,
        "pointer": trainer.pointer,
        "chars_trained": trainer.chars_trained,
        "seconds": trainer.seconds,
        "status": trainer.status,
        "message": trainer.message,
        "recent_loss": trainer.recent_loss,
        "smooth_loss": trainer.smooth_loss,
        "rng": trainer.rng.bit_generator.state,
        "val_history": trainer.val_history,
        "samples": trainer.samples,
        "health_history": [r.to_dict() for r in trainer.health_history],
        "optimizer": trainer.optimizer.name,
    }
    arrays = {
        "meta": _text_array(json.dumps(meta)),
        "corpus_text": _text_array(trainer.corpus.text),
        "h": trainer.h,
    }
    arrays.update({f"param/{k}": v for k, v in trainer.params.items()})
    arrays.update({f"opt/{k}": v for k, v in trainer.optimizer.state_dict().items()})
    arrays.update({f"hist/{k}": a for k, a in as_arrays(trainer.history).items()})
    if isinstance(file, (str, os.PathLike)):  # np.savez would append ".npz" to any other file name
        with open(file, "wb") as f:
            np.savez_compressed(f, **arrays)
    else:
        np.savez_compressed(file, **arrays)


def checkpoint_bytes(trainer: Trainer) -> bytes:
    buf = io.BytesIO()
    save_checkpoint(trainer, buf)
    return buf.getvalue()


def _check_zip(source) -> None:
    """Refuse zip bombs and oversized files before numpy reads any member."""
    try:
        with zipfile.ZipFile(source) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise CheckpointError(f"not a checkpoint (.npz) file, or it is truncated: {exc}") from None
    if len(infos) > MAX_MEMBERS:
        raise CheckpointError(f"the file holds {len(infos)} entries, more than a checkpoint ever has")
    if sum(i.file_size for i in infos) > MAX_UNPACKED_BYTES:
        raise CheckpointError("the file unpacks to more than 2 GiB; refusing to load it")


def load_checkpoint(file) -> Trainer:
    """Rebuild a Trainer from a path, bytes or a binary file object. Raises CheckpointError."""
    if isinstance(file, (bytes, bytearray)):
        file = io.BytesIO(file)
    elif isinstance(file, (str, os.PathLike)) and not os.path.isfile(file):
        raise CheckpointError(f"no checkpoint file at {os.fspath(file)!r}")
    if hasattr(file, "seek"):
        file.seek(0, io.SEEK_END)
        if file.tell() > MAX_FILE_BYTES:
            raise CheckpointError("the file is larger than 512 MiB; that is not a checkpoint of this app")
        file.seek(0)
    _check_zip(file)
    if hasattr(file, "seek"):
        file.seek(0)
    try:
        with np.load(file, allow_pickle=False) as npz:
            data = {k: npz[k] for k in npz.files}
    except ValueError as exc:  # object arrays need pickle: refused
        raise CheckpointError(f"the file holds data that would need pickle to load, which is refused ({exc})") from None
    except Exception as exc:  # corrupt member, bad header, ...
        raise CheckpointError(f"the checkpoint is damaged: {type(exc).__name__}: {exc}") from None
    if not all(isinstance(a, np.ndarray) for a in data.values()):  # np.load gives raw bytes for non-.npy members
        raise CheckpointError("the file holds entries that are not arrays; it is not an RNN Lab checkpoint")
    try:
        return _build_trainer(data)
    except CheckpointError:
        raise
    except (KeyError, ValueError, TypeError, AttributeError, UnicodeDecodeError, CorpusError) as exc:
        raise CheckpointError(f"the checkpoint is incomplete or inconsistent: {type(exc).__name__}: {exc}") from None


def _require(data, key, shape=None, dtypes=None):
    if key not in data:
        raise CheckpointError(f"the checkpoint has no {key!r} entry")
    a = data[key]
    if shape is not None and a.shape != tuple(shape):
        raise CheckpointError(f"{key!r} has shape {a.shape}, expected {tuple(shape)}")
    if dtypes is not None and a.dtype not in dtypes:
        raise CheckpointError(f"{key!r} has dtype {a.dtype}, expected {', '.join(str(np.dtype(d)) for d in dtypes)}")
    return a


def _build_trainer(data) -> Trainer:
    meta = json.loads(_array_text(_require(data, "meta")))
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError("this .npz file is not an RNN Lab checkpoint")
    if meta.get("version") != VERSION:
        raise CheckpointError(f"checkpoint version {meta.get('version')!r} is not supported (this app reads {VERSION})")
    config = TrainConfig.from_dict(meta["config"]).validate()
    text = validate_text(_array_text(_require(data, "corpus_text")), config.seq_length)
    vocab = Vocab.from_json(meta["vocab"])
    if vocab != Vocab.from_text(text):
        raise CheckpointError("the stored vocabulary does not match the stored corpus")
    ids = vocab.encode(text)
    cut = int(meta["train_chars"])
    if not 0 < cut <= len(ids):
        raise CheckpointError("the stored train/validation split is out of range")
    corpus = Corpus(name=str(meta["corpus_name"]), text=text, vocab=vocab, train=ids[:cut],
                    val=ids[cut:] if cut < len(ids) else None, notice=str(meta.get("notice", "")))

    trainer = Trainer(corpus, config)
    dtype = DTYPES[config.dtype]
    for k, shape in param_shapes(vocab.size, config.hidden_size).items():
        trainer.params[k][...] = _require(data, f"param/{k}", shape, (dtype,))
    opt_state = {k[4:]: v for k, v in data.items() if k.startswith("opt/")}
    if meta.get("optimizer") != trainer.optimizer.name:
        raise CheckpointError("the stored optimizer does not match the stored config")
    trainer.optimizer.load_state_dict(opt_state)
    trainer.h = _require(data, "h", (config.batch_size, config.hidden_size), (dtype,)).copy()
    if not all(np.isfinite(trainer.params[k]).all() for k in PARAM_NAMES):
        raise CheckpointError("the stored parameters contain NaN or infinity")
    if not np.isfinite(trainer.h).all() or not all(np.isfinite(v).all() for v in trainer.optimizer.state.values()):
        raise CheckpointError("the stored hidden state or optimizer state contains NaN or infinity")

    trainer.iteration = int(meta["iteration"])
    trainer.epoch = int(meta["epoch"])
    trainer.pointer = int(meta["pointer"])
    if not 0 <= trainer.pointer <= trainer.segment:
        raise CheckpointError("the stored data pointer is outside the corpus")
    trainer.chars_trained = int(meta["chars_trained"])
    trainer.seconds = float(meta["seconds"])
    trainer.status = str(meta["status"]) if meta["status"] in ("ready", "diverged") else "ready"
    trainer.message = str(meta["message"])
    trainer.smooth_loss = float(meta["smooth_loss"])
    # the divergence guard's short average; checkpoints from before it had first_loss instead
    trainer.recent_loss = float(meta.get("recent_loss", trainer.smooth_loss))
    trainer.rng.bit_generator.state = meta["rng"]
    trainer.val_history = [(int(i), float(v)) for i, v in meta["val_history"]]
    trainer.samples = [(int(i), str(s)) for i, s in meta["samples"]]
    health = meta.get("health_history", [])  # absent in checkpoints made before it existed
    if not isinstance(health, list) or not all(isinstance(d, dict) for d in health):
        raise CheckpointError("the stored training-health history is malformed")
    trainer.health_history = [HealthRecord.from_dict(d) for d in health]
    hist = {k: _require(data, f"hist/{k}") for k in HISTORY_KEYS}
    if any(a.ndim != 1 for a in hist.values()) or len({len(a) for a in hist.values()}) != 1:
        raise CheckpointError("the stored histories have inconsistent lengths")
    trainer.history = as_lists(hist)
    return trainer
