"""Validation loss against a direct computation with forward, unit conversions, and n-gram baselines."""

import math
from collections import Counter

import numpy as np
import pytest

from rnn.evaluate import NGramModel, bits, evaluate_loss, ngram_baselines, perplexity
from rnn.model import PARAM_NAMES, forward, param_shapes

V, H = 6, 7


@pytest.fixture(scope="module")
def params():
    rng = np.random.default_rng(21)
    shapes = param_shapes(V, H)
    return {k: rng.standard_normal(shapes[k]) * 0.8 for k in PARAM_NAMES}


@pytest.fixture(scope="module")
def ids():
    return np.random.default_rng(22).integers(0, V, size=203).astype(np.int32)


def direct_losses(params, ids, h0):
    """Per-character losses of one continuous read of ids, predicting ids[1:] from ids[:-1]."""
    out = forward(params, ids[None, :-1], None if h0 is None else h0[None, :])
    return -np.log(out.probs[0, np.arange(len(ids) - 1), ids[1:]])


def test_one_stream_equals_direct_mean(params, ids):
    h0 = np.random.default_rng(23).uniform(-0.5, 0.5, H)
    for seq_length in (7, 50, 1000):  # chunking with carried state must not change the result
        got = evaluate_loss(params, ids, seq_length=seq_length, streams=1, h0=h0)
        assert got == pytest.approx(direct_losses(params, ids, h0).mean(), rel=1e-10)
    assert evaluate_loss(params, ids, streams=1) == pytest.approx(direct_losses(params, ids, None).mean(), rel=1e-10)


def test_streams_equal_direct_per_segment_losses(params, ids):
    """Parallel streams: each segment starts from h0; the remainder continues the last stream."""
    h0 = np.random.default_rng(24).uniform(-0.5, 0.5, H)
    streams, n = 3, len(ids) - 1
    seg = n // streams
    losses = []
    for s in range(streams):
        losses.extend(direct_losses(params, ids[s * seg:(s + 1) * seg + 1], h0))
    # the remainder: the last segment read on to the end, keeping only its extra positions
    tail = direct_losses(params, ids[(streams - 1) * seg:], h0)
    losses.extend(tail[seg:])
    assert len(losses) == n
    got = evaluate_loss(params, ids, seq_length=10, streams=streams, h0=h0)
    assert got == pytest.approx(np.mean(losses), rel=1e-10)


def test_max_chars_and_errors(params, ids):
    assert evaluate_loss(params, ids, streams=1, max_chars=50) == pytest.approx(
        direct_losses(params, ids[:51], None).mean(), rel=1e-10)
    with pytest.raises(ValueError, match="at least two"):
        evaluate_loss(params, ids[:1])


def test_units():
    assert bits(math.log(2)) == pytest.approx(1.0)
    assert bits(math.log(65)) == pytest.approx(math.log2(65))
    assert perplexity(math.log(65)) == pytest.approx(65)
    assert math.isfinite(perplexity(1e6))  # capped instead of overflowing


def test_unigram_equals_direct_laplace():
    train, val = "aababcabcd" * 3, "abcdda"
    chars = sorted(set(train + val + "e"))  # one character never seen in training
    counts = Counter(train)
    expected = -np.mean([math.log((counts[c] + 1) / (len(train) + len(chars))) for c in val])
    got = ngram_baselines(train, val, chars, max_order=1)
    assert got == {1: pytest.approx(expected, rel=1e-12)}


@pytest.mark.parametrize("order", [2, 3, 4])
def test_ngram_probabilities_sum_to_one(order):
    text = "the cat sat on the mat; the rat sat on the hat. "
    chars = sorted(set(text) | {"z"})
    model = NGramModel(order, chars, alpha=0.7).fit(text)
    for ctx in ("", "t", "th", " th", "zzz", "at "):
        total = sum(model.prob(ctx, c) for c in chars)
        assert total == pytest.approx(1.0, rel=1e-12), ctx
        assert all(model.prob(ctx, c) > 0 for c in chars)  # smoothing: nothing is impossible


def test_higher_orders_beat_lower_on_repetitive_text():
    rng = np.random.default_rng(0)
    words = ["the cat ", "a dog ", "the bird ", "my fish "]
    text = "".join(words[i] for i in rng.integers(0, len(words), size=800))
    cut = int(len(text) * 0.9)
    res = ngram_baselines(text[:cut], text[cut:], sorted(set(text)))
    assert sorted(res) == [1, 2, 3, 4, 5]
    assert res[1] > res[2] > res[3] > res[4]
    assert res[5] <= res[4] + 1e-3
    assert res[5] < 0.6  # words are easy to finish, only the next word is uncertain (~log 4 per word)
    assert res[1] == pytest.approx(
        -np.mean([math.log((Counter(text[:cut])[c] + 1) / (cut + len(set(text)))) for c in text[cut:]]), rel=1e-12)
