"""Bounded histories (rnn/history.py): millions of steps in flat memory and a small figure, the binned curve
true to the exact one, the same state however the records arrive, and exact resume / replicas across bins."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import rnn.history as history_module
import rnn.train as train_module
from rnn.checkpoint import load_checkpoint, save_checkpoint
from rnn.corpus import make_corpus
from rnn.history import HISTORY_KEYS, LIMIT, MAX_BINS, MAX_RECORDS, History, thin
from rnn.service import host as host_module
from rnn.service.host import ModelHost
from rnn.service.protocol import Command, Open, Snapshot
from rnn.train import TrainConfig, Trainer
from rnn.viz.training import grad_figure, loss_figure
from ui.history import HistoryArrays

ROOT = Path(__file__).resolve().parents[2]
STEPS = 5_000_000
TEXT = "the cat sat on the mat. " * 60
TINY = TrainConfig(hidden_size=4, seq_length=4, batch_size=1, eval_every=0, health_every=0)


def fake_records(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    loss = 3.0 * np.exp(-np.arange(n) / (n / 5)) + rng.random(n)
    return {"loss": loss, "smooth_loss": np.cumsum(loss) / np.arange(1, n + 1), "grad_norm": rng.random(n) * 10,
            "clipped": rng.random(n) < 0.3, "seconds": np.arange(1, n + 1) * 1e-4}


def fed(records: dict[str, np.ndarray], batch: int) -> History:
    """A History given `records` in batches (as a replica receives them)."""
    hist, n = History(), len(records["loss"])
    for i in range(0, n, batch):
        hist = hist.extended(hist.total, {k: v[i:i + batch].tolist() for k, v in records.items()})
    return hist


def stepped(records: dict[str, np.ndarray]) -> History:
    """A History given `records` one step at a time, as Trainer._one_step appends them."""
    hist = History()
    for i in range(len(records["loss"])):
        for k in HISTORY_KEYS:
            hist[k].append(records[k][i].item())
        if len(hist["loss"]) > history_module.LIMIT:
            hist = hist.compacted()
    return hist


@pytest.fixture
def small_bins(monkeypatch):
    """Bins small enough that a few thousand training steps fill, move and halve them many times."""
    for name, value in (("EXACT_STEPS", 64), ("CHUNK_STEPS", 64), ("MAX_BINS", 16), ("LIMIT", 128)):
        monkeypatch.setattr(history_module, name, value)
    monkeypatch.setattr(train_module, "LIMIT", 128)


def same_records(a: History, b: History) -> bool:
    """Equal histories but for the wall-clock seconds (they differ between two runs, by nature)."""
    keys = [k for k in HISTORY_KEYS if k != "seconds"]
    return a.start == b.start and all(a[k] == b[k] for k in keys) and all(
        np.array_equal(a.bins[k], b.bins[k]) for k in ("steps", *keys))


@pytest.fixture(scope="module")
def long_run():
    records = fake_records(STEPS)
    return records, fed(records, 250_000)


def deep_size(hist: History) -> int:
    """Bytes a History holds: its lists and their elements, and its bin arrays."""
    lists = sum(sys.getsizeof(v) + sum(sys.getsizeof(x) for x in v if x is not True and x is not False)
                for v in hist.values())
    return sys.getsizeof(hist) + lists + sum(a.nbytes for a in hist.bins.values())


def test_five_million_steps_fit_in_under_a_megabyte(long_run):
    _, hist = long_run
    assert hist.total == STEPS and hist.start > 0
    assert len(hist["loss"]) <= LIMIT and len(hist.bins["steps"]) <= MAX_BINS
    assert deep_size(hist) < 1_000_000, deep_size(hist)


def test_the_binned_curve_is_the_exact_one_within_its_bins(long_run):
    records, hist = long_run
    ends = np.cumsum(hist.bins["steps"])
    starts = ends - hist.bins["steps"]
    assert ends[-1] == hist.start and (hist.bins["steps"][:-1] == hist.bins["steps"][0]).all()  # one width
    sums = np.concatenate([[0.0], np.cumsum(records["loss"])])
    np.testing.assert_allclose(hist.bins["loss"], (sums[ends] - sums[starts]) / hist.bins["steps"], rtol=1e-9)
    clipped = np.concatenate([[0], np.cumsum(records["clipped"])])
    np.testing.assert_allclose(hist.bins["clipped"], (clipped[ends] - clipped[starts]) / hist.bins["steps"])
    for k in ("smooth_loss", "seconds"):  # running values: the one at the bin's last step
        np.testing.assert_array_equal(hist.bins[k], records[k][ends - 1])
    for k in HISTORY_KEYS:  # the newest steps exactly
        assert hist[k] == records[k][hist.start:].tolist()
    x, y, w = hist.curve("loss")
    assert x[-1] == STEPS and w.sum() == STEPS and len(x) < MAX_BINS + LIMIT


def test_the_figures_stay_small_after_five_million_steps(long_run):
    records, hist = long_run
    val = []
    for it in range(500, STEPS + 1, 500):  # eval_every=500 for 5M steps: 10,000 evaluations
        val = thin(val + [(it, 2.0)])
    assert len(val) <= MAX_RECORDS and val[-1] == (STEPS, 2.0) and val[0][0] == 500
    h = HistoryArrays(SimpleNamespace(history=hist)).update()
    loss = loss_figure(h["loss"], h["smooth_loss"], val, 60, {1: 3.3, 3: 2.1}, x=h["step"], weights=h["weight"])
    grad = grad_figure(h["grad_norm"], h["clipped"], x=h["step"], weights=h["weight"])
    sizes = len(loss.to_json()), len(grad.to_json())
    assert sizes[0] < 200_000 and sizes[1] < 200_000, sizes
    trace = loss.data[0]
    assert trace.x[-1] == STEPS and "mean of" in trace.name
    # each plotted point is the exact mean loss of the steps since the previous one: bins are weighted
    x = np.asarray(trace.x)
    sums = np.concatenate([[0.0], np.cumsum(records["loss"])])
    lo = np.concatenate([[0], x[:-1]])
    np.testing.assert_allclose(trace.y, (sums[x] - sums[lo]) / (x - lo), rtol=1e-7)  # cumsum rounding


def test_memory_stays_flat_while_training_goes_on():
    """Peak RSS of a process appending like Trainer._one_step does: 2M steps cost no more than 200k."""
    script = textwrap.dedent("""
        import sys
        from rnn.history import LIMIT, History
        def hwm():
            return int(next(l for l in open("/proc/self/status") if l.startswith("VmHWM")).split()[1])
        hist, out = History(), []
        for i in range(1, 2_000_001):
            x = 1.0 / i
            hist["loss"].append(x); hist["smooth_loss"].append(x); hist["grad_norm"].append(x)
            hist["clipped"].append(i % 3 == 0); hist["seconds"].append(i * 1e-4)
            if len(hist["loss"]) > LIMIT:
                hist = hist.compacted()
            if i in (200_000, 2_000_000):
                out.append(hwm())
        print(*out)
    """)
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300,
                         check=True).stdout.split()
    at_200k, at_2m = map(int, out)  # kB
    assert at_2m - at_200k < 2_000, (at_200k, at_2m)  # unbounded lists: ~500 MB more


def test_the_state_does_not_depend_on_how_the_records_arrive(small_bins):
    records = fake_records(3000, seed=1)
    one_by_one = stepped(records)
    assert fed(records, 1) == one_by_one == fed(records, 7) == fed(records, 500) == fed(records, 3000)
    assert one_by_one.start > 2000 and len(one_by_one.bins["steps"]) > 1
    assert one_by_one.bins["steps"][0] > 64  # the bins were halved several times


def test_a_long_run_resumes_bit_for_bit_across_the_bins(small_bins):
    corpus = make_corpus(TEXT, "t", seq_length=4)
    full = Trainer(corpus, TINY)
    full.step(1500)
    first = Trainer(corpus, TINY)
    first.step(1000)
    buf = io.BytesIO()
    save_checkpoint(first, buf)
    resumed = load_checkpoint(buf.getvalue())
    assert resumed.history == first.history and resumed.history.start > 0  # seconds too: saved exactly
    resumed.step(500)
    assert same_records(resumed.history, full.history) and resumed.history.total == 1500
    assert np.array_equal(resumed.flat_params, full.flat_params)


def test_an_old_checkpoint_with_every_step_loads_binned(small_bins, monkeypatch):
    corpus = make_corpus(TEXT, "t", seq_length=4)
    reference = Trainer(corpus, TINY)
    reference.step(1500)
    monkeypatch.setattr(train_module, "LIMIT", 10**9)  # the old, unbounded history
    old = Trainer(corpus, TINY)
    old.step(1500)
    assert len(old.history["loss"]) == 1500
    buf = io.BytesIO()
    save_checkpoint(old, buf)  # no bins: the format of the checkpoints made before
    loaded = load_checkpoint(buf.getvalue())
    assert same_records(loaded.history, reference.history) and loaded.history.start > 0


def test_a_replica_follows_a_history_that_is_binned_between_snapshots(tmp_path, monkeypatch, small_bins):
    corpus = make_corpus(TEXT, "t", seq_length=4)
    monkeypatch.setattr(host_module, "SLICE_SECONDS", 0.002)
    events = []
    host = ModelHost(events.append, str(tmp_path))
    host.handle(Open("m", 1, corpus=corpus, config=TINY, name="test"))
    # Step N commands: a snapshot when each is done. Some are longer than LIMIT (their unsent steps are
    # binned meanwhile: the whole history is sent), some shorter (only the new steps are).
    for seq, n in enumerate([600, 3, 900, 50, 1, 250, 129, 128], start=1):
        monkeypatch.setattr(host_module, "SNAPSHOT_EVERY", 1e9)  # no snapshots mid-command
        host.handle(Command("m", seq, "step", {"n": n}))
        while host.work():
            pass
    snaps = [e for e in events if isinstance(e, Snapshot)]
    assert any(s.history_bins is not None for s in snaps) and any(s.history_bins is None for s in snaps[1:])
    replica = Trainer(corpus, TINY)
    for snap in snaps:
        replica.merge_records(snap.history_from, snap.history, snap.val_history, snap.samples_from, snap.samples,
                              snap.health_history, snap.history_bins)
        replica.load_state({"config": snap.config, "counters": snap.counters})
    trainer = host.models["m"].trainer
    assert replica.history == trainer.history and trainer.history.total == trainer.iteration == 2061


def test_recorded_metrics_cover_steps_binned_before_they_were_written(tmp_path, small_bins):
    from rnn.runs.recorder import RunRecorder
    from rnn.runs.store import RunStore

    corpus = make_corpus(TEXT, "t", seq_length=4)
    t = Trainer(corpus, TINY)
    rec = RunRecorder(t, RunStore(tmp_path), every=1e9)  # writes only when forced
    t.step(6000)  # most of it binned before the recorder looks
    assert t.history.start > 5800
    rec.finish()
    m = RunStore(tmp_path).metrics(rec.run_id)
    assert m["iteration"][-1] == 6000 and m["iteration"] == sorted(set(m["iteration"]))
    assert len(m["iteration"]) < 200  # binned steps are one row per bin (every step would be 5000 + ...)
    ends = np.cumsum(t.history.bins["steps"])
    assert set(ends.tolist()) <= set(m["iteration"])  # a row at each bin's last step
    assert json.dumps(m)  # plain numbers


def test_going_back_cuts_the_exact_steps_and_keeps_the_bins():
    h = History.from_arrays(fake_records(3 * LIMIT))
    assert h.start > 0
    back = h.until(h.total - 25)  # the divergence guard going back 25 steps
    assert back.total == h.total - 25 and back.start == h.start
    assert back["loss"] == h["loss"][:-25] and h.total == 3 * LIMIT  # a new history; the old one is untouched
    assert back.until(h.start - 10).total == h.start  # a step inside a bin: the bin stays whole
