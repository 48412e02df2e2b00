"""The hidden-state heatmap (rnn/viz/hidden_states.py): unit order, constant units, readable labels, clicks."""

import numpy as np
import pytest

from rnn.viz.hidden_states import (
    CLICK_CELLS,
    PLOT_WIDTH_PX,
    X_LABEL_PX,
    Y_LABEL_PX,
    constant_units,
    hidden_heatmap,
    label_step,
    unit_order,
)


def test_unit_order():
    hs = np.array([[0.0, 1.0, 0.2], [0.0, -1.0, 0.4]])  # unit 1 varies most, unit 2 has the largest mean
    assert list(unit_order(hs, "variance")) == [1, 2, 0]
    assert list(unit_order(hs, "mean")) == [2, 0, 1]
    assert list(unit_order(hs, "index")) == [0, 1, 2]
    with pytest.raises(ValueError):
        unit_order(hs, "colour")


def test_hidden_heatmap_layout():
    text = "aa b\n"
    hs = np.random.default_rng(0).uniform(-1, 1, (5, 3))
    fig = hidden_heatmap(hs, text, order=[2, 0, 1])
    hm = fig.data[0]
    assert hm.z.dtype == np.float32 and hm.z.shape == (3, 5)
    np.testing.assert_allclose(hm.z[0], hs[:, 2].astype(np.float32))
    assert len(set(hm.x)) == 5  # repeated characters still get their own column
    assert list(fig.layout.xaxis.ticktext) == ["a", "a", "␣", "b", "↵"]
    assert list(hm.y) == ["2", "0", "1"]  # unit numbers, on a category axis (they are names, not values)
    assert fig.layout.yaxis.type == "category" and list(fig.layout.yaxis.tickvals) == ["2", "0", "1"]
    assert (hm.zmin, hm.zmax) == (-1, 1)
    with pytest.raises(ValueError):
        hidden_heatmap(hs, "abc")


def test_constant_units_are_saturated_or_flat():
    rng = np.random.default_rng(1)
    hs = rng.uniform(-1, 1, (50, 4))
    hs[:, 1] = 0.9999  # saturated at +1
    hs[:, 3] = -0.3 + rng.uniform(-0.01, 0.01, 50)  # stuck
    assert list(constant_units(hs)) == [False, True, False, True]


def test_labels_stay_readable_on_200_units_and_300_characters():
    """H = 200 had 200 unlabelled rows; 300 characters had ~5 px labels. Every shown label now gets its space."""
    T, H = 300, 200
    hs = np.random.default_rng(2).uniform(-1, 1, (T, H))
    fig = hidden_heatmap(hs, "ab c" * 75, clickable=False)
    xticks, yticks = fig.layout.xaxis.ticktext, fig.layout.yaxis.tickvals
    assert len(xticks) * X_LABEL_PX <= PLOT_WIDTH_PX and len(xticks) >= PLOT_WIDTH_PX // (2 * X_LABEL_PX)
    assert fig.layout.xaxis.tickfont.size >= 14
    plot_h = fig.layout.height - 110
    assert 0 < len(yticks) and len(yticks) * Y_LABEL_PX <= plot_h
    assert yticks[0] == "0" and fig.layout.yaxis.showticklabels is not False
    # a short window labels every character
    assert list(hidden_heatmap(hs[:60], ("ab c" * 15), clickable=False).layout.xaxis.ticktext) == list("ab␣c" * 15)
    assert label_step(10, 1000, 16) == 1 and label_step(300, 1000, 16) == 5


def test_clickable_heatmap_has_one_selectable_marker_per_cell():
    """Plotly heatmaps cannot be selected, so invisible markers on every cell carry the click (and the hover)."""
    hs = np.random.default_rng(3).uniform(-1, 1, (6, 4))
    fig = hidden_heatmap(hs, "abcdef", order=[3, 1])
    hm, cells = fig.data
    assert cells.type == "scatter" and len(cells.x) == 6 * 2 and cells.marker.opacity == 0
    assert set(cells.y) == {"3", "1"} and list(cells.y[:6]) == ["3"] * 6  # a click's y is the unit
    np.testing.assert_allclose(cells.customdata[:6], hs[:, 3].astype(np.float32))  # hover shows the cell's h
    assert hm.hoverinfo == "skip" and "customdata" in cells.hovertemplate
    assert fig.layout.clickmode == "event+select"


def test_too_many_cells_fall_back_to_the_heatmap_hover():
    T = CLICK_CELLS // 100 + 1
    hs = np.zeros((T, 100))
    fig = hidden_heatmap(hs, "x" * T)
    assert len(fig.data) == 1 and fig.data[0].hoverinfo is None and "h = %{z" in fig.data[0].hovertemplate
