"""Shareable settings: the Train page mirrors the corpus choice and hyperparameters in the URL's query
parameters, and a new session opened from such a link starts with them.

    /Train?corpus=zen&hidden=64&seq=50&lr=0.05&opt=adam&clip=5&batch=4&seed=1&dtype=float32

Only built-in corpora can be named in a link (pasted or uploaded text is not put in a URL); values that are
unknown or out of range are ignored, so a hand-edited link never breaks the app.
"""

from __future__ import annotations

import math

import streamlit as st

from rnn.corpus import BUILTINS, fingerprint
from rnn.optim import OPTIMIZERS
from rnn.train import DTYPES, TrainConfig

CORPUS_PARAM = "corpus"


def _pos_float(s: str) -> float:
    x = float(s)
    if not (math.isfinite(x) and x > 0):
        raise ValueError(s)
    return x


def _nonneg_float(s: str) -> float:
    x = float(s)
    if not (math.isfinite(x) and x >= 0):
        raise ValueError(s)
    return x


def _int_in(lo: int, hi: int):
    def parse(s: str) -> int:
        x = int(s)
        if not lo <= x <= hi:
            raise ValueError(s)
        return x

    return parse


def _choice(options):
    def parse(s: str) -> str:
        if s not in options:
            raise ValueError(s)
        return s

    return parse


# query key -> (TrainConfig field, parser)
PARAMS = {
    "hidden": ("hidden_size", _int_in(1, 1024)),
    "seq": ("seq_length", _int_in(1, 1000)),
    "lr": ("learning_rate", _pos_float),
    "opt": ("optimizer", _choice(OPTIMIZERS)),
    "clip": ("clip", _nonneg_float),
    "batch": ("batch_size", _int_in(1, 1024)),
    "seed": ("seed", _int_in(0, 2**31 - 1)),
    "dtype": ("dtype", _choice(DTYPES)),
}


def parse(params) -> tuple[str | None, dict, list[str]]:
    """(built-in corpus name or None, TrainConfig overrides, names of ignored parameters)."""
    corpus, overrides, ignored = None, {}, []
    name = params.get(CORPUS_PARAM)
    if name is not None:
        if name in BUILTINS:
            corpus = name
        else:
            ignored.append(CORPUS_PARAM)
    for key, (field, parse_value) in PARAMS.items():
        raw = params.get(key)
        if raw is None:
            continue
        try:
            overrides[field] = parse_value(str(raw).strip())
        except ValueError:
            ignored.append(key)
    return corpus, overrides, ignored


def encode(config: TrainConfig, corpus_name: str | None) -> dict[str, str]:
    """Query parameters for a config (and a built-in corpus name, when the corpus is one)."""
    out = {CORPUS_PARAM: corpus_name} if corpus_name else {}
    for key, (field, _) in PARAMS.items():
        value = getattr(config, field)
        out[key] = f"{value:g}" if isinstance(value, float) else str(value)
    return out


def initial_settings() -> tuple[str | None, dict]:
    """For a new session: the corpus and overrides named in the URL (empty when there are none)."""
    try:
        corpus, overrides, ignored = parse(st.query_params)
    except Exception:  # outside a Streamlit run (bare script): no URL
        return None, {}
    if ignored:
        st.session_state["_query_ignored"] = ignored
    return corpus, overrides


def builtin_name(corpus) -> str | None:
    """The corpus's built-in name if it is an unmodified built-in corpus, else None."""
    if corpus.name not in BUILTINS:
        return None
    from ui.state import builtin_text

    text = builtin_text(corpus.name)
    return corpus.name if corpus.text is text or corpus.fingerprint == fingerprint(text) else None


def sync_url(trainer) -> None:
    """Put the model's settings in the URL (only when they changed, to avoid needless browser updates)."""
    want = encode(trainer.config, builtin_name(trainer.corpus))
    current = {k: st.query_params.get(k) for k in [CORPUS_PARAM, *PARAMS]}
    if {k: v for k, v in current.items() if v is not None} != want:
        st.query_params.from_dict(want)
