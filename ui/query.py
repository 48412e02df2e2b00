"""Shareable settings: the Train page mirrors the corpus choice and hyperparameters in the URL's query
parameters, and a new session opened from such a link starts with them.

    /Train?corpus=zen&hidden=64&seq=50&lr=0.05&opt=adam&clip=5&batch=4&seed=1&dtype=float32

Every page's URL also carries `model=<id>`, the live model it shows (see ui/state.py): with it a link
reopens that very model, and the settings in it only describe it.

The keys and the allowed values come from the settings table (rnn/config.py): a link offers exactly what
the Train page's widgets offer. Only built-in corpora can be named in a link (pasted or uploaded text is
not put in a URL); values that are unknown or outside the app's range are ignored, and the page says so,
so a hand-edited link never breaks the app.
"""

from __future__ import annotations

import streamlit as st

from rnn.config import SETTINGS, TrainConfig
from rnn.corpus import BUILTINS

CORPUS_PARAM = "corpus"
MODEL_PARAM = "model"
IN_URL = [s for s in SETTINGS.values() if s.url]
_IGNORED = "_query_ignored"


def parse(params) -> tuple[str | None, dict, list[str]]:
    """(built-in corpus name or None, TrainConfig overrides, names of ignored parameters)."""
    corpus, overrides, ignored = None, {}, []
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
        try:
            overrides[s.name] = s.parse(str(raw).strip(), app=True)
        except ValueError:
            ignored.append(s.url)
    return corpus, overrides, ignored


def encode(config: TrainConfig, corpus_name: str | None) -> dict[str, str]:
    """Query parameters for a config (and a built-in corpus name, when the corpus is one)."""
    out = {CORPUS_PARAM: corpus_name} if corpus_name else {}
    for s in IN_URL:
        out[s.url] = s.format(getattr(config, s.name))
    return out


def initial_settings() -> tuple[str | None, dict]:
    """For a new session: the corpus and overrides named in the URL (empty when there are none). Ignored
    parameters are kept for ignored_notice()."""
    try:
        corpus, overrides, ignored = parse(st.query_params)
    except Exception:  # outside a Streamlit run (bare script): no URL
        return None, {}
    if ignored:
        st.session_state[_IGNORED] = ignored
    return corpus, overrides


def ignored_notice() -> str | None:
    """Once per session: which of the link's parameters were ignored, and what they may be."""
    ignored = st.session_state.pop(_IGNORED, None)
    if not ignored:
        return None
    by_url = {s.url: s for s in IN_URL}
    allowed = [f"{key}: {by_url[key].allowed(app=True)}" for key in ignored if key in by_url]
    if CORPUS_PARAM in ignored:
        allowed.insert(0, f"{CORPUS_PARAM}: one of {', '.join(BUILTINS)}")
    return (f"This link's {', '.join(ignored)} could not be used (unknown or out of range), so the defaults "
            f"apply. Allowed: {'; '.join(allowed)}.")


def settings_link(config: TrainConfig, corpus_name: str | None) -> str:
    """A link to this page with the model's settings but not its id: whoever opens it gets a new model of
    their own (the address bar's link, with model=, opens this very model)."""
    from urllib.parse import urlencode, urlsplit

    try:
        parts = urlsplit(st.context.url or "")
        base = f"{parts.scheme}://{parts.netloc}{parts.path}" if parts.netloc else "Train"
    except Exception:  # outside a browser session (AppTest, bare script): a relative link
        base = "Train"
    return f"{base}?{urlencode(encode(config, corpus_name))}"


def sync_url(config: TrainConfig, corpus_name: str | None, model_id: str) -> None:
    """Put the model's id and settings in the URL (only when they changed, to avoid needless browser updates)."""
    want = {MODEL_PARAM: model_id, **encode(config, corpus_name)}
    current = {k: st.query_params.get(k) for k in [MODEL_PARAM, CORPUS_PARAM, *(s.url for s in IN_URL)]}
    if {k: v for k, v in current.items() if v is not None} != want:
        st.query_params.from_dict(want)
