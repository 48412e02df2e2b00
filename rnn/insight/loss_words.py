"""A loss in plain words: nats <-> bits/char <-> perplexity, against the uniform guess and n-gram models.

Cross-entropy L nats/char means the model is, on average, as unsure as if it were choosing uniformly
among e^L characters (the perplexity). The uniform guess over V characters scores ln V.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..evaluate import bits, perplexity

NGRAM_NAMES = {1: "unigram (letter frequencies)", 2: "bigram", 3: "trigram", 4: "4-gram", 5: "5-gram"}


@dataclass(frozen=True)
class Reference:
    name: str  # "uniform guess over 65 characters", "bigram", ...
    nats: float  # its loss, nats/char
    better: bool  # the described loss is lower than this one


@dataclass(frozen=True)
class LossDescription:
    nats: float
    bits: float  # bits/char
    perplexity: float
    choices: str  # the perplexity as a count a student can picture: "about 2.5"
    uniform_nats: float  # ln V, the uniform guess
    uniform_share: float  # nats / uniform_nats
    sentence: str  # one plain-words line
    comparisons: list[Reference]  # the uniform guess first, then the n-grams by order
    beats: str | None  # the name of the strongest reference this loss beats


def describe_loss(nats: float, vocab_size: int, baselines: dict[int, float] | None = None) -> LossDescription:
    """Translate a loss in nats/char, against the uniform guess and the n-gram references {n: nats}."""
    nats = float(nats)
    if not math.isfinite(nats) or nats < 0:
        raise ValueError(f"a loss must be a finite number >= 0 nats, got {nats!r}")
    if vocab_size < 1:
        raise ValueError("vocab_size must be >= 1")
    uniform = math.log(vocab_size)
    ppl = perplexity(nats)
    refs = [(f"uniform guess over {vocab_size} characters", uniform)]
    refs += [(NGRAM_NAMES.get(n, f"{n}-gram"), float(baselines[n])) for n in sorted(baselines or {})]
    comparisons = [Reference(name, ref, nats < ref) for name, ref in refs]
    beaten = [r for r in comparisons if r.better]
    beats = min(beaten, key=lambda r: r.nats).name if beaten else None

    k = _choices(ppl)
    sentence = f"{nats:.3f} nats/char = {bits(nats):.3f} bits/char = perplexity {ppl:.3g}: "
    if ppl <= vocab_size:
        sentence += f"on average the model is as unsure as choosing among {k} of the {vocab_size} characters."
    else:  # early in training (or a bad model): worse than not knowing anything
        sentence += (f"on average the model is more unsure than a blind guess among all {vocab_size} characters "
                     "(its confident guesses are often wrong).")
    return LossDescription(nats=nats, bits=bits(nats), perplexity=ppl, choices=k, uniform_nats=uniform,
                           uniform_share=nats / uniform if uniform > 0 else float("nan"), sentence=sentence,
                           comparisons=comparisons, beats=beats)


def _choices(ppl: float) -> str:
    """Perplexity as a count a student can picture: 'barely more than 1', 'about 2.5', 'about 30'."""
    if ppl < 1.05:
        return "barely more than 1"
    if ppl < 10:
        return f"about {ppl:.1f}"
    return f"about {ppl:.0f}"


def comparison_line(desc: LossDescription) -> str:
    """One line comparing the loss to the references, strongest first."""
    parts = []
    for r in sorted(desc.comparisons, key=lambda r: r.nats):
        sign = "better than" if r.better else "worse than"
        parts.append(f"{sign} the {r.name} ({r.nats:.2f})")
    return "; ".join(parts)
