"""The one visible-whitespace convention and the coloured-text renderer (rnn/viz/chars.py)."""

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
    assert char_name(" ") == "space" and char_name("\n") == "newline" and char_name("<") == "'&lt;'"


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
