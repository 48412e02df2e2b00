"""One click, one action: a fragment's timer must not deliver a click (a workaround for Streamlit's frontend).

Streamlit 1.67's frontend sends a click's trigger on its next zero-delay timeout. A fragment's `run_every` timer
that fires in between sends every widget state, the pending trigger included, and then the click's own message
follows with it again: each message runs the button's callback. Every page has such a timer (the sidebar's), the
Train page two more, so on a loaded machine one Step 100 became 200 or 300 steps and a Run click could start and
stop the model at once (tests/browser/test_click_once.py reproduces it by delaying zero-delay timeouts).

A trigger in a timer's message is always sent again in the click's own message, so the server drops triggers from
timer (auto-rerun) messages before Streamlit reads them. Streamlit offers no public hook for incoming messages:
this wraps AppSession.handle_backmsg, once per server process, and does nothing if that method is not there.
"""

from __future__ import annotations

import threading

# The widget-state fields that carry a one-shot event (a click, a submitted chat message) rather than a value.
TRIGGER_FIELDS = frozenset({"trigger_value", "string_trigger_value", "json_trigger_value", "chat_input_value"})

_lock = threading.Lock()


def drop_timer_triggers(msg) -> int:
    """Remove the triggers from a fragment timer's rerun message (a BackMsg); return how many were removed."""
    if msg.WhichOneof("type") != "rerun_script" or not msg.rerun_script.is_auto_rerun:
        return 0
    widgets = msg.rerun_script.widget_states.widgets
    kept = [w for w in widgets if w.WhichOneof("value") not in TRIGGER_FIELDS]
    dropped = len(widgets) - len(kept)
    if dropped:
        del widgets[:]
        widgets.extend(kept)
    return dropped


def install() -> bool:
    """Filter every session's incoming messages through drop_timer_triggers (idempotent). False if this
    Streamlit has no AppSession.handle_backmsg to wrap (then clicks are as Streamlit delivers them)."""
    from streamlit.runtime.app_session import AppSession

    with _lock:
        original = getattr(AppSession, "handle_backmsg", None)
        if original is None:
            return False
        if getattr(original, "drops_timer_triggers", False):
            return True

        def handle_backmsg(self, msg):
            drop_timer_triggers(msg)
            return original(self, msg)

        handle_backmsg.drops_timer_triggers = True
        handle_backmsg.__wrapped__ = original
        AppSession.handle_backmsg = handle_backmsg
        return True
