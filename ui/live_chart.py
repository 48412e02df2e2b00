"""A Plotly chart that a live page redraws in place, so hover, zoom and legend clicks survive the redraws.

`st.plotly_chart` hashes the figure into the element's identity, so every new figure mounts a new chart: the
tooltip the reader was looking at, a zoom or a hidden legend entry is gone at each redraw while training.
`live_chart(fig, key)` draws the same figure with a small `st.components.v2` component instead: its element is
found by `key` alone, and its JavaScript (ui/frontend/live_chart.js) hands each new figure to `Plotly.react` on
the same chart, which keeps what the reader did while `layout.uirevision` stays the same.

The figures still come from rnn/viz; `chart_payload` turns one into what the browser needs: JSON with NumPy
arrays as Plotly's typed-array specs (base64, floats as float32), without `layout.template` (the browser builds
the Streamlit theme's look, light or dark, from the page's own colours). plotly.js comes from the installed
`plotly` package, served by this Streamlit server (no CDN), through a static folder route (components.v1).
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import numpy as np
import plotly
import plotly.graph_objects as go
import streamlit as st
from streamlit.components.v1 import declare_component

FRONTEND = Path(__file__).parent / "frontend"
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"

# The component's own code is a loader: the inline JavaScript travels with every redraw, the module it
# imports (ui/frontend/live_chart.js) once per page load.
_LOADER = """
export default async function (component) {
    const { render } = await import(new URL(component.data.module, window.location.href));
    return render(component);
}
"""
# isolate_styles=False: the chart lives in the page's DOM, where plotly.js puts its stylesheet (modebar, hover
# labels) and where the theme's --st-* colours are set.
_component = st.components.v2.component("rnn_lab.live_chart", js=_LOADER, isolate_styles=False)

# Plotly's typed arrays (https://plotly.com/javascript/reference/ "typed array spec"): the dtypes plotly.js reads.
_INT_TYPES = [(np.int8, "i1"), (np.int16, "i2"), (np.int32, "i4")]


def typed_array(a: np.ndarray) -> dict | list:
    """{"dtype", "bdata", "shape"?} for a NumPy array: floats as float32 (7 digits: a chart shows 3 or 4),
    integers in the smallest signed type that holds them, booleans as uint8; anything else as a list."""
    a = np.asarray(a)
    if a.dtype.kind == "f":
        a, code = a.astype("<f4", copy=False), "f4"
    elif a.dtype.kind in "iu" and a.size:
        lo, hi = int(a.min()), int(a.max())
        fits = [(t, c) for t, c in _INT_TYPES if np.iinfo(t).min <= lo and hi <= np.iinfo(t).max]
        if not fits:
            return a.tolist()
        t, code = fits[0]
        a = a.astype(np.dtype(t).newbyteorder("<"), copy=False)
    elif a.dtype.kind == "b":
        a, code = a.astype(np.uint8), "u1"
    else:
        return a.tolist()
    out = {"dtype": code, "bdata": base64.b64encode(np.ascontiguousarray(a).tobytes()).decode("ascii")}
    if a.ndim > 1:
        out["shape"] = ",".join(str(n) for n in a.shape)
    return out


_DTYPES = {"f8": "<f8", "f4": "<f4", "i4": "<i4", "i2": "<i2", "i1": "i1", "u4": "<u4", "u2": "<u2", "u1": "u1"}


def _from_spec(spec: dict) -> np.ndarray | None:
    """The array of a typed-array spec as plotly.py writes them (float64 as "f8"), or None if unknown."""
    dtype = _DTYPES.get(spec["dtype"])
    if dtype is None:
        return None
    a = np.frombuffer(base64.b64decode(spec["bdata"]), dtype=dtype)
    shape = spec.get("shape")
    return a.reshape([int(n) for n in str(shape).split(",")]) if shape else a


def _compact(value):
    """The figure's JSON with every NumPy array (and NumPy scalar) made JSON-ready. plotly.py may already have
    written arrays as typed-array specs, in float64: those are re-encoded too."""
    if isinstance(value, np.ndarray):
        return typed_array(value)
    if isinstance(value, dict) and set(value) <= {"dtype", "bdata", "shape"} and "bdata" in value:
        a = _from_spec(value)
        return value if a is None else typed_array(a)
    if isinstance(value, dict):
        return {k: _compact(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_compact(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def chart_payload(fig: go.Figure, uirevision: str) -> dict:
    """{"data", "layout"} of `fig` for ui/frontend/live_chart.js: NumPy arrays as typed arrays, no
    layout.template (the browser themes the chart), and layout.uirevision set to `uirevision` unless the figure
    has its own: while it stays the same, Plotly.react keeps the reader's zoom, hover and legend choices."""
    spec = fig.to_plotly_json()
    layout = {k: v for k, v in spec.get("layout", {}).items() if k != "template"}
    layout.setdefault("uirevision", uirevision)
    return {"data": _compact(spec.get("data", [])), "layout": _compact(layout)}


def _served(name: str, folder: Path) -> str:
    """The URL prefix under which this server serves `folder` (a components.v1 static folder route)."""
    served = declare_component(name, path=str(folder))  # registered for this server's runtime, idempotent
    if served.url:  # server.customComponentBaseUrlPath: components come from elsewhere
        return served.url.rstrip("/") + "/"
    base = st.get_option("server.baseUrlPath").strip("/")
    return f"/{base + '/' if base else ''}component/{served.name}/"


def _version(path: Path) -> str:
    """A short hash of a file, in its URL, so a browser never runs an old copy after an upgrade."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


_VERSIONS: dict[Path, str] = {}


def _url(name: str, path: Path) -> str:
    if path not in _VERSIONS:
        _VERSIONS[path] = _version(path)
    return f"{_served(name, path.parent)}{path.name}?v={_VERSIONS[path]}"


_PAYLOADS = "_live_chart_payloads"


def live_chart(fig: go.Figure, key: str, config: dict | None = None) -> None:
    """Draw `fig` as the chart `key`, redrawn in place when the next run sends another figure (same height
    as st.plotly_chart would give it, Plotly's modebar without its logo). The same figure object again (the
    Train page keeps its figures between rebuilds) is not converted again, and the browser does not redraw it."""
    seen = st.session_state.setdefault(_PAYLOADS, {})
    if key not in seen or seen[key][0] is not fig:
        seen[key] = (fig, chart_payload(fig, uirevision=key))
    payload = {
        "module": _url("frontend", FRONTEND / "live_chart.js"),
        "plotly": _url("plotly", PLOTLY_JS),
        "figure": seen[key][1],
        "config": {"displaylogo": False, **(config or {})},
    }
    _component(key=key, data=payload, width="stretch", height="content")
