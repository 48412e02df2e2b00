"""Page scaffolding and small display helpers shared by every page."""

from __future__ import annotations

import html
import time

import streamlit as st

from rnn.evaluate import bits
from rnn.viz.user_text import markdown_literal
from ui import one_click, presenter
from ui.navigation import icon_for, leave_pages_folder_mode
from ui.query import ignored_notice
from ui.state import get_trainer, init_state, is_running, model_notice

APP_NAME = "RNN Lab"
# Material icons ship with Streamlit's own font; emoji need a system emoji font that many machines lack.
ICONS = {"success": ":material/check_circle:", "info": ":material/info:", "warning": ":material/warning:",
         "error": ":material/error:"}


def page_setup(title: str, icon: str | None = None, *, show_progress: bool = True) -> None:
    """First call of every page: page config, the session's model, sidebar status. A live model keeps
    training while its pages change (it trains in a worker, not in the page). The tab icon is the page's
    Material icon from ui.navigation unless `icon` says otherwise."""
    one_click.install()  # a click is applied once, even when the browser sends it twice (ui/one_click.py)
    leave_pages_folder_mode()  # a fresh server's first deep link: rerun through dashboard.py's navigation
    presenter.read_url()  # first: a projector link opens with the sidebar folded away
    st.set_page_config(page_title=f"{title} · {APP_NAME}", page_icon=icon or icon_for(title), layout="wide",
                       initial_sidebar_state="collapsed" if presenter.presenting() else "auto")
    init_state()
    presenter.setup()  # ?present=1 and ?hide=...: the projector view and lesson links (ui/presenter.py)
    notice = model_notice()
    if notice:
        st.info(notice, icon=ICONS["info"])
    sidebar_status(show_progress=show_progress)
    from ui.lessons import lesson_sidebar  # here: ui.lessons opens starters, which use this module's helpers

    lesson_sidebar(title)
    notice = ignored_notice()  # a shared link with values the app cannot use: say so once
    if notice:
        st.warning(notice, icon=ICONS["warning"])


def fmt_int(n: int) -> str:
    return f"{n:,}"


def loss_text(nats: float | None) -> str:
    return "—" if nats is None else f"{nats:.3f} nats ({bits(nats):.2f} bits)"


HEARTBEAT_SECONDS = 5.0  # an open page tells its model it is watched (unwatched models pause after a minute)


def sidebar_status(show_progress: bool = True) -> None:
    """Corpus and model in a few lines, on every page, redrawn every few seconds: that redraw is also how a
    page that is only being read (Neurons, Samples, ...) keeps its model from pausing as unwatched."""
    with st.sidebar:
        _sidebar_model(show_progress)


@st.fragment(run_every=HEARTBEAT_SECONDS)
def _sidebar_model(show_progress: bool) -> None:
    trainer = get_trainer(fresh=False)
    corpus, cfg = trainer.corpus, trainer.config
    st.markdown("#### Current model")
    st.caption(
        f"**Corpus** {markdown_literal(corpus.name)} · {fmt_int(len(corpus.text))} chars · "
        f"{corpus.vocab.size} symbols"
    )
    st.caption(
        f"**RNN** {cfg.hidden_size} hidden units · {cfg.optimizer} lr {cfg.learning_rate:g} · "
        f"seq {cfg.seq_length} · {cfg.batch_size} stream{'s' if cfg.batch_size > 1 else ''} · {cfg.dtype}"
    )
    if show_progress:
        st.caption(
            f"**Trained** {fmt_int(trainer.iteration)} iterations · epoch {trainer.epoch_progress:.2f} · "
            f"recent loss {loss_text(trainer.recent_loss if trainer.iteration else None)}"
        )
    # always one status line, so the redraws never add or remove an element
    if trainer.status == "diverged":
        st.caption(":red[**Diverged**, paused: see the Train page]")
    elif is_running():
        st.caption(":green[**Training live**] (see the Train page)")
    else:
        st.caption("**Paused**")


def text_block(text: str, prime: str = "", height: int | None = None) -> None:
    """Monospace, wrapped, HTML-escaped text; the prime (if any) in grey before it.

    Rendered with st.html, not st.markdown: markdown would turn a corpus's `__init__` into bold text and
    blank lines into paragraph breaks.
    """
    style = ("font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 14px; "
             "line-height: 1.45; white-space: pre-wrap; word-break: break-word; "
             "background: rgba(128,128,128,0.08); border-radius: 6px; padding: 10px 12px; margin: 0")
    if height:
        style += f"; height: {height}px; overflow-y: auto"
    body = (f'<span style="color: #8a8a8a">{html.escape(prime)}</span>' if prime else "") + html.escape(text)
    st.html(f'<div style="{style}">{body}</div>')


_FLASH = "_flash"


def flash(kind: str, message: str) -> None:
    """A message to show at the top of the next run (kept across st.rerun)."""
    st.session_state[_FLASH] = (kind, message, time.monotonic())


def pop_flash(keep_seconds: float = 0.0) -> tuple[str, str] | None:
    """The pending message as (kind, text); gone after the first call, or with keep_seconds once it is that
    old (a view redrawn every second shows it long enough to read)."""
    pending = st.session_state.get(_FLASH)
    if pending is None:
        return None
    kind, message, since = pending
    if time.monotonic() - since >= keep_seconds:
        del st.session_state[_FLASH]
    return kind, message


def show_outcome(key: str) -> None:
    """Once: the (ok, message) a button's callback left in session state under `key`, as success or error. Its
    own key, unlike flash(), so a message never shows up on a page other than the button's."""
    outcome = st.session_state.pop(key, None)
    if outcome:
        ok, message = outcome
        (st.success if ok else st.error)(message, icon=ICONS["success" if ok else "error"])


def show_flash() -> None:
    kind, message = pop_flash() or (None, None)
    if kind in ICONS:
        getattr(st, kind)(message, icon=ICONS[kind])

