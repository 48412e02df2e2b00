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


def _decoded(value):
    """A live chart's JSON with Plotly's typed arrays ({"dtype", "bdata", "shape"}) as lists of numbers."""
    import base64

    import numpy as np

    if isinstance(value, dict) and "bdata" in value and "dtype" in value:
        a = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]).newbyteorder("<"))
        shape = value.get("shape")
        return (a.reshape([int(n) for n in shape.split(",")]) if shape else a).tolist()
    if isinstance(value, dict):
        return {k: _decoded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decoded(v) for v in value]
    return value


def live_chart_payloads(app) -> list[str]:
    """The JSON each live chart (ui/live_chart.py) sends the browser this run, in page order."""
    return [c.proto.json for c in app.get("bidi_component") if c.proto.component_name == "rnn_lab.live_chart"]


def live_charts(app) -> list[dict]:
    """The figures the live charts (ui/live_chart.py, the Train page's loss and gradient charts) draw, in page
    order: {"key", "data", "layout", "config"}, typed arrays decoded to lists, as st.plotly_chart's spec reads."""
    import json

    charts = [c for c in app.get("bidi_component") if c.proto.component_name == "rnn_lab.live_chart"]
    out = []
    for c in charts:
        payload = json.loads(c.proto.json)
        out.append({"key": c.key, **_decoded(payload["figure"]), "config": payload["config"]})
    return out
