"""Plain-words verdicts on the training-health vital signs: healthy, worth watching, or unhealthy, and why.

Every threshold lives here (the Training health page, its charts and the tests read them from this
module). They are rules of thumb for a vanilla tanh RNN trained by truncated BPTT, not laws:

* Spectral radius of Whh. Around 1 the recurrence keeps a signal for many steps without amplifying it
  (the "edge of stability"). Well below 1 (< RADIUS_LOW) signals fade within a few steps: a short memory.
  Above RADIUS_HIGH the linear part amplifies every step; tanh keeps h bounded only by saturating, so a
  large radius usually comes with many saturated units. Above RADIUS_ALARM that is the rule.
* Saturated share (|h| > 0.95, where tanh' < 0.1). A unit there passes almost no gradient, so it has
  stopped learning for that input. Some saturation is normal (a confident unit); above SATURATION_WATCH of
  activations it costs capacity, above SATURATION_ALARM most of the network is stuck.
* Clip rate. Clipping now and then catches the rare exploding step; clipping on most steps (above
  CLIP_ALARM) means the clip, not the gradient, sets every step's size: the learning rate is probably too
  high or the gradient explodes.
* Gradient through time: what reaches the first step of a chunk from the last step's loss, as a share of
  what that loss sent in. Below VANISHING_RATIO it vanished; above EXPLODING_RATIO it exploded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .health import SATURATION

HEALTHY, WATCH, UNHEALTHY = "healthy", "watch", "unhealthy"

RADIUS_LOW = 0.5
RADIUS_HIGH = 2.0
RADIUS_ALARM = 5.0
SATURATION_WATCH = 0.25
SATURATION_ALARM = 0.5
CLIP_WATCH = 0.1
CLIP_ALARM = 0.5
VANISHING_RATIO = 1e-2
EXPLODING_RATIO = 1e2


@dataclass(frozen=True)
class Verdict:
    sign: str  # which vital sign
    level: str  # HEALTHY, WATCH or UNHEALTHY
    text: str  # what it means, with the threshold that decided it


def radius_verdict(radius: float) -> Verdict:
    sign = "Spectral radius"
    if not math.isfinite(radius):
        return Verdict(sign, UNHEALTHY, "Whh holds a value that is not a number: the run has diverged.")
    r = f"{radius:.2f}"
    if radius < RADIUS_LOW:
        return Verdict(sign, WATCH, f"{r} is below {RADIUS_LOW:g}: a signal fades within a few steps, so the model "
                                    "remembers little of earlier characters. Normal right after initialisation "
                                    "(weights ~0.01); it should grow as the model learns.")
    if radius <= RADIUS_HIGH:
        return Verdict(sign, HEALTHY, f"{r} is between {RADIUS_LOW:g} and {RADIUS_HIGH:g}: the recurrence carries a "
                                      "signal for many steps without blowing it up.")
    if radius <= RADIUS_ALARM:
        return Verdict(sign, WATCH, f"{r} is above {RADIUS_HIGH:g}: the recurrence amplifies signals at every step "
                                    "and only tanh saturation keeps h bounded. Watch the saturated share.")
    return Verdict(sign, UNHEALTHY, f"{r} is above {RADIUS_ALARM:g}: the recurrent weights are so large that most "
                                    "units are driven to ±1, where they pass almost no gradient. A lower learning "
                                    "rate or a smaller hidden size trains more evenly.")


def saturation_verdict(share: float) -> Verdict:
    sign = "Saturated units"
    s = f"{share:.0%} of activations have |h| > {SATURATION:g}"
    if share <= SATURATION_WATCH:
        return Verdict(sign, HEALTHY, f"{s} (at most {SATURATION_WATCH:.0%}): most units still pass gradient.")
    if share <= SATURATION_ALARM:
        return Verdict(sign, WATCH, f"{s} (more than {SATURATION_WATCH:.0%}): a saturated unit passes almost no "
                                    "gradient (tanh' < 0.1), so these have nearly stopped learning.")
    return Verdict(sign, UNHEALTHY, f"{s} (more than {SATURATION_ALARM:.0%}): most of the network is stuck at ±1 "
                                    "and learns little from here. Typical of a too-high learning rate or a very "
                                    "long run; a new run with a lower rate keeps units in range.")


def clip_verdict(rate: float, clip: float) -> Verdict:
    sign = "Clip rate"
    if clip <= 0:
        return Verdict(sign, WATCH, "Clipping is off, so nothing stops an exploding gradient from taking one huge "
                                    "step: watch the gradient norm for spikes.")
    r = f"{rate:.0%} of the last steps were clipped"
    if rate <= CLIP_WATCH:
        return Verdict(sign, HEALTHY, f"{r} (at most {CLIP_WATCH:.0%}): clipping only catches the rare large step.")
    if rate <= CLIP_ALARM:
        return Verdict(sign, WATCH, f"{r} (more than {CLIP_WATCH:.0%}): large gradients are common.")
    return Verdict(sign, UNHEALTHY, f"{r} (more than {CLIP_ALARM:.0%}): the clip value, not the gradient, sets "
                                    "most steps. The learning rate is probably too high, or the gradient explodes.")


def grad_norm_verdict(norm: float) -> Verdict:
    sign = "Gradient norm"
    if not math.isfinite(norm):
        return Verdict(sign, UNHEALTHY, "The gradient is not a number: the run has diverged.")
    return Verdict(sign, HEALTHY, "Finite. There is no fixed healthy value (it grows with the loss and the chunk "
                                  "length); sudden spikes on the chart below are what to look for.")


def flow_verdict(ratio: float, steps: int) -> Verdict:
    """ratio: gradient reaching the first step of the chunk / gradient the last step's loss sent in."""
    sign = "Gradient through time"
    if not math.isfinite(ratio):
        return Verdict(sign, WATCH, "The last step's loss sends no gradient in, so there is nothing to follow.")
    if ratio < VANISHING_RATIO:
        return Verdict(sign, WATCH, f"Carried back {steps} steps the gradient shrinks to × {ratio:.2g} (below "
                                    f"{VANISHING_RATIO:g}): the vanishing gradient. What happened many characters "
                                    "ago barely changes the weights, so a vanilla RNN struggles with long-range "
                                    "dependencies; LSTMs add a path where the gradient is not multiplied by tanh' "
                                    "and Whh at every step. Expected in a vanilla RNN, not a bug.")
    if ratio > EXPLODING_RATIO:
        return Verdict(sign, UNHEALTHY, f"Carried back {steps} steps the gradient grows to × {ratio:.2g} (above "
                                        f"{EXPLODING_RATIO:g}): an exploding gradient. Clipping keeps the update in "
                                        "check.")
    return Verdict(sign, HEALTHY, f"Carried back {steps} steps the gradient changes by × {ratio:.2g} (between "
                                  f"{VANISHING_RATIO:g} and {EXPLODING_RATIO:g}): over this chunk it neither "
                                  "vanishes nor explodes.")
