"""Memorisation check: which parts of a generated sample were copied verbatim from the training text?

For every position i of the sample we find match[i], the length of the longest substring starting at i
that occurs somewhere in the corpus ("matching statistics"). Since match[i + 1] >= match[i] - 1, each
position starts from the previous answer and only extends it, so the number of substring searches is at
most about twice the sample length (each one a fast C `in` over the corpus).
"""

from __future__ import annotations

import numpy as np

DEFAULT_MIN_COPY = 20


def matching_lengths(sample: str, corpus: str) -> np.ndarray:
    """match[i] = length of the longest prefix of sample[i:] found verbatim in corpus."""
    n = len(sample)
    out = np.zeros(n, np.int64)
    L = 0
    for i in range(n):
        L = max(L - 1, 0)
        while i + L < n and sample[i:i + L + 1] in corpus:
            L += 1
        out[i] = L
    return out


def copy_report(sample: str, corpus: str, min_copy: int = DEFAULT_MIN_COPY) -> dict:
    """Longest copied stretch and the share of the sample that is novel.

    A character counts as copied when it lies inside a stretch of at least `min_copy` characters that
    appears verbatim in the corpus; everything else is novel. (Single words always occur in the corpus,
    so a lower bound on the length is what makes "copied" mean something.)
    Returns {longest_start, longest_length, longest_text, copied (bool array), novel_share, spans,
    corpus_position (where the longest stretch occurs in the corpus, or -1)}.
    """
    if min_copy < 1:
        raise ValueError("min_copy must be >= 1")
    match = matching_lengths(sample, corpus)
    copied = np.zeros(len(sample), bool)
    for i in np.flatnonzero(match >= min_copy):
        copied[i:i + match[i]] = True
    if len(sample):
        start = int(match.argmax())
        length = int(match[start])
    else:
        start, length = 0, 0
    longest = sample[start:start + length]
    spans = []  # maximal runs of copied characters: (start, stop)
    i = 0
    while i < len(sample):
        if copied[i]:
            j = i
            while j < len(sample) and copied[j]:
                j += 1
            spans.append((i, j))
            i = j
        else:
            i += 1
    return {
        "longest_start": start,
        "longest_length": length,
        "longest_text": longest,
        "corpus_position": corpus.find(longest) if length else -1,
        "copied": copied,
        "novel_share": float(1 - copied.mean()) if len(sample) else 1.0,
        "spans": spans,
        "min_copy": int(min_copy),
    }
