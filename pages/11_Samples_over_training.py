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
ss = st.session_state

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

SLIDER, PLAYING, FULL_RUN = "samples_slider", "samples_playing", "samples_full_run"
PLAY_SECONDS = 0.8  # per sample while playing


def _play():
    if ss.get(SLIDER, len(samples) - 1) >= len(samples) - 1:  # at the end: play from the first sample
        ss[SLIDER] = 0
    ss[PLAYING] = True


def _pause():
    ss[PLAYING] = False


chosen_text = None
if len(samples) < 2:
    ss[PLAYING] = False
elif ss.get(SLIDER) not in range(len(samples)):  # first visit, or fewer samples after a Reset: the latest
    ss[SLIDER] = len(samples) - 1
playing = bool(ss.get(PLAYING))
ss[FULL_RUN] = True  # the fragment below tells this run from its own timed reruns


def sample_player():
    if bool(ss.get(PLAYING)) != playing:  # paused by the slider, or the end reached: redraw without the timer
        st.rerun(scope="app")
    if not ss.pop(FULL_RUN, False) and playing:  # a timed rerun: the next sample
        ss[SLIDER] = min(ss[SLIDER] + 1, len(samples) - 1)
        if ss[SLIDER] == len(samples) - 1:
            ss[PLAYING] = False
    labels = [f"iteration {it:,}" for it, _ in samples]
    if len(samples) > 1:
        c1, c2 = st.columns([6, 1], vertical_alignment="bottom")
        pick = c1.select_slider("Sample", options=list(range(len(samples))), format_func=lambda i: labels[i],
                                key=SLIDER, on_change=_pause)
        if ss.get(PLAYING):
            c2.button("Pause", icon=":material/pause:", on_click=_pause, key="samples_pause", width="stretch")
        else:
            c2.button("Play", icon=":material/play_arrow:", on_click=_play, key="samples_play", width="stretch",
                      help=f"Step through the samples, one every {PLAY_SECONDS:g} s, from the first (or from the "
                           "one shown); it stops at the latest.")
    else:
        pick = 0
    it, text = samples[pick]
    st.markdown(f"**Sample at iteration {it:,}**")
    text_block(text)
    if trainer.history["smooth_loss"]:
        steps, smooth, _ = trainer.history.curve("smooth_loss")  # older steps binned (rnn/history.py)
        st.plotly_chart(loss_at_samples_figure(smooth, samples, current=it, steps=steps),
                        key="samples_loss_chart", config=PLOT_CONFIG)
    if bool(ss.get(PLAYING)) != playing:  # the last sample reached: drop the timer, show Play again
        st.rerun(scope="app")
    return text


if samples:
    # Playing, the player is a fragment that the browser reruns every PLAY_SECONDS: no loop or sleep on the
    # server, so other sessions (and this one's widgets) are never held up. Paused, it is part of the page, so
    # scrubbing updates the memorisation check below too.
    chosen_text = (st.fragment(sample_player, run_every=PLAY_SECONDS) if playing else sample_player)()
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
if playing and source == "The sample above":
    st.caption("Playing: the check of the sample above waits until it stops (Pause, or the latest sample).")
elif chosen_text:
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
