"""Presenter mode and lesson links: the app on a projector, and links that hide chosen controls.

`?present=1` (or the sidebar's toggle) makes all text 1.25x larger and lays the Train page out for a 1280x720
screen: the Run/Pause button, the loss chart and the latest sample fit without scrolling while it trains, and
the settings fold away under the live view. `?hide=optimizer,clip` hides those controls of the Train page, as
TensorFlow Playground's lesson links do (the names are HIDEABLE's keys; unknown names are left out). Both live
in the session, and in the URL so the link can be shared; the Train page's settings link keeps them.
"""

from __future__ import annotations

import streamlit as st

PRESENT, HIDE = "present", "hide"
HIDEABLE = {
    "learning_rate": "Learning rate",
    "optimizer": "Optimizer",
    "clip": "Clip",
    "seq_length": "Sequence length",
    "shape": "Model shape (hidden size, streams, seed, dtype)",
    "share": "Share",
    "checkpoint": "Checkpoint",
}
SCALE = 1.25  # text size in presenter mode; Streamlit sizes its text in rem, so the root font size scales it
_ON, _HIDDEN, _TOGGLE, _READ = "_presenting", "_hidden_controls", "presenter_toggle", "_presenter_link_read"
STYLE = f"""<style>
html {{ font-size: {100 * SCALE:.0f}%; }}
[data-testid="stMainBlockContainer"] {{ padding-top: 3.6rem; padding-bottom: 1rem; }}
</style>"""


def parse_hide(text: str) -> frozenset[str]:
    return frozenset(n for n in (part.strip().lower() for part in str(text).split(",")) if n in HIDEABLE)


def read_url() -> None:
    """Take presenter mode and hidden controls from the link the session was opened with (once: afterwards
    the toggle decides, and the URL follows)."""
    ss, params = st.session_state, st.query_params
    if ss.get(_READ):
        return
    ss[_READ] = True
    if PRESENT in params:
        ss[_ON] = params.get(PRESENT) == "1"
    if HIDE in params:
        ss[_HIDDEN] = parse_hide(params.get(HIDE, ""))


def presenting() -> bool:
    return bool(st.session_state.get(_ON, False))


def hidden() -> frozenset[str]:
    return st.session_state.get(_HIDDEN, frozenset())


def shows(control: str) -> bool:
    return control not in hidden()


def url_params() -> dict[str, str]:
    """The query parameters that keep this view in a link."""
    out = {PRESENT: "1"} if presenting() else {}
    if hidden():
        out[HIDE] = ",".join(sorted(hidden()))
    return out


def _toggled() -> None:
    st.session_state[_ON] = bool(st.session_state[_TOGGLE])


def setup() -> None:
    """Every page: the link's view, the sidebar toggle, the larger text, and the URL kept in step."""
    read_url()
    st.session_state[_TOGGLE] = presenting()  # the toggle follows the link (and the other pages' toggles)
    st.sidebar.toggle("Presenter mode", key=_TOGGLE, on_change=_toggled,
                      help=f"Text {SCALE:g}x larger; on Train, the live view fits a projector and the settings "
                           "fold away. The link keeps it (present=1).")
    if presenting():
        st.html(STYLE)
    for name, value in {PRESENT: None, HIDE: None, **url_params()}.items():
        if value is None and name in st.query_params:
            del st.query_params[name]
        elif value is not None and st.query_params.get(name) != value:
            st.query_params[name] = value
