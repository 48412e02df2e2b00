"""User text is shown literally: rendered by a real Markdown parser (markdown-it-py, CommonMark plus GFM tables
and strikethrough) the escaped text comes back character for character, inside no tag, link or image; in
Plotly text no tag survives. The browser test (tests/browser/test_browser_injection.py) checks Streamlit's own
renderer on the pages."""

from __future__ import annotations

import html
import re

import markdown_it
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnn.viz.user_text import markdown_literal, plotly_literal

PAYLOAD = "**x** ![i](http://127.0.0.1:9/x.png) <b>y</b> # H [l](http://e)"
EXTRAS = ["# H", "> quote", "- item", "1. one", "| a | b |\n|---|---|", "~~s~~", "`code`", "&amp; &#60;", "$x^2$",
          ":red[red] :material/home: :smile:", "<http://e>", "a\\*b", "\\", "    indented", "x  \ny", "[a]: http://e",
          "_u_ __uu__", "<script>alert(1)</script>", "=== \n---", "<!-- c -->", "[x]\n\n[x]: http://e"]
MARKUP = list("*_[]()!<>#`~|$:\\&;/.-+=@{}^\"'%") + ["\n", "  ", "    ", "http://", "www.", "&amp;", "<b>", "](", "!["]


def _parser():
    return markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"])


def _shown(text: str) -> str:
    """What markdown_literal promises to show: the text with line breaks as spaces, ends stripped."""
    return re.sub(r"[\r\n\v\f\x85\u2028\u2029]+", " ", text).strip()


def _assert_literal(text: str) -> None:
    rendered = _parser().render("**Corpus** " + markdown_literal(text))
    tags = re.findall(r"</?([a-zA-Z][\w-]*)", rendered)
    assert tags == ["p", "strong", "strong", "p"], (text, rendered)  # ours only: no a/img/h1/em/code/...
    body = rendered.removeprefix("<p><strong>Corpus</strong>").removesuffix("</p>\n").strip()
    assert html.unescape(body) == _shown(text).replace("\x00", "\ufffd"), (text, rendered)


@pytest.mark.parametrize("text", [PAYLOAD, *EXTRAS])
def test_crafted_markdown_and_html_come_back_literally(text):
    _assert_literal(text)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(MARKUP), st.text(max_size=3)), max_size=25).map("".join))
def test_any_text_comes_back_literally(text):
    _assert_literal(text)


def test_our_own_markdown_around_it_still_works():
    rendered = _parser().render(f"Now training on **{markdown_literal('<b>y</b> *z*')}**.")
    assert rendered == "<p>Now training on <strong>&lt;b&gt;y&lt;/b&gt; *z*</strong>.</p>\n"


def test_streamlit_extras_cannot_start_in_escaped_text():
    # Streamlit's frontend rewrites ":material/" in the raw source and loads emoji and math only when the raw
    # source has ":word:" or "$...$": none of those patterns survives the escape.
    escaped = markdown_literal(":material/home: :smile: $x$ :red[a]")
    assert ":material/" not in escaped
    assert not re.search(r":[\w+-][\w_+-]*:", escaped)
    assert not re.search(r"(?<!\\)\$", escaped) and "[" not in escaped.replace("\\[", "")


@given(st.text(max_size=40))
def test_plotly_text_has_no_tag_and_decodes_back(text):
    out = plotly_literal(text)
    assert "<" not in out and ">" not in out
    assert html.unescape(out) == text


def test_run_names_reach_plotly_escaped():
    from rnn.viz.runs import loss_curves, val_curves

    label = '#1 <b>y</b> <a href="http://e">l</a> %{y}'
    run = {"label": label, "metrics": {"iteration": [1, 2], "chars": [25, 50], "seconds": [0.1, 0.2],
                                      "loss": [3.0, 2.9]}, "val": [(2, 2.8)]}
    for fig in (loss_curves([run]), val_curves([run])):
        trace = fig.data[0]
        assert trace.name == plotly_literal(label) and "<b>" not in trace.name and "<a" not in trace.name
        assert label not in (trace.hovertemplate or "")  # the template refers to the name, never embeds it
