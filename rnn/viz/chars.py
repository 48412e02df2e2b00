"""How characters are shown: one visible-whitespace convention and one coloured-text renderer.

Axis labels, table cells and tick text show every whitespace character as a symbol (space ␣, newline ↵,
tab ⇥, carriage return ␍), because a blank label or cell reads as missing. Running text (the coloured
text, the character grid) keeps a space blank, so the text still reads as text: its coloured background
is what shows it. Everything meant for HTML or a Plotly text field goes through html.escape, so a corpus
holding `<script>` or `onerror=` is shown as text.
"""

from __future__ import annotations

import html
import math

import numpy as np

VISIBLE = {" ": "␣", "\n": "↵", "\t": "⇥", "\r": "␍"}
NAMES = {" ": "space", "\n": "newline", "\t": "tab", "\r": "carriage return"}
LEGEND = "␣ space, ↵ newline, ⇥ tab"  # for captions of tables and charts that use VISIBLE


def visible_char(c: str) -> str:
    """A printable stand-in for whitespace and control characters (space -> ␣, newline -> ↵, ...)."""
    if c in VISIBLE:
        return VISIBLE[c]
    if not c.isprintable():
        return f"\\x{ord(c):02x}" if ord(c) < 256 else f"\\u{ord(c):04x}"
    return c


def visible_text(text: str) -> str:
    """`text` with every character as visible_char shows it (for table cells)."""
    return "".join(visible_char(c) for c in text)


def char_labels(chars) -> list[str]:
    """Visible labels for distinct characters, kept distinct (a literal '␣' never collides with a space)."""
    labels, seen = [], set()
    for c in chars:
        label = visible_char(c)
        if label in seen:
            label = repr(c)
        seen.add(label)
        labels.append(label)
    return labels


def label_char(c: str) -> str:
    """visible_char escaped for a Plotly label (tick text, hover), which would otherwise read tags."""
    return html.escape(visible_char(c), quote=False)


def char_name(c: str) -> str:
    """A character for hover text, escaped: whitespace as its symbol with its name ("␣ space", the symbol the
    labels and tables show), anything else quoted."""
    return f"{VISIBLE[c]} {NAMES[c]}" if c in NAMES else f"'{label_char(c)}'"


def text_char(c: str) -> str:
    """One character of running text as escaped display text: a space stays blank (a no-break space,
    which neither HTML nor Plotly collapses), other whitespace and control characters as visible_char.

    Quotes stay as they are: this is element text, never an attribute value, and Plotly would show &quot;
    literally (it decodes only a few named entities)."""
    return "\u00a0" if c == " " else html.escape(visible_char(c), quote=False)


def value_colour(value: float, vmin: float = -1.0, vmax: float = 1.0, diverging: bool = True) -> str:
    """Background for one character: transparent at 0 (or vmin), red for positive (or high), blue for
    negative values; a non-finite value stays transparent."""
    if not math.isfinite(value):
        return "rgba(0,0,0,0)"
    if diverging:
        a = max(-1.0, min(1.0, value / max(abs(vmin), abs(vmax), 1e-12)))
        return f"rgba(214,39,40,{a:.2f})" if a >= 0 else f"rgba(31,119,180,{-a:.2f})"
    a = max(0.0, min(1.0, (value - vmin) / max(vmax - vmin, 1e-12)))
    return f"rgba(214,39,40,{a:.2f})"


def colored_text_html(text: str, values, vmin: float = -1.0, vmax: float = 1.0, diverging: bool = True,
                      mark: int | None = None, line_breaks: bool = True) -> str:
    """Inline HTML: each character on a background coloured by its value, its value on hover (escaped; safe
    for unsafe_allow_html). A newline shows as ↵; with line_breaks it also breaks the line and long lines
    wrap, without it the text stays on one line (a short context beside its label). `mark` outlines one
    position (the character a context is centred on)."""
    values = np.asarray(values, np.float64)
    if len(values) != len(text):
        raise ValueError("need one value per character")
    wrap = "white-space:pre-wrap;word-break:break-all" if line_breaks else "white-space:pre"
    parts = [f'<span style="font-family:monospace;{wrap};line-height:1.8">']
    for i, c in enumerate(text):
        style = f"background:{value_colour(values[i], vmin, vmax, diverging)}"
        if i == mark:
            style += ";outline:2px solid black"
        tip = f"{values[i]:+.3f}" if diverging else f"{values[i]:.3f}"
        parts.append(f'<span style="{style}" title="{tip}">{text_char(c)}</span>')
        if c == "\n" and line_breaks:
            parts.append("<br>")
    parts.append("</span>")
    return "".join(parts)
