"""One real training step of the running model, laid out step by step (the seed notebook's Parts 4-7).

`walkthrough(trainer)` computes exactly the step `trainer.step(1)` would take next -- same chunk, same
carried state, same clipping and the same optimizer update -- on copies, so the trainer is untouched.
Stepping the trainer afterwards gives the parameters reported here as `params_after`.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import numpy as np

from ..model import PARAM_NAMES, forward, loss_and_grads
from ..optim import EPS, clip_grads
from .health import SATURATION, gradient_through_time


@dataclass(frozen=True)
class TimeStep:
    """One time step of the walked-through stream."""

    t: int
    input: str
    target: str
    p_target: float  # probability the model gives the target
    loss: float  # -ln p_target, nats
    top_char: str  # the model's most likely next character
    top_p: float
    h_norm: float  # ||h_t||
    saturated: float  # share of units of h_t with |h| > SATURATION
    grad_h: float  # ||dL/dh_t||, the gradient reaching step t in BPTT


@dataclass(frozen=True)
class ParamStep:
    """What the step does to one parameter. The mem/step-size figures exist for Adagrad only (None otherwise)."""

    name: str
    shape: str  # e.g. "100x65"
    grad_norm: float  # before clipping
    grad_max: float  # largest |element| before clipping
    clipped_share: float  # share of elements beyond the clip value
    grad_norm_after_clip: float
    param_norm: float
    update_norm: float
    update_ratio: float  # ||update|| / ||param||
    mem_before_mean: float | None = None
    mem_after_mean: float | None = None
    step_size_mean: float | None = None  # mean effective learning rate lr / sqrt(mem + eps)


@dataclass(frozen=True)
class StepTotals:
    iteration: int  # the iteration this step will be
    loss_sum: float
    loss_per_char: float
    grad_norm: float  # global, before clipping
    clipped: bool
    clip: float
    lr: float
    optimizer: str
    batch_size: int
    seq_length: int
    wrapped: bool  # the chunk restarts the text (h_prev is zero)
    stream: int
    would_diverge: bool  # the Trainer's divergence guard refuses such a step (and goes back to its known-good state)


@dataclass
class Walkthrough:
    """Everything one training step computes, for a teacher to walk through. The arrays are copies."""

    steps: list[TimeStep]  # of the chosen stream
    params: list[ParamStep]  # in PARAM_NAMES order
    totals: StepTotals
    h_prev: np.ndarray  # (H,) the state carried into the chosen stream
    hs: np.ndarray  # (T, H) its hidden states
    grads_raw: dict[str, np.ndarray]
    grads: dict[str, np.ndarray]  # clipped
    params_before: dict[str, np.ndarray]
    params_after: dict[str, np.ndarray]
    opt_state_before: dict[str, dict[str, np.ndarray]]  # optimizer slot -> named views
    opt_state_after: dict[str, dict[str, np.ndarray]]


def next_chunk(trainer):
    """(inputs, targets, h_prev, wrapped) of the trainer's next step, without moving its data pointer.

    Mirrors Trainer._next_batch: at the end of the data the pointer goes back to 0 and the state to zero.
    """
    pointer, h = trainer.pointer, trainer.h.copy()
    wrapped = trainer.wraps_at(pointer)
    if wrapped:
        pointer = 0
        h[...] = 0
    inputs, targets = trainer.chunk_at(pointer)
    return inputs, targets, h, wrapped


def _norm(a) -> float:
    return float(np.sqrt(np.vdot(a, a)))


def walkthrough(trainer, stream: int = 0) -> Walkthrough:
    """The step `trainer.step(1)` would take next, for stream `stream` of the batch."""
    cfg = trainer.config
    inputs, targets, h_prev, wrapped = next_chunk(trainer)
    B, T = inputs.shape
    if not 0 <= stream < B:
        raise ValueError(f"stream must be between 0 and {B - 1}")
    params = {k: v.copy() for k, v in trainer.params.items()}

    # Forward, as the seed's lossFun does it, for the tables (the same numbers loss_and_grads computes).
    f = forward(params, inputs, h_prev)
    hs, probs = f.hs, f.probs  # (B, T, H), (B, T, V)
    rows = np.arange(T)
    p_target = probs[stream, rows, targets[stream]].astype(np.float64)

    # Backward: the trainer's own function, into a fresh flat buffer laid out like trainer.flat_grads.
    flat_grads = np.zeros_like(trainer.flat_grads)
    grads = trainer.unflatten(flat_grads)
    loss_sum, _, _ = loss_and_grads(params, inputs, targets, h_prev, grads_out=grads)
    grads_raw = {k: v.copy() for k, v in grads.items()}
    norm, clipped = clip_grads({"all": flat_grads}, cfg.clip)

    # Gradient reaching each h_t of the chosen stream (the whole batch's loss; streams are independent).
    grad_h = gradient_through_time(params, inputs[stream], targets[stream], h_prev[stream]).total

    # The optimizer update, on a deep copy of the optimizer and of the flat parameters.
    opt = copy.deepcopy(trainer.optimizer)
    flat_after = trainer.flat_params.copy()
    state_before = {k: v.copy() for k, v in opt.state.items()}
    opt.step({"all": flat_after}, {"all": flat_grads})
    params_after = {k: v.copy() for k, v in trainer.unflatten(flat_after).items()}
    state_before_named = {slot: trainer.unflatten(v) for slot, v in state_before.items()}
    state_after_named = {slot: trainer.unflatten(v) for slot, v in opt.state.items()}

    chars = trainer.vocab.chars
    top_ix = probs[stream].argmax(axis=1)
    steps = [TimeStep(
        t=t,
        input=chars[inputs[stream, t]],
        target=chars[targets[stream, t]],
        p_target=float(p_target[t]),
        loss=float(-math.log(max(p_target[t], 1e-300))),
        top_char=chars[top_ix[t]],
        top_p=float(probs[stream, t, top_ix[t]]),
        h_norm=_norm(hs[stream, t]),
        saturated=float(np.mean(np.abs(hs[stream, t]) > SATURATION)),
        grad_h=float(grad_h[t]),
    ) for t in range(T)]

    table = []
    clip = cfg.clip
    for k in PARAM_NAMES:
        g_raw, g, upd = grads_raw[k], grads[k], params_after[k] - params[k]
        memory = {}
        if opt.name == "adagrad":
            mem0, mem1 = state_before_named["mem/all"][k], state_after_named["mem/all"][k]
            memory = {"mem_before_mean": float(mem0.mean()), "mem_after_mean": float(mem1.mean()),
                      "step_size_mean": float(np.mean(opt.lr / np.sqrt(mem1 + EPS)))}
        table.append(ParamStep(
            name=k,
            shape="x".join(str(s) for s in g.shape),
            grad_norm=_norm(g_raw),
            grad_max=float(np.abs(g_raw).max()),
            clipped_share=float(np.mean(np.abs(g_raw) > clip)) if clip > 0 else 0.0,
            grad_norm_after_clip=_norm(g),
            param_norm=_norm(params[k]),
            update_norm=_norm(upd),
            update_ratio=_norm(upd) / max(_norm(params[k]), 1e-12),
            **memory,
        ))

    per_char = float(loss_sum / inputs.size)
    totals = StepTotals(
        iteration=trainer.iteration + 1,
        loss_sum=float(loss_sum),
        loss_per_char=per_char,
        grad_norm=float(norm),
        clipped=bool(clipped),
        clip=float(clip),
        lr=float(opt.lr),
        optimizer=opt.name,
        batch_size=int(B),
        seq_length=int(T),
        wrapped=bool(wrapped),
        stream=int(stream),
        would_diverge=trainer.would_diverge(per_char, float(norm)),
    )
    return Walkthrough(
        steps=steps, params=table, totals=totals, h_prev=h_prev[stream].copy(), hs=hs[stream].copy(),
        grads_raw=grads_raw, grads={k: v.copy() for k, v in grads.items()}, params_before=params,
        params_after=params_after, opt_state_before=state_before_named, opt_state_after=state_after_named,
    )
