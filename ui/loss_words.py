"""A loss in plain words, for any page that shows a loss (Streamlit side of rnn.insight.loss_words)."""

from __future__ import annotations

import streamlit as st

from rnn.insight.loss_words import LossDescription, comparison_line, describe_loss


def loss_in_words(nats: float | None, vocab_size: int, baselines: dict[int, float] | None = None,
                  label: str = "") -> LossDescription | None:
    """Caption lines: nats = bits/char = perplexity, "as unsure as choosing among k characters", and how the
    loss compares with the uniform guess and the n-gram references. Returns the description (or None)."""
    if nats is None:
        return None
    try:
        d = describe_loss(nats, vocab_size, baselines)
    except ValueError:  # NaN or infinite loss (a diverged run): say so instead of failing
        st.caption(f"{label}the loss is not a finite number; the run has diverged.")
        return None
    st.caption(f"{label}{d.sentence}")
    line = comparison_line(d)
    if not baselines:
        line += " · n-gram references appear once computed (not available without a validation split)."
    st.caption(line[0].upper() + line[1:])
    return d
