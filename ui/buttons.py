"""Buttons whose click acts once, however many times the browser delivers it.

Why: Streamlit 1.67's frontend queues a click's trigger and sends it on the next tick (setTimeout 0). A
fragment's `run_every` timer that fires in between sends all widget states too, the pending trigger
included, so one click can arrive in two or three messages, and each runs the button's callback. Every page
has such a timer (the sidebar's), the Train page two. On a busy machine that turned one Step 100 into 200 or
300 steps (reproduced by delaying the browser's zero-delay timeouts: tests/browser/test_click_once.py).

The fix here: each click of a button moves its counter. The button is drawn under a key that carries the
counter, and the action is taken only for a click on the drawing whose counter is current. A repeat of an
applied click names the old drawing: its callback sees a stale counter and does nothing, and a repeat that
reaches the script body names a key that is no longer drawn. A new click, on the new drawing, acts.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

_COUNTERS = "_clicks:"  # session-state prefix: the clicks of each button so far


def _count(key: str) -> int:
    return st.session_state.get(_COUNTERS + key, 0)


def drawn_key(key: str) -> str:
    """The widget key the button has now (tests use it to find the button)."""
    return f"{key}#{_count(key)}"


def _act_once(key: str, drawn: int, action: Callable, args: tuple) -> None:
    if _count(key) != drawn:
        return  # a repeat of a click that was applied already
    st.session_state[_COUNTERS + key] = drawn + 1
    action(*args)


def action_button(where, label: str, *, key: str, on_click: Callable, args: tuple = (), **kwargs) -> None:
    """`where.button(label, on_click=on_click, args=args)` (where: st, a column, ...), acting once per click."""
    where.button(label, key=drawn_key(key), on_click=_act_once, args=(key, _count(key), on_click, args), **kwargs)


def clicked_once(where, label: str, *, key: str, **kwargs) -> bool:
    """`if where.button(label): ...`, true once per click."""
    if where.button(label, key=drawn_key(key), **kwargs):
        st.session_state[_COUNTERS + key] = _count(key) + 1
        return True
    return False


def form_submitted_once(label: str, *, key: str, **kwargs) -> bool:
    """`if st.form_submit_button(label): ...` (inside a form), true once per click."""
    if st.form_submit_button(label, key=drawn_key(key), **kwargs):
        st.session_state[_COUNTERS + key] = _count(key) + 1
        return True
    return False
