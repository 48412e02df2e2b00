"""Gradient clipping and optimizers (Adagrad as in the seed, plus SGD+momentum, RMSprop, Adam).

Each optimizer updates the params in place and keeps its memory in `self.state`, a flat dict of arrays,
so a checkpoint can store it and resume bit for bit. The learning rate is a plain attribute and may be
changed between steps.
"""

from __future__ import annotations

import numpy as np

EPS = 1e-8


def clip_grads(grads: dict[str, np.ndarray], clip: float | None) -> tuple[float, bool]:
    """Clip every gradient element to [-clip, clip] in place (the seed's np.clip, "to mitigate
    exploding gradients"). Returns the global L2 norm before clipping and whether any element was clipped.
    """
    norm = float(np.sqrt(sum(float(np.vdot(g, g)) for g in grads.values())))
    if clip is None or clip <= 0:
        return norm, False
    clipped = any(g.max() > clip or g.min() < -clip for g in grads.values())
    if clipped:
        for g in grads.values():
            np.clip(g, -clip, clip, out=g)
    return norm, clipped


class Optimizer:
    """Base class. Updates are written with out= into a scratch buffer: on this kind of machine a
    temporary array per operation costs more than the arithmetic."""

    name = "base"
    slots: tuple[str, ...] = ()

    def __init__(self, params: dict[str, np.ndarray], lr: float):
        self.lr = float(lr)
        self.t = 0  # number of updates taken
        self.state = {f"{slot}/{k}": np.zeros_like(p) for slot in self.slots for k, p in params.items()}
        self._scratch = {k: np.empty_like(p) for k, p in params.items()}

    def step(self, params, grads):
        self.t += 1
        for k, p in params.items():
            self._update(k, p, grads[k], self._scratch[k])

    def _update(self, key, param, grad, tmp):  # pragma: no cover - overridden
        raise NotImplementedError

    def state_dict(self) -> dict[str, np.ndarray]:
        return {**self.state, "t": np.array(self.t, dtype=np.int64)}

    def load_state_dict(self, state: dict[str, np.ndarray]):
        for k, v in self.state.items():
            if k not in state or state[k].shape != v.shape:
                raise ValueError(f"optimizer state {k!r} missing or of the wrong shape")
            v[...] = state[k]
        self.t = int(state["t"])


class Adagrad(Optimizer):
    """mem += g^2; param -= lr * g / sqrt(mem + 1e-8)  (the seed's update)."""

    name = "adagrad"
    slots = ("mem",)

    def _update(self, k, p, g, tmp):
        mem = self.state[f"mem/{k}"]
        mem += np.multiply(g, g, out=tmp)  # mem += g^2
        np.sqrt(np.add(mem, EPS, out=tmp), out=tmp)  # sqrt(mem + eps)
        np.divide(g, tmp, out=tmp)
        tmp *= self.lr
        p -= tmp  # param -= lr * g / sqrt(mem + eps)


class SGD(Optimizer):
    """v = momentum * v - lr * g; param += v."""

    name = "sgd"
    slots = ("velocity",)

    def __init__(self, params, lr, momentum: float = 0.9):
        super().__init__(params, lr)
        self.momentum = momentum

    def _update(self, k, p, g, tmp):
        v = self.state[f"velocity/{k}"]
        v *= self.momentum
        v -= np.multiply(g, self.lr, out=tmp)
        p += v


class RMSprop(Optimizer):
    """cache = decay * cache + (1 - decay) * g^2; param -= lr * g / (sqrt(cache) + eps)."""

    name = "rmsprop"
    slots = ("cache",)

    def __init__(self, params, lr, decay: float = 0.9):
        super().__init__(params, lr)
        self.decay = decay

    def _update(self, k, p, g, tmp):
        cache = self.state[f"cache/{k}"]
        cache *= self.decay
        np.multiply(g, g, out=tmp)
        tmp *= 1 - self.decay
        cache += tmp  # cache = decay * cache + (1 - decay) * g^2
        np.sqrt(cache, out=tmp)
        tmp += EPS
        np.divide(g, tmp, out=tmp)
        tmp *= self.lr
        p -= tmp  # param -= lr * g / (sqrt(cache) + eps)


class Adam(Optimizer):
    """Adam with bias correction (Kingma & Ba):
    m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; param -= lr * m_hat / (sqrt(v_hat) + eps)."""

    name = "adam"
    slots = ("m", "v")

    def __init__(self, params, lr, beta1: float = 0.9, beta2: float = 0.999):
        super().__init__(params, lr)
        self.beta1, self.beta2 = beta1, beta2

    def _update(self, k, p, g, tmp):
        m, v = self.state[f"m/{k}"], self.state[f"v/{k}"]
        m *= self.beta1
        m += np.multiply(g, 1 - self.beta1, out=tmp)
        v *= self.beta2
        np.multiply(g, g, out=tmp)
        tmp *= 1 - self.beta2
        v += tmp
        # bias-corrected: m_hat = m / (1 - b1^t), v_hat = v / (1 - b2^t)
        np.divide(v, 1 - self.beta2**self.t, out=tmp)
        np.sqrt(tmp, out=tmp)
        tmp += EPS  # sqrt(v_hat) + eps
        np.divide(m, tmp, out=tmp)
        tmp *= self.lr / (1 - self.beta1**self.t)
        p -= tmp


OPTIMIZERS = {cls.name: cls for cls in (Adagrad, SGD, RMSprop, Adam)}
DEFAULT_LR = {"adagrad": 0.1, "sgd": 0.01, "rmsprop": 0.002, "adam": 0.002}


def make_optimizer(name: str, params, lr: float) -> Optimizer:
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")
    return OPTIMIZERS[name](params, lr)
