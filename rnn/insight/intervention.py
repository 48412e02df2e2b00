"""Neuron intervention: hold one hidden unit at a value while the model writes, and compare the text.

The Neurons page shows what a unit correlates with (quotes, line position...); correlation is not cause. Here
the unit is clamped: at every step h_t[unit] is overwritten with `value` before y_t = Why h_t + by and before
h_t feeds the next step. Both texts come from the same random numbers (the same seed), so they agree until the
clamp changes a choice; the character counts over a long sample then show what the unit really drives.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from .. import cells
from ..sample import sample_many

LENGTH = 2000  # characters per text: enough for counts of common characters to mean something, ~50 ms at H=100


@dataclass(frozen=True)
class Intervention:
    unit: int
    value: float
    free: str  # the model as trained
    clamped: str  # the same draws with h[unit] held at value
    agree_for: int  # characters the two texts share before they part ways

    def count_changes(self, top: int = 8) -> list[dict]:
        """The characters whose count changed most, biggest change first: {char, free, clamped, change}."""
        free, held = Counter(self.free), Counter(self.clamped)
        rows = [{"char": c, "free": free[c], "clamped": held[c], "change": held[c] - free[c]}
                for c in free.keys() | held.keys() if held[c] != free[c]]
        rows.sort(key=lambda r: (-abs(r["change"]), r["char"]))
        return rows[:top]


def clamp_unit(params, vocab, unit: int, value: float, *, temperature: float = 1.0, length: int = LENGTH,
               prime: str = "", seed: int = 0, h=None) -> Intervention:
    """Sample `length` characters twice from state `h`, free and with hidden unit `unit` held at `value`."""
    if not cells.is_plain(params):
        raise ValueError("holding a hidden unit works on the vanilla RNN only")
    H = params["Whh"].shape[0]
    if not 0 <= unit < H:
        raise ValueError(f"unit must be between 0 and {H - 1}, got {unit}")
    if not -1.0 <= value <= 1.0:
        raise ValueError(f"a tanh unit lies between -1 and +1, got {value}")
    if not 1 <= length <= 20_000:
        raise ValueError("length must be between 1 and 20,000 characters")
    common = dict(top_k=None, prime=prime, seed=seed, h=h)
    (free,) = sample_many(params, vocab, length, [temperature], **common)
    (clamped,) = sample_many(params, vocab, length, [temperature], clamp={unit: value}, **common)
    agree = next((i for i, (a, b) in enumerate(zip(free, clamped, strict=True)) if a != b), length)
    return Intervention(unit, float(value), free, clamped, agree)
