"""Loss translator: unit conversions, plain-words line and reference comparisons."""

import math

import pytest

from rnn.insight.loss_words import comparison_line, describe_loss


def test_uniform_guess_is_as_unsure_as_the_whole_vocabulary():
    d = describe_loss(math.log(65), 65)
    assert d.perplexity == pytest.approx(65)
    assert d.bits == pytest.approx(math.log2(65))
    assert d.uniform_share == pytest.approx(1.0)
    assert "among about 65 of the 65 characters" in d.sentence
    assert d.beats is None


def test_worse_than_uniform_says_so():
    d = describe_loss(math.log(65) + 0.5, 65)
    assert "more unsure than a blind guess among all 65" in d.sentence
    assert not d.comparisons[0].better


def test_conversions_and_small_numbers():
    d = describe_loss(math.log(2), 10)
    assert d.bits == pytest.approx(1.0) and d.perplexity == pytest.approx(2.0)
    assert "about 2.0" in d.sentence
    assert "barely more than 1" in describe_loss(0.01, 10).sentence


def test_comparisons_with_ngrams():
    baselines = {1: 3.0, 2: 2.4, 3: 2.0, 5: 1.5}
    d = describe_loss(2.2, 60, baselines)
    names = [c.name for c in d.comparisons]
    assert names[0].startswith("uniform") and "bigram" in names and "5-gram" in names
    better = {c.name: c.better for c in d.comparisons}
    assert better["bigram"] and not better["trigram"] and not better["5-gram"]
    assert d.beats == "bigram"
    line = comparison_line(d)
    assert line.index("5-gram") < line.index("bigram")  # strongest reference first
    assert "worse than the 5-gram (1.50)" in line and "better than the bigram (2.40)" in line


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -0.1])
def test_bad_losses_raise(bad):
    with pytest.raises(ValueError):
        describe_loss(bad, 10)
