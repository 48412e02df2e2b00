"""Checkpoints: one .npz holding everything a Trainer needs to resume bit for bit.

Only plain numeric arrays are stored; text (config, vocabulary, corpus, histories) goes in as UTF-8
bytes. Loading uses allow_pickle=False, so a file can never run code, and every field is checked
before use, so a truncated, foreign or hostile file gets a CheckpointError with a readable message.
"""

from __future__ import annotations

import io
import json
import math
import os
import zipfile
import zlib

import numpy as np

from . import budget, cells
from .budget import MB, BudgetError, fmt_bytes
from .corpus import DEFAULT_MAX_CHARS, Corpus, CorpusError, validate_text
from .history import HISTORY_DTYPES, MAX_BINS, History, as_arrays
from .insight.health import HealthRecord
from .model import param_shapes
from .optim import OPTIMIZERS
from .train import DTYPES, HISTORY_KEYS, MAX_EVENTS, TrainConfig, Trainer
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
        "events": [list(e) for e in trainer.events],  # setting changes, for the loss chart's markers
    }
    arrays = {
        "meta": _text_array(json.dumps(meta)),
        "corpus_text": _text_array(trainer.corpus.text),
        "h": trainer.h,
    }
    arrays.update({f"param/{k}": v for k, v in trainer.params.items()})
    arrays.update({f"opt/{k}": v for k, v in trainer.optimizer.state_dict().items()})
    arrays.update({f"hist/{k}": a for k, a in as_arrays(trainer.history).items()})  # the exact newest steps
    bins = getattr(trainer.history, "bins", None)
    if bins is not None and len(bins["steps"]):  # older steps, binned (absent in short runs and old files)
        arrays.update({f"hist_bins/{k}": a for k, a in bins.items()})
    if isinstance(file, (str, os.PathLike)):  # np.savez would append ".npz" to any other file name
        with open(file, "wb") as f:
            np.savez_compressed(f, **arrays)
    else:
        np.savez_compressed(file, **arrays)


def checkpoint_bytes(trainer: Trainer) -> bytes:
    buf = io.BytesIO()
    save_checkpoint(trainer, buf)
    return buf.getvalue()


# What a checkpoint holds: these entries (".npy" members of the zip) and nothing else. The parameters are those of
# the config's cell and depth (rnn/cells: any of them may appear, and _build_trainer checks that exactly the
# config's are there).
_FIXED = ("meta", "corpus_text", "h", "opt/t", *(f"param/{k}" for k in sorted(cells.all_param_keys())),
          *(f"hist/{k}" for k in HISTORY_KEYS))
_BIN_DTYPES = {"steps": np.int64, **{k: np.float64 for k in HISTORY_KEYS}}  # older steps, binned (rnn/history.py)
_BINS = tuple(f"hist_bins/{k}" for k in _BIN_DTYPES)
_OPT_SLOTS = {name: [f"opt/{slot}/all" for slot in cls.slots] for name, cls in OPTIMIZERS.items()}
KNOWN_ENTRIES = frozenset(_FIXED) | frozenset(_BINS) | {k for keys in _OPT_SLOTS.values() for k in keys}
HEADER_SLACK = 4096  # bytes of .npy header allowed on top of an array's data (numpy writes 128)
META_MAX_BYTES = 16 * MB  # config, vocabulary, counters and the JSON records (samples, validation, health)
TEXT_MAX_BYTES = 4 * DEFAULT_MAX_CHARS  # the corpus as UTF-8: at most 4 bytes a character
MAX_COUNTER = 10**15  # iterations, characters, epochs: more than any run on any machine will reach


def _refuse_zip(file) -> tuple[zipfile.ZipFile, dict[str, zipfile.ZipInfo], int]:
    """Open the zip and check its directory only (nothing is decompressed): entry names, count, methods and
    sizes. Returns the open zip, its entries by key ("param/Wxh") and the file's length."""
    file.seek(0, io.SEEK_END)
    length = file.tell()
    if length > MAX_FILE_BYTES:
        raise CheckpointError("the file is larger than 512 MiB; that is not a checkpoint of this app")
    file.seek(0)
    try:
        zf = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
        raise CheckpointError(f"not a checkpoint (.npz) file, or it is truncated: {exc}") from None
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise CheckpointError(f"the file holds {len(infos)} entries, more than a checkpoint ever has")
    if sum(i.file_size for i in infos) > MAX_UNPACKED_BYTES:
        raise CheckpointError("the file unpacks to more than 2 GiB; refusing to load it")
    entries = {}
    for info in infos:
        key = info.filename[:-4] if info.filename.endswith(".npy") else None
        if key not in KNOWN_ENTRIES:
            raise CheckpointError(f"the file holds an entry {info.filename[:80]!r} that is not part of an RNN Lab "
                                  "checkpoint")
        if key in entries:
            raise CheckpointError(f"the file holds the entry {info.filename!r} twice")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise CheckpointError(f"the entry {info.filename!r} uses a compression method checkpoints never use")
        if info.compress_size > length:
            raise CheckpointError(f"the entry {info.filename!r} claims to be larger than the file: it is damaged")
        entries[key] = info
    return zf, entries, length


