"""Training figures: downsampling maths, hover units, reference lines, heatmap layout, escaping."""

import math

import numpy as np
import pytest

from rnn.viz.training import (
    downsample,
    grad_figure,
    loss_figure,
    next_char_figure,
    rolling_mean,
)


def trace(fig, name_start):
    return next(t for t in fig.data if t.name and t.name.startswith(name_start))


# ---------------------------------------------------------------- downsampling


def test_downsample_short_series_unchanged():
    y = np.arange(10.0)
    x, ys = downsample(y, max_points=100)
    np.testing.assert_array_equal(x, np.arange(1, 11))
    np.testing.assert_array_equal(ys, y)


@pytest.mark.parametrize("n", [2001, 4000, 12_345, 100_000])
def test_downsample_long_series_bounded_and_reaches_the_end(n):
    y = np.random.default_rng(0).random(n)
    x, ys = downsample(y, max_points=2000)
    assert len(x) <= 2001 and x[-1] == n and np.all(np.diff(x) > 0)
    # bin means preserve the overall mean when bins are equal (and nearly so with a partial last bin)
    k = math.ceil(n / 2000)
    m = (n // k) * k
    np.testing.assert_allclose(ys[: m // k], y[:m].reshape(-1, k).mean(axis=1))


def test_downsample_last_keeps_running_average_values():
    y = np.arange(5000.0)
    x, ys = downsample(y, max_points=1000, how="last")
    np.testing.assert_array_equal(ys, y[x - 1])


def test_downsample_never_exceeds_max_points_and_keeps_given_x():
    for n in (2001, 2999, 4001, 10**5 + 7):
        x = np.cumsum(np.arange(1, n + 1))  # uneven spacing, as in stored run metrics
        xs, ys = downsample(np.arange(n, dtype=float), max_points=2000, how="last", x=x)
        assert len(xs) <= 2000 and xs[-1] == x[-1] and ys[-1] == n - 1
        assert set(xs) <= set(x)
    with pytest.raises(ValueError):
        downsample([1.0, 2.0], how="median")


def test_rolling_mean_matches_naive():
    a = np.random.default_rng(1).random(50)
    naive = [a[max(0, i - 9): i + 1].mean() for i in range(50)]
    np.testing.assert_allclose(rolling_mean(a, 10), naive)


# ---------------------------------------------------------------- loss


def test_loss_figure_traces_and_hover_units():
    loss = np.linspace(4.0, 2.0, 300)
    fig = loss_figure(loss, loss, [(100, 3.0), (200, 2.5)], vocab_size=65, baselines={1: 3.3, 3: 2.1, 5: 1.7})
    raw = trace(fig, "loss per step")
    nats = np.asarray(raw.y)
    custom = np.asarray(raw.customdata)
    np.testing.assert_allclose(custom[:, 0], nats / math.log(2))  # bits per character
    np.testing.assert_allclose(custom[:, 1], np.exp(nats))  # perplexity
    assert "bits/char" in raw.hovertemplate and "perplexity" in raw.hovertemplate
    val = trace(fig, "validation")
    assert list(val.x) == [100, 200] and list(val.y) == [3.0, 2.5]
    uniform = trace(fig, "uniform guess")
    assert list(uniform.y) == pytest.approx([math.log(65)] * 2)
    grams = [t for t in fig.data if "gram" in t.name]
    assert [t.y[0] for t in grams] == [3.3, 2.1, 1.7]
    assert trace(fig, "smoothed loss").line.width > raw.line.width
    assert fig.layout.uirevision == "loss"  # zoom survives live redraws


def test_loss_figure_downsamples_long_histories():
    loss = np.random.default_rng(0).random(50_000) + 2
    fig = loss_figure(loss, loss, max_points=2000)
    assert all(len(t.x) <= 2001 for t in fig.data)
    assert trace(fig, "loss (mean of").x[-1] == 50_000


def test_loss_figure_empty_says_what_to_do():
    fig = loss_figure([], [], [], vocab_size=10)
    assert any("Step or Run" in a.text for a in fig.layout.annotations)


# ---------------------------------------------------------------- gradients


def test_grad_figure_norm_and_clip_rate():
    norm = np.full(400, 3.0)
    clipped = np.array([True, False] * 200)
    fig = grad_figure(norm, clipped, window=100)
    rate = trace(fig, "clip rate")
    assert max(rate.y) <= 1 and rate.y[-1] == pytest.approx(0.5)
    assert fig.layout.yaxis.type == "log"
    assert list(trace(fig, "gradient norm").y) == [3.0] * 400


# ---------------------------------------------------------------- next character


def test_next_char_figure_sorted_top_k_and_reference():
    chars = list("abcdef")
    probs = np.array([0.1, 0.4, 0.05, 0.3, 0.1, 0.05])
    fig = next_char_figure(chars, probs, 0.5, reference=probs, top=3)
    bars = fig.data[0]
    assert list(bars.x) == ["b", "d", "a"] and list(bars.y) == [0.4, 0.3, 0.1]
    assert len(fig.data) == 2 and "T = 1" in fig.data[1].name
    assert fig.layout.yaxis.range[1] == pytest.approx(0.46)
    same = next_char_figure(chars, probs, 1.0, reference=probs)
    assert len(same.data) == 1  # at T = 1 the outlines would just repeat the bars
    greedy = next_char_figure(chars, np.eye(6)[1], 0.0)
    assert greedy.data[0].name.startswith("greedy")
