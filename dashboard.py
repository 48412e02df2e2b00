"""RNN Lab: the app's entry point and its home page (what this is, where the model stands, where to start).

Run with `streamlit run dashboard.py`. The other pages live in pages/; st.navigation lists them in the sidebar
(ui.navigation: names, icons, order) under "Home", at the URL paths the pages/ folder gave them (/Train, ...).
Each page calls ui.widgets.page_setup() first, so any page can be opened directly by URL.
"""

import streamlit as st

from rnn.corpus import BUILTINS
from rnn.viz.user_text import markdown_literal
from ui.navigation import HOME, app_pages, icon_for
from ui.starters import show_starter_message, starter_buttons
from ui.state import get_trainer
from ui.widgets import ICONS, fmt_int, loss_text, page_setup


def home() -> None:
    page_setup(HOME)
    trainer = get_trainer()
    corpus, cfg = trainer.corpus, trainer.config

    st.title("RNN Lab")
    st.markdown(
        "Watch a character-level recurrent neural network, the few dozen lines of NumPy of Karpathy's "
        "*min-char-rnn*, **learn to write, live**.  \n"
        "Pick a text, press **Run**, and see the loss fall, hidden units light up and samples turn from noise into "
        "words."
    )

    st.subheader("Where things stand")
    c1, c2, c3, c4 = st.columns(4)
    desc = BUILTINS[corpus.name][0] if corpus.name in BUILTINS else "your own text"
    c1.metric("Corpus", markdown_literal(corpus.name), help=desc)
    c2.metric("Characters", fmt_int(len(corpus.text)), help=f"{corpus.vocab.size} distinct characters")
    c3.metric("Model", f"{cfg.hidden_size} units", help=f"{cfg.optimizer}, learning rate {cfg.learning_rate:g}")
    c4.metric("Iterations", fmt_int(trainer.iteration),
              help="Recent loss (last ~10 steps) " + loss_text(trainer.recent_loss if trainer.iteration else None))
    if trainer.iteration == 0:
        st.info(f"A fresh model is ready on **{markdown_literal(corpus.name)}** ({desc}). No typing needed: open "
                "**Train** and press **Run**.", icon=":material/arrow_forward:")
    else:
        st.success(f"Trained for {fmt_int(trainer.iteration)} iterations; smoothed loss "
                   f"{loss_text(trainer.smooth_loss)} per character.", icon=ICONS["success"])

    buttons = st.container(horizontal=True)  # side by side, each as wide as its label (columns cut them at 1280 px)
    if buttons.button("Start training", type="primary", icon=icon_for("Train"), key="home_start"):
        st.switch_page("pages/2_Train.py")
    if buttons.button("Choose a text", icon=icon_for("Data"), key="home_data"):
        st.switch_page("pages/1_Data.py")
    if buttons.button("Follow the lessons", icon=icon_for("Lessons"), key="home_lessons"):
        st.switch_page("pages/13_Lessons.py")

    st.markdown("**Or start from a model trained in advance** (it replaces the current one; every page then shows "
                "what a trained network does):")
    show_starter_message()
    starter_buttons("home")

    st.subheader("A short tour")
    for path, label, icon, what in app_pages():
        col_link, col_text = st.columns([1, 4])
        with col_link:
            st.page_link(path, label=label, icon=icon)
        col_text.markdown(what)

    with st.expander("What is running here?"):
        st.markdown(
            "The model is min-char-rnn's vanilla RNN:\n\n"
            "$h_t = \\tanh(W_{xh} x_t + W_{hh} h_{t-1} + b_h)$, $\\;y_t = W_{hy} h_t + b_y$, "
            "$\\;p_t = \\mathrm{softmax}(y_t)$,\n\n"
            "trained with truncated backpropagation through time on chunks of `seq_length` characters and "
            "Adagrad, exactly as in the original 112 lines, only vectorized. Every browser tab has its own model; "
            "nothing is shared between visitors."
        )


st.navigation([st.Page(home, title=HOME, icon=icon_for(HOME), default=True),
               *(st.Page(p.path, title=p.label, icon=p.icon) for p in app_pages())]).run()
