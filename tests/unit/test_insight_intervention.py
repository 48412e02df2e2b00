"""Neuron intervention: a clamped unit against a per-step reference loop, and what a clamp can and cannot change."""

import numpy as np
import pytest

from rnn.insight.intervention import clamp_unit
from rnn.model import PARAM_NAMES, param_shapes
from rnn.sample import sample_many
from rnn.vocab import Vocab

VOCAB = Vocab.from_text("ab\"c d")
H = 8


@pytest.fixture(scope="module")
def params():
    rng = np.random.default_rng(5)
    shapes = param_shapes(VOCAB.size, H)
    return {k: rng.standard_normal(shapes[k]) * 1.2 for k in PARAM_NAMES}


def reference_clamped(p, h, n, unit, value, uniforms, temperature):
    """The seed's sampling loop, one character at a time, with h[unit] overwritten after every update."""
    h = h.copy()
    h[unit] = value
    out = []
    for i in range(n):
        y = p["Why"] @ h + p["by"]
        e = np.exp((y - y.max()) / temperature)
        prob = e / e.sum()
        ix = int(np.searchsorted(np.cumsum(prob), uniforms[i] * np.cumsum(prob)[-1], side="left"))
        out.append(ix)
        x = np.zeros(len(prob))
        x[ix] = 1
        h = np.tanh(p["Wxh"] @ x + p["Whh"] @ h + p["bh"])
        h[unit] = value
    return VOCAB.decode(out)


@pytest.mark.parametrize("unit, value, temperature", [(0, 1.0, 1.0), (3, -0.5, 0.7), (7, 0.0, 1.5)])
def test_the_clamped_text_matches_a_per_step_loop(params, unit, value, temperature):
    h = np.random.default_rng(1).uniform(-0.5, 0.5, H)
    uniforms = np.random.default_rng(9).random((300, 1))[:, 0]  # what sample_many draws from seed 9
    got = clamp_unit(params, VOCAB, unit, value, temperature=temperature, length=300, seed=9, h=h)
    assert got.clamped == reference_clamped(params, h, 300, unit, value, uniforms, temperature)
    assert got.free == sample_many(params, VOCAB, 300, [temperature], seed=9, h=h)[0]  # the model as trained
    assert got.free != got.clamped  # a unit with random weights changes the text
    assert got.free[:got.agree_for] == got.clamped[:got.agree_for] and got.free[got.agree_for] != got.clamped[
        got.agree_for]


def test_a_unit_that_drives_nothing_changes_nothing(params):
    p = {k: v.copy() for k, v in params.items()}
    p["Why"][:, 2] = 0  # unit 2 reaches neither the output...
    p["Whh"][:, 2] = 0  # ...nor the next state
    got = clamp_unit(p, VOCAB, 2, 1.0, length=500, seed=4)
    assert got.free == got.clamped and got.agree_for == 500 and got.count_changes() == []


def test_a_unit_wired_to_the_quote_makes_quotes(params):
    p = {k: v.copy() for k, v in params.items()}
    p["Why"][VOCAB.encode('"')[0], 5] = 12.0  # unit 5 at +1 votes hard for a double quote
    got = clamp_unit(p, VOCAB, 5, 1.0, length=1000, seed=0)
    top = got.count_changes()[0]
    assert top["char"] == '"' and top["clamped"] > 900 and top["change"] == top["clamped"] - top["free"] > 0
    assert clamp_unit(p, VOCAB, 5, -1.0, length=1000, seed=0).clamped.count('"') < 10  # held low: almost none


@pytest.mark.parametrize("kwargs, message", [({"unit": 8}, "between 0 and 7"), ({"unit": -1}, "between 0 and 7"),
                                             ({"value": 1.5}, "a tanh unit lies between"), ({"length": 0}, "length")])
def test_bad_arguments_say_what_is_allowed(params, kwargs, message):
    args = {"unit": 0, "value": 0.0} | kwargs
    with pytest.raises(ValueError, match=message):
        clamp_unit(params, VOCAB, args.pop("unit"), args.pop("value"), **args)


def test_other_cells_refuse_a_clamp():
    from rnn.cells import init_params

    p = init_params(VOCAB.size, H, seed=0, cell="lstm")
    with pytest.raises(ValueError, match="vanilla RNN"):
        sample_many(p, VOCAB, 10, [1.0], clamp={0: 1.0})
