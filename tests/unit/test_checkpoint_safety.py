"""Crafted checkpoints from issue 10, each refused in bounded memory and time.

Each file is loaded in a fresh subprocess (the app's default budget) that reports how long load_checkpoint
took and its peak RSS (VmHWM); the refusal must come in under 2 s with a peak under 300 MB, and say why."""

import io
import json
import os
import struct
import subprocess
import sys
import textwrap
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest

from rnn.checkpoint import checkpoint_bytes
from rnn.corpus import brackets_text, make_corpus
from rnn.train import TrainConfig, Trainer

ROOT = Path(__file__).resolve().parents[2]
GIB = 2**30
MAX_SECONDS = 2.0
MAX_RSS_MB = 300

PROBE = textwrap.dedent("""
    import json, sys, time
    from rnn.checkpoint import CheckpointError, load_checkpoint
    t0 = time.perf_counter()
    try:
        load_checkpoint(sys.argv[1])
        outcome = "loaded"
    except CheckpointError as exc:
        outcome = "refused: " + str(exc)
    except BaseException as exc:
        outcome = f"crashed: {type(exc).__name__}: {exc}"
    seconds = time.perf_counter() - t0
    status = open("/proc/self/status").read()
    peak_kb = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))
    print(json.dumps({"outcome": outcome, "seconds": seconds, "peak_mb": peak_kb / 1024}))
""")


def load_in_subprocess(path, **env) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("RNN_LAB_")}
    clean.update(OPENBLAS_NUM_THREADS="1", PYTHONPATH=str(ROOT), **env)
    out = subprocess.run([sys.executable, "-c", PROBE, str(path)], capture_output=True, text=True, env=clean,
                         timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def assert_refused_quickly(path, match: str, **env) -> dict:
    result = load_in_subprocess(path, **env)
    assert result["outcome"].startswith("refused: "), result
    assert match in result["outcome"], result
    assert result["seconds"] < MAX_SECONDS, result
    assert result["peak_mb"] < MAX_RSS_MB, result
    return result


# --------------------------------------------------------------------------- crafting


def valid_arrays() -> dict:
    text = brackets_text(1200, seed=5)
    trainer = Trainer(make_corpus(text, "small", seq_length=8), TrainConfig(hidden_size=6, seq_length=8))
    trainer.step(3)
    with np.load(io.BytesIO(checkpoint_bytes(trainer)), allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def npy(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, a, allow_pickle=False)
    return buf.getvalue()


def _entry(name: str, parts, deflated: bytes) -> tuple:
    crc, size = 0, 0
    for part in parts:
        crc, size = zlib.crc32(part, crc), size + len(part)
    return name.encode(), crc, deflated, size


def _deflate(data: bytes) -> bytes:
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    return co.compress(data) + co.flush()


def bomb_entry(name: str, nbytes: int = GIB) -> tuple:
    """A .npy of zeros that inflates to `nbytes`, deflated to ~1 MB without compressing a gigabyte: after a
    full flush the compressor starts afresh, so every 4 MiB block of zeros compresses to the same bytes."""
    n = nbytes - 128
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "|u1", "fortran_order": False, "shape": (n,)})
    chunk = bytes(2**22)
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = co.compress(header.getvalue()) + co.flush(zlib.Z_FULL_FLUSH)
    block = co.compress(chunk) + co.flush(zlib.Z_FULL_FLUSH)
    k, rest = divmod(n, len(chunk))
    tail = co.compress(bytes(rest)) + co.flush()
    parts = [header.getvalue(), *([chunk] * k), bytes(rest)]
    return _entry(name, parts, head + block * k + tail)


def write_zip(path, entries) -> Path:
    """A zip of already deflated entries (name, crc, deflated bytes, size), written by hand."""
    out, central = bytearray(), bytearray()
    for name, crc, data, size in entries:
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(data), size, len(name), 0) + name
        out += data
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, crc, len(data), size,
                               len(name), 0, 0, 0, 0, 0, offset) + name
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), len(out), 0)
    Path(path).write_bytes(bytes(out + central + end))
    return Path(path)


def write_npz(path, arrays: dict, *extra) -> Path:
    """A deflated .npz of `arrays` (plus extra hand-made entries)."""
    entries = [_entry(f"{k}.npy", [npy(a)], _deflate(npy(a))) for k, a in arrays.items()]
    return write_zip(path, [*entries, *extra])


def with_meta(arrays: dict, **changes) -> dict:
    meta = json.loads(arrays["meta"].tobytes())
    meta.update(changes)
    return {**arrays, "meta": np.frombuffer(json.dumps(meta).encode(), np.uint8)}


@pytest.fixture(scope="module")
def arrays():
    return valid_arrays()


@pytest.fixture(scope="module")
def bombs(tmp_path_factory, arrays):
    """~1 MB files with one entry that inflates to 1 GiB: under a known name (inside an otherwise valid
    checkpoint, and as the metadata itself) and under an unknown name."""
    d = tmp_path_factory.mktemp("bombs")
    bomb = bomb_entry("x")
    rest = {k: v for k, v in arrays.items() if k != "hist/loss"}
    return {
        "known": write_npz(d / "known.npz", rest, (b"hist/loss.npy", *bomb[1:])),
        "meta": write_npz(d / "meta.npz", {}, (b"meta.npy", *bomb[1:])),
        "unknown": write_npz(d / "unknown.npz", arrays, (b"notes.npy", *bomb[1:])),
    }


# --------------------------------------------------------------------------- the crafted files


