"""Figure builders of rnn/viz/insight.py: they build, they carry the right numbers, they escape user text."""

import json

import numpy as np

from rnn.corpus import make_corpus
from rnn.insight.gradcheck import gradient_check, random_problem
from rnn.insight.health import gradient_through_time
from rnn.insight.surprise import surprise
from rnn.insight.walkthrough import walkthrough
from rnn.train import TrainConfig, Trainer
from rnn.viz import insight as vi
from rnn.viz.chars import colored_text_html

HOSTILE = '<script>alert(1)</script> <img src=x onerror="alert(2)"> & done\n' * 4


def fig_json(fig):
    return json.dumps(fig.to_plotly_json(), default=str)


def test_grid_layout_wraps_at_newlines_and_width():
    assert vi.grid_layout("ab\ncd", width=80) == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1)]
    assert vi.grid_layout("abcde", width=2) == [(0, 0), (0, 1), (1, 0), (1, 1), (2, 0)]


def test_char_grid_escapes_text_and_places_values():
    vals = np.linspace(-1, 1, len(HOSTILE))
    fig = vi.char_grid(HOSTILE, vals, width=40)
    js = fig_json(fig)
    assert "<script" not in js and "<img" not in js and "&lt;" in js
    z = np.asarray(fig.data[0].z)
    assert z[0, 0] == np.float32(vals[0])
    assert fig.data[0].text[0][0] == "&lt;"


def test_html_builders_escape():
    vals = np.zeros(len(HOSTILE))
    for out in (colored_text_html(HOSTILE, vals), vi.copied_html(HOSTILE, np.arange(len(HOSTILE)) % 7 < 3)):
        assert "<script" not in out and "<img" not in out and 'onerror="' not in out
        assert "&lt;script&gt;" in out or "&lt;" in out
    marked = vi.copied_html("abcdef", [False, True, True, False, False, False])
    assert "a<mark" in marked and ">bc</mark>def" in marked


def small_trainer():
    text = HOSTILE * 5 + "plain words and more words.\n" * 20
    t = Trainer(make_corpus(text, "h", seq_length=10), TrainConfig(hidden_size=8, seq_length=10, eval_every=0,
                                                                    health_every=2))
    t.step(6)
    return t


def test_every_figure_builds_and_escapes():
    t = small_trainer()
    s = surprise(t.params, t.vocab, HOSTILE, h0=t.h[0])
    figs = [
        vi.surprise_figure(s), vi.surprise_histogram(s),
        vi.neuron_text_figure(HOSTILE, np.tanh(np.arange(len(HOSTILE)) / 10 - 3), unit=2),
        vi.unit_ranking_figure([{"unit": 1, "feature": "digit", "r": 0.9}, {"unit": 0, "feature": "x", "r": -0.5}]),
        vi.health_figure(t.health_history),
        vi.gradient_flow_figure(gradient_through_time(t.params, t.corpus.train[:10], t.corpus.train[1:11], None),
                                chars=HOSTILE[:10]),
        vi.gradcheck_figure(gradient_check(*random_problem(vocab_size=4, hidden_size=3, seq_length=4))),
        vi.gradcheck_scatter(gradient_check(*random_problem(vocab_size=4, hidden_size=3, seq_length=4))),
        vi.walkthrough_steps_figure(walkthrough(t)), vi.walkthrough_params_figure(walkthrough(t)),
        vi.hidden_state_figure(walkthrough(t)),
        vi.loss_at_samples_figure(t.history["smooth_loss"], [(2, "x"), (4, "y")], current=4),
    ]
    for fig in figs:
        js = fig_json(fig)
        assert "<script" not in js and "<img" not in js
    # Finding 8: every log axis ticks a few labelled round numbers, not Plotly's run-together minor labels.
    log_axes = [ax for fig in figs for name, ax in fig.layout.to_plotly_json().items()
                if name.startswith("yaxis") and ax.get("type") == "log"]
    assert len(log_axes) == 4  # health (gradient norm), gradient flow, gradient check, walkthrough parameters
    assert all(ax["tickmode"] == "array" and len(ax["tickvals"]) >= 3 and len(ax["ticktext"]) == len(ax["tickvals"])
               for ax in log_axes)


def test_surprise_hover_lists_top_predictions():
    t = small_trainer()
    s = surprise(t.params, t.vocab, "plain words", top_k=3)
    hover = vi.surprise_hover(s)
    assert len(hover) == len("plain words") - 1
    assert hover[0].count("<br>") == 1 + 3  # actual line, "model expected:", 3 predictions
    assert f"{s.top_probs[0][0]:.3f}" in hover[0]


def test_health_figure_carries_the_history():
    t = small_trainer()
    fig = vi.health_figure(t.health_history)
    radius = [d.spectral_radius for d in t.health_history]
    assert list(fig.data[0].y) == radius
    assert list(fig.data[0].x) == [2, 4, 6]
