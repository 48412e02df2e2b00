"""User text made literal: the one place that decides how a corpus name, file name, run name, tag, sample or a
message quoting one of them is shown where markup would otherwise be read.

- markdown_literal: for anything Streamlit renders as Markdown (captions, st.success/info/warning/error,
  headings, metric labels and values, help). Every ASCII punctuation character is backslash-escaped (CommonMark
  allows exactly that), so no emphasis, link, image, heading, list, table, raw HTML, entity, math ($), GFM
  autolink or Streamlit extra (:red[...], :material/icon:, :emoji:) can start inside it; line breaks become
  spaces so it cannot open a new block. Our own Markdown around it (e.g. **bold**) still works.
- plotly_literal: for Plotly trace names, hover and tick text, which Plotly reads as a subset of HTML.

Longer user text (corpus text, samples) is never embedded in Markdown at all: it goes through text_block
(st.html of escaped text) or st.code. No Streamlit here: the figure builders in rnn/viz use it too.
"""

from __future__ import annotations

import html
import re

_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character
_LINE_BREAKS = re.compile(r"[\r\n\v\f\x85\u2028\u2029]+")


def markdown_literal(text: object) -> str:
    """`text` escaped so Streamlit's Markdown shows it character for character. Line breaks become spaces
    and the ends are stripped (four leading spaces would open a code block); HTML collapses both anyway."""
    return _PUNCTUATION.sub(r"\\\1", _LINE_BREAKS.sub(" ", str(text)).strip())


def plotly_literal(text: object) -> str:
    """`text` escaped for Plotly text (names, hover, ticks): no tag or entity in it is interpreted.
    Quotes stay: Plotly shows &quot; literally (it decodes only a few named entities)."""
    return html.escape(str(text), quote=False)
