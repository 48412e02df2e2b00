"""Per-session state: one corpus and one Trainer per browser session, created on first use.

Every page calls `init_state()` first, so any page works when opened directly by URL. The user's model
lives only in `st.session_state` (never in a cache shared between sessions); the only shared cache is the
read-only text and encoding of the built-in corpora.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from rnn.corpus import BUILTINS, DEFAULT_BUILTIN, Corpus, fingerprint, load_builtin, make_corpus
from rnn.train import TrainConfig, Trainer
from ui.query import initial_settings

TRAINER = "trainer"
RUNNING = "running"

# Validation and stored samples are what cost time besides training, so the app spaces them out.
UI_EVAL_EVERY = 1000
UI_EVAL_MAX_CHARS = 20_000
UI_SAMPLE_EVERY = 200  # stored samples for the Samples-over-training page (~5 ms each at 200 chars)


@st.cache_resource(show_spinner=False)
def builtin_text(name: str) -> str:
    """Text of a built-in corpus (shared read-only between sessions)."""
    return load_builtin(name)


@st.cache_resource(show_spinner=False)
def builtin_corpus(name: str, seq_length: int = 25) -> Corpus:
    """A built-in corpus, encoded and split once per process. Its arrays are made read-only because
    every session shares them; the Trainer only reads them."""
    corpus = make_corpus(builtin_text(name), name, seq_length=seq_length)
    corpus.train.flags.writeable = False
    if corpus.val is not None:
        corpus.val.flags.writeable = False
    return corpus


def builtin_name(corpus: Corpus) -> str | None:
    """The corpus's built-in name if it is an unmodified built-in corpus, else None."""
    if corpus.name not in BUILTINS:
        return None
    text = builtin_text(corpus.name)
    return corpus.name if corpus.text is text or corpus.fingerprint == fingerprint(text) else None


def default_config(**overrides) -> TrainConfig:
    """min-char-rnn's hyperparameters with the app's evaluation cadence."""
    cfg = TrainConfig(eval_every=UI_EVAL_EVERY, eval_max_chars=UI_EVAL_MAX_CHARS, sample_every=UI_SAMPLE_EVERY)
    return replace(cfg, **overrides).validate()


def init_state() -> None:
    """Create the session's default corpus (python-docs) and Trainer if missing. Cheap when present."""
    ss = st.session_state
    ss.setdefault(RUNNING, False)
    if TRAINER not in ss:
        name, overrides = initial_settings()  # a shared link's corpus and settings
        try:
            config = default_config(**overrides)
            corpus = builtin_corpus(name or DEFAULT_BUILTIN, config.seq_length)
            ss[TRAINER] = Trainer(corpus, config)
        except ValueError:  # settings that do not fit together (e.g. too many streams): the defaults
            corpus = builtin_corpus(DEFAULT_BUILTIN, default_config().seq_length)
            ss[TRAINER] = Trainer(corpus, default_config())


def get_trainer() -> Trainer:
    init_state()
    return st.session_state[TRAINER]


def set_trainer(trainer: Trainer) -> None:
    """Replace the session's model (new shapes, a new corpus or an uploaded checkpoint). Stops live
    training so the new model starts paused."""
    from ui.recording import finish

    finish()  # the old model's run is complete: record its final state on the Runs page
    st.session_state[TRAINER] = trainer
    st.session_state[RUNNING] = False


def get_corpus() -> Corpus:
    """The corpus the current model trains on."""
    return get_trainer().corpus


def is_running() -> bool:
    return bool(st.session_state.get(RUNNING, False))


def set_running(flag: bool) -> None:
    st.session_state[RUNNING] = bool(flag)


# --------------------------------------------------------------------------- changing the model


def reset_model() -> Trainer:
    """Start again from fresh parameters with the current corpus and settings."""
    old = get_trainer()
    trainer = Trainer(old.corpus, old.config)  # configs are frozen: sharing one is safe
    set_trainer(trainer)
    return trainer


def trainer_lock():
    """This session's lock around training steps. A deferred checkpoint download runs on another thread
    and takes it too, so it never saves a model halfway through an update."""
    import threading

    return st.session_state.setdefault("_trainer_lock", threading.Lock())
