"""BPTT walkthrough: it is exactly the trainer's next step, and it never mutates the trainer."""

import math

import numpy as np
import pytest

import rnn.train
from rnn.corpus import make_corpus
from rnn.insight.health import gradient_through_time
from rnn.insight.walkthrough import walkthrough
from rnn.train import TrainConfig, Trainer, is_divergent

TEXT = "".join("abcdefghij klmnop\n"[(i * 5 + i // 7) % 18] for i in range(4000))


def trainer(**kw):
    cfg = dict(hidden_size=12, seq_length=9, eval_every=0, health_every=0)
    cfg.update(kw)
    return Trainer(make_corpus(TEXT, "t", seq_length=cfg["seq_length"]), TrainConfig(**cfg))


def snapshot(t):
    return {
        "params": t.flat_params.copy(), "h": t.h.copy(), "pointer": t.pointer, "iteration": t.iteration,
        "opt": {k: v.copy() for k, v in t.optimizer.state_dict().items()}, "rng": t.rng.bit_generator.state,
        "grads": t.flat_grads.copy(), "epoch": t.epoch,
    }


def same(a, b):
    return all(
        (np.array_equal(a[k], b[k]) if isinstance(a[k], np.ndarray) else
         all(np.array_equal(a[k][j], b[k][j]) for j in a[k]) if k == "opt" else a[k] == b[k])
        for k in a)


@pytest.mark.parametrize("optimizer,lr", [("adagrad", 0.1), ("rmsprop", 0.002), ("adam", 0.002), ("sgd", 0.01)])
def test_walkthrough_is_the_next_step_and_changes_nothing(optimizer, lr):
    t = trainer(optimizer=optimizer, learning_rate=lr, batch_size=3, clip=1.0)
    t.step(7)
    before = snapshot(t)
    w = walkthrough(t, stream=1)
    assert same(before, snapshot(t)), "walkthrough mutated the trainer"
    t.step(1)
    for k, v in w.params_after.items():
        np.testing.assert_array_equal(t.params[k], v)
    assert w.totals.loss_per_char == pytest.approx(t.history["loss"][-1], rel=1e-12)
    assert w.totals.grad_norm == pytest.approx(t.history["grad_norm"][-1], rel=1e-12)
    assert w.totals.clipped == t.history["clipped"][-1]
    assert w.totals.iteration == t.iteration


def test_tables_add_up_for_one_stream():
    t = trainer(clip=0.05)
    t.step(3)
    w = walkthrough(t)
    steps = w.steps
    assert len(steps) == 9
    assert sum(s.loss for s in steps) == pytest.approx(w.totals.loss_sum, rel=1e-10)
    for s in steps:
        assert s.loss == pytest.approx(-math.log(s.p_target))
    # inputs/targets are the corpus text at the data pointer, targets shifted by one
    chunk = TEXT[t.pointer:t.pointer + 10]
    assert "".join(s.input for s in steps) == chunk[:-1]
    assert "".join(s.target for s in steps) == chunk[1:]
    # the BPTT gradient per step is the health module's, computed independently
    ids = t.corpus.train[t.pointer:t.pointer + 10]
    flow = gradient_through_time(t.params, ids[:-1], ids[1:], t.h[0])
    np.testing.assert_allclose([s.grad_h for s in steps], flow.total, rtol=1e-10)
    # clipping at 0.05 clips something; the after-clip norms are no larger
    rows = {r.name: r for r in w.params}
    assert w.totals.clipped
    assert all(r.grad_norm_after_clip <= r.grad_norm + 1e-12 for r in rows.values())
    assert any(r.clipped_share > 0 for r in rows.values())
    # Adagrad memory grows by g^2 (of the clipped gradient)
    g = w.grads["Whh"]
    mem0 = w.opt_state_before["mem/all"]["Whh"]
    mem1 = w.opt_state_after["mem/all"]["Whh"]
    np.testing.assert_allclose(mem1, mem0 + g * g)
    assert rows["Whh"].mem_after_mean == pytest.approx(float(mem1.mean()))


def test_walkthrough_at_the_end_of_the_data_wraps_like_the_trainer():
    t = trainer()
    t.step(2)
    t.pointer = t.segment - 5  # the next chunk does not fit: the trainer restarts at 0 with h = 0
    w = walkthrough(t)
    assert w.totals.wrapped
    assert np.all(w.h_prev == 0)
    assert "".join(s.input for s in w.steps) == TEXT[:9]
    t.step(1)
    for k, v in w.params_after.items():
        np.testing.assert_array_equal(t.params[k], v)


def test_bad_stream():
    with pytest.raises(ValueError, match="stream"):
        walkthrough(trainer(), stream=5)


# ---------------------------------------------------------------- the divergence rule


def test_is_divergent_rule():
    assert not is_divergent(20.0, 10.0, 2.9, 1.0, 3.0)  # one big loss is not enough: the recent average counts
    assert is_divergent(float("nan"), 1.0, 1.0, 1.0, 3.0) and is_divergent(1.0, float("inf"), 1.0, 1.0, 3.0)
    assert not is_divergent(1.0, 1.0, 2.9, 1.0, 3.0) and is_divergent(1.0, 1.0, 3.1, 1.0, 3.0)
    assert is_divergent(1.0, 1.0, 2.1, 1.0, 2.0)  # the factor is the one given


def anchored(ratio, factor):
    """A trainer whose next step brings its recent loss to `ratio` times the guard's reference."""
    t = trainer(divergence_factor=factor)
    t.step(3)
    loss, w = walkthrough(t).totals.loss_per_char, rnn.train.RECENT_WEIGHT
    t.recent_loss = (ratio * rnn.train.divergence_reference(t.smooth_loss) - (1 - w) * loss) / w
    return t


@pytest.mark.parametrize("ratio,factor,diverges", [
    (2.5, 3.0, False),  # above the smoothed loss but within the factor
    (2.5, 2.0, True),  # the same step under a stricter factor
    (3.5, 3.0, True),
])
def test_walkthrough_applies_the_trainers_factor(ratio, factor, diverges):
    t = anchored(ratio, factor)
    assert walkthrough(t).totals.would_diverge is diverges
    assert (t.step(1) == 0) is diverges  # and the trainer agrees
    assert (t.status == "diverged") is diverges


@pytest.mark.parametrize("recent_loss", [0.0, 1e9])
def test_walkthrough_flags_a_non_finite_step(recent_loss):
    t = trainer()
    t.step(2)
    t.params["Why"][0, 0] = np.nan  # the loss and every gradient become NaN
    t.recent_loss = recent_loss
    assert walkthrough(t).totals.would_diverge
    assert t.step(1) == 0 and t.status == "diverged"


def test_walkthrough_of_a_fresh_trainer_never_diverges():
    t = trainer()
    assert t.iteration == 0 and not walkthrough(t).totals.would_diverge