def _size_cap(zf_entries: dict, key: str, cap: int, what: str) -> None:
    """Refuse an entry whose uncompressed size (from the zip directory) is over what its declared shape needs."""
    info = zf_entries.get(key)
    if info is not None and info.file_size > cap + HEADER_SLACK:
        raise CheckpointError(f"the entry {key!r} unpacks to {fmt_bytes(info.file_size)}, more than {what} needs "
                              f"({fmt_bytes(cap)}); refusing to unpack it")


def _read_entry(zf, entries: dict, key: str, dtype, shape=None, what: str = "") -> np.ndarray:
    """One .npy entry, its header checked before its data is read: the dtype must be `dtype` (a tuple: any
    of them) and the shape `shape` (None: 1-D of any length; "any": no check), and the data exactly fill the
    entry. Never unpickles."""
    if key not in entries:
        raise CheckpointError(f"the checkpoint has no {key!r} entry")
    info, label = entries[key], f"{what} {key!r}".strip()
    try:
        with zf.open(info) as f:
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                got_shape, fortran, got_dtype = np.lib.format.read_array_header_1_0(f, max_header_size=HEADER_SLACK)
            elif version == (2, 0):
                got_shape, fortran, got_dtype = np.lib.format.read_array_header_2_0(f, max_header_size=HEADER_SLACK)
            else:
                raise CheckpointError(f"{label} is in .npy format version {version}, which checkpoints never use")
            if got_dtype.hasobject:
                raise CheckpointError(f"{label} holds Python objects, which would need pickle to load; refused")
            nbytes = math.prod(got_shape) * got_dtype.itemsize
            header = f.tell()
            if header + nbytes != info.file_size:
                raise CheckpointError(f"{label} declares {fmt_bytes(nbytes)} of data but the entry holds "
                                      f"{fmt_bytes(max(info.file_size - header, 0))}: the file is damaged")
            wanted = dtype if isinstance(dtype, tuple) else (dtype,)
            if got_dtype not in [np.dtype(d) for d in wanted]:
                raise CheckpointError(f"{label} has dtype {got_dtype}, expected "
                                      f"{', '.join(str(np.dtype(d)) for d in wanted)}")
            if shape is None and len(got_shape) != 1 or shape not in (None, "any") and got_shape != tuple(shape):
                expected = "one dimension" if shape is None else tuple(shape)
                raise CheckpointError(f"{label} has shape {got_shape}, expected {expected}")
            data = f.read(nbytes)  # the zip checks the entry's CRC as its last byte is read
    except CheckpointError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, RuntimeError, NotImplementedError) as exc:
        raise CheckpointError(f"the entry {key!r} is damaged: {type(exc).__name__}: {exc}") from None
    if len(data) != nbytes:
        raise CheckpointError(f"the entry {key!r} is truncated: the file is damaged")
    return np.frombuffer(data, got_dtype).reshape(got_shape, order="F" if fortran else "C")


def load_checkpoint(file) -> Trainer:
    """Rebuild a Trainer from a path, bytes or a binary file object. Raises CheckpointError.

    Bounded memory and time whatever the file: the zip directory is checked first (known entries only, sizes
    no larger than the declared shapes need), the declared model is checked against the budget
    (rnn/budget.py) before anything is built, and each entry's .npy header before its data is read."""
    if isinstance(file, (bytes, bytearray)):
        file = io.BytesIO(file)
    elif isinstance(file, (str, os.PathLike)):
        if not os.path.isfile(file):
            raise CheckpointError(f"no checkpoint file at {os.fspath(file)!r}")
        with open(file, "rb") as f:
            return load_checkpoint(f)
    zf, entries, _ = _refuse_zip(file)
    with zf:
        try:
            return _build_trainer(zf, entries)
        except CheckpointError:
            raise
        except BudgetError as exc:
            raise CheckpointError(f"the checkpoint's model is over this server's budget: {exc}") from None
        except (KeyError, ValueError, TypeError, AttributeError, UnicodeDecodeError, CorpusError,
                RecursionError) as exc:
            raise CheckpointError(f"the checkpoint is incomplete or inconsistent: {type(exc).__name__}: "
                                  f"{str(exc)[:300]}") from None


