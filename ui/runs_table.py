"""The Runs page's table: which run is best (within one corpus) and how a changed setting reads."""

from __future__ import annotations

import math
from collections import defaultdict

from rnn.config import model_text  # noqa: F401 - the Runs page's "model" column
from rnn.runs.store import RunRecord, trail_values

BEST_CAPTION = ("★ marks the best run of each corpus: the lowest validation loss (else training loss) among runs "
                "on the same corpus text. Losses on different texts are not comparable: a small vocabulary or a "
                "repetitive text is simply easier.")
SHOWN_TRAIL = 3  # values of a changed setting shown in full; a longer trail is shortened to first → … → latest


def corpus_key(r: RunRecord) -> str:
    """Runs are comparable when they trained on the same text: its fingerprint (else its name)."""
    return r.corpus_fingerprint or f"name:{r.corpus_name or ''}"


def _finite(x) -> bool:
    return x is not None and math.isfinite(x)


def best_per_corpus(runs: list[RunRecord]) -> set[int]:
    """The id of the best run of each corpus: lowest validation loss if any run on that corpus has one, else
    lowest training loss; a corpus without a finite loss has none."""
    groups: dict[str, list[RunRecord]] = defaultdict(list)
    for r in runs:
        groups[corpus_key(r)].append(r)
    best = set()
    for group in groups.values():
        metric = "val_loss" if any(_finite(r.val_loss) for r in group) else "train_loss"
        scored = [r for r in group if _finite(getattr(r, metric))]
        if scored:
            best.add(min(scored, key=lambda r: getattr(r, metric)).id)
    return best


def fmt_value(v) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def setting_text(r: RunRecord, key: str) -> str:
    """A setting as the run had it: "0.1" if it never changed, "0.1 → 0.01" (first → latest) if it did."""
    values = [fmt_value(v) for v in trail_values(r, key)]
    if len(values) > SHOWN_TRAIL:
        values = [values[0], "…", values[-1]]
    return " → ".join(values)


def corpora_count(runs: list[RunRecord]) -> int:
    return len({corpus_key(r) for r in runs})


def corpus_labels(runs: list[RunRecord]) -> dict[int, str]:
    """Each run's corpus as the table shows it: its name, with the start of its fingerprint where runs on
    different texts share a name (two pasted texts, a cut of a built-in), so the per-corpus star reads right."""
    texts: dict[str, set[str]] = defaultdict(set)
    for r in runs:
        texts[r.corpus_name or ""].add(corpus_key(r))
    out = {}
    for r in runs:
        name = r.corpus_name or ""
        ambiguous = len(texts[name]) > 1 and r.corpus_fingerprint
        out[r.id] = f"{name} ({r.corpus_fingerprint[:6]})" if ambiguous else name
    return out
