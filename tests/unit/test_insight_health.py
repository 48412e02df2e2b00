"""Training health: spectral radius, saturation and gradient flow against direct computation."""

import numpy as np
import pytest

import rnn.insight.health_verdicts as hv
from rnn.corpus import make_corpus
from rnn.insight.health import gradient_through_time, health_snapshot, saturated_share, spectral_radius
from rnn.insight.walkthrough import next_chunk
from rnn.model import forward, loss_and_grads
from rnn.train import TrainConfig, Trainer

V, H, T = 6, 5, 8


def params_and_chunk(seed=0, scale=0.6):
    rng = np.random.default_rng(seed)
    p = {"Wxh": rng.standard_normal((H, V)) * scale, "Whh": rng.standard_normal((H, H)) * scale,
         "Why": rng.standard_normal((V, H)) * scale, "bh": rng.standard_normal(H) * 0.1,
         "by": rng.standard_normal(V) * 0.1}
    return p, rng.integers(0, V, T), rng.integers(0, V, T), np.tanh(rng.standard_normal(H))


def test_spectral_radius_and_saturation_by_hand():
    assert spectral_radius(np.diag([0.5, -2.0, 1.5])) == pytest.approx(2.0)
    rot = np.array([[0.0, -1.2], [1.2, 0.0]])  # complex eigenvalues +-1.2i
    assert spectral_radius(rot) == pytest.approx(1.2)
    assert saturated_share(np.array([0.99, -0.96, 0.5, 0.0])) == 0.5


def numerical_grad(f, x, eps=1e-6):
    g = np.zeros_like(x)
    for i in range(len(x)):
        d = np.zeros_like(x)
        d[i] = eps
        g[i] = (f(x + d) - f(x - d)) / (2 * eps)
    return g


def step_loss(p, h, target):
    y = p["Why"] @ h + p["by"]
    return -(y[target] - np.log(np.exp(y - y.max()).sum()) - y.max())


def test_gradient_through_time_matches_finite_differences():
    p, inputs, targets, h0 = params_and_chunk()
    flow = gradient_through_time(p, inputs, targets, h0)
    hs = forward(p, inputs[None], h0[None]).hs[0]
    for t in (0, 3, T - 1):
        # Total chunk loss as a function of h_t: step t's own loss plus every later step run from h_t.
        def total(h, t=t):
            rest = loss_and_grads(p, inputs[t + 1:], targets[t + 1:], h)[0] if t < T - 1 else 0.0
            return step_loss(p, h, targets[t]) + rest

        # The last step's loss alone as a function of h_t.
        def last(h, t=t):
            if t < T - 1:
                h = forward(p, inputs[None, t + 1:], h[None]).hs[0, -1]
            return step_loss(p, h, targets[-1])

        assert flow.total[t] == pytest.approx(np.linalg.norm(numerical_grad(total, hs[t])), rel=1e-6)
        assert flow.from_last[t] == pytest.approx(np.linalg.norm(numerical_grad(last, hs[t])), rel=1e-6)
    assert flow.total[-1] == pytest.approx(flow.local[-1])  # nothing flows in after the last step


def test_small_whh_makes_the_gradient_vanish():
    p, inputs, targets, h0 = params_and_chunk(scale=0.6)
    p["Whh"] *= 0.1 / spectral_radius(p["Whh"])  # radius 0.1: each step back multiplies by <= ~0.1 * ||.||
    flow = gradient_through_time(p, inputs, targets, h0)
    assert flow.from_last[0] < 1e-4 * flow.from_last[-1]


def test_trainer_records_health_that_matches_direct_computation():
    text = "".join(chr(97 + (i * 7 + i // 5) % 13) for i in range(3000))
    trainer = Trainer(make_corpus(text, "t", seq_length=10), TrainConfig(hidden_size=16, seq_length=10,
                                                                        batch_size=2, health_every=5,
                                                                        eval_every=0, clip=0.5))
    trainer.step(4)
    inputs, _, h_prev, _ = next_chunk(trainer)
    trainer.step(1)
    rec = trainer.health_history[-1]
    assert rec.iteration == 5 and len(trainer.health_history) == 1
    assert rec.spectral_radius == pytest.approx(spectral_radius(trainer.params["Whh"]))
    hs = forward(trainer.params, inputs, h_prev).hs
    assert rec.saturated_share == pytest.approx(saturated_share(hs))
    assert rec.grad_norm == pytest.approx(np.mean(trainer.history["grad_norm"][-5:]))
    assert rec.clip_rate == pytest.approx(np.mean(trainer.history["clipped"][-5:]))
    assert health_snapshot(trainer.params, inputs, h_prev).saturated_share == rec.saturated_share
    trainer.step(10)
    assert [r.iteration for r in trainer.health_history] == [5, 10, 15]


# ------------------------------------------------------------------------------------------------ verdicts

@pytest.mark.parametrize(("radius", "level", "says"), [
    (0.05, hv.WATCH, "below 0.5"), (0.5, hv.HEALTHY, "between 0.5 and 2"), (1.2, hv.HEALTHY, "1.20"),
    (2.0, hv.HEALTHY, "between"), (3.0, hv.WATCH, "above 2"), (7.9, hv.UNHEALTHY, "above 5"),
    (float("nan"), hv.UNHEALTHY, "diverged"),
])
def test_radius_verdict(radius, level, says):
    v = hv.radius_verdict(radius)
    assert v.level == level and says in v.text


@pytest.mark.parametrize(("share", "level", "says"), [
    (0.0, hv.HEALTHY, "0%"), (0.25, hv.HEALTHY, "at most 25%"), (0.4, hv.WATCH, "more than 25%"),
    (0.75, hv.UNHEALTHY, "75% of activations"), (0.75, hv.UNHEALTHY, "more than 50%"),
])
def test_saturation_verdict(share, level, says):
    v = hv.saturation_verdict(share)
    assert v.level == level and says in v.text


@pytest.mark.parametrize(("rate", "clip", "level", "says"), [
    (0.02, 5.0, hv.HEALTHY, "at most 10%"), (0.3, 5.0, hv.WATCH, "more than 10%"),
    (0.9, 5.0, hv.UNHEALTHY, "learning rate"), (0.0, 0.0, hv.WATCH, "Clipping is off"),
])
def test_clip_verdict(rate, clip, level, says):
    v = hv.clip_verdict(rate, clip)
    assert v.level == level and says in v.text


def test_grad_norm_verdict():
    assert hv.grad_norm_verdict(3.0).level == hv.HEALTHY
    assert hv.grad_norm_verdict(float("inf")).level == hv.UNHEALTHY


@pytest.mark.parametrize(("ratio", "level", "says"), [
    (1e-4, hv.WATCH, "vanishing"), (0.5, hv.HEALTHY, "neither vanishes"), (1e3, hv.UNHEALTHY, "exploding"),
    (float("nan"), hv.WATCH, "nothing to follow"),
])
def test_flow_verdict(ratio, level, says):
    v = hv.flow_verdict(ratio, 24)
    assert v.level == level and says in v.text and (ratio != ratio or "24 steps" in v.text)


def test_thresholds_are_ordered():
    assert hv.RADIUS_LOW < 1 < hv.RADIUS_HIGH < hv.RADIUS_ALARM
    assert 0 < hv.SATURATION_WATCH < hv.SATURATION_ALARM < 1 and 0 < hv.CLIP_WATCH < hv.CLIP_ALARM < 1
    assert hv.VANISHING_RATIO < 1 < hv.EXPLODING_RATIO
