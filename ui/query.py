"""Shareable settings: the Train page mirrors the corpus choice and hyperparameters in the URL's query
parameters, and a new session opened from such a link starts with them.

    /Train?corpus=zen&hidden=64&seq=50&lr=0.05&opt=adam&clip=5&batch=4&seed=1&dtype=float32

Every page's URL also carries `model=<id>`, the live model it shows (see ui/state.py): with it a link
reopens that very model, and the settings in it only describe it.

The keys and the allowed values come from the settings table (rnn/config.py): a link offers exactly what
the Train page's widgets offer. Only built-in corpora can be named in a link (pasted or uploaded text is
not put in a URL). A number outside the app's range is clamped to the nearest value the widgets offer (an
integer setting also rounded), a value that is not a number or not one of the choices is ignored, and the
page says once what was changed, so a hand-edited link never breaks the app. Settings that are each in range
may still be over the server's budget together (rnn/budget.py): then the defaults apply, and the notice
says why and what fits (ui/state.py).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import streamlit as st

from rnn.config import SETTINGS, TrainConfig
from rnn.corpus import BUILTINS
from ui import presenter

CORPUS_PARAM = "corpus"
MODEL_PARAM = "model"
IN_URL = [s for s in SETTINGS.values() if s.url]
_IGNORED = "_query_ignored"
_CLAMPED = "_query_clamped"
_REFUSED = "_query_refused"


class Link(NamedTuple):
    corpus: str | None  # a built-in corpus name
    overrides: dict  # TrainConfig field -> value, each within the app's range
    ignored: list[str]  # URL keys that could not be used at all
    clamped: dict  # URL key -> (the link's text, the value used instead)


def clamp(s, raw: str):
    """The value of setting `s` the app uses for the link text `raw`: the nearest within the app's range
    (rounded for an integer setting). ValueError for text that is not a number, NaN, or not a choice."""
    if s.choices:
        if raw not in s.choices:
            raise ValueError(raw)
        return raw
    value = float(raw)
    if math.isnan(value):
        raise ValueError(raw)
    value = min(max(value, s.low if s.low is not None else value), s.high if s.high is not None else value)
    if s.type is int:
        value = int(round(value))
    if s.problem(value, app=True):  # e.g. an exclusive bound: the range edge itself is not allowed
        raise ValueError(raw)
    return value


def parse(params) -> Link:
    """The corpus and settings of a link, each clamped into what the Train page's widgets offer."""
    corpus, overrides, ignored, clamped = None, {}, [], {}
    name = params.get(CORPUS_PARAM)
    if name is not None:
        if name in BUILTINS:
            corpus = name
        else:
            ignored.append(CORPUS_PARAM)
    for s in IN_URL:
        raw = params.get(s.url)
        if raw is None:
            continue
        text = str(raw).strip()
        try:
            value = clamp(s, text)
        except ValueError:
            ignored.append(s.url)
            continue
        overrides[s.name] = value
        try:
            exact = s.parse(text, app=True)
        except ValueError:
            exact = None
        if exact != value:
            clamped[s.url] = (text[:20], value)
    return Link(corpus, overrides, ignored, clamped)


def encode(config: TrainConfig, corpus_name: str | None) -> dict[str, str]:
    """Query parameters for a config (and a built-in corpus name, when the corpus is one)."""
    out = {CORPUS_PARAM: corpus_name} if corpus_name else {}
    for s in IN_URL:
        out[s.url] = s.format(getattr(config, s.name))
    return out


def initial_settings() -> tuple[str | None, dict]:
    """For a new session: the corpus and overrides named in the URL (empty when there are none). What was
    ignored or clamped is kept for ignored_notice()."""
    try:
        link = parse(st.query_params)
    except Exception:  # outside a Streamlit run (bare script): no URL
        return None, {}
    if link.ignored:
        st.session_state[_IGNORED] = link.ignored
    if link.clamped:
        st.session_state[_CLAMPED] = link.clamped
    return link.corpus, link.overrides


def refused_link(reason: str) -> None:
    """The link's settings, clamped, still did not make a model (over the budget, too many streams for the
    corpus): the defaults were used; ignored_notice() says why."""
    st.session_state[_REFUSED] = reason


def ignored_notice() -> str | None:
    """Once per session: which of the link's parameters were changed or ignored, and what they may be."""
    ss = st.session_state
    ignored, clamped, refused = ss.pop(_IGNORED, None), ss.pop(_CLAMPED, None), ss.pop(_REFUSED, None)
    by_url = {s.url: s for s in IN_URL}
    parts = []
    if clamped:
        changes = [f"{key}={text} to {by_url[key].format(value)}" for key, (text, value) in clamped.items()]
        parts.append(f"This link's {', '.join(changes)} {'was' if len(changes) == 1 else 'were'} changed to the "
                     "nearest value the Train page offers.")
    if ignored:
        allowed = [f"{key}: {by_url[key].allowed(app=True)}" for key in ignored if key in by_url]
        if CORPUS_PARAM in ignored:
            allowed.insert(0, f"{CORPUS_PARAM}: one of {', '.join(BUILTINS)}")
        parts.append(f"This link's {', '.join(ignored)} could not be used (not a number or not one of the "
                     f"choices), so the defaults apply. Allowed: {'; '.join(allowed)}.")
    if refused:
        parts.append(f"The link's settings could not be used together, so this model has the defaults: {refused}.")
    return " ".join(parts) or None


def settings_link(config: TrainConfig, corpus_name: str | None) -> str:
    """A link to this page with the model's settings but not its id: whoever opens it gets a new model of
    their own (the address bar's link, with model=, opens this very model)."""
    from urllib.parse import urlencode, urlsplit

    try:
        parts = urlsplit(st.context.url or "")
        base = f"{parts.scheme}://{parts.netloc}{parts.path}" if parts.netloc else "Train"
    except Exception:  # outside a browser session (AppTest, bare script): a relative link
        base = "Train"
    return f"{base}?{urlencode({**encode(config, corpus_name), **presenter.url_params()})}"


def sync_url(config: TrainConfig, corpus_name: str | None, model_id: str) -> None:
    """Put the model's id and settings in the URL (only when they changed, to avoid needless browser updates)."""
    want = {MODEL_PARAM: model_id, **encode(config, corpus_name), **presenter.url_params()}
    current = {k: st.query_params.get(k) for k in [MODEL_PARAM, CORPUS_PARAM, presenter.PRESENT, presenter.HIDE,
                                                   *(s.url for s in IN_URL)]}
    if {k: v for k, v in current.items() if v is not None} != want:
        st.query_params.from_dict(want)
