"""A Trainer's per-step histories, in bounded memory: the newest steps exactly, older ones averaged in bins.

Trainer.history is a `History`: a dict of Python lists, key -> the newest steps (appending to a list is the
cheapest record a training step can make), plus `bins`, every older step averaged into at most MAX_BINS bins
whose width doubles as the run grows. A week of live training then holds about as much as an hour: at most
EXACT_STEPS + CHUNK_STEPS exact steps and MAX_BINS bins (under 1 MB), and the loss chart, which shows about
2000 points anyway, looks the same.

The state is a pure function of the records appended, whatever batches they came in: every CHUNK_STEPS-th
step moves the oldest CHUNK_STEPS exact steps into the bins. So a replica that appends the records it is sent
(rnn/service), or a checkpoint reloaded and trained on, holds exactly what the trainer holds.
Checkpoints store the exact steps as arrays (hist/<key>) and the bins as hist_bins/<key> and hist_bins/steps.
"""

from __future__ import annotations

import numpy as np

HISTORY_KEYS = ("loss", "smooth_loss", "grad_norm", "clipped", "seconds")
HISTORY_DTYPES = {k: np.bool_ if k == "clipped" else np.float64 for k in HISTORY_KEYS}
# A bin keeps the mean of these over its steps (for "clipped": the share of clipped steps) ...
MEAN_KEYS = ("loss", "grad_norm", "clipped")
# ... and of the others ("smooth_loss", "seconds": running values) the value at its last step.

EXACT_STEPS = 2048  # at least this many newest steps are kept exactly (recent windows: clip rate, health)
CHUNK_STEPS = 2048  # steps moved into the bins at a time
MAX_BINS = 2048  # the bins hold at most this many points (then neighbours merge and the width doubles)
LIMIT = EXACT_STEPS + CHUNK_STEPS  # exact steps held before a move
MAX_RECORDS = 1000  # validation points and health records kept (older ones thinned to every other one)


def empty_bins() -> dict[str, np.ndarray]:
    return {"steps": np.zeros(0, np.int64), **{k: np.zeros(0, np.float64) for k in HISTORY_KEYS}}


