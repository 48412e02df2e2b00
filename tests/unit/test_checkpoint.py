"""Checkpoints: full round trip, and every kind of malformed or hostile file refused with CheckpointError."""

import io
import json
import os
import pickle
import struct
import zipfile

import numpy as np
import pytest

from rnn.checkpoint import CheckpointError, checkpoint_bytes, load_checkpoint, save_checkpoint
from rnn.corpus import brackets_text, make_corpus
from rnn.insight.health import HealthRecord
from rnn.train import HISTORY_KEYS, TrainConfig, Trainer

TEXT = brackets_text(1200, seed=5)


def make_trainer(steps=7, **overrides):
    cfg = dict(hidden_size=6, seq_length=8, eval_every=3, sample_every=4, sample_length=12, eval_max_chars=80,
               health_every=2)
    cfg.update(overrides)
    trainer = Trainer(make_corpus(TEXT, "brackets-small", seq_length=cfg["seq_length"]), TrainConfig(**cfg))
    trainer.step(steps)
    return trainer


@pytest.fixture(scope="module")
def blob():
    return checkpoint_bytes(make_trainer())


def unpack(data: bytes) -> dict:
    with np.load(io.BytesIO(data), allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def pack(arrays: dict, **kw) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays, **kw)
    return buf.getvalue()


def with_meta(data: bytes, **changes) -> bytes:
    arrays = unpack(data)
    meta = json.loads(arrays["meta"].tobytes())
    meta.update(changes)
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
    return pack(arrays)


def with_arrays(data: bytes, drop=(), **changes) -> bytes:
    arrays = unpack(data)
    for k in drop:
        del arrays[k]
    arrays.update({k.replace("__", "/"): v for k, v in changes.items()})
    return pack(arrays)


def assert_same_state(a: Trainer, b: Trainer):
    assert a.config == b.config
    assert (a.corpus.name, a.corpus.text, a.corpus.notice) == (b.corpus.name, b.corpus.text, b.corpus.notice)
    assert a.vocab == b.vocab
    assert np.array_equal(a.corpus.train, b.corpus.train)
    assert (a.corpus.val is None and b.corpus.val is None) or np.array_equal(a.corpus.val, b.corpus.val)
    assert np.array_equal(a.flat_params, b.flat_params) and a.flat_params.dtype == b.flat_params.dtype
    assert set(a.optimizer.state) == set(b.optimizer.state) and a.optimizer.t == b.optimizer.t
    for k in a.optimizer.state:
        assert np.array_equal(a.optimizer.state[k], b.optimizer.state[k])
    assert np.array_equal(a.h, b.h) and a.h.dtype == b.h.dtype
    for attr in ("iteration", "epoch", "pointer", "chars_trained", "seconds", "status", "message", "recent_loss",
                 "smooth_loss", "val_history", "samples", "history", "health_history", "events"):
        assert getattr(a, attr) == getattr(b, attr), attr
    assert a.rng.bit_generator.state == b.rng.bit_generator.state


# --------------------------------------------------------------------------- round trip


def test_round_trip_bytes_path_and_file(tmp_path):
    trainer = make_trainer()
    assert trainer.val_history and trainer.samples and trainer.health_history  # the histories saved are not empty
    assert_same_state(trainer, load_checkpoint(checkpoint_bytes(trainer)))
    path = tmp_path / "run.npz"
    save_checkpoint(trainer, str(path))
    assert_same_state(trainer, load_checkpoint(str(path)))
    assert_same_state(trainer, load_checkpoint(path))
    with open(path, "rb") as f:
        assert_same_state(trainer, load_checkpoint(f))
    assert_same_state(trainer, load_checkpoint(io.BytesIO(path.read_bytes())))


