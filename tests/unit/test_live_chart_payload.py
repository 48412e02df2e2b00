"""ui/live_chart.py: what the Train page's live charts send the browser for a figure from rnn/viz."""

from __future__ import annotations

import base64
import json

import numpy as np
import plotly.io as pio
import pytest

from rnn.viz.training import grad_figure, loss_figure
from ui.live_chart import FRONTEND, PLOTLY_JS, chart_payload, typed_array


def decode(spec):
    dtype = np.dtype(spec["dtype"]).newbyteorder("<")
    a = np.frombuffer(base64.b64decode(spec["bdata"]), dtype=dtype)
    return a.reshape([int(n) for n in spec["shape"].split(",")]) if "shape" in spec else a


def trained_history(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    steps = np.arange(1, n + 1)
    loss = 4.2 * np.exp(-steps / 800) + 1.4 + 0.3 * rng.standard_normal(n)
    return steps, loss


def loss_fig(n=3000, points=500):
    steps, loss = trained_history(n)
    smooth = np.maximum.accumulate(loss[::-1])[::-1]
    return loss_figure(loss, smooth, [(1000, 2.9), (2000, 2.2)], vocab_size=65, baselines={1: 3.3, 3: 2.0},
                       max_points=points, x=steps, weights=np.ones(n), events=[(1500, "learning_rate", 0.1, 0.05)])


def test_typed_arrays_floats_as_float32_integers_in_the_smallest_type():
    f = typed_array(np.array([0.1, 2.5, np.nan]))
    assert f["dtype"] == "f4" and "shape" not in f
    np.testing.assert_array_equal(decode(f), np.array([0.1, 2.5, np.nan], dtype=np.float32))
    assert typed_array(np.arange(100))["dtype"] == "i1"
    assert typed_array(np.arange(1000))["dtype"] == "i2"
    big = typed_array(np.array([0, 3_000_000]))
    assert big["dtype"] == "i4" and decode(big).tolist() == [0, 3_000_000]
    assert typed_array(np.array([0, 2**40])) == [0, 2**40]  # plotly.js has no int64: a list
    pairs = typed_array(np.arange(6, dtype=np.float64).reshape(3, 2))
    assert pairs["shape"] == "3,2" and decode(pairs).tolist() == [[0, 1], [2, 3], [4, 5]]
    assert typed_array(np.array(["a", "b"])) == ["a", "b"]


def test_booleans_as_uint8():
    spec = typed_array(np.array([True, False, True]))
    assert spec["dtype"] == "u1" and decode(spec).tolist() == [1, 0, 1]


def test_the_payload_is_the_figure_the_page_draws_without_its_template():
    fig = loss_fig()
    payload = chart_payload(fig, uirevision="loss_chart")
    json.dumps(payload)  # plain JSON: no NumPy left
    assert "template" not in payload["layout"] and "template" in fig.to_plotly_json()["layout"]
    assert payload["layout"]["uirevision"] == "loss"  # the figure's own, kept
    assert payload["layout"]["height"] == fig.layout.height
    ours = {t.name: t for t in fig.data}
    assert [t["name"] for t in payload["data"]] == [t.name for t in fig.data]
    for trace in payload["data"]:
        original = ours[trace["name"]]
        for axis in ("x", "y"):
            value, want = trace[axis], np.asarray(getattr(original, axis))
            got = decode(value) if isinstance(value, dict) else np.asarray(value)
            np.testing.assert_allclose(got, want.astype(np.float64), rtol=1e-6)  # float32 precision
        if original.customdata is not None:
            np.testing.assert_allclose(decode(trace["customdata"]), original.customdata, rtol=1e-6)
        spec = original.to_plotly_json()
        assert set(trace) == set(spec)  # nothing left out
        for key in set(spec) - {"x", "y", "customdata"}:
            assert trace[key] == spec[key], key  # styles, names, hover templates as they were
    (marks,) = [t for t in payload["data"] if t["name"] == "setting changed"]
    assert marks["text"] == ["learning rate 0.1 → 0.05"]


def test_a_figure_without_a_uirevision_gets_the_key():
    fig = grad_figure(np.abs(np.random.default_rng(1).standard_normal(50)) + 0.1, np.zeros(50, bool))
    fig.layout.uirevision = None
    assert chart_payload(fig, uirevision="grad_chart")["layout"]["uirevision"] == "grad_chart"


@pytest.mark.parametrize("n", [50, 3000])
def test_the_payload_is_smaller_than_st_plotly_charts_spec(n):
    """st.plotly_chart sends plotly.io.to_json(fig): float64 arrays and the whole template."""
    fig = loss_fig(n)
    ours = len(json.dumps(chart_payload(fig, "loss_chart"), separators=(",", ":")))
    theirs = len(pio.to_json(fig, validate=False))
    assert ours < 0.8 * theirs, (ours, theirs)


def test_the_browser_side_is_there():
    assert (FRONTEND / "live_chart.js").is_file()
    assert PLOTLY_JS.is_file() and PLOTLY_JS.stat().st_size > 1_000_000  # plotly.js, from the plotly package
    source = (FRONTEND / "live_chart.js").read_text()
    assert "innerHTML" not in source and "insertAdjacentHTML" not in source  # text is never parsed as HTML
