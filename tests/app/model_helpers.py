"""Helpers for AppTests: a page's model lives in a worker (rnn/service), found by the session's model id."""

from __future__ import annotations

import time

from ui.state import registry


def model(app, fresh: bool = True):
    """The page's model as the worker has it now (its replica, arrays included)."""
    return registry().view(app.session_state["model_id"], fresh=fresh)


def step(app, n: int) -> None:
    """Train the page's model n steps (what its Step buttons do)."""
    assert registry().command(app.session_state["model_id"], "step", n=n, timeout=60) is None


def running(app) -> bool:
    return registry().status(app.session_state["model_id"]).running


def adopt(app, trainer) -> str:
    """Make `trainer` the model of the app's next run, as a link to it would (before or after a first run)."""
    model_id = registry().adopt(trainer)
    app.query_params["model"] = model_id
    if "model_id" in app.session_state:
        app.session_state["model_id"] = model_id
    return model_id


def wait_for(condition, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def shown(markdown_source: str) -> str:
    """What a reader sees of an element's Markdown source, as far as user text goes: AppTest gives the source,
    where names and messages are backslash-escaped (rnn/viz/user_text.py markdown_literal)."""
    import re

    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown_source)