def _counter(meta: dict, key: str) -> int:
    """An integer counter from the checkpoint: present, a whole number, 0 <= n <= 1e15."""
    value = meta.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise CheckpointError(f"the stored {key} is {str(value)[:40]!r}, not a whole number")
    if not 0 <= value <= MAX_COUNTER:
        raise CheckpointError(f"the stored {key} ({value:.3g}) is out of range (0 to 1e15)")
    return value


def _finite(meta: dict, key: str, optional: bool = False) -> float | None:
    value = meta.get(key)
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise CheckpointError(f"the stored {key} is {str(value)[:40]}, not a finite number")
    return float(value)


_EVENT_VALUES = {"learning_rate": (int, float), "clip": (int, float), "seq_length": (int,), "optimizer": (str,)}


def _events(stored, iteration: int) -> list[tuple[int, str, object, object]]:
    """The stored setting changes [(iteration, setting, old, new)], each checked: a known live setting, values
    of its type (an optimizer this app has), an iteration within the run; at most MAX_EVENTS."""
    bad = CheckpointError("the stored setting changes (events) are malformed")
    if not isinstance(stored, list) or len(stored) > MAX_EVENTS:
        raise bad
    out = []
    for e in stored:
        if not (isinstance(e, list) and len(e) == 4 and e[1] in _EVENT_VALUES):
            raise bad
        at, name, old, new = e
        kinds = _EVENT_VALUES[name]
        if isinstance(at, bool) or not isinstance(at, int) or not 0 <= at <= iteration:
            raise bad
        for v in (old, new):
            if isinstance(v, bool) or not isinstance(v, kinds) or (name == "optimizer" and v not in OPTIMIZERS) \
                    or not isinstance(v, str) and not math.isfinite(v):
                raise bad
        out.append((at, name, old, new))
    return out