class History(dict):
    """key -> list of the newest steps, exactly; `bins` the older ones; `start` how many steps are in bins."""

    def __init__(self, recent: dict | None = None, bins: dict | None = None):
        super().__init__({k: list(recent[k]) if recent else [] for k in HISTORY_KEYS})
        self.bins = bins if bins is not None else empty_bins()
        self.start = int(self.bins["steps"].sum())

    @property
    def total(self) -> int:
        """Steps recorded in all (binned and exact)."""
        return self.start + len(self["loss"])

    def __eq__(self, other):
        if not isinstance(other, dict):
            return NotImplemented
        bins = getattr(other, "bins", None)
        same_bins = (self.start == 0) if bins is None else all(
            np.array_equal(self.bins[k], bins[k]) for k in ("steps", *HISTORY_KEYS))
        return same_bins and dict.__eq__(self, other)

    __hash__ = None

    def compacted(self) -> History:
        """This history with its oldest exact steps moved into the bins while it holds more than LIMIT."""
        n = len(self["loss"])
        if n <= LIMIT:
            return self
        moves = (n - EXACT_STEPS - 1) // CHUNK_STEPS  # the moves a step-by-step run would have made
        arrays = {k: np.asarray(self[k][:moves * CHUNK_STEPS], HISTORY_DTYPES[k]) for k in HISTORY_KEYS}
        bins = self.bins
        for m in range(moves):
            bins = _add_chunk(bins, {k: a[m * CHUNK_STEPS:(m + 1) * CHUNK_STEPS] for k, a in arrays.items()})
        return History({k: self[k][moves * CHUNK_STEPS:] for k in HISTORY_KEYS}, bins)

    def since(self, index: int) -> dict[str, list]:
        """The exact records from step `index` (0-based, counting binned steps) on; index >= start."""
        if not self.start <= index <= self.total:
            raise ValueError(f"steps from {index} are not held exactly (they start at {self.start})")
        return {k: self[k][index - self.start:] for k in HISTORY_KEYS}

    def extended(self, index: int, records: dict) -> History:
        """A new history: this one's steps before `index`, then `records` (appended as training would)."""
        keep = index - self.start
        if index == 0:
            base = History()
        elif 0 <= keep <= len(self["loss"]):
            base = self
        else:
            raise ValueError(f"cannot append at step {index}: this history holds steps {self.start}..{self.total}")
        return History({k: base[k][:max(keep, 0)] + list(records[k]) for k in HISTORY_KEYS}, base.bins).compacted()

    def until(self, steps: int) -> History:
        """A new history of the first `steps` steps (the divergence guard going back). Steps already binned
        stay in their bins: a bin is an average and cannot be cut."""
        keep = max(0, steps - self.start)
        return History({k: self[k][:keep] for k in HISTORY_KEYS}, self.bins)

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], bins: dict[str, np.ndarray] | None = None) -> History:
        """From a checkpoint's arrays (an old checkpoint has every step exactly and no bins: moved now)."""
        bins = empty_bins() if bins is None else _checked_bins(bins)
        n = len(arrays["loss"])
        moves = max(0, (n - EXACT_STEPS - 1) // CHUNK_STEPS)
        for m in range(moves):
            bins = _add_chunk(bins, {k: np.asarray(arrays[k][m * CHUNK_STEPS:(m + 1) * CHUNK_STEPS], HISTORY_DTYPES[k])
                                     for k in HISTORY_KEYS})
        tail = {k: np.asarray(arrays[k][moves * CHUNK_STEPS:], HISTORY_DTYPES[k]) for k in HISTORY_KEYS}
        return cls(as_lists(tail), bins)

    def curve(self, key: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(step, value, weight) of the whole series: one point per bin (at its last step, weighted by its
        steps), then one per exact step (weight 1). Steps count from 1."""
        steps = self.bins["steps"]
        x = np.concatenate([np.cumsum(steps), np.arange(self.start + 1, self.total + 1)])
        y = np.concatenate([self.bins[key], np.asarray(self[key], np.float64)])
        w = np.concatenate([steps, np.ones(len(self[key]), np.int64)])
        return x, y, w


def _add_chunk(bins: dict, chunk: dict) -> dict:
    """Bins with `chunk`'s steps added: first filling the last bin up to the width, then new bins of the
    width; then, while there are more than MAX_BINS, neighbours merge in pairs (the width doubles)."""
    steps = bins["steps"]
    width = int(steps[0]) if len(steps) else 1
    n = len(chunk["loss"])
    fill = min(width - int(steps[-1]), n) if len(steps) else 0
    out = {k: v.copy() for k, v in bins.items()}  # never in place: a reader in another thread sees it whole
    if fill:
        out = _merge_last(out, {k: v[:fill] for k, v in chunk.items()})
    if fill < n:
        starts = np.arange(fill, n, width)
        sizes = np.diff(np.append(starts, n))
        new = {"steps": sizes.astype(np.int64)}
        for k in HISTORY_KEYS:
            v = np.asarray(chunk[k], np.float64)
            new[k] = np.add.reduceat(v, starts) / sizes if k in MEAN_KEYS else v[starts + sizes - 1]
        out = {k: np.concatenate([out[k], new[k]]) for k in out}
    while len(out["steps"]) > MAX_BINS:
        out = _halve(out)
    return out


def _merge_last(bins: dict, part: dict) -> dict:
    """The last bin extended by the steps in `part`."""
    n0, n1 = int(bins["steps"][-1]), len(part["loss"])
    bins["steps"][-1] = n0 + n1
    for k in HISTORY_KEYS:
        v = np.asarray(part[k], np.float64)
        bins[k][-1] = (bins[k][-1] * n0 + v.sum()) / (n0 + n1) if k in MEAN_KEYS else v[-1]
    return bins


def _halve(bins: dict) -> dict:
    """Neighbouring bins merged in pairs (a last odd one stays as it is)."""
    steps = bins["steps"]
    starts = np.arange(0, len(steps), 2)
    sizes = np.add.reduceat(steps, starts)
    ends = np.minimum(starts + 1, len(steps) - 1)
    out = {"steps": sizes}
    for k in HISTORY_KEYS:
        out[k] = np.add.reduceat(bins[k] * steps, starts) / sizes if k in MEAN_KEYS else bins[k][ends]
    return out


def _checked_bins(bins: dict) -> dict:
    keys = ("steps", *HISTORY_KEYS)
    if set(bins) != set(keys):
        raise ValueError(f"the binned history needs the series {', '.join(keys)}")
    out = {"steps": np.asarray(bins["steps"])}
    if out["steps"].dtype.kind not in "iu" or out["steps"].ndim != 1 or (out["steps"] < 1).any():
        raise ValueError("the binned history's step counts are not positive whole numbers")
    out["steps"] = out["steps"].astype(np.int64)
    for k in HISTORY_KEYS:
        a = np.asarray(bins[k])
        if a.dtype != np.float64 or a.shape != out["steps"].shape:
            raise ValueError(f"the binned history's {k!r} series has the wrong type or length")
        out[k] = a
    if len(out["steps"]) > MAX_BINS:
        raise ValueError(f"the binned history has {len(out['steps'])} bins, more than {MAX_BINS}")
    return out


def thin(records: list, limit: int = MAX_RECORDS) -> list:
    """`records` (oldest first) with at most `limit` entries: past it, every other one of the older half is
    dropped, so the newest stay dense and the whole run stays covered. Returns the same list if short."""
    if len(records) <= limit:
        return records
    half = len(records) // 2
    return records[:half][::2] + records[half:]


def total_steps(history: dict) -> int:
    """Steps recorded in a history (a plain dict of lists, as tests build them, holds them all exactly)."""
    return getattr(history, "total", len(history["loss"]))


def as_arrays(history: dict[str, list], start: int = 0, stop: int | None = None) -> dict[str, np.ndarray]:
    """Exact entries [start:stop] of every series, each as an array of its dtype."""
    return {k: np.asarray(history[k][start:stop], dtype=HISTORY_DTYPES[k]) for k in HISTORY_KEYS}


def as_lists(arrays: dict[str, np.ndarray]) -> dict[str, list]:
    """Arrays back to the lists a Trainer appends to (Python floats and bools, as training makes them)."""
    return {k: np.asarray(arrays[k], dtype=HISTORY_DTYPES[k]).tolist() for k in HISTORY_KEYS}
