"""Surprise view: per-character loss equals the model's loss; top-k predictions are consistent."""

import math

import numpy as np
import pytest

from rnn.evaluate import evaluate_loss
from rnn.insight.surprise import surprise
from rnn.model import init_params, loss_and_grads
from rnn.vocab import Vocab

TEXT = "the cat sat on the mat. the dog sat on the log.\n" * 5


def model(V, H=12, seed=3):
    rng = np.random.default_rng(seed)
    p = init_params(V, H, seed=seed)
    return {k: rng.standard_normal(v.shape) * 0.4 for k, v in p.items()}


def test_mean_surprise_is_the_loss():
    vocab = Vocab.from_text(TEXT)
    params = model(vocab.size)
    ids = vocab.encode(TEXT)
    h0 = np.tanh(np.arange(12) / 6 - 1)
    s = surprise(params, vocab, TEXT, h0=h0, chunk=17)
    loss_sum, _, _ = loss_and_grads(params, ids[:-1], ids[1:], h0)
    assert s.mean == pytest.approx(loss_sum / (len(ids) - 1), rel=1e-12)
    assert s.mean == pytest.approx(evaluate_loss(params, ids, streams=1, seq_length=23, h0=h0), rel=1e-12)
    assert len(s.loss) == len(TEXT) - 1 and s.chars == TEXT[1:] and s.context == TEXT[0]


def test_top_predictions_are_sorted_and_include_the_actual_when_likely():
    vocab = Vocab.from_text(TEXT)
    params = model(vocab.size)
    s = surprise(params, vocab, TEXT, top_k=5)
    assert s.top_probs.shape == (len(TEXT) - 1, 5)
    assert np.all(np.diff(s.top_probs, axis=1) <= 0)
    np.testing.assert_allclose(s.prob, np.exp(-s.loss))
    for i, c in enumerate(s.chars):
        if s.prob[i] > s.top_probs[i, -1]:  # more likely than the 5th guess: must be listed with its prob
            j = s.top_chars[i].index(c)
            assert s.top_probs[i, j] == pytest.approx(s.prob[i])


def test_a_certain_model_has_zero_surprise_on_its_pattern():
    text = "ab" * 30
    vocab = Vocab.from_text(text)
    # h = tanh(Wxh x): unit 0 says "just read a"; the output strongly predicts the other letter.
    params = {"Wxh": np.array([[5.0, -5.0]]), "Whh": np.zeros((1, 1)), "bh": np.zeros(1),
              "Why": np.array([[-20.0], [20.0]]), "by": np.zeros(2)}
    s = surprise(params, vocab, text)
    assert s.mean < 1e-6
    assert s.chars[0] == "b" and s.top_chars[0][0] == "b"  # position 0 scores text[1] after reading 'a'
    assert s.top_chars[1][0] == "a"
    assert math.isclose(s.top_probs[0][0], 1.0, abs_tol=1e-6)


def test_unknown_characters_and_short_text_are_readable_errors():
    vocab = Vocab.from_text(TEXT)
    params = model(vocab.size)
    with pytest.raises(ValueError, match="never seen"):
        surprise(params, vocab, "the <script>")
    with pytest.raises(ValueError, match="at least two"):
        surprise(params, vocab, "t")
