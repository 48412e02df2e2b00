"""A loss in plain words: nats <-> bits/char <-> perplexity, against the uniform guess and n-gram models.

Cross-entropy L nats/char means the model is, on average, as unsure as if it were choosing uniformly
among e^L characters (the perplexity). The uniform guess over V characters scores ln V.
"""

from __future__ import annotations

import math

from ..evaluate import bits, perplexity

NGRAM_NAMES = {1: "unigram (letter frequencies)", 2: "bigram", 3: "trigram", 4: "4-gram", 5: "5-gram"}


def describe_loss(nats: float, vocab_size: int, baselines: dict[int, float] | None = None) -> dict:
    """Translate a loss in nats/char.

    Returns {nats, bits, perplexity, uniform_nats, uniform_share, sentence, comparisons, beats} where
    comparisons is a list of {name, nats, better} (better: this loss is lower), `beats` the name of the
    strongest reference it beats (or None), and sentence one plain-words line.
    """
    nats = float(nats)
    if not math.isfinite(nats) or nats < 0:
        raise ValueError(f"a loss must be a finite number >= 0 nats, got {nats!r}")
    if vocab_size < 1:
        raise ValueError("vocab_size must be >= 1")
    uniform = math.log(vocab_size)
    ppl = perplexity(nats)
    refs = [{"name": f"uniform guess over {vocab_size} characters", "nats": uniform}]
    for n in sorted(baselines or {}):
        refs.append({"name": NGRAM_NAMES.get(n, f"{n}-gram"), "nats": float(baselines[n])})
    for r in refs:
        r["better"] = nats < r["nats"]
    beaten = [r for r in refs if r["better"]]
    beats = min(beaten, key=lambda r: r["nats"])["name"] if beaten else None

    k = _choices(ppl)
    sentence = f"{nats:.3f} nats/char = {bits(nats):.3f} bits/char = perplexity {ppl:.3g}: "
    if ppl <= vocab_size:
        sentence += f"on average the model is as unsure as choosing among {k} of the {vocab_size} characters."
    else:  # early in training (or a bad model): worse than not knowing anything
        sentence += (f"on average the model is more unsure than a blind guess among all {vocab_size} characters "
                     "(its confident guesses are often wrong).")
    return {
        "nats": nats,
        "bits": bits(nats),
        "perplexity": ppl,
        "choices": k,
        "uniform_nats": uniform,
        "uniform_share": nats / uniform if uniform > 0 else float("nan"),
        "sentence": sentence,
        "comparisons": refs,
        "beats": beats,
    }


def _choices(ppl: float) -> str:
    """Perplexity as a count a student can picture: '3', 'about 2.5', 'fewer than 1.1'."""
    if ppl < 1.05:
        return "barely more than 1"
    if ppl < 10:
        return f"about {ppl:.1f}"
    return f"about {ppl:.0f}"


def comparison_line(desc: dict) -> str:
    """One line comparing the loss to the references, strongest first."""
    parts = []
    for r in sorted(desc["comparisons"], key=lambda r: r["nats"]):
        sign = "better than" if r["better"] else "worse than"
        parts.append(f"{sign} the {r['name']} ({r['nats']:.2f})")
    return "; ".join(parts)
