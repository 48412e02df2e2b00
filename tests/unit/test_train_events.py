"""Setting changes noted for the loss chart's markers (Trainer.events), and the recent loss (rnn/recent_loss.py)
that the page shows as its headline: what they record, how they travel (replicas, checkpoints) and their bounds."""

import io
import json
import math

import numpy as np
import pytest
from test_checkpoint import unpack, with_meta  # the checkpoint tests' file surgery

from rnn import recent_loss
from rnn.checkpoint import CheckpointError, checkpoint_bytes, load_checkpoint
from rnn.corpus import load_builtin, make_corpus
from rnn.train import MAX_EVENTS, TrainConfig, Trainer


def hello(**cfg):
    return Trainer(make_corpus(load_builtin("hello"), "hello"), TrainConfig(**cfg))


# --------------------------------------------------------------------------- the recent loss


def test_recent_loss_tracks_step_mode_where_the_smoothed_loss_lags():
    """Finding 2: after Step 100 on `hello` the per-step loss is far below ln V; min-char-rnn's smooth_loss
    still reads about ln V, the recent loss reads what the last steps did."""
    t = hello()
    t.step(100)
    last10 = np.mean(t.history["loss"][-10:])
    assert t.smooth_loss > 0.9 * math.log(t.vocab.size)  # the lag the page used to headline
    assert abs(t.recent_loss - last10) < 0.25 * last10 + 0.05
    assert t.recent_loss < 0.5 * t.smooth_loss


def test_recent_curve_is_the_trainers_recent_loss():
    """One definition: the chart's curve, redrawn from the history, ends at the Trainer's own number."""
    t = hello()
    t.step(57)
    c = recent_loss.curve(t.history["loss"], start=math.log(t.vocab.size))
    assert len(c) == 57 and c[-1] == pytest.approx(t.recent_loss, rel=1e-12)


def test_recent_curve_weights_count_binned_steps():
    y = np.array([2.0, 1.0, 1.0, 1.0, 0.5])
    np.testing.assert_allclose(recent_loss.curve(y, weights=[1, 3, 0, 0, 1])[:2],
                               [2.0, 0.9**3 * 2.0 + (1 - 0.9**3) * 1.0])
    assert recent_loss.curve([], start=1.0).size == 0
    assert recent_loss.RECENT_STEPS == 10


# --------------------------------------------------------------------------- events


def test_changes_after_the_first_step_are_noted_once_per_setting_and_iteration():
    t = hello()
    t.set_learning_rate(0.05)  # before training: the start, not a change of course
    assert t.events == []
    t.step(5)
    t.set_learning_rate(0.02)
    t.set_learning_rate(0.01)  # dragged on while paused: one change 0.05 -> 0.01
    t.set_clip(5.0)  # no change
    t.step(3)
    t.change(optimizer="adam", learning_rate=0.002)
    t.set_seq_length(10)
    assert t.events == [(5, "learning_rate", 0.05, 0.01), (8, "optimizer", "adagrad", "adam"),
                        (8, "learning_rate", 0.01, 0.002), (8, "seq_length", 25, 10)]
    t.set_learning_rate(0.01)  # back to where this iteration started: no change left
    assert [e[1] for e in t.events if e[0] == 8] == ["optimizer", "seq_length"]


def test_events_are_bounded():
    t = hello()
    t.step(1)
    for i in range(MAX_EVENTS + 30):
        t.step(1)
        t.set_learning_rate(0.05 if i % 2 else 0.02)
    assert len(t.events) == MAX_EVENTS and t.events[-1][0] == t.iteration


def test_events_follow_a_replica_and_a_checkpoint():
    t = hello()
    t.step(4)
    t.set_learning_rate(0.03)
    replica = hello()
    replica.load_state(t.export_state(arrays=False))
    assert replica.events == t.events == [(4, "learning_rate", 0.1, 0.03)]
    back = load_checkpoint(checkpoint_bytes(t))
    assert back.events == t.events


def test_a_checkpoint_without_events_still_loads():
    t = hello()
    t.step(4)
    t.set_learning_rate(0.03)
    arrays = unpack(checkpoint_bytes(t))
    meta = json.loads(arrays["meta"].tobytes())
    del meta["events"]  # as written before events existed
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    back = load_checkpoint(buf.getvalue())
    assert back.events == [] and back.iteration == 4


@pytest.mark.parametrize("events", [
    "lr", [[1, "learning_rate", 0.1]], [[1, "hidden_size", 100, 50]], [[99, "learning_rate", 0.1, 0.2]],
    [[1, "optimizer", "sgd", "rmsprop-nope"]], [[1, "learning_rate", "0.1", 0.2]], [[True, "clip", 1, 2]],
    [[1, "clip", 1.0, float("inf")]], [[1, "clip", 1.0, 2.0]] * (MAX_EVENTS + 1),
])
def test_malformed_events_are_refused(events):
    t = hello()
    t.step(4)
    with pytest.raises(CheckpointError, match="setting changes"):
        load_checkpoint(with_meta(checkpoint_bytes(t), events=events))


def test_going_back_after_a_divergence_keeps_the_changes_made_since():
    t = hello()
    t.step(30)
    t.set_learning_rate(0.5)
    t.recent_loss = 1e9  # the next step counts as divergent
    t.step(1)
    assert t.status == "diverged" and t.iteration == 20  # went back to the last known-good copy
    assert t.events == [(20, "learning_rate", 0.1, 0.5)]  # the rate still in force, from where it went back
