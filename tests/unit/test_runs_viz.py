"""Run-comparison figures: TensorBoard smoothing, overlaid curves, parallel coordinates."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rnn.viz.runs import MAX_POINTS, loss_curves, parallel_coordinates, smooth, val_curves


def tensorboard_smooth(values, weight):
    # TensorBoard's scalar dashboard: EMA started at 0 and divided by (1 - weight^n) to remove the start bias.
    out, last, n = [], 0.0, 0
    for v in values:
        last = last * weight + (1 - weight) * v
        n += 1
        out.append(last / (1 - weight**n))
    return out


def test_smoothing_matches_tensorboard():
    rng = np.random.default_rng(0)
    y = list(3 + rng.normal(size=200))
    for w in (0.0, 0.3, 0.6, 0.99):
        np.testing.assert_allclose(smooth(y, w), tensorboard_smooth(y, w), rtol=1e-12)
    assert smooth([5.0, 5.0, 5.0], 0.9).tolist() == pytest.approx([5.0, 5.0, 5.0])  # no pull towards 0
    with pytest.raises(ValueError):
        smooth(y, 1.0)


def test_loss_curves_one_trace_per_run_on_each_axis():
    m = {"iteration": list(range(1, 5001)), "chars": [25 * i for i in range(1, 5001)],
         "seconds": [0.001 * i for i in range(1, 5001)], "loss": [4 - math.log(i) / 5 for i in range(1, 5001)]}
    runs = [{"label": "a", "metrics": m}, {"label": "b", "metrics": m}]
    for axis, title, last_x in (("iterations", "Iteration", 5000), ("characters", "Characters", 125000),
                                ("seconds", "seconds", 5.0)):
        fig = loss_curves(runs, x=axis, smoothing=0.0)
        assert [t.name for t in fig.data] == ["a", "b"]
        assert title.lower() in fig.layout.xaxis.title.text.lower()
        assert len(fig.data[0].x) <= MAX_POINTS and fig.data[0].x[-1] == pytest.approx(last_x)
    fig = loss_curves(runs, log_y=True)
    log, ys = fig.layout.yaxis, np.concatenate([t.y for t in fig.data])  # a few labelled round ticks (finding 8)
    assert log.type == "log" and log.tickmode == "array" and len(log.tickvals) >= 3
    assert 10 ** log.range[0] <= ys.min() and 10 ** log.range[1] >= ys.max()
    # Smoothing happens on the full data before downsampling.
    fig = loss_curves(runs, smoothing=0.9)
    assert fig.data[0].y[-1] == pytest.approx(smooth(m["loss"], 0.9)[-1], rel=1e-6)


def test_val_curves_map_iterations_to_characters():
    m = {"iteration": [1, 2, 3, 4], "chars": [10, 20, 30, 40], "seconds": [1, 2, 3, 4], "loss": [1, 1, 1, 1]}
    fig = val_curves([{"label": "a", "metrics": m, "val": [(2, 1.5), (4, 1.2)]},
                      {"label": "no val", "metrics": m, "val": []}], x="characters")
    assert len(fig.data) == 1 and list(fig.data[0].x) == [20, 40] and list(fig.data[0].y) == [1.5, 1.2]


def test_parallel_coordinates_dimensions():
    rows = [
        {"learning_rate": 0.1, "hidden_size": 32, "seq_length": 25, "batch_size": 1, "optimizer": "adam",
         "val_loss": 2.0},
        {"learning_rate": 0.001, "hidden_size": 64, "seq_length": 50, "batch_size": 4, "optimizer": "adagrad",
         "val_loss": 2.5},
        {"learning_rate": 0.01, "hidden_size": 64, "seq_length": 50, "batch_size": 4, "optimizer": "adagrad",
         "val_loss": None},  # no validation loss: left out
    ]
    fig = parallel_coordinates(rows)
    dims = {d.label: d for d in fig.data[0].dimensions}
    assert list(dims["learning rate (log scale)"].values) == pytest.approx([-1, -3])
    assert list(dims["optimizer"].ticktext) == ["adagrad", "adam"] and list(dims["optimizer"].values) == [1, 0]
    assert list(dims["val loss"].values) == [2.0, 2.5]
    assert list(fig.data[0].line.color) == [2.0, 2.5]
    assert len(parallel_coordinates([]).data[0].dimensions) == 0


def test_a_single_validation_point_is_a_marker_on_a_range_from_zero():
    m = {"iteration": [100, 200, 300], "chars": [1, 2, 3], "seconds": [1, 2, 3], "loss": [3, 2, 1]}
    fig = val_curves([{"label": "a", "metrics": m, "val": [(300, 2.1)]},
                      {"label": "b", "metrics": m, "val": [(300, 2.4)]}])
    assert all("markers" in t.mode for t in fig.data) and fig.data[0].marker.size >= 8
    lo, hi = fig.layout.xaxis.range
    assert lo == 0 and 300 < hi <= 360  # not 299-301: the whole run, its one point near the right
    several = val_curves([{"label": "a", "metrics": m, "val": [(100, 2.5), (300, 2.1)]}])
    assert several.layout.xaxis.range is None  # a real curve keeps Plotly's own range


def test_parallel_coordinates_ticks_are_readable_and_increase_upward():
    rows = [{"learning_rate": lr, "hidden_size": h, "seq_length": 25, "batch_size": 1, "optimizer": "adagrad",
             "val_loss": v} for lr, h, v in ((0.05, 32, 2.345678), (0.1, 64, 2.0123), (0.01, 32, 2.9))]
    dims = {d.label: d for d in parallel_coordinates(rows).data[0].dimensions}
    lr = dims["learning rate (log scale)"]
    assert list(lr.ticktext) == ["0.01", "0.05", "0.1"]  # the learning rates themselves, not log10 values
    assert list(lr.tickvals) == pytest.approx([math.log10(x) for x in (0.01, 0.05, 0.1)])
    assert lr.range[0] < math.log10(0.01) < math.log10(0.1) < lr.range[1]  # small at the bottom, growing upward
    hidden = dims["hidden size"]
    assert list(hidden.tickvals) == [32, 64] and list(hidden.ticktext) == ["32", "64"]
    seq = dims["sequence length"]  # one value: a tick at it, centred
    assert list(seq.tickvals) == [25] and seq.range[0] < 25 < seq.range[1]
    assert dims["val loss"].tickformat == ".2f"
