"""Sampling: greedy limit, distribution of draws, top-k, seeds, prime text and argument errors.

Tests with the `implementation` fixture run with rnn/fast.py and with the plain code."""

import math
from collections import Counter

import numpy as np
import pytest
from reference import seed_greedy

from rnn.model import PARAM_NAMES, forward, param_shapes
from rnn.sample import next_char_probs, sample, sample_many, warm_state
from rnn.vocab import Vocab

VOCAB = Vocab.from_text("abcdef")
H = 8


@pytest.fixture(scope="module")
def params():
    """Peaked, well-separated predictions (weights far larger than the seed's init)."""
    rng = np.random.default_rng(3)
    shapes = param_shapes(VOCAB.size, H)
    return {k: rng.standard_normal(shapes[k]) * 1.5 for k in PARAM_NAMES}


def softmax(z):
    z = np.asarray(z, np.float64) - np.max(z)
    e = np.exp(z)
    return e / e.sum()


@pytest.mark.usefixtures("implementation")
def test_length_and_vocabulary(params):
    text = sample(params, VOCAB, 300, temperature=1.0, seed=0)
    assert len(text) == 300 and set(text) <= set(VOCAB.chars)
    assert sample(params, VOCAB, 0) == ""


@pytest.mark.usefixtures("implementation")
def test_greedy_equals_seed_style_argmax_loop(params):
    h0 = np.random.default_rng(4).uniform(-0.5, 0.5, H)
    greedy = sample(params, VOCAB, 60, temperature=0, h=h0)
    assert greedy == VOCAB.decode(seed_greedy(params, h0, 60))


@pytest.mark.usefixtures("implementation")
def test_temperature_to_zero_equals_greedy(params):
    h0 = np.random.default_rng(5).uniform(-0.5, 0.5, H)
    greedy = sample(params, VOCAB, 80, temperature=0, h=h0, seed=1)
    for seed in (0, 1, 2):
        assert sample(params, VOCAB, 80, temperature=1e-4, h=h0, seed=seed) == greedy
    # parallel streams at several temperatures: the two near-greedy ones agree
    t0, t_small, t1 = sample_many(params, VOCAB, 80, [0, 1e-4, 1.0], h=h0, seed=3)
    assert t0 == t_small == greedy
    # top_k = 1 at any temperature is greedy too
    assert sample(params, VOCAB, 80, temperature=1.5, top_k=1, h=h0, seed=7) == greedy


@pytest.mark.parametrize("temperature,top_k", [(1.0, None), (0.6, None), (2.0, None), (1.0, 3)])
def test_one_step_frequencies_match_softmax(params, temperature, top_k):
    """Many independent one-character draws (parallel streams) against the softmax: chi-square test."""
    h0 = np.random.default_rng(6).uniform(-0.5, 0.5, H)
    logits = params["Why"] @ h0 + params["by"]
    expected = softmax(logits / temperature)
    if top_k is not None:
        keep = np.argsort(logits)[-top_k:]
        mask = np.zeros_like(expected)
        mask[keep] = 1
        expected = expected * mask / (expected * mask).sum()
    n = 20_000
    draws = sample_many(params, VOCAB, 1, [temperature] * n, top_k=top_k, h=h0, seed=11)
    tally = Counter(draws)
    counts = np.array([tally[c] for c in VOCAB.chars], dtype=np.float64)
    if top_k is not None:
        assert counts[expected == 0].sum() == 0  # nothing outside the top k
    live = expected * n >= 5
    chi2 = (((counts[live] - expected[live] * n) ** 2) / (expected[live] * n)).sum()
    # chi-square critical value at p = 1e-4 for <= 5 degrees of freedom is 25.7
    assert chi2 < 25.7, (chi2, counts, expected * n)
    # and a plain tolerance, readable when it fails
    np.testing.assert_allclose(counts / n, expected, atol=0.015)


@pytest.mark.usefixtures("implementation")
def test_top_k_never_emits_outside_top_k(params):
    h0 = np.random.default_rng(8).uniform(-0.5, 0.5, H)
    for k in (2, 3):
        text = sample(params, VOCAB, 200, temperature=1.5, top_k=k, h=h0, seed=k)
        ids = VOCAB.encode(text)
        # logits before each emitted character: from h0, then after feeding each character
        hs = forward(params, ids[None, :-1], h0[None, :]).hs[0]
        states = np.vstack([h0, hs])
        for h, ix in zip(states, ids, strict=True):
            logits = params["Why"] @ h + params["by"]
            assert ix in np.argsort(logits)[-k:]


def test_next_char_probs():
    logits = np.array([1.0, 3.0, 2.0, -1.0])
    np.testing.assert_allclose(next_char_probs(logits, 1.0), softmax(logits), rtol=1e-12)
    np.testing.assert_allclose(next_char_probs(logits, 0.5), softmax(logits / 0.5), rtol=1e-12)
    assert np.array_equal(next_char_probs(logits, 0), [0, 1, 0, 0])
    p = next_char_probs(logits, 1.0, top_k=2)
    np.testing.assert_allclose(p, [0, math.e / (math.e + 1), 1 / (math.e + 1), 0], rtol=1e-12)
    # batched rows
    both = next_char_probs(np.vstack([logits, logits[::-1]]), 1.0)
    np.testing.assert_allclose(both[1], softmax(logits[::-1]), rtol=1e-12)


