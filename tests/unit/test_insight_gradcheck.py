"""Gradient check: passes on the real backward pass, catches a broken one, CLI --json shape."""

import json

import numpy as np
import pytest

import rnn.insight.gradcheck as gc
from rnn.cli import main
from rnn.model import PARAM_NAMES


def test_real_gradients_pass():
    result = gc.gradient_check(*gc.random_problem(seed=4))
    s = gc.summary(result)
    assert s["passed"]
    assert set(s["max_rel_error"]) == set(PARAM_NAMES)
    assert all(v < 1e-6 for v in s["max_rel_error"].values())
    assert s["checked"]["Whh"] == 100  # every entry of a 10x10 Whh


def test_a_wrong_gradient_is_caught(monkeypatch):
    real = gc.loss_and_grads

    def broken(params, inputs, targets, h_prev):
        loss, grads, h = real(params, inputs, targets, h_prev)
        grads = {k: v.copy() for k, v in grads.items()}
        grads["Whh"] = grads["Whh"].T  # a classic bug: transposed recurrent gradient
        return loss, grads, h

    monkeypatch.setattr(gc, "loss_and_grads", broken)
    s = gc.summary(gc.gradient_check(*gc.random_problem(seed=4)))
    assert not s["passed"]
    assert s["max_rel_error"]["Whh"] > 1e-2
    assert s["max_rel_error"]["Why"] < 1e-6


def test_sampled_check_does_not_touch_the_callers_params():
    params, inputs, targets, h = gc.random_problem(vocab_size=5, hidden_size=30)
    before = {k: v.copy() for k, v in params.items()}
    result = gc.gradient_check(params, inputs, targets, h, max_checks=7)
    assert result["Whh"]["checked"] == 7 and result["Whh"]["size"] == 900
    assert all(np.array_equal(before[k], params[k]) for k in params)


def test_cli_json(capsys):
    assert main(["gradcheck", "--json"]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(out["max_rel_error"]) == {"Wxh", "Whh", "Why", "bh", "by"}
    assert all(isinstance(v, float) and v < 1e-5 for v in out["max_rel_error"].values())
    assert out["passed"] is True
    assert out["floor"] == gc.ABS_FLOOR and set(out["near_zero"]) == set(out["max_rel_error"])


def test_cli_text_and_bad_input(capsys):
    assert main(["gradcheck", "--hidden", "4", "--vocab", "3"]) == 0
    assert "PASSED" in capsys.readouterr().out
    assert main(["gradcheck", "--hidden", "0"]) == 1
    assert "--hidden" in capsys.readouterr().err


def test_sampling_prefers_entries_with_a_noticeable_gradient():
    params, inputs, targets, h = gc.random_problem(vocab_size=6, hidden_size=20, seq_length=5, seed=2)
    result = gc.gradient_check(params, inputs, targets, h, max_checks=10)
    full = gc.gradient_check(params, inputs, targets, h)
    for name in ("Whh", "Why"):
        g = np.abs(full[name]["analytic"])
        picked = np.abs(result[name]["analytic"])
        assert np.all(picked >= gc.SAMPLE_FLOOR * g.max())


def saturated_problem(seed=0, V=12, H=60, T=25, active=10, bias=12.0):
    """A model like a long-trained H=200 one: most units pinned at |h| ~ 1 by a large bias (tanh' ~ 1e-10),
    so most bias gradients are ~1e-10, below the finite difference's own error (~1e-9)."""
    rng = np.random.default_rng(seed)
    p = {"Wxh": rng.standard_normal((H, V)) * 0.5, "Whh": rng.standard_normal((H, H)) * 0.5 / np.sqrt(H),
         "Why": rng.standard_normal((V, H)) * 0.5, "bh": rng.standard_normal(H) * 0.1, "by": np.zeros(V)}
    p["bh"][active:] = bias * rng.choice([-1, 1], H - active)
    return p, rng.integers(0, V, T), rng.integers(0, V, T), np.tanh(p["bh"])


def test_saturated_model_passes_on_every_draw_and_step():
    # Before the floor, bh failed here with a relative error near 1 on an absolute difference of ~1e-9.
    params, inputs, targets, h = saturated_problem()
    for eps in (1e-4, 1e-5):
        for seed in range(4):
            result = gc.gradient_check(params, inputs, targets, h, eps=eps, max_checks=20, seed=seed)
            s = gc.summary(result)
            assert s["passed"], (eps, seed, s["max_rel_error"])
            assert result["bh"]["checked"] == 20  # the 10 noticeable bias gradients and 10 near-zero ones
            assert result["bh"]["near_zero"] >= 10 and s["near_zero"]["bh"] == result["bh"]["near_zero"]
            assert result["bh"]["max_abs_diff"] < 1e-7


def backward_one_stream(params, inputs, targets, h_prev, dtanh):
    """A plain BPTT for one stream with a pluggable tanh derivative (to plant a bug)."""
    Wxh, Whh, Why, bh, by = (params[k] for k in PARAM_NAMES)
    h, hs, ps, loss = h_prev, [], [], 0.0
    for x, y in zip(inputs, targets, strict=True):
        h = np.tanh(Wxh[:, x] + Whh @ h + bh)
        p = np.exp(Why @ h + by - np.max(Why @ h + by))
        p /= p.sum()
        hs.append(h)
        ps.append(p)
        loss -= np.log(p[y])
    grads = {k: np.zeros_like(v) for k, v in params.items()}
    dnext = np.zeros_like(h_prev)
    for t in reversed(range(len(inputs))):
        dy = ps[t].copy()
        dy[targets[t]] -= 1
        grads["Why"] += np.outer(dy, hs[t])
        grads["by"] += dy
        draw = dtanh(hs[t]) * (Why.T @ dy + dnext)
        grads["bh"] += draw
        grads["Wxh"][:, inputs[t]] += draw
        grads["Whh"] += np.outer(draw, hs[t - 1] if t else h_prev)
        dnext = Whh.T @ draw
    return float(loss), grads, hs[-1]


@pytest.mark.parametrize("buggy", [False, True])
def test_saturated_model_still_catches_a_wrong_gradient(monkeypatch, buggy):
    params, inputs, targets, h = saturated_problem()
    # the bug: tanh' written as 1 - h instead of 1 - h^2; right at h ~ +1, wrong (2) at h ~ -1
    dtanh = (lambda hh: 1 - hh) if buggy else (lambda hh: 1 - hh * hh)
    monkeypatch.setattr(gc, "loss_and_grads", lambda p, i, t, h0: backward_one_stream(
        p, np.ravel(i), np.ravel(t), np.ravel(h0), dtanh))
    s = gc.summary(gc.gradient_check(params, inputs, targets, h, eps=1e-4, max_checks=20))
    assert s["passed"] is not buggy
    if buggy:
        assert s["max_rel_error"]["bh"] > 1e-2 and s["max_rel_error"]["Why"] < 1e-5


def test_the_floor_judges_tiny_gradients_by_their_absolute_difference():
    assert gc.relative_error(1e-10, 3e-9) == pytest.approx(2.9e-9 / gc.ABS_FLOOR)  # noise: passes
    assert gc.relative_error(1e-3, -1e-3) == pytest.approx(0.2)  # small but wrong: fails
    assert gc.relative_error(2.0, 1.0) == pytest.approx(1 / 3)  # above the floor: the plain relative error
