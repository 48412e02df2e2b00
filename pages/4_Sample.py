"""Sample: the same seed at several temperatures side by side, and what temperature does to the softmax."""

import numpy as np
import streamlit as st

from rnn.sample import next_char_probs, sample_many, warm_state
from rnn.viz.chars import LEGEND
from rnn.viz.training import next_char_figure
from rnn.viz.user_text import markdown_literal
from ui.state import get_trainer
from ui.widgets import ICONS, fmt_int, page_setup, text_block

TEMPERATURES = [0.2, 0.5, 1.0, 1.5, 2.0]

page_setup("Sample")
trainer = get_trainer()
ss = st.session_state

st.title("Sample")
st.caption(f"The model after {fmt_int(trainer.iteration)} iterations writes on from its carried hidden state. Every "
           "column uses the same random seed; only the temperature differs. Temperature divides the logits before "
           "the softmax: low is safe and repetitive, high is adventurous and misspelt; greedy always takes the most "
           "likely character.")


def default_prefix_for(text: str) -> str:
    """A short one-line prefix from the corpus: the start of its first sentence beginning "The ", else
    the start of its first non-empty line."""
    i = text.find("The ")
    line = text[i:i + 40] if i >= 0 else next((ln for ln in text.splitlines() if ln.strip()), text)[:40]
    line = line.split("\n")[0]
    cut = line.rfind(" ", 0, 24)
    return line[:cut + 1] if cut > 0 else line[:24]


def next_seed():
    ss["sm_seed"] = int(ss.get("sm_seed", 0)) + 1


c1, c2, c3, c4, c5 = st.columns([3, 2, 1, 1, 1])
prime = c1.text_input("Prime text", value="", key="sm_prime", help="Text fed in first; the samples continue it.")
length = c2.slider("Length", 20, 1000, 300, step=10, key="sm_length")
top_k = c3.number_input("Top-k", min_value=0, max_value=trainer.vocab.size, value=0, key="sm_topk",
                        help="Only the k most likely characters can be drawn (0 = all).")
ss.setdefault("sm_seed", 0)  # set here, not via value=, because Generate changes it through session state
seed = c4.number_input("Seed", min_value=0, max_value=2**31 - 1, step=1, key="sm_seed")
c5.markdown("<div style='height: 1.75rem'></div>", unsafe_allow_html=True)  # align the button with the inputs
c5.button("Generate", type="primary", on_click=next_seed, key="sm_generate", width="stretch",
          help="New samples with the next seed")

try:
    texts = sample_many(trainer.params, trainer.vocab, length, [*TEMPERATURES, 0.0], top_k=top_k or None,
                        prime=prime, seed=int(seed), h=trainer.h[0])
except ValueError as exc:
    st.error(f"Cannot sample: {markdown_literal(exc)}", icon=ICONS["error"])
    texts = None

if texts:
    cols = st.columns(len(texts))
    for col, t, text in zip(cols, [*TEMPERATURES, 0.0], texts, strict=True):
        with col:
            st.markdown(f"**T = {t:g}**" if t else "**Greedy**")
            if text and not text.strip():  # an empty-looking box would read as a bug
                st.caption(f"only spaces and newlines ({len(text)}): the likeliest character, over and over")
            text_block(text, prime=prime, height=420)

st.divider()
st.subheader("What temperature does to the next character")
# The prefix starts as the prime text (else a line of the corpus) and follows a new prime or corpus; the
# reader's own edit stays until then. Set through session state: a keyed widget ignores a changed value=.
# A prime the model cannot read (already explained above) leaves the prefix as it was.
prefix_source = prime if prime and not trainer.vocab.unknown(prime) else ss.get("sm_prefix_from")
prefix_source = prefix_source or default_prefix_for(trainer.corpus.text)
if ss.get("sm_prefix_from") != prefix_source or "sm_prefix" not in ss:
    ss["sm_prefix"], ss["sm_prefix_from"] = prefix_source, prefix_source
p1, p2 = st.columns([3, 2])
prefix = p1.text_input("Prefix", key="sm_prefix",
                       help="The model reads this text; the chart shows its odds for the character that follows.")
temperature = p2.slider("Temperature", 0.0, 2.0, 1.0, step=0.05, key="sm_temperature",
                        help="0 = greedy (all probability on the most likely character)")
try:
    _, logits = warm_state(trainer.params, trainer.vocab, prefix, h=trainer.h[0])
except ValueError as exc:
    st.error(f"Cannot read the prefix: {markdown_literal(exc)}", icon=ICONS["error"])
    st.stop()
k = top_k or None
probs = next_char_probs(logits, temperature, k)  # what sampling draws from: top-k, then temperature
softmax = next_char_probs(logits, 1.0)  # the model's own distribution over every character


def entropy_bits(p):
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum())


st.plotly_chart(next_char_figure(trainer.vocab.chars, probs, temperature, reference=softmax, top_k=k),
                key="next_char_chart", config={"displaylogo": False})
limited = k is not None and k < trainer.vocab.size
drawn = f", {entropy_bits(probs):.2f} bits as sampled" if temperature != 1 or limited else ""
if limited:
    kept = float(np.sort(softmax)[::-1][:k].sum())
    bars = (f"Bars: the {k} characters top-k keeps, most likely first ({LEGEND}); together they hold {kept:.0%} "
            "of the model's probability and are renormalised to 100% before the temperature applies. Outlines: "
            "the model's own softmax (T = 1, all characters).")
else:
    bars = f"Bars: the 30 most likely characters ({LEGEND})"
    bars += "." if temperature == 1 else "; outlines: the model's own softmax (T = 1)."
st.caption(f"Entropy of the next-character distribution: {entropy_bits(softmax):.2f} bits for the model's softmax"
           f"{drawn}. {bars}")
