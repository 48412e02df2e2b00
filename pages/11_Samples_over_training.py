"""Samples over training: scrub through the samples stored during the run and watch spelling emerge;
check how much of a sample was copied verbatim from the training text."""

import streamlit as st

from rnn.insight.memorization import DEFAULT_MIN_COPY, copy_report
from rnn.sample import sample
from rnn.viz.insight import copied_html, loss_at_samples_figure
from ui.insight import PLOT_CONFIG
from ui.state import command, get_trainer
from ui.widgets import page_setup, text_block

page_setup("Samples over training")
trainer = get_trainer()
cfg = trainer.config

st.title("Samples over training")
st.caption("While it trains, the model writes a sample every few hundred iterations. Scrub through them: first "
           "random characters, then word-like chunks, spaces and punctuation, then real words.")

samples = trainer.samples
if cfg.sample_every:
    st.caption(f"A {cfg.sample_length}-character sample is stored every {cfg.sample_every:,} iterations "
               f"({len(samples)} so far).")
else:
    st.caption("This run does not store samples during training (sample_every = 0); record them by hand below.")
if st.button("Record a sample now", help="Store a sample of the model as it is at this iteration."):
    command("record_sample")
    samples = get_trainer().samples

chosen_text = None
if samples:
    labels = [f"iteration {it:,}" for it, _ in samples]
    if len(samples) > 1:
        pick = st.select_slider("Sample", options=list(range(len(samples))), value=len(samples) - 1,
                                format_func=lambda i: labels[i], key="samples_slider")
    else:
        pick = 0
    it, chosen_text = samples[pick]
    st.markdown(f"**Sample at iteration {it:,}**")
    text_block(chosen_text)
    if trainer.history["smooth_loss"]:
        steps, smooth, _ = trainer.history.curve("smooth_loss")  # older steps binned (rnn/history.py)
        st.plotly_chart(loss_at_samples_figure(smooth, samples, current=it, steps=steps),
                        key="samples_loss_chart", config=PLOT_CONFIG)
else:
    st.info("No samples stored yet. Train on the Train page (a sample is stored every "
            f"{cfg.sample_every or 200:,} iterations) or press **Record a sample now**.", icon=":material/info:")

# ---------------------------------------------------------------- memorisation
st.subheader("Memorisation check")
st.caption("Has the model learnt to write, or to recite? Each stretch of the sample that appears verbatim in the "
           "training text is highlighted; the rest is new.")
source = st.radio("Check", ["The sample above", "A fresh sample"], horizontal=True, key="memo_source")
if source == "A fresh sample":
    c1, c2 = st.columns(2)
    temperature = c1.slider("Temperature", 0.1, 2.0, 1.0, step=0.1, key="memo_temperature")
    seed = int(c2.number_input("Seed", 0, 1_000_000, 0, key="memo_seed"))
    # rnn.sample with its own seed: the trainer's random stream (and so exact resume) is left alone
    chosen_text = sample(trainer.params, trainer.vocab, 400, temperature=temperature, seed=seed, h=trainer.h[0])
    text_block(chosen_text)
min_copy = int(st.number_input("Minimum copied length", 5, 200, DEFAULT_MIN_COPY,
                               help="A stretch counts as copied when at least this many characters in a row "
                                    "appear somewhere in the training text. Short common words always do."))
if chosen_text:
    train_text = trainer.corpus.text[:len(trainer.corpus.train)]
    r = copy_report(chosen_text, train_text, min_copy=min_copy)
    c1, c2, c3 = st.columns(3)
    c1.metric("Novel share", f"{r['novel_share']:.0%}")
    c2.metric("Longest copied stretch", f"{r['longest_length']} chars")
    c3.metric("Copied stretches", f"{len(r['spans'])}")
    st.html(copied_html(chosen_text, r["copied"]))  # not Markdown: a blank line in a sample would end the HTML block
    if r["longest_length"]:
        st.caption(f"The longest stretch found in the training text ({r['longest_length']} characters, at position "
                   f"{r['corpus_position']:,} of the corpus):")
        text_block(r["longest_text"])
