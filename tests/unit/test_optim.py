"""Each optimizer against updates computed by hand on tiny arrays, and element-wise gradient clipping."""

import math

import numpy as np
import pytest

from rnn.optim import DEFAULT_LR, OPTIMIZERS, clip_grads, make_optimizer

P0 = [0.5, -1.0, 2.0]
G1 = [0.1, -0.2, 3.0]
G2 = [-0.3, 0.4, 0.0]
EPS = 1e-8


def run(name, lr, grads, **kwargs):
    params = {"w": np.array(P0)}
    opt = make_optimizer(name, params, lr)
    for k, v in kwargs.items():
        setattr(opt, k, v)
    out = []
    for g in grads:
        opt.step(params, {"w": np.array(g)})
        out.append(params["w"].copy())
    return opt, out


def test_registry_and_defaults():
    assert set(OPTIMIZERS) == {"adagrad", "sgd", "rmsprop", "adam"}
    assert DEFAULT_LR["adagrad"] == 0.1  # the seed's learning rate
    with pytest.raises(ValueError, match="unknown optimizer"):
        make_optimizer("lbfgs", {"w": np.zeros(2)}, 0.1)


def test_adagrad_two_steps_by_hand():
    lr = 0.1
    opt, (p1, p2) = run("adagrad", lr, [G1, G2])
    for i in range(3):
        mem1 = G1[i] ** 2
        e1 = P0[i] - lr * G1[i] / math.sqrt(mem1 + EPS)
        mem2 = mem1 + G2[i] ** 2
        e2 = e1 - lr * G2[i] / math.sqrt(mem2 + EPS)
        assert p1[i] == pytest.approx(e1, rel=1e-12, abs=1e-15)
        assert p2[i] == pytest.approx(e2, rel=1e-12, abs=1e-15)
        assert opt.state["mem/w"][i] == pytest.approx(mem2, rel=1e-12)
    assert opt.t == 2


def test_sgd_momentum_two_steps_by_hand():
    lr, mu = 0.05, 0.9
    opt, (p1, p2) = run("sgd", lr, [G1, G2])
    for i in range(3):
        v1 = -lr * G1[i]
        e1 = P0[i] + v1
        v2 = mu * v1 - lr * G2[i]
        e2 = e1 + v2
        assert p1[i] == pytest.approx(e1, rel=1e-12, abs=1e-15)
        assert p2[i] == pytest.approx(e2, rel=1e-12, abs=1e-15)
        assert opt.state["velocity/w"][i] == pytest.approx(v2, rel=1e-12, abs=1e-15)


def test_rmsprop_two_steps_by_hand():
    lr, decay = 0.01, 0.9
    opt, (p1, p2) = run("rmsprop", lr, [G1, G2])
    for i in range(3):
        c1 = (1 - decay) * G1[i] ** 2
        e1 = P0[i] - lr * G1[i] / (math.sqrt(c1) + EPS)
        c2 = decay * c1 + (1 - decay) * G2[i] ** 2
        e2 = e1 - lr * G2[i] / (math.sqrt(c2) + EPS)
        assert p1[i] == pytest.approx(e1, rel=1e-12, abs=1e-15)
        assert p2[i] == pytest.approx(e2, rel=1e-12, abs=1e-15)
        assert opt.state["cache/w"][i] == pytest.approx(c2, rel=1e-12)