def _build_trainer(zf, entries: dict) -> Trainer:
    _size_cap(entries, "meta", META_MAX_BYTES, "a checkpoint's settings and records")
    meta = json.loads(_array_text(_read_entry(zf, entries, "meta", np.uint8, what="the text field")))
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError("this .npz file is not an RNN Lab checkpoint")
    if meta.get("version") != VERSION:
        raise CheckpointError(f"checkpoint version {meta.get('version')!r} is not supported (this app reads {VERSION})")
    if not isinstance(meta.get("config"), dict):
        raise CheckpointError("the checkpoint's settings (config) are missing or malformed")
    config = TrainConfig.from_dict(meta["config"]).validate()
    vocab = Vocab.from_json(meta["vocab"])
    budget.check(config, vocab.size)  # the declared model, before anything of its size is read or built
    counters = {k: _counter(meta, k) for k in ("iteration", "epoch", "pointer", "chars_trained")}
    seconds, smooth_loss = _finite(meta, "seconds"), _finite(meta, "smooth_loss")
    if not 0 <= seconds <= MAX_COUNTER:
        raise CheckpointError(f"the stored training time ({seconds:.3g} s) is out of range")
    # the divergence guard's short average; checkpoints from before it had first_loss instead
    recent_loss = _finite(meta, "recent_loss", optional=True)

    # every other entry's size follows from the declared shapes: checked from the directory before reading
    dtype = DTYPES[config.dtype]
    item, H, V, B = np.dtype(dtype).itemsize, config.hidden_size, vocab.size, config.batch_size
    shapes = param_shapes(V, H, config.cell, config.num_layers)
    S = cells.state_size(config.cell, H, config.num_layers)  # the carried state's width (H for the vanilla RNN)
    stray = sorted(k for k in entries if k.startswith("param/") and k[6:] not in shapes)
    if stray:
        raise CheckpointError(f"the file holds the parameter {stray[0]!r}, which a {config.num_layers}-layer "
                              f"{config.cell} does not have")
    n_flat = sum(math.prod(shape) for shape in shapes.values())
    _size_cap(entries, "corpus_text", TEXT_MAX_BYTES, f"a corpus of at most {DEFAULT_MAX_CHARS:,} characters")
    for k, shape in shapes.items():
        _size_cap(entries, f"param/{k}", math.prod(shape) * item, f"a {shape} parameter")
    _size_cap(entries, "h", B * S * item, "the hidden state")
    if meta.get("optimizer") != config.optimizer:
        raise CheckpointError("the stored optimizer does not match the stored config")
    opt_keys = _OPT_SLOTS[config.optimizer]
    stray = sorted(k for k in entries if k.startswith("opt/") and k != "opt/t" and k not in opt_keys)
    if stray:
        raise CheckpointError(f"the file holds optimizer state {stray[0]!r} that {config.optimizer} does not keep")
    for k in opt_keys:
        _size_cap(entries, k, n_flat * item, "the optimizer state")
    _size_cap(entries, "opt/t", 8, "a step count")
    for k in HISTORY_KEYS:  # one entry per training step at most
        _size_cap(entries, f"hist/{k}", (counters["iteration"] + 1) * np.dtype(HISTORY_DTYPES[k]).itemsize,
                  f"the history of {counters['iteration']:,} iterations")
    for k, bin_dtype in _BIN_DTYPES.items():
        if f"hist_bins/{k}" in entries:
            _size_cap(entries, f"hist_bins/{k}", MAX_BINS * np.dtype(bin_dtype).itemsize, "the binned history")

    text = _array_text(_read_entry(zf, entries, "corpus_text", np.uint8, what="the text field"))
    text = validate_text(text, config.seq_length)
    if vocab != Vocab.from_text(text):
        raise CheckpointError("the stored vocabulary does not match the stored corpus")
    ids = vocab.encode(text)
    cut = int(meta["train_chars"])
    if not 0 < cut <= len(ids):
        raise CheckpointError("the stored train/validation split is out of range")
    corpus = Corpus(name=str(meta["corpus_name"]), text=text, vocab=vocab, train=ids[:cut],
                    val=ids[cut:] if cut < len(ids) else None, notice=str(meta.get("notice", "")))
    params = {k: _read_entry(zf, entries, f"param/{k}", dtype, shape) for k, shape in shapes.items()}
    opt_state = {k[4:]: _read_entry(zf, entries, k, dtype, (n_flat,), "the optimizer state") for k in opt_keys}
    opt_state["t"] = _read_entry(zf, entries, "opt/t", np.int64, (), "the optimizer state")
    h = _read_entry(zf, entries, "h", dtype, (B, S))
    hist = {k: _read_entry(zf, entries, f"hist/{k}", HISTORY_DTYPES[k], "any") for k in HISTORY_KEYS}
    bins = {k: _read_entry(zf, entries, f"hist_bins/{k}", bin_dtype, None, "the binned history")
            for k, bin_dtype in _BIN_DTYPES.items() if f"hist_bins/{k}" in entries}
    if not all(np.isfinite(p).all() for p in params.values()):
        raise CheckpointError("the stored parameters contain NaN or infinity")
    if not np.isfinite(h).all() or not all(np.isfinite(v).all() for v in opt_state.values()):
        raise CheckpointError("the stored hidden state or optimizer state contains NaN or infinity")
    if any(a.ndim != 1 for a in hist.values()) or len({len(a) for a in hist.values()}) != 1:
        raise CheckpointError("the stored histories have inconsistent lengths")

    trainer = Trainer(corpus, config)
    for k, p in params.items():
        trainer.params[k][...] = p
    trainer.optimizer.load_state_dict(opt_state)
    trainer.h = h.copy()
    for k, v in counters.items():
        setattr(trainer, k, v)
    if not 0 <= trainer.pointer <= trainer.segment:
        raise CheckpointError("the stored data pointer is outside the corpus")
    trainer.seconds, trainer.smooth_loss = seconds, smooth_loss
    trainer.status = str(meta["status"]) if meta["status"] in ("ready", "diverged") else "ready"
    trainer.message = str(meta["message"])
    trainer.recent_loss = smooth_loss if recent_loss is None else recent_loss
    trainer.rng.bit_generator.state = meta["rng"]
    trainer.val_history = [(int(i), float(v)) for i, v in meta["val_history"]]
    trainer.samples = [(int(i), str(s)) for i, s in meta["samples"]]
    health = meta.get("health_history", [])  # absent in checkpoints made before it existed
    if not isinstance(health, list) or not all(isinstance(d, dict) for d in health):
        raise CheckpointError("the stored training-health history is malformed")
    trainer.health_history = [HealthRecord.from_dict(d) for d in health]
    trainer.events = _events(meta.get("events", []), trainer.iteration)  # absent in older checkpoints
    try:
        trainer.history = History.from_arrays(hist, bins or None)  # an old file's long history is binned now
    except ValueError as exc:
        raise CheckpointError(f"the stored histories are malformed: {exc}") from None
    return trainer