@pytest.mark.usefixtures("implementation")
def test_same_seed_same_text_different_seed_different_text(params):
    a = sample(params, VOCAB, 200, temperature=1.0, seed=42)
    assert a == sample(params, VOCAB, 200, temperature=1.0, seed=42)
    assert a != sample(params, VOCAB, 200, temperature=1.0, seed=43)


@pytest.mark.usefixtures("implementation")
def test_prime_warms_the_state(params):
    prime = "abcabd"
    h_after, logits = warm_state(params, VOCAB, prime)
    out = forward(params, VOCAB.encode(prime)[None, :])
    np.testing.assert_allclose(h_after, out.h_last[0], rtol=1e-12)
    np.testing.assert_allclose(logits, params["Why"] @ h_after + params["by"], rtol=1e-12)
    primed = sample(params, VOCAB, 100, temperature=0.8, prime=prime, seed=9)
    assert primed == sample(params, VOCAB, 100, temperature=0.8, seed=9, h=h_after)
    assert len(primed) == 100  # the continuation only, without the prime


@pytest.mark.usefixtures("implementation")
@pytest.mark.parametrize("prime", ["abz", "a\u00e9b", "\U0001f600"])
def test_unknown_prime_characters_raise_clear_error(params, prime):
    with pytest.raises(ValueError, match="prime text has characters the model has never seen"):
        sample(params, VOCAB, 10, prime=prime)


@pytest.mark.usefixtures("implementation")
@pytest.mark.parametrize("temperature", [-1.0, -1e-9, float("nan"), float("inf")])
def test_bad_temperature_raises_clear_error(params, temperature):
    with pytest.raises(ValueError, match="temperature"):
        sample(params, VOCAB, 10, temperature=temperature)
    with pytest.raises(ValueError, match="temperature"):
        sample_many(params, VOCAB, 10, [1.0, temperature])


@pytest.mark.usefixtures("implementation")
def test_bad_length_and_top_k_raise(params):
    with pytest.raises(ValueError, match="length"):
        sample(params, VOCAB, -1)
    with pytest.raises(ValueError, match="top_k"):
        sample(params, VOCAB, 10, top_k=0)
    # top_k larger than the vocabulary is no limit at all
    assert sample(params, VOCAB, 50, top_k=100, seed=1) == sample(params, VOCAB, 50, seed=1)


@pytest.mark.parametrize("temperature,top_k", [(1.0, None), (0.7, None), (1.3, None), (1.0, 3), (0.8, 2)])
def test_sample_equals_one_stream_of_sample_many(params, temperature, top_k):
    """`sample` (rnn/fast.py's 1-D loop) and `sample_many` (the plain parallel streams, whose draws are
    tested against the softmax above) give the same text from the same seed."""
    h0 = np.random.default_rng(9).uniform(-0.5, 0.5, H)
    for seed in range(3):
        one = sample(params, VOCAB, 150, temperature=temperature, top_k=top_k, h=h0, seed=seed)
        assert sample_many(params, VOCAB, 150, [temperature], top_k=top_k, h=h0, seed=seed) == [one]
    many = sample_many(params, VOCAB, 150, [temperature, 0.5], h=h0, seed=4)
    assert many[1] != many[0]


@pytest.mark.usefixtures("implementation")
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_tiny_positive_temperature_is_greedy_in_sample_many(params):
    h0 = np.random.default_rng(5).uniform(-0.5, 0.5, H)
    greedy = sample(params, VOCAB, 40, temperature=0, h=h0)
    assert sample(params, VOCAB, 40, temperature=1e-308, h=h0) == greedy
    assert sample_many(params, VOCAB, 40, [1e-308], h=h0) == [greedy]


@pytest.mark.usefixtures("implementation")
def test_top_k_with_tied_logits_keeps_k_candidates():
    from rnn.model import init_params

    fresh = init_params(VOCAB.size, H, seed=0)  # zero biases: from h = 0 every logit is exactly 0
    assert np.count_nonzero(next_char_probs(np.zeros(VOCAB.size), 1.0, top_k=2)) == 2
    firsts = {sample(fresh, VOCAB, 1, top_k=1, seed=s) for s in range(10)}
    assert firsts == {sample(fresh, VOCAB, 1, temperature=0)}


def test_next_char_figure_keeps_k_bars_in_probability_order():
    from rnn.viz.training import next_char_figure

    chars = list("abcdef")
    softmax = np.array([0.1, 0.4, 0.05, 0.3, 0.1, 0.05])
    kept = next_char_probs(np.log(softmax), 2.0, top_k=3)
    fig = next_char_figure(chars, kept, 2.0, reference=softmax, top_k=3)
    bars, outline = fig.data
    assert list(bars.x) == ["b", "d", "a"] and list(outline.x) == ["b", "d", "a"]
    assert all(y > 0 for y in bars.y) and list(outline.y) == [0.4, 0.3, 0.1]
    assert "top-3" in bars.name and "softmax" in outline.name
    # Greedy: the order is the softmax's, not code-point order among the zeros.
    greedy = next_char_figure(chars, next_char_probs(np.log(softmax), 0.0), 0.0, reference=softmax)
    assert list(greedy.data[0].x)[:3] == ["b", "d", "a"]