def test_the_bomb_really_inflates_to_a_gigabyte(bombs):
    """Streamed through zipfile (which checks the CRC at the end), 4 MiB at a time."""
    with zipfile.ZipFile(bombs["unknown"]) as zf, zf.open("notes.npy") as f:
        total = 0
        while chunk := f.read(2**22):
            total += len(chunk)
    assert total == GIB


def test_a_valid_checkpoint_loads_in_the_probe(tmp_path, arrays):
    result = load_in_subprocess(write_npz(tmp_path / "ok.npz", arrays))
    assert result["outcome"] == "loaded", result


@pytest.mark.parametrize("kind,match", [
    ("known", "the entry 'hist/loss' unpacks to 1.0 GB, more than the history of 3 iterations needs"),
    ("meta", "the entry 'meta' unpacks to 1.0 GB, more than a checkpoint's settings and records needs"),
    ("unknown", "entry 'notes.npy' that is not part of an RNN Lab checkpoint"),
])
def test_zip_bomb_is_refused_from_the_directory(bombs, kind, match):
    assert bombs[kind].stat().st_size < 1.5 * 2**20  # ~1 MB on disk
    with zipfile.ZipFile(bombs[kind]) as zf:
        (info,) = [i for i in zf.infolist() if i.file_size > 2**20]
        assert info.file_size == GIB
        with zf.open(info) as f:  # a valid .npy header, then zeros
            assert np.lib.format.read_magic(f) == (1, 0)
            assert np.lib.format.read_array_header_1_0(f)[0] == (GIB - 128,)
            assert f.read(2**20) == bytes(2**20)
    assert_refused_quickly(bombs[kind], match)


def wide_vocab_checkpoint(path, arrays, n_chars: int, hidden: int) -> Path:
    """A small file that declares `hidden` units over `n_chars` distinct characters (its arrays are the
    small model's: a loader that builds the declared model first allocates gigabytes)."""
    text = "".join(chr(0x4E00 + i) for i in range(n_chars))
    meta = json.loads(arrays["meta"].tobytes())
    config = {**meta["config"], "hidden_size": hidden, "seq_length": 8}
    crafted = with_meta(arrays, config=config, vocab=sorted(text), train_chars=len(text))
    crafted["corpus_text"] = np.frombuffer(text.encode(), np.uint8)
    return write_npz(path, crafted)


def test_hidden_4096_over_a_20k_vocabulary_is_refused_before_building(tmp_path, arrays):
    path = wide_vocab_checkpoint(tmp_path / "wide.npz", arrays, 20_000, 4096)
    assert path.stat().st_size < 250_000  # ~190 KB
    assert_refused_quickly(path, "over this server's budget: the text has 20,000 distinct characters; the limit "
                                 "is 4,000 (RNN_LAB_MAX_VOCAB)")
    # the CLI allows a larger vocabulary, but not that model
    assert_refused_quickly(path, "needs ~12.6 GB; the limit is 4.0 GB (RNN_LAB_CLI_MODEL_MB)", RNN_LAB_BUDGET="cli")


def test_hidden_4096_within_the_vocabulary_cap_is_refused_by_memory(tmp_path, arrays):
    path = wide_vocab_checkpoint(tmp_path / "wide3k.npz", arrays, 3000, 4096)
    assert_refused_quickly(path, "hidden 4096 x batch 1 x seq 8 (vocabulary 3000, float64, adagrad) needs ~5.3 GB; "
                                 "the limit is 256 MB (RNN_LAB_MODEL_MB): hidden <= ")


@pytest.mark.parametrize("changes,match", [
    (dict(smooth_loss=float("nan")), "the stored smooth_loss is nan, not a finite number"),
    (dict(smooth_loss=float("inf")), "the stored smooth_loss is inf, not a finite number"),
    (dict(iteration=1e30), "the stored iteration is '1e+30', not a whole number"),
    (dict(iteration=10**30), "the stored iteration (1e+30) is out of range (0 to 1e15)"),
    (dict(iteration=-1), "the stored iteration (-1) is out of range"),
    (dict(iteration=2.5), "the stored iteration is '2.5', not a whole number"),
    (dict(iteration=True), "not a whole number"),
    (dict(chars_trained=10**16), "chars_trained"),
    (dict(epoch=-3), "epoch"),
    (dict(seconds=float("nan")), "seconds"),
    (dict(seconds=-1.0), "training time"),
])
def test_non_finite_or_absurd_counters_are_refused(tmp_path, arrays, changes, match):
    assert_refused_quickly(write_npz(tmp_path / "c.npz", with_meta(arrays, **changes)), match)


def test_every_refusal_names_its_cause_not_pickle(tmp_path, arrays, bombs):
    """Before issue 10 every ValueError while loading read "would need pickle"."""
    files = [*bombs.values(), wide_vocab_checkpoint(tmp_path / "w.npz", arrays, 20_000, 4096),
             write_npz(tmp_path / "n.npz", with_meta(arrays, smooth_loss=float("nan")))]
    for path in files:
        assert "pickle" not in load_in_subprocess(path)["outcome"]


def test_a_directory_that_understates_an_entry_is_refused_without_inflating_it(tmp_path, arrays):
    """The zip directory claims the 1 GiB entry unpacks to 1 MiB: the .npy header inside then declares more
    data than that, and nothing past the claimed size is ever decompressed."""
    name, crc, deflated, _ = bomb_entry("x")
    path = write_npz(tmp_path / "lying.npz", {k: v for k, v in arrays.items() if k != "meta"},
                     (b"meta.npy", crc, deflated, 2**20))
    assert_refused_quickly(path, "the text field 'meta' declares 1.0 GB of data but the entry holds 1 MB: the "
                                 "file is damaged")
