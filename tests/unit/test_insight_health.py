"""Training health: spectral radius, saturation and gradient flow against direct computation."""

import numpy as np
import pytest

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
