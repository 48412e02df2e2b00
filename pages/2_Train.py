"""Train: step the RNN by hand or run it live, change hyperparameters mid-run, save and load checkpoints.

The model trains in a worker process (rnn/service): this page sends it commands and redraws what it reads
back, from one fragment whose elements are the same whether the model runs or not.
"""

import streamlit as st

import ui.train as tr
from rnn.evaluate import bits, perplexity
from rnn.recent_loss import RECENT_STEPS
from rnn.viz.user_text import markdown_literal
from ui import presenter
from ui.baselines import baselines_for
from ui.checkpoint import apply_checkpoint, checkpoint_filename, deferred_checkpoint
from ui.export import train_buttons
from ui.live_chart import live_chart
from ui.loss_words import loss_in_words
from ui.query import settings_link, sync_url
from ui.state import builtin_name, get_trainer, live, model_id
from ui.widgets import ICONS, fmt_int, page_setup, pop_flash, text_block

page_setup("Train", show_progress=False)
trainer = get_trainer(fresh=False)
tr.sync_widgets(trainer)
sync_url(trainer.config, builtin_name(trainer.corpus), model_id())  # a link reopens this model
cfg = trainer.config

presenting = presenter.presenting()  # a projector: the live view first, the settings folded away below it
if not presenting:  # (the sidebar names the page: its height goes to the chart)
    st.title("Train")
    st.caption(f"Corpus **{markdown_literal(trainer.corpus.name)}** · {fmt_int(len(trainer.corpus.train))} training "
           f"characters · {trainer.vocab.size} symbols. Each step reads {cfg.seq_length} characters per stream, "
               "backpropagates through them and updates the weights.")

ss = st.session_state


@st.fragment(run_every=tr.LIVE_EVERY)
def checkpoint_download():
    """Redrawn with the live view, so the file name carries the model's iteration as it trains."""
    st.download_button("Download checkpoint", data=deferred_checkpoint(),
                       file_name=checkpoint_filename(get_trainer(fresh=False)), mime="application/octet-stream",
                       on_click="ignore", key="tr_download", icon=":material/download:", width="stretch",
                       help="Everything needed to resume exactly: weights, optimizer memory, RNG, histories. The "
                            "file name says its iteration; while training runs the file holds the model at the "
                            "moment of the click, a few steps on (Pause first for an exact match).")
    st.caption("Export: a script that retrains it, or a notebook that draws it")
    train_buttons(get_trainer(fresh=False), deferred_checkpoint())


if presenting:
    main = st.container()
    controls = st.expander("Settings, sharing and checkpoints")
else:
    controls, main = st.columns([1, 3], gap="large")
show = presenter.shows  # a lesson link may hide some controls (?hide=optimizer,clip)

# ---------------------------------------------------------------- controls
with controls:
    st.markdown("##### Apply at once")
    if show("learning_rate"):
        st.select_slider(**tr.options_args("learning_rate"), format_func=tr.fmt_lr, on_change=tr.on_lr)
    if show("optimizer"):
        st.selectbox(**tr.options_args("optimizer"), on_change=tr.on_optimizer)
    if show("clip"):
        st.select_slider(**tr.options_args("clip"), format_func=tr.fmt_clip, on_change=tr.on_clip)
    if show("seq_length"):
        st.slider(**tr.range_args("seq_length"), on_change=tr.on_seq)

    if show("shape"):
        st.markdown("##### Model shape (new model)")
        st.select_slider(**tr.options_args("hidden_size"))
        st.select_slider(**tr.options_args("batch_size"))
        s1, s2 = st.columns(2)
        s1.number_input(**tr.range_args("seed"), step=1)
        s2.radio(**tr.options_args("dtype"), horizontal=False)
        changes = tr.pending_shape(trainer)
        if changes:
            listed = ", ".join(f"{label} {old} → {new}" for label, old, new in changes)
            lost = (f"the current model (iteration {fmt_int(trainer.iteration)}) is discarded"
                    if trainer.iteration else "the untrained model is replaced")
            st.warning(f"{listed}: {lost}.", icon=ICONS["warning"])
            a1, a2 = st.columns([3, 2])
            a1.button("Apply and reset model", type="primary", on_click=tr.apply_shape, key="tr_apply",
                      width="stretch")
            a2.button("Revert", on_click=tr.revert_shape, key="tr_revert", width="stretch")

    if show("share"):
        st.markdown("##### Share")
        st.caption("A link with these settings: each student who opens it gets a new model of their own. "
                   "The address bar's link (with model=…) opens this very model: share that only to let someone "
                   "watch or drive it.")
        st.code(settings_link(cfg, builtin_name(trainer.corpus)), language=None, wrap_lines=True)

    if show("checkpoint"):
        st.markdown("##### Checkpoint")
        checkpoint_download()
        upload = st.file_uploader("Upload checkpoint (.npz)", type=["npz"], key="tr_upload")
        if upload is not None and ss.get("_ckpt_done") != upload.file_id:
            ss["_ckpt_done"] = upload.file_id  # handle each uploaded file once, not on every rerun
            ok, message = apply_checkpoint(upload.getvalue(), upload.name)
            ss["_ckpt_result"] = (ok, message)
            if ok:
                st.rerun()  # redraw the whole page for the loaded model
        if ss.get("_ckpt_result"):
            ok, message = ss["_ckpt_result"]
            (st.success if ok else st.error)(message, icon=ICONS["success" if ok else "error"])
        if upload is None:
            ss.pop("_ckpt_result", None)


