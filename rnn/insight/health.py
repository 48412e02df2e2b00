"""Training health: is the recurrence stable, are units saturated, does the gradient survive through time?

* spectral radius of Whh: the largest |eigenvalue|. Near or above 1 the linearised recurrence can blow
  up; well below 1 signals fade fast.
* saturated share: the fraction of hidden activations with |h| > 0.95, where tanh' = 1 - h^2 < 0.1 and
  almost no gradient passes.
* gradient through time: the norm of dL/dh_t at every step of a chunk during BPTT. The gradient of the
  last step's loss shrinking (or growing) geometrically as it goes back is the vanishing (exploding)
  gradient problem that motivates LSTMs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import numpy as np

from ..model import forward

SATURATION = 0.95


@dataclass(frozen=True)
class HealthSnapshot:
    spectral_radius: float  # of Whh
    saturated_share: float  # of the hidden activations over one chunk


@dataclass(frozen=True)
class HealthRecord:
    """One entry of Trainer.health_history: the vital signs at `iteration`, with the mean gradient norm
    and the clip rate over the steps since the previous record. Checkpoints keep it as a JSON object."""

    iteration: int
    spectral_radius: float
    saturated_share: float
    grad_norm: float
    clip_rate: float

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> HealthRecord:
        """The checkpoint form back. Keys this version does not know are ignored (as TrainConfig.from_dict
        does); a missing key raises KeyError, a non-number ValueError or TypeError."""
        if not isinstance(d, dict):
            raise TypeError("a training-health record must be a JSON object")
        values = {f.name: d[f.name] for f in fields(cls)}
        return cls(**{k: int(v) if k == "iteration" else float(v) for k, v in values.items()})


@dataclass(frozen=True)
class GradientFlow:
    """Norms of the gradient reaching each hidden state h_t of one chunk during BPTT (index = time step)."""

    total: np.ndarray  # ||dL/dh_t|| for the whole chunk loss (what BPTT actually uses at step t)
    from_last: np.ndarray  # ||dL_{T-1}/dh_t||, the last step's loss alone flowing back T-1-t steps
    local: np.ndarray  # ||dL_t/dh_t||, the part arriving from step t's own output (for comparison)
    saturated: np.ndarray  # share of units of h_t with |h| > SATURATION


def spectral_radius(Whh: np.ndarray) -> float:
    return float(np.max(np.abs(np.linalg.eigvals(np.asarray(Whh, np.float64))))) if Whh.size else 0.0


def saturated_share(hs: np.ndarray, threshold: float = SATURATION) -> float:
    hs = np.asarray(hs)
    return float(np.mean(np.abs(hs) > threshold)) if hs.size else 0.0


def health_snapshot(params, inputs, h_prev) -> HealthSnapshot:
    """Spectral radius of Whh and saturated share over one chunk (B, T) read from h_prev (B, H)."""
    hs = forward(params, inputs, h_prev).hs
    return HealthSnapshot(spectral_radius(params["Whh"]), saturated_share(hs))


def gradient_through_time(params, inputs, targets, h_prev) -> GradientFlow:
    """How the gradient reaches every earlier step of one chunk during BPTT, in float64.

    inputs, targets: (T,) ids of one stream; h_prev: (H,) or None.
    """
    inputs = np.asarray(inputs).reshape(-1)
    targets = np.asarray(targets).reshape(-1)
    T = len(inputs)
    dtype = np.float64
    p = {k: np.asarray(v, dtype) for k, v in params.items()}
    H = p["Whh"].shape[0]
    h0 = np.zeros(H) if h_prev is None else np.asarray(h_prev, dtype).reshape(H)
    f = forward(p, inputs[None, :], h0[None, :])
    hs, probs = f.hs[0], f.probs[0]  # (T, H), (T, V)
    dy = probs.copy()
    dy[np.arange(T), targets] -= 1  # dL_t/dy_t = p_t - onehot(target_t)
    dh_local = dy @ p["Why"]  # dL_t/dh_t, (T, H)
    dtanh = 1 - hs * hs
    total = np.empty(T)
    from_last = np.zeros(T)
    dnext = np.zeros(H)  # gradient arriving at h_t from h_{t+1} (all later losses)
    dlast = dh_local[T - 1].copy()  # gradient of the last step's loss only
    for t in reversed(range(T)):
        dh = dh_local[t] + dnext
        total[t] = np.linalg.norm(dh)
        from_last[t] = np.linalg.norm(dlast)
        dnext = (dh * dtanh[t]) @ p["Whh"]  # on to h_{t-1}: through tanh, then Whh
        dlast = (dlast * dtanh[t]) @ p["Whh"]
    return GradientFlow(total=total, from_last=from_last, local=np.linalg.norm(dh_local, axis=1),
                        saturated=np.mean(np.abs(hs) > SATURATION, axis=1))