def test_saves_to_exactly_the_given_path(tmp_path):
    """`--out model.ckpt` must write model.ckpt (np.savez alone would write model.ckpt.npz)."""
    trainer = make_trainer(steps=2)
    for name in ("model.ckpt", "model", "model.npz"):
        save_checkpoint(trainer, tmp_path / name)
        assert load_checkpoint(tmp_path / name).iteration == 2
    save_checkpoint(trainer, str(tmp_path / "as-str.bin"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["as-str.bin", "model", "model.ckpt", "model.npz"]


@pytest.mark.parametrize("overrides", [dict(optimizer="adam", learning_rate=0.01, batch_size=3),
                                       dict(optimizer="rmsprop", learning_rate=0.01, dtype="float32"),
                                       dict(optimizer="sgd", learning_rate=0.05, clip=0.0)])
def test_round_trip_other_configs(overrides):
    trainer = make_trainer(**overrides)
    assert_same_state(trainer, load_checkpoint(checkpoint_bytes(trainer)))


def test_round_trip_without_validation_split_and_fresh_trainer():
    trainer = Trainer(make_corpus("hello hello hello world world world", "hello", seq_length=5),
                      TrainConfig(hidden_size=4, seq_length=5))
    loaded = load_checkpoint(checkpoint_bytes(trainer))
    assert loaded.corpus.val is None and "too small" in loaded.corpus.notice
    assert_same_state(trainer, loaded)


def test_diverged_status_is_kept():
    trainer = make_trainer(steps=0)
    trainer.status, trainer.message = "diverged", "Training diverged at iteration 0"
    loaded = load_checkpoint(checkpoint_bytes(trainer))
    assert (loaded.status, loaded.message) == ("diverged", "Training diverged at iteration 0")


def test_saved_file_is_plain_arrays(blob):
    """Nothing in a checkpoint needs pickle: every member loads with allow_pickle=False as a numeric array."""
    arrays = unpack(blob)
    assert all(a.dtype != object for a in arrays.values())
    meta = json.loads(arrays["meta"].tobytes())
    assert meta["format"] == "rnn-lab-checkpoint" and meta["version"] == 1


# --------------------------------------------------------------------------- refusals


def check_refused(data, match=None):
    with pytest.raises(CheckpointError, match=match) as info:
        load_checkpoint(data)
    assert "\n" not in str(info.value)  # one line, shown as is in the UI and the CLI
    return str(info.value)


@pytest.mark.parametrize("data", [b"", b"PK", os.urandom(2000), b"\x93NUMPY not a zip", b"hello world" * 50])
def test_not_a_zip(data):
    check_refused(data, "not a checkpoint")


def test_truncated(blob):
    for cut in (len(blob) // 2, len(blob) - 10, 100):
        check_refused(blob[:cut], "not a checkpoint|truncated")


def test_corrupted_member(blob):
    bad = bytearray(blob)
    mid = len(bad) // 2
    bad[mid:mid + 64] = bytes(64)  # inside some compressed member: bad data or CRC
    check_refused(bytes(bad))


def test_foreign_npz():
    # an entry a checkpoint never has is refused by name, from the zip directory (issue 10)
    check_refused(pack({"weights": np.arange(10.0)}), "entry 'weights.npy' that is not part of an RNN Lab")
    check_refused(pack({"h": np.arange(10.0)}), "no 'meta' entry")
    check_refused(pack({"meta": np.frombuffer(b'{"format": "something-else"}', np.uint8)}),
                  "not an RNN Lab checkpoint")
    check_refused(pack({"meta": np.arange(4.0)}), "text field")


def test_other_zip_is_refused():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("meta", b'{"format": "rnn-lab-checkpoint"}')  # a raw member, not a .npy array
        zf.writestr("readme.txt", b"hello")
    check_refused(buf.getvalue())


def test_pickled_content_is_refused_and_never_run(tmp_path):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))  # unpickling would create the marker file

    evil = np.empty(1, dtype=object)
    evil[0] = Evil()
    for data in (pack({"meta": evil}), pack({"meta": np.frombuffer(b"{}", np.uint8), "param/Wxh": evil}),
                 pickle.dumps(Evil()), pickle.dumps({"meta": Evil()})):
        check_refused(data)
    assert not marker.exists()


def test_huge_declared_member_size_is_refused():
    """A zip whose directory claims ~4 GB unpacked (a zip bomb) is refused before anything is read."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("meta.npy", b"x" * 100)
    data = bytearray(buf.getvalue())
    central = data.rfind(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 0xF0000000)  # uncompressed size field
    check_refused(bytes(data), "more than 2 GiB")


def test_huge_declared_array_shape_is_refused():
    """A tiny .npy member whose header declares an 8 TiB array: refused, nothing that size is filled."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (2**40,)})
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("meta.npy", header.getvalue() + bytes(64))
    check_refused(buf.getvalue(), "damaged")


def test_too_many_members_is_refused():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for i in range(300):
            zf.writestr(f"m{i}.npy", b"")
    check_refused(buf.getvalue(), "entries")


def test_wrong_shapes(blob):
    arrays = unpack(blob)
    H, V = arrays["param/Wxh"].shape
    check_refused(with_arrays(blob, param__Wxh=np.zeros((H, V + 1))), "shape")
    check_refused(with_arrays(blob, param__by=np.zeros((V, 1))), "shape")
    check_refused(with_arrays(blob, h=np.zeros((2, H))), "shape")
    check_refused(with_arrays(blob, **{"opt__mem/all": np.zeros(3)}), "optimizer state")


def test_wrong_dtype(blob):
    arrays = unpack(blob)
    check_refused(with_arrays(blob, param__Whh=arrays["param/Whh"].astype(np.float32)), "dtype")
    check_refused(with_arrays(blob, param__Whh=arrays["param/Whh"].astype(np.int64)), "dtype")


def test_nan_or_inf_params(blob):
    for bad in (np.nan, np.inf):
        why = unpack(blob)["param/Why"].copy()
        why[0, 0] = bad
        check_refused(with_arrays(blob, param__Why=why), "NaN or infinity")


def test_nan_state(blob):
    arrays = unpack(blob)
    h = arrays["h"].copy()
    h[0, 0] = np.nan
    check_refused(with_arrays(blob, h=h), "hidden state or optimizer state")
    mem = arrays["opt/mem/all"].copy()
    mem[3] = np.inf
    check_refused(with_arrays(blob, **{"opt__mem/all": mem}), "hidden state or optimizer state")


def test_mismatched_vocabulary(blob):
    vocab = json.loads(unpack(blob)["meta"].tobytes())["vocab"]
    check_refused(with_meta(blob, vocab=vocab[:-1] + ["\u00e9"]), "vocabulary does not match")
    check_refused(with_meta(blob, vocab=vocab + ["\u00e9"]), "vocabulary")
    check_refused(with_meta(blob, vocab=vocab[:-1]), "vocabulary")
    check_refused(with_meta(blob, vocab=["a", "a"]), "duplicate")


def test_missing_entries(blob):
    for key in ("h", "param/bh", "hist/loss", "corpus_text", "opt/t"):
        check_refused(with_arrays(blob, drop=[key]))


@pytest.mark.parametrize("changes,match", [
    (dict(format="other"), "not an RNN Lab checkpoint"),
    (dict(version=99), "version 99"),
    (dict(optimizer="adam"), "optimizer"),
    (dict(pointer=10**9), "pointer"),
    (dict(train_chars=0), "split"),
    (dict(config={"hidden_size": -3}), "hidden_size"),
    (dict(config={"learning_rate": "fast"}), None),
    (dict(config=[1, 2]), None),
    (dict(config=None), None),
    (dict(iteration="many"), None),
    (dict(rng="not a state"), None),
    (dict(val_history=5), None),
    (dict(samples=[[1]]), None),
    (dict(seconds=None), None),
    (dict(health_history="x"), "health"),
    (dict(health_history=[{"iteration": "x"}]), None),
])
def test_inconsistent_meta(blob, changes, match):
    check_refused(with_meta(blob, **changes), match)


def test_bad_meta_text(blob):
    check_refused(with_arrays(blob, meta=np.frombuffer(b"{not json", np.uint8)))
    check_refused(with_arrays(blob, meta=np.frombuffer(b"\xff\xfe\x00", np.uint8)))
    check_refused(with_arrays(blob, meta=np.frombuffer(b"[1, 2]", np.uint8)), "not an RNN Lab checkpoint")


def test_inconsistent_histories(blob):
    check_refused(with_arrays(blob, hist__loss=np.zeros(3)), "inconsistent lengths")
    check_refused(with_arrays(blob, hist__loss=np.zeros((7, 2))), "inconsistent lengths")


def test_history_keys_are_all_saved(blob):
    arrays = unpack(blob)
    assert {f"hist/{k}" for k in HISTORY_KEYS} <= set(arrays)


# --------------------------------------------------------------------------- training health, old and new


def test_health_history_is_stored_as_plain_json_objects(blob):
    meta = json.loads(unpack(blob)["meta"].tobytes())
    assert meta["health_history"] and all(
        set(d) == {"iteration", "spectral_radius", "saturated_share", "grad_norm", "clip_rate"}
        for d in meta["health_history"])
    loaded = load_checkpoint(blob).health_history
    assert all(isinstance(r, HealthRecord) for r in loaded)
    assert [r.to_dict() for r in loaded] == meta["health_history"]


def test_older_checkpoints_with_dict_records_or_none_still_load(blob):
    old = [{"iteration": 2, "spectral_radius": 0.5, "saturated_share": 0.0, "grad_norm": 1.25, "clip_rate": 0},
           {"iteration": 4.0, "spectral_radius": 1, "saturated_share": 0.25, "grad_norm": 3, "clip_rate": 0.5,
            "a_later_field": 7}]
    records = load_checkpoint(with_meta(blob, health_history=old)).health_history
    assert records == [HealthRecord(2, 0.5, 0.0, 1.25, 0.0), HealthRecord(4, 1.0, 0.25, 3.0, 0.5)]
    assert isinstance(records[1].iteration, int)
    arrays = unpack(blob)
    meta = json.loads(arrays["meta"].tobytes())
    del meta["health_history"]  # checkpoints made before training health existed
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
    assert load_checkpoint(pack(arrays)).health_history == []


def test_health_record_missing_a_field_is_refused(blob):
    record = {"iteration": 2, "spectral_radius": 0.5, "saturated_share": 0.0, "grad_norm": 1.25}
    check_refused(with_meta(blob, health_history=[record]), "clip_rate")