# ---------------------------------------------------------------- live view
# One fragment redraws everything that changes while the model trains, once a second whether it runs or not,
# with the same elements in the same order either way (a changing element tree during reruns is what made
# Streamlit's frontend fail with "Bad delta path"). Its buttons rerun only the fragment.
PRESENTER_CHART_HEIGHT = 350  # px: with text 1.25x larger, the chart's bottom stays within a 720 px screen
STATUS_ICONS = {**ICONS, "success": ":material/model_training:", "error": ":material/local_fire_department:"}


def draw_metrics(trainer):
    m = st.columns(5)
    m[0].metric("Iteration", fmt_int(trainer.iteration))
    m[1].metric("Epoch", f"{trainer.epoch_progress:.2f}", help="Passes over the training text")
    m[2].metric("Chars/s", fmt_int(round(trainer.chars_per_sec)),
                help="Training speed of the NumPy engine (characters per second of compute)")
    recent = trainer.recent_loss if trainer.iteration else None
    m[3].metric("Recent loss", "—" if recent is None else f"{recent:.3f}",
                help=f"Training loss in nats per character, averaged over about the last {RECENT_STEPS} steps: the "
                "thick curve, which follows what Step shows"
                + ("" if recent is None else f" = {bits(recent):.3f} bits/char, perplexity {perplexity(recent):.1f}. "
                   f"min-char-rnn's smooth_loss (the dashed curve, ~1000 steps, started at ln V) is "
                   f"{trainer.smooth_loss:.3f}"))
    val = trainer.last_val_loss
    m[4].metric("Validation loss", "—" if val is None else f"{val:.3f}",
                help="Nats per character on held-out text, every "
                f"{trainer.config.eval_every} iterations" if trainer.corpus.val is not None else
                "This corpus is too small for a validation split")


def draw_loss_words(trainer):
    recent = trainer.recent_loss if trainer.iteration else None
    val = trainer.last_val_loss
    # the loss in plain words: on held-out text when there is some (the n-gram references are measured there),
    # else the recent training loss; the label says which
    label = (f"Validation loss at iteration {trainer.val_history[-1][0]:,}: " if val is not None else
             f"Recent training loss (last ~{RECENT_STEPS} steps): ")
    loss_in_words(val if val is not None else recent, trainer.vocab.size, baselines_for(trainer.corpus), label=label)


@st.fragment(run_every=tr.LIVE_EVERY)
def live_view():
    trainer, record = get_trainer(fresh=False), live()
    running = record.running or record.pending_steps > 0
    kind, text = pop_flash(keep_seconds=8) or tr.status_line(trainer, record)
    getattr(st, kind)(text, icon=STATUS_ICONS[kind])
    b = st.columns([1, 1, 1.15, 1.2, 1])
    # keyboard: S, T, H step 1, ten, a hundred; P plays and pauses (Streamlit reserves C and R)
    b[0].button("Step 1", on_click=tr.do_steps, args=(1,), key="tr_step1", width="stretch", shortcut="S")
    b[1].button("Step 10", on_click=tr.do_steps, args=(10,), key="tr_step10", width="stretch", shortcut="T")
    b[2].button("Step 100", on_click=tr.do_steps, args=(100,), key="tr_step100", width="stretch", shortcut="H")
    b[3].button("Pause" if running else "Run", on_click=tr.run_or_pause, args=(not running,), key="tr_run",
                type="primary", icon=":material/pause:" if running else ":material/play_arrow:", width="stretch",
                shortcut="P")
    # Reset asks first, in a popover that is always drawn (the same elements each redraw): it says what is
    # discarded and where the model can be found again
    with b[4].popover("Reset", width="stretch", help="Fresh random weights, same settings and corpus (asks first)."):
        st.markdown(tr.reset_question(trainer, record.run_id))
        st.button("Reset the model", on_click=tr.do_reset, key="tr_reset", type="primary",
                  icon=":material/restart_alt:", width="stretch")
    draw_metrics(trainer)
    presenting = presenter.presenting()
    loss_fig, grad_fig = tr.figures(trainer, running, loss_height=PRESENTER_CHART_HEIGHT if presenting else None)
    it, text = record.sample or (0, "")
    sample_caption = f"iteration {fmt_int(it)} · temperature 1.0 · from the model's carried hidden state"
    # the charts are redrawn in place (ui/live_chart.py): a tooltip, a zoom or a legend click survives the redraws
    if presenting:  # on a projector: the loss chart and the latest sample side by side, the rest below
        chart, sample_col = st.columns([5, 2])
        with chart:
            live_chart(loss_fig, key="loss_chart")
        with sample_col:
            st.caption("Latest sample")
            text_block(text or "(no sample yet: train a few steps)", height=PRESENTER_CHART_HEIGHT - 60)
            st.caption(sample_caption)
        draw_loss_words(trainer)
        live_chart(grad_fig, key="grad_chart")
        return
    draw_loss_words(trainer)
    live_chart(loss_fig, key="loss_chart")
    g, s = st.columns([1, 1])
    with g:
        live_chart(grad_fig, key="grad_chart")
    with s:
        st.caption("Latest sample")
        text_block(text or "(no sample yet: train a few steps)", height=230)
        st.caption(sample_caption)


with main:
    live_view()
