"""The one visible-whitespace convention and the coloured-text renderer (rnn/viz/chars.py)."""

import numpy as np
import pytest

from rnn.viz.chars import (
    LEGEND,
    VISIBLE,
    char_labels,
    char_name,
    colored_text_html,
    label_char,
    text_char,
    visible_char,
    visible_text,
)


def test_visible_chars_and_unique_labels():
    assert visible_char(" ") == "␣" and visible_char("\n") == "↵" and visible_char("\x07") == "\\x07"
    assert visible_char("\t") == "⇥" and visible_char("é") == "é"
    labels = char_labels([" ", "␣", "a"])
    assert len(set(labels)) == 3 and labels[0] == "␣"
    assert visible_text("a b\n") == "a␣b↵"
    assert all(symbol in LEGEND for symbol in ("␣", "↵", "⇥"))


def test_running_text_keeps_spaces_blank_and_escapes():
    assert text_char(" ") == "\u00a0" and text_char("\n") == VISIBLE["\n"] and text_char("\t") == VISIBLE["\t"]
    assert text_char("<") == "&lt;" and text_char('"') == '"'  # element text: quotes need no escaping
    assert label_char(" ") == "␣" and label_char("&") == "&amp;"
    assert char_name(" ") == "␣ space" and char_name("\n") == "↵ newline" and char_name("<") == "'&lt;'"


def test_colored_text_html_escapes_and_colours():
    out = colored_text_html("<i>&\n", [1.0, -1.0, 0.0, 0.5, 0.0])
    assert "<i>" not in out and "&lt;</span>" in out and "&amp;</span>" in out and "&gt;</span>" in out
    assert "↵</span><br>" in out
    assert "rgba(214,39,40,1.00)" in out and "rgba(31,119,180,1.00)" in out  # red +, blue -
    assert 'title="+1.000"' in out and 'title="-1.000"' in out
    with pytest.raises(ValueError):
        colored_text_html("ab", [1.0])


def test_colored_text_html_options():
    one_line = colored_text_html("a\nb", [0.0, 0.0, 0.0], line_breaks=False)
    assert "↵" in one_line and "<br>" not in one_line
    assert "white-space:pre;" in one_line and "pre-wrap" in colored_text_html("a", [0.0])  # one line: no wrap
    marked = colored_text_html("abc", [0.0, 1.0, 0.0], mark=1)
    assert marked.count("outline") == 1 and 'outline:2px solid black" title="+1.000">b<' in marked
    heat = colored_text_html("ab", [0.0, 4.0], vmin=0.0, vmax=4.0, diverging=False)
    assert "rgba(214,39,40,0.00)" in heat and "rgba(214,39,40,1.00)" in heat and 'title="4.000"' in heat
    assert "rgba(0,0,0,0)" in colored_text_html("a", [float("nan")])


# ------------------------------------------------------------------ every view uses the one convention

def test_surprise_view_shows_whitespace_by_the_symbols():
    from rnn.insight.surprise import surprise
    from rnn.model import init_params
    from rnn.viz.insight import surprise_figure, surprise_hover
    from rnn.vocab import Vocab

    vocab = Vocab.from_text("a b\nc\t")
    params = init_params(vocab.size, 4, dtype=np.float64)
    s = surprise(params, vocab, "a b\nc\t", top_k=vocab.size)
    hover = surprise_hover(s)
    assert hover[0].startswith("actual ␣ space:") and hover[2].startswith("actual ↵ newline:")
    assert all(name in hover[0] for name in ("␣ space", "↵ newline", "⇥ tab"))  # the expected characters too
    cells = [c for row in surprise_figure(s).data[0].text for c in row if c]
    assert "↵" in cells and "⇥" in cells and "\n" not in cells and "\t" not in cells


def test_bptt_view_shows_whitespace_by_the_symbols():
    from types import SimpleNamespace

    from rnn.viz.insight import hidden_state_figure, walkthrough_steps_figure

    steps = [SimpleNamespace(input=c, target=t, p_target=0.5, loss=0.7, grad_h=1.0)
             for c, t in zip(" \nx", "\nx\t", strict=True)]
    w = SimpleNamespace(steps=steps, h_prev=np.zeros(2), hs=np.zeros((3, 2)))
    assert list(walkthrough_steps_figure(w).layout.xaxis.ticktext) == ["␣→↵", "↵→x", "x→⇥"]
    assert list(hidden_state_figure(w).layout.xaxis.ticktext) == ["h_prev", "␣", "↵", "x"]
