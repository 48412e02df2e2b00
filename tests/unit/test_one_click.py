"""ui/one_click.py: a fragment timer's rerun message no longer carries a click; the click's own message does."""

from __future__ import annotations

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.runtime.app_session import AppSession

from ui import one_click


def rerun(auto: bool) -> BackMsg:
    msg = BackMsg()
    msg.rerun_script.is_auto_rerun = auto
    widgets = msg.rerun_script.widget_states.widgets
    step = widgets.add()
    step.id, step.trigger_value = "step100", True
    slider = widgets.add()
    slider.id, slider.double_value = "lr", 0.1
    chat = widgets.add()
    chat.id, chat.string_trigger_value.data = "chat", "hello"
    return msg


def ids(msg: BackMsg) -> list[str]:
    return [w.id for w in msg.rerun_script.widget_states.widgets]


def test_a_timer_message_loses_its_triggers_and_keeps_the_values():
    msg = rerun(auto=True)
    assert one_click.drop_timer_triggers(msg) == 2
    assert ids(msg) == ["lr"]
    assert msg.rerun_script.widget_states.widgets[0].double_value == 0.1


def test_the_clicks_own_message_keeps_its_trigger():
    msg = rerun(auto=False)
    assert one_click.drop_timer_triggers(msg) == 0
    assert ids(msg) == ["step100", "lr", "chat"]


def test_other_messages_pass_untouched():
    msg = BackMsg()
    msg.stop_script = True
    assert one_click.drop_timer_triggers(msg) == 0 and msg.stop_script


def test_install_wraps_the_session_once(monkeypatch):
    seen = []
    monkeypatch.setattr(AppSession, "handle_backmsg", lambda self, msg: seen.append(ids(msg)))
    assert one_click.install() and one_click.install()
    AppSession.handle_backmsg(None, rerun(auto=True))  # the wrapper, once: the original sees the filtered message
    AppSession.handle_backmsg(None, rerun(auto=False))
    assert seen == [["lr"], ["step100", "lr", "chat"]]
