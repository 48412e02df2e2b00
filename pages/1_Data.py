"""Data: choose what the RNN reads (built-in text, pasted text or an uploaded file) and inspect it."""

import streamlit as st

from rnn.corpus import BUILTINS, DEFAULT_BUILTIN, CorpusError
from rnn.viz.chars import LEGEND
from rnn.viz.user_text import markdown_literal
from ui.data import (
    PENDING,
    corpus_from_builtin,
    corpus_from_text,
    corpus_from_upload,
    corpus_warnings,
    request_corpus,
    use_corpus,
    vocabulary_table,
)
from ui.state import get_trainer
from ui.widgets import ICONS, flash, fmt_int, page_setup, show_flash, text_block

page_setup("Data")
trainer = get_trainer()

st.title("Data")
st.caption("The RNN learns to predict each next character of this text. Changing the text starts a new model.")
show_flash()

# ---------------------------------------------------------------- choose a corpus
SOURCES = ["Built-in", "Paste text", "Upload file"]
source = st.radio("Source", SOURCES, horizontal=True, key="data_source")

candidate, error = None, None
if source == "Built-in":
    names = list(BUILTINS)
    current = trainer.corpus.name if trainer.corpus.name in BUILTINS else DEFAULT_BUILTIN
    name = st.selectbox("Built-in corpus", names, index=names.index(current),
                        format_func=lambda n: f"{n} — {BUILTINS[n][0]}", key="data_builtin")
    make = lambda: corpus_from_builtin(name)  # noqa: E731 - built lazily: only when the button is pressed
elif source == "Paste text":
    text = st.text_area("Corpus text", height=220, key="data_text",
                        placeholder="Paste a few thousand characters or more: a poem collection, code, a play…")
    # A text area sends its text only on Ctrl+Enter or when it loses focus: say so, or "0 characters" while
    # pasting reads like a broken counter. (The button below also takes what is in the box.)
    if text:
        st.caption(f"{fmt_int(len(text))} characters, {len(set(text))} distinct: counted at the last Ctrl+Enter or "
                   "click outside the box.")
    else:
        st.caption("Paste or type, then press Ctrl+Enter or click outside the box to count the characters.")
    make = lambda: corpus_from_text(text, "pasted text")  # noqa: E731
else:
    upload = st.file_uploader("Text file (.txt)", type=["txt", "md"], key="data_upload",
                              help="UTF-8 plain text, up to 5 million characters.")
    make = (lambda: corpus_from_upload(upload.getvalue(), upload.name)) if upload else None

if st.button("Use this corpus", type="primary", disabled=make is None, key="data_use"):
    try:
        new = make()
        if request_corpus(new):
            flash("success", f"Now training on **{markdown_literal(new.name)}**: a fresh model is ready on the "
                             "Train page.")
            st.rerun()  # redraw everything, the sidebar included, for the new model
    except CorpusError as exc:
        st.error(f"This text cannot be used: {markdown_literal(exc)}", icon=ICONS["error"])
    except ValueError as exc:  # the text is valid but too short for the current batch streams, etc.
        st.error(f"This text does not fit the current settings: {markdown_literal(exc)}", icon=ICONS["error"])

pending = st.session_state.get(PENDING)
if pending is not None:
    st.warning(f"Switching to **{markdown_literal(pending.name)}** ({fmt_int(len(pending.text))} characters) "
               f"discards the current model, trained for {fmt_int(trainer.iteration)} iterations. Download a "
               "checkpoint on the Train page first if you want to keep it.", icon=ICONS["warning"])
    c1, c2, _ = st.columns([1.2, 1, 3])
    if c1.button("Apply and reset model", type="primary", key="data_apply"):
        try:
            use_corpus(pending)
            flash("success", f"Now training on **{markdown_literal(pending.name)}**: a fresh model is ready on "
                             "the Train page.")
            st.rerun()
        except ValueError as exc:
            st.error(f"This text does not fit the current settings: {markdown_literal(exc)}", icon=ICONS["error"])
    if c2.button("Keep current model", key="data_cancel"):
        st.session_state.pop(PENDING, None)
        st.rerun()

# ---------------------------------------------------------------- the corpus in use
corpus = get_trainer().corpus
st.divider()
st.subheader(f"In use: {markdown_literal(corpus.name)}")
n_train = len(corpus.train)
n_val = 0 if corpus.val is None else len(corpus.val)
m1, m2, m3, m4 = st.columns(4)
m1.metric("Characters", fmt_int(len(corpus.text)))
m2.metric("Vocabulary", corpus.vocab.size, help="distinct characters = size of the one-hot input and the softmax")
m3.metric("Training", fmt_int(n_train), help="characters the model trains on (the first 90%)")
m4.metric("Validation", fmt_int(n_val) if n_val else "none", help="held-out characters (the last 10%)")

for w in corpus_warnings(corpus, get_trainer().config.seq_length):
    st.warning(w, icon=ICONS["warning"])

left, right = st.columns([3, 2])
with left:
    st.markdown("**The start of the text**")
    text_block(corpus.text[:1200] + ("…" if len(corpus.text) > 1200 else ""), height=360)
with right:
    st.markdown(f"**Vocabulary** ({LEGEND})")
    table = vocabulary_table(corpus.fingerprint, corpus.text)
    st.dataframe(
        table, hide_index=True, height=360, width="stretch",
        column_config={
            "char": st.column_config.TextColumn("char", width="small"),
            "share": st.column_config.ProgressColumn("share", format="percent", min_value=0.0,
                                                     max_value=float(table["share"].max())),
        },
    )
