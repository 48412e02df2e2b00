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
    recent = trace(fig, "recent loss")
    nats = np.asarray(recent.y)
    custom = np.asarray(recent.customdata)
    np.testing.assert_allclose(custom[:, 0], nats / math.log(2))  # bits per character
    np.testing.assert_allclose(custom[:, 1], np.exp(nats))  # perplexity
    assert "bits/char" in recent.hovertemplate and "perplexity" in recent.hovertemplate
    assert "nats/char" in raw.hovertemplate and "nats/char" in trace(fig, "smooth_loss").hovertemplate
    val = trace(fig, "validation")
    assert list(val.x) == [100, 200] and list(val.y) == [3.0, 2.5]
    uniform = trace(fig, "uniform guess")
    assert list(uniform.y) == pytest.approx([math.log(65)] * 2)
    grams = [t for t in fig.data if "gram" in t.name]
    assert [t.y[0] for t in grams] == [3.3, 2.1, 1.7]
    widths = {t.name: t.line.width for t in fig.data}
    assert max(widths, key=widths.get).startswith("recent loss")  # the thick curve is the recent one
    assert fig.layout.uirevision == "loss"  # zoom survives live redraws


def test_the_thick_curve_follows_step_mode_and_the_slow_one_is_kept():
    """Finding 2: 100 steps falling from ln 8 to 0.1 (hello after Step 100); min-char-rnn's smooth_loss is
    still near ln 8, the thick curve ends near the last steps' loss."""
    loss = np.concatenate([np.linspace(math.log(8), 0.1, 60), np.full(40, 0.1)])
    smooth = [math.log(8)]
    for v in loss:
        smooth.append(0.999 * smooth[-1] + 0.001 * v)
    fig = loss_figure(loss, smooth[1:], vocab_size=8)
    assert trace(fig, "recent loss").y[-1] == pytest.approx(0.1, abs=0.02)
    slow = trace(fig, "smooth_loss (min-char-rnn")
    assert slow.y[-1] > 1.9 and slow.line.dash == "dash"


def test_iterations_hover_as_plain_integers():
    loss = np.random.default_rng(0).random(50_000) + 2
    for fig in (loss_figure(loss, loss), grad_figure(loss, loss > 2.5)):
        assert fig.layout.xaxis.hoverformat == ",d"  # "44,892", not "44.892k"
        assert fig.layout.hovermode == "x unified"


def test_legends_sit_under_the_chart_away_from_the_modebar():
    loss = np.linspace(3, 2, 50)
    for fig in (loss_figure(loss, loss, vocab_size=20, baselines={n: 2.5 for n in range(1, 6)}),
                grad_figure(loss, loss > 2.5)):
        legend = fig.layout.legend  # at the foot of the figure, under the x axis: the modebar is top right
        assert (legend.yref, legend.yanchor, legend.y) == ("container", "bottom", 0)


def _luminance(rgb):
    c = np.asarray(rgb, dtype=float) / 255
    c = np.where(c <= 0.03928, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]


def _rgb(color: str, opacity: float, background):
    if color.startswith("#"):
        rgb, alpha = [int(color[i:i + 2], 16) for i in (1, 3, 5)], 1.0
    else:  # rgba(r, g, b, a)
        *rgb, alpha = [float(v) for v in color[color.index("(") + 1:-1].split(",")]
    a = alpha * opacity
    return [a * c + (1 - a) * b for c, b in zip(rgb, background, strict=True)]


@pytest.mark.parametrize("background", [(255, 255, 255), (14, 17, 23)], ids=["light", "dark"])
def test_the_loss_lines_read_on_light_and_dark_themes(background):
    """Finding 8: the per-step line was a translucent blue that all but vanished on the dark theme."""
    loss = np.linspace(3, 2, 50)
    fig = loss_figure(loss, loss, [(25, 2.5)])
    bg = _luminance(background)
    for t in fig.data:
        lum = _luminance(_rgb(t.line.color, 1.0 if t.opacity is None else t.opacity, background))
        contrast = (max(lum, bg) + 0.05) / (min(lum, bg) + 0.05)
        assert contrast >= 2.3, (t.name, contrast)


def test_setting_changes_are_marked_on_the_loss_curve():
    loss = np.linspace(3, 2, 100)
    events = [(40, "learning_rate", 0.1, 0.01), (70, "optimizer", "adagrad", "adam"),
              (70, "learning_rate", 0.01, 0.002), (80, "clip", 5.0, 0.0)]
    fig = loss_figure(loss, loss, vocab_size=20, events=events)
    marks = trace(fig, "setting changed")
    assert list(marks.x) == [40, 70, 80]
    assert list(marks.text) == ["learning rate 0.1 → 0.01", "optimizer adagrad → adam; learning rate 0.01 → 0.002",
                                "clip ±5 → off"]
    np.testing.assert_allclose(marks.y, np.asarray(trace(fig, "recent loss").y)[[39, 69, 79]])  # on the curve
    assert [sh.x0 for sh in fig.layout.shapes] == [40, 70, 80]
    assert not any(t.name == "setting changed" for t in loss_figure(loss, loss).data)


def test_the_previous_models_curve_is_a_faint_ghost():
    loss = np.linspace(3, 2.5, 30)
    ghost = {"x": np.arange(1, 5001), "y": np.linspace(3, 1.5, 5000), "name": "before Reset (5,000 iterations)"}
    fig = loss_figure(loss, loss, vocab_size=20, ghost=ghost)
    g = trace(fig, "before Reset")
    assert g.opacity < 0.6 and g.line.color == "#9e9e9e" and len(g.x) == 5000
    assert fig.layout.xaxis.range == pytest.approx((0, 30 * 1.02))  # the axis follows this model's curve
    untrained = loss_figure([], [], vocab_size=20, ghost=ghost)
    assert trace(untrained, "before Reset") and untrained.layout.xaxis.range is None  # all of it before a step


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


@pytest.mark.parametrize("lo,hi", [(2.1, 2.6), (0.8, 40.0), (1e-4, 1e3), (3.0, 3.0)])
def test_grad_norm_axis_has_a_few_plain_ticks(lo, hi):
    """Finding 8: one tick per decade left a narrow range with one tick; minor labels ran together."""
    fig = grad_figure(np.geomspace(lo, hi, 200), np.zeros(200, bool))
    ax = fig.layout.yaxis
    assert ax.type == "log" and 3 <= len(ax.tickvals) <= 8
    assert all(ax.range[0] <= math.log10(v) <= ax.range[1] for v in ax.tickvals)
    assert math.log10(lo) >= ax.range[0] and math.log10(hi) <= ax.range[1]
    assert all("e" not in t or v < 1e-4 for t, v in zip(ax.ticktext, ax.tickvals, strict=True))
    assert float(ax.ticktext[0].replace(",", "")) == pytest.approx(ax.tickvals[0])


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
