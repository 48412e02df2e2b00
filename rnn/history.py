"""A Trainer's per-step histories as NumPy arrays: the one place that knows each series' dtype.

Trainer.history holds Python lists, because appending to a list is the cheapest record a training step
can make. Checkpoints store the series as arrays and the live charts read arrays; both convert here.
"""

from __future__ import annotations

import numpy as np

from .train import HISTORY_KEYS

HISTORY_DTYPES = {k: np.bool_ if k == "clipped" else np.float64 for k in HISTORY_KEYS}


def as_arrays(history: dict[str, list], start: int = 0, stop: int | None = None) -> dict[str, np.ndarray]:
    """Entries [start:stop] of every series, each as an array of its dtype."""
    return {k: np.asarray(history[k][start:stop], dtype=HISTORY_DTYPES[k]) for k in HISTORY_KEYS}


def as_lists(arrays: dict[str, np.ndarray]) -> dict[str, list]:
    """Arrays back to the lists a Trainer appends to (Python floats and bools, as training makes them)."""
    return {k: np.asarray(arrays[k], dtype=HISTORY_DTYPES[k]).tolist() for k in HISTORY_KEYS}
