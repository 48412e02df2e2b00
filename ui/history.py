"""NumPy views of a Trainer's growing histories, extended incrementally.

The Trainer appends one value per step to Python lists. Converting a million-element list on every live
tick would cost more than the tick's drawing, so each session keeps arrays that only take in the new
entries since the last call.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from rnn.history import HISTORY_DTYPES, as_arrays
from rnn.train import Trainer

_KEY = "_history_arrays"


class HistoryArrays:
    def __init__(self, trainer: Trainer):
        self.trainer = trainer
        self.n = 0
        self._buf = {k: np.empty(1024, dtype) for k, dtype in HISTORY_DTYPES.items()}

    def update(self) -> dict[str, np.ndarray]:
        hist = self.trainer.history
        n_new = len(hist["loss"])
        if n_new < self.n:  # histories were replaced (never happens with a live Trainer): start over
            self.n = 0
        if n_new > len(self._buf["loss"]):
            cap = max(n_new, 2 * len(self._buf["loss"]))
            for k, a in self._buf.items():
                grown = np.empty(cap, a.dtype)
                grown[: self.n] = a[: self.n]
                self._buf[k] = grown
        if n_new > self.n:
            for k, new in as_arrays(hist, self.n, n_new).items():
                self._buf[k][self.n:n_new] = new
            self.n = n_new
        return {k: a[: self.n] for k, a in self._buf.items()}


def history_arrays(trainer: Trainer) -> dict[str, np.ndarray]:
    """Every history series (rnn.train.HISTORY_KEYS) as an array, for this session's trainer."""
    cache = st.session_state.get(_KEY)
    if cache is None or cache.trainer is not trainer:
        cache = HistoryArrays(trainer)
        st.session_state[_KEY] = cache
    return cache.update()
