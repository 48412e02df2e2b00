"""A Trainer's history as NumPy arrays for the charts: the binned older steps, then the exact newest ones.

The history is bounded (rnn/history.py: at most a few thousand exact steps and a couple of thousand bins),
so converting it whole costs about a millisecond; the arrays are kept until the trainer takes a step.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from rnn.history import HISTORY_KEYS, as_arrays
from rnn.train import Trainer

_KEY = "_history_arrays"


class HistoryArrays:
    def __init__(self, trainer: Trainer):
        self.trainer = trainer
        self._seen = None
        self._arrays: dict[str, np.ndarray] = {}

    def update(self) -> dict[str, np.ndarray]:
        """Every series (rnn.train.HISTORY_KEYS), plus "step" (the step each point ends at, from 1) and
        "weight" (the steps it stands for: 1 for an exact step, more for a bin, whose values are means)."""
        hist = self.trainer.history
        seen = (hist, hist.total)
        if self._seen is None or self._seen[0] is not seen[0] or self._seen[1] != seen[1]:
            if hist.start:
                out = {}
                for k in HISTORY_KEYS:
                    out["step"], out[k], out["weight"] = hist.curve(k)
            else:  # nothing binned yet: each series in its own dtype (clipped as bools)
                out = as_arrays(hist)
                out["step"] = np.arange(1, len(out["loss"]) + 1)
                out["weight"] = np.ones(len(out["loss"]), np.int64)
            self._seen, self._arrays = seen, out
        return self._arrays


def history_arrays(trainer: Trainer) -> dict[str, np.ndarray]:
    """Every history series (rnn.train.HISTORY_KEYS) as an array, with "step" and "weight", for this
    session's trainer."""
    cache = st.session_state.get(_KEY)
    if cache is None or cache.trainer is not trainer:
        cache = HistoryArrays(trainer)
        st.session_state[_KEY] = cache
    return cache.update()