def test_adam_two_steps_by_hand():
    lr, b1, b2 = 0.002, 0.9, 0.999
    opt, (p1, p2) = run("adam", lr, [G1, G2])
    for i in range(3):
        m1 = (1 - b1) * G1[i]
        v1 = (1 - b2) * G1[i] ** 2
        e1 = P0[i] - lr * (m1 / (1 - b1)) / (math.sqrt(v1 / (1 - b2)) + EPS)
        m2 = b1 * m1 + (1 - b1) * G2[i]
        v2 = b2 * v1 + (1 - b2) * G2[i] ** 2
        e2 = e1 - lr * (m2 / (1 - b1**2)) / (math.sqrt(v2 / (1 - b2**2)) + EPS)
        assert p1[i] == pytest.approx(e1, rel=1e-12, abs=1e-15)
        assert p2[i] == pytest.approx(e2, rel=1e-12, abs=1e-15)
        assert opt.state["m/w"][i] == pytest.approx(m2, rel=1e-12, abs=1e-15)
        assert opt.state["v/w"][i] == pytest.approx(v2, rel=1e-12, abs=1e-15)
    # the first Adam step moves every parameter with a non-zero gradient by about lr
    moved = np.abs(p1 - np.array(P0))
    np.testing.assert_allclose(moved[:3], lr, rtol=1e-4)


def test_learning_rate_change_between_steps_is_used():
    params = {"w": np.array(P0)}
    opt = make_optimizer("sgd", params, 0.1)
    opt.step(params, {"w": np.array(G1)})
    opt.lr = 0.01
    opt.step(params, {"w": np.array(G2)})
    for i in range(3):
        v1 = -0.1 * G1[i]
        v2 = 0.9 * v1 - 0.01 * G2[i]
        assert params["w"][i] == pytest.approx(P0[i] + v1 + v2, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_state_dict_round_trip_continues_identically(name):
    params = {"a": np.array(P0), "b": np.array([[1.0, -2.0]])}
    grads = [{"a": np.array(G1), "b": np.array([[0.3, -0.1]])}, {"a": np.array(G2), "b": np.array([[-0.2, 0.5]])}]
    opt = make_optimizer(name, params, 0.01)
    opt.step(params, grads[0])
    saved = {k: np.array(v) for k, v in opt.state_dict().items()}
    copy = {k: v.copy() for k, v in params.items()}
    other = make_optimizer(name, copy, 0.01)
    other.load_state_dict(saved)
    opt.step(params, grads[1])
    other.step(copy, grads[1])
    assert other.t == opt.t == 2
    for k in params:
        assert np.array_equal(params[k], copy[k])
    with pytest.raises(ValueError):
        bad = dict(saved)
        bad[next(k for k in saved if k != "t")] = np.zeros(7)
        other.load_state_dict(bad)


def test_clip_grads_reports_norm_and_clips_in_place():
    grads = {"a": np.array([3.0, -12.0]), "b": np.array([[4.0, 0.5]])}
    norm, clipped = clip_grads(grads, 5.0)
    assert norm == pytest.approx(math.sqrt(9 + 144 + 16 + 0.25), rel=1e-12)  # global norm before clipping
    assert clipped is True
    assert np.array_equal(grads["a"], [3.0, -5.0])  # element-wise, as the seed's np.clip
    assert np.array_equal(grads["b"], [[4.0, 0.5]])


def test_clip_grads_positive_side_and_boundary():
    grads = {"a": np.array([7.0, 5.0, -5.0])}
    norm, clipped = clip_grads(grads, 5.0)
    assert clipped and np.array_equal(grads["a"], [5.0, 5.0, -5.0])
    norm, clipped = clip_grads(grads, 5.0)  # exactly at the bound: nothing to clip
    assert not clipped and norm == pytest.approx(math.sqrt(75))


def test_clip_grads_within_bounds_or_disabled_leaves_grads():
    g = {"a": np.array([1.0, -2.0])}
    norm, clipped = clip_grads(g, 5.0)
    assert (norm, clipped) == (pytest.approx(math.sqrt(5)), False)
    assert np.array_equal(g["a"], [1.0, -2.0])
    for off in (0, None):
        big = {"a": np.array([100.0, -200.0])}
        norm, clipped = clip_grads(big, off)
        assert not clipped and norm == pytest.approx(math.sqrt(50000))
        assert np.array_equal(big["a"], [100.0, -200.0])


def test_clip_grads_nan_gives_nan_norm():
    norm, _ = clip_grads({"a": np.array([np.nan, 1.0])}, 5.0)
    assert math.isnan(norm)  # the Trainer's divergence guard relies on this
