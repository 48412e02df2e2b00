"""The page's link to its model: a live model of the server (rnn/service), found by the id in the URL.

Every page calls `init_state()` first, so any page works when opened directly by URL. The model lives in a
worker process, not in the browser session: the URL's `model=` id reattaches a reload, a second tab or a
restarted server to it, and a link without one makes a new model. Pages read the model's replica
(`get_trainer()`, an ordinary Trainer that never trains) and change the model only through `command()` and
`set_trainer()`. The only other shared caches are the read-only built-in corpora.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from rnn.checkpoint import CheckpointError
from rnn.corpus import BUILTINS, DEFAULT_BUILTIN, Corpus, fingerprint, load_builtin, make_corpus
from rnn.service import Registry, UnknownModel
from rnn.train import TrainConfig, Trainer
from ui.query import MODEL_PARAM, initial_settings, refused_link

MODEL = "model_id"
SEEN = "_models_seen"  # every model id this session has shown: whose runs it may see (rnn/runs/access.py)
MAX_SEEN = 100
_NOTICE = "_model_notice"

# Validation and stored samples are what cost time besides training, so the app spaces them out.
UI_EVAL_EVERY = 1000
UI_EVAL_MAX_CHARS = 20_000
UI_SAMPLE_EVERY = 200  # stored samples for the Samples-over-training page (~5 ms each at 200 chars)


@st.cache_resource(show_spinner=False)
def registry() -> Registry:
    """The server's live models (one registry per server process, shared by every session)."""
    return Registry()


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


def _model_name(corpus: Corpus, config: TrainConfig) -> str:
    return f"dashboard {corpus.name} H{config.hidden_size}"


def _new_model() -> str:
    """A model from the link's corpus and settings (the defaults if they do not fit together)."""
    name, overrides = initial_settings()
    try:
        config = default_config(**overrides)
        corpus = builtin_corpus(name or DEFAULT_BUILTIN, config.seq_length)
        return registry().create(corpus, config, name=_model_name(corpus, config))
    except ValueError as exc:  # settings that do not fit together (too many streams, over the budget): the defaults
        if name or overrides:
            refused_link(str(exc))  # the page says why (ui.query.ignored_notice)
        corpus = builtin_corpus(DEFAULT_BUILTIN, default_config().seq_length)
        return registry().create(corpus, default_config(), name=_model_name(corpus, default_config()))


def init_state() -> None:
    """Attach the session to the model named in the URL, or make a new one; keep its id in the URL."""
    ss = st.session_state
    if MODEL not in ss:
        wanted = st.query_params.get(MODEL_PARAM)
        if wanted:
            try:
                registry().attach(wanted)
                ss[MODEL] = wanted
            except (UnknownModel, CheckpointError, OSError):
                ss[_NOTICE] = ("The model in this link is not on this server (a mistyped link, or its run was "
                               "deleted). This is a new model.")
        if MODEL not in ss:
            ss[MODEL] = _new_model()
        _remember(ss[MODEL])
    if st.query_params.get(MODEL_PARAM) != ss[MODEL]:
        st.query_params[MODEL_PARAM] = ss[MODEL]


def attach_to(other: str) -> None:
    """Make this session show another live model (UnknownModel if it cannot be found or reopened)."""
    registry().attach(other)
    st.session_state[MODEL] = other
    _remember(other)
    st.query_params[MODEL_PARAM] = other


def model_id() -> str:
    init_state()
    return st.session_state[MODEL]


def visible_models() -> frozenset[str]:
    """The models this session has shown in its life (its link's, and any it was attached to since): holding
    their ids, it may see and change their runs. Only this session's state keeps them, never the URL."""
    _remember(model_id())  # also a model set by hand (tests do)
    return frozenset(st.session_state[SEEN])


def _remember(model: str) -> None:
    seen = st.session_state.setdefault(SEEN, [])
    if model not in seen:
        seen.append(model)
        del seen[:-MAX_SEEN]


def model_notice() -> str | None:
    """Once: why the page shows another model than its link named."""
    return st.session_state.pop(_NOTICE, None)


def get_trainer(fresh: bool = True) -> Trainer:
    """The model's replica, up to date. fresh=False skips copying the arrays (parameters, hidden state) when
    only the counters and curves are needed (the Train page's live view, the sidebar)."""
    return registry().view(model_id(), fresh=fresh)


def live():
    """The server's record of the model: running, pending_steps, sample, note, run_id."""
    return registry().status(model_id())


def models_per_worker() -> float:
    """How many training models share each worker of this server (0: none trains)."""
    return registry().running_per_worker()


def is_running() -> bool:
    s = live()
    return s.running or s.pending_steps > 0


def command(name: str, wait: bool = True, timeout: float = 10.0, **args) -> str | None:
    """Send the model a command (step n=, run, pause, change **settings, record_sample, flush); returns the
    worker's error message, "timeout" if it is still at it after `timeout` seconds, or None when done."""
    return registry().command(model_id(), name, wait=wait, timeout=timeout, **args)


def set_trainer(trainer: Trainer) -> None:
    """Make `trainer` the model (a new shape or corpus, an uploaded checkpoint, a stored run). The old run is
    complete; the new model starts paused."""
    registry().replace(model_id(), trainer, name=_model_name(trainer.corpus, trainer.config))


def get_corpus() -> Corpus:
    """The corpus the current model trains on."""
    return get_trainer(fresh=False).corpus


def reset_model() -> Trainer:
    """Start again from fresh parameters with the current corpus and settings."""
    old = get_trainer(fresh=False)
    trainer = Trainer(old.corpus, old.config)  # configs are frozen: sharing one is safe
    set_trainer(trainer)
    return trainer


def checkpoint_now() -> bytes:
    """The model's checkpoint as it is at this moment (for a download)."""
    return registry().checkpoint(model_id())
