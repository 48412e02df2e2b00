"""Gradient check: passes on the real backward pass, catches a broken one, CLI --json shape."""

import json

import numpy as np

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
