"""The recent loss: the training loss averaged over about the last ten steps, the one number that follows
what Step shows.

min-char-rnn's smooth_loss (0.999 per step, started at the uniform guess ln V) averages over about a thousand
steps: after Step 100 on a tiny corpus it still reads close to ln V while the per-step loss is near zero. The
recent loss weighs each step by RECENT_WEIGHT instead, so it forgets in about ten steps. The Trainer keeps it
(Trainer.recent_loss: the divergence guard compares it with smooth_loss, the page shows it as the headline),
and `curve` redraws the same average over a recorded history for the loss chart.
"""

from __future__ import annotations

import numpy as np

RECENT_WEIGHT = 0.9  # recent = RECENT_WEIGHT * recent + (1 - RECENT_WEIGHT) * loss, per step
RECENT_STEPS = round(1 / (1 - RECENT_WEIGHT))  # its window in words: "about the last 10 steps"


def update(recent: float, loss: float) -> float:
    """The recent loss after one more step with loss `loss`."""
    return RECENT_WEIGHT * recent + (1 - RECENT_WEIGHT) * loss


def curve(losses, start: float | None = None, weights=None) -> np.ndarray:
    """The recent loss after each step of `losses`, starting from `start` (the Trainer starts at ln V;
    None: the first loss). With `weights` (the steps each value stands for: a binned history's older points
    are means over that many steps), a point of weight w counts as w steps of its mean loss."""
    y = np.asarray(losses, dtype=np.float64)
    if len(y) == 0:
        return y
    keep = np.full(len(y), RECENT_WEIGHT) if weights is None else RECENT_WEIGHT ** np.asarray(weights, np.float64)
    out = np.empty_like(y)
    recent = y[0] if start is None else float(start)
    for i, (loss, k) in enumerate(zip(y.tolist(), keep.tolist(), strict=True)):  # a few thousand points: ~1 ms
        recent = k * recent + (1 - k) * loss
        out[i] = recent
    return out
