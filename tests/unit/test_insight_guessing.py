"""The guessing game: Shannon's bounds by hand, the model's guesses against the seed's forward loop, a round."""

import math

import numpy as np
import pytest
from reference import seed_forward

from rnn.insight.guessing import Game, Passage, pick_passage, shannon_estimate
from rnn.model import PARAM_NAMES, param_shapes
from rnn.vocab import Vocab

TEXT = "the cat sat on the mat. the dog sat on the log. " * 12
VOCAB = Vocab.from_text(TEXT)


@pytest.fixture(scope="module")
def params():
    rng = np.random.default_rng(2)
    return {k: rng.standard_normal(s) for k, s in param_shapes(VOCAB.size, 16).items() if k in PARAM_NAMES}


def test_shannon_estimate_by_hand():
    assert shannon_estimate([1] * 10) == 0.0  # always right first time: no uncertainty
    assert shannon_estimate([1, 2, 3, 4]) == pytest.approx(2.0)  # four equally likely guess counts
    assert shannon_estimate([1, 1, 2, 3]) == pytest.approx(1.5)  # q = 1/2, 1/4, 1/4
    assert shannon_estimate([7]) == 0.0 and math.isnan(shannon_estimate([]))


def test_the_models_guesses_are_its_ranks_under_the_seeds_forward_loop(params):
    ids = VOCAB.encode(TEXT)
    h0 = np.random.default_rng(3).uniform(-1, 1, 16)
    p = pick_passage(params, VOCAB, ids, np.random.default_rng(7), length=20, h0=h0)
    start = TEXT.index(p.context + p.answer) + len(p.context)  # the passage lies in the text as shown
    assert len(p.answer) == 20 and TEXT[start:start + 20] == p.answer
    warm = min(200, len(TEXT) - 21)
    _, probs = seed_forward(params, ids[start - warm:start + 19], h0)
    for j, c in enumerate(p.answer):
        prob = probs[warm - 1 + j]  # after reading the character before it
        true = VOCAB.encode(c)[0]
        assert p.model_guesses[j] == 1 + int(np.sum(prob > prob[true]))
        assert p.model_bits[j] == pytest.approx(-math.log2(prob[true]))


def test_a_round_counts_guesses_like_shannon_and_the_score_pools_the_passages(params):
    game = Game(Passage("the ", "cat", model_guesses=(2, 1, 1), model_bits=(1.0, 0.1, 0.2)), VOCAB.size)
    assert not game.guess("m") and not game.guess("m") and not game.guess("r")  # a repeat is not counted
    assert game.guess("c") and game.tries == [3] and game.revealed == "c"
    assert game.give_up() == "a" and game.tries == [3, VOCAB.size]  # shown: counts as every character tried
    with pytest.raises(ValueError, match="one character"):
        game.guess("at")
    assert game.guess("t") and game.done and game.tries == [3, VOCAB.size, 1]
    with pytest.raises(ValueError, match="over"):
        game.guess("x")
    game.new_passage(Passage("a ", "dog", model_guesses=(4, 1, 2), model_bits=(2.0, 0.3, 0.6)))
    assert game.position == 0 and not game.done
    assert game.guess("d")
    s = game.scores()
    assert s["characters"] == 4 and s["you"] == pytest.approx(shannon_estimate([3, VOCAB.size, 1, 1]))
    assert s["model"] == pytest.approx(shannon_estimate([2, 1, 1, 4]))
    assert s["model_cross_entropy"] == pytest.approx(3.3 / 4) and s["you_first_try"] == 2
    assert s["model_first_try"] == 2 and s["model_mean_guesses"] == 2.0


def test_a_text_too_short_for_a_round_says_so(params):
    with pytest.raises(ValueError, match="too short"):
        pick_passage(params, VOCAB, VOCAB.encode("the cat"), np.random.default_rng(0), length=20)
