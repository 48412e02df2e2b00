"""One real training step of the running model, laid out step by step (the seed notebook's Parts 4-7).

`walkthrough(trainer)` computes exactly the step `trainer.step(1)` would take next -- same chunk, same
carried state, same clipping and the same optimizer update -- on copies, so the trainer is untouched.
Stepping the trainer afterwards gives the parameters reported here as `params_after`.
"""

from __future__ import annotations

import copy
import math

import numpy as np

from ..model import PARAM_NAMES, forward, loss_and_grads
from ..optim import EPS, clip_grads
from .health import SATURATION


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


def walkthrough(trainer, stream: int = 0) -> dict:
    """Everything one training step computes, for a teacher to walk through.

    Returns a dict with
      steps: per time step of `stream` (list of dicts): t, input, target, p_target, loss, top_char, top_p,
             h_norm, saturated, grad_h (||dL/dh_t||, the gradient reaching step t in BPTT);
      params: per parameter (list of dicts): name, shape, grad_norm, grad_max, clipped_share, grad_norm_after_clip,
              update_norm, param_norm, update_ratio, plus optimizer-memory figures (adagrad: mem_before_mean,
              mem_after_mean, step_size_mean = mean lr / sqrt(mem + eps));
      totals: loss_sum, loss_per_char, grad_norm, clipped (bool), clip, lr, optimizer, batch_size, seq_length,
              wrapped (the chunk restarts the text), iteration (the iteration this step will be);
      arrays: h_prev, hs, grads (clipped), grads_raw, params_after (copies) for the figures and tests.
    """
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
    grad_h = _grad_through_time(params, hs[stream], probs[stream], targets[stream])

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
    steps = []
    for t in range(T):
        steps.append({
            "t": t,
            "input": chars[inputs[stream, t]],
            "target": chars[targets[stream, t]],
            "p_target": float(p_target[t]),
            "loss": float(-math.log(max(p_target[t], 1e-300))),
            "top_char": chars[top_ix[t]],
            "top_p": float(probs[stream, t, top_ix[t]]),
            "h_norm": _norm(hs[stream, t]),
            "saturated": float(np.mean(np.abs(hs[stream, t]) > SATURATION)),
            "grad_h": float(grad_h[t]),
        })

    table = []
    clip = cfg.clip
    for k in PARAM_NAMES:
        g_raw, g, upd = grads_raw[k], grads[k], params_after[k] - params[k]
        row = {
            "name": k,
            "shape": "x".join(str(s) for s in g.shape),
            "grad_norm": _norm(g_raw),
            "grad_max": float(np.abs(g_raw).max()),
            "clipped_share": float(np.mean(np.abs(g_raw) > clip)) if clip > 0 else 0.0,
            "grad_norm_after_clip": _norm(g),
            "param_norm": _norm(params[k]),
            "update_norm": _norm(upd),
            "update_ratio": _norm(upd) / max(_norm(params[k]), 1e-12),
        }
        if opt.name == "adagrad":
            mem0, mem1 = state_before_named["mem/all"][k], state_after_named["mem/all"][k]
            row["mem_before_mean"] = float(mem0.mean())
            row["mem_after_mean"] = float(mem1.mean())
            # the effective per-element learning rate lr / sqrt(mem + eps), averaged
            row["step_size_mean"] = float(np.mean(opt.lr / np.sqrt(mem1 + EPS)))
        table.append(row)

    return {
        "steps": steps,
        "params": table,
        "totals": {
            "iteration": trainer.iteration + 1,
            "loss_sum": float(loss_sum),
            "loss_per_char": float(loss_sum / inputs.size),
            "grad_norm": float(norm),
            "clipped": bool(clipped),
            "clip": float(clip),
            "lr": float(opt.lr),
            "optimizer": opt.name,
            "batch_size": int(B),
            "seq_length": int(T),
            "wrapped": bool(wrapped),
            "stream": int(stream),
            # the Trainer's divergence guard: such a step is refused and the parameters stay as they are
            "would_diverge": bool(not math.isfinite(loss_sum) or not math.isfinite(norm) or (
                loss_sum / inputs.size > cfg.divergence_factor * (trainer.first_loss or loss_sum / inputs.size))),
        },
        "arrays": {
            "h_prev": h_prev[stream].copy(),
            "hs": hs[stream].copy(),
            "grads_raw": grads_raw,
            "grads": {k: v.copy() for k, v in grads.items()},
            "params_before": params,
            "params_after": params_after,
            "opt_state_before": state_before_named,
            "opt_state_after": state_after_named,
        },
    }


def _grad_through_time(params, hs, probs, targets) -> np.ndarray:
    """||dL/dh_t|| for one stream: the gradient from step t's output plus everything flowing back from later."""
    T, H = hs.shape
    dy = probs.astype(np.float64)
    dy[np.arange(T), targets] -= 1
    dh_out = dy @ params["Why"]
    dnext = np.zeros(H)
    out = np.empty(T)
    for t in reversed(range(T)):
        dh = dh_out[t] + dnext
        out[t] = _norm(dh)
        dnext = (dh * (1 - hs[t] * hs[t])) @ params["Whh"]
    return out
