"""How good is a loss? Validation loss of the RNN, unit conversions, and n-gram baselines."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from .model import forward

LN2 = math.log(2)


def bits(nats: float) -> float:
    return nats / LN2


def perplexity(nats: float) -> float:
    return math.exp(min(nats, 700.0))


def evaluate_loss(params, ids: np.ndarray, seq_length: int = 100, streams: int = 16,
                  max_chars: int | None = None, h0=None) -> float:
    """Mean cross-entropy (nats/char) of predicting ids[1:] from ids[:-1].

    The text is cut into `streams` contiguous segments run in parallel; each carries its hidden state
    across chunks of `seq_length`, so long texts are scored as a continuous read, not restarted.
    """
    ids = np.asarray(ids)
    if max_chars is not None:
        ids = ids[: max_chars + 1]
    n = len(ids) - 1
    if n < 1:
        raise ValueError("need at least two characters to evaluate")
    streams = max(1, min(streams, n // max(seq_length, 1) or 1))
    seg = n // streams
    total, count = 0.0, 0
    starts = np.arange(streams) * seg
    h = None if h0 is None else np.tile(np.asarray(h0, params["Whh"].dtype), (streams, 1))
    for off in range(0, seg, seq_length):
        T = min(seq_length, seg - off)
        idx = starts[:, None] + off + np.arange(T)
        out = forward(params, ids[idx], h)
        p = np.take_along_axis(out.probs, ids[idx + 1][..., None], axis=-1)
        total -= float(np.log(p).sum())
        count += p.size
        h = out.h_last
    # the remainder that does not fill a whole segment: score it as one stream, continuing the last one
    rest = n - seg * streams
    if rest:
        idx = seg * streams + np.arange(rest)
        h_rest = None if h is None else h[-1:]
        out = forward(params, ids[idx][None, :], h_rest)
        p = np.take_along_axis(out.probs[0], ids[idx + 1][:, None], axis=-1)
        total -= float(np.log(p).sum())
        count += p.size
    return total / count


# --------------------------------------------------------------------------- n-gram baselines


class NGramModel:
    """Character n-gram model with interpolated Dirichlet smoothing:

        P_n(c | ctx) = (count(ctx + c) + alpha * P_{n-1}(c | ctx[1:])) / (count(ctx) + alpha)

    down to a Laplace-smoothed unigram. alpha is chosen on the last 10% of the training text, then the
    counts are refitted on all of it, so the validation split is never seen while fitting.
    """

    ALPHAS = (0.05, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)

    def __init__(self, order: int, vocab_chars, alpha: float = 1.0):
        self.order, self.alpha = order, alpha
        self.vocab = list(vocab_chars)
        self.V = len(self.vocab)

    def fit(self, text: str) -> NGramModel:
        self.counts = [Counter(text[i:i + n] for i in range(len(text) - n + 1)) for n in range(1, self.order + 1)]
        # context counts: how often each (n-1)-gram is followed by something
        self.ctx_counts = [Counter({"": max(len(text), 0)})]
        for n in range(2, self.order + 1):
            self.ctx_counts.append(Counter(text[i:i + n - 1] for i in range(len(text) - n + 1)))
        return self

    def prob(self, context: str, c: str) -> float:
        p = (self.counts[0].get(c, 0) + 1) / (self.ctx_counts[0][""] + self.V)  # unigram, Laplace
        for n in range(2, self.order + 1):
            ctx = context[len(context) - (n - 1):] if n - 1 <= len(context) else None
            if ctx is None:
                break
            hits = self.counts[n - 1].get(ctx + c, 0)
            p = (hits + self.alpha * p) / (self.ctx_counts[n - 1].get(ctx, 0) + self.alpha)
        return p

    def loss(self, text: str, history: str = "") -> float:
        """Mean nats/char over `text`, each character predicted from the ones before it."""
        full = history + text
        start = len(history)
        total = 0.0
        k = self.order - 1
        for i in range(start, len(full)):
            total -= math.log(self.prob(full[max(0, i - k):i], full[i]))
        return total / max(1, len(text))


def ngram_baselines(train_text: str, val_text: str, vocab_chars, max_order: int = 5,
                    max_train_chars: int = 1_000_000, max_val_chars: int = 50_000) -> dict[int, float]:
    """Validation loss (nats/char) of n-gram models for n = 1..max_order, fitted on the train text."""
    train_text = train_text[-max_train_chars:]
    val_text = val_text[:max_val_chars]
    tune_cut = int(len(train_text) * 0.9)
    fit_part, tune_part = train_text[:tune_cut], train_text[tune_cut:]
    results = {}
    for n in range(1, max_order + 1):
        alpha = 1.0
        if n > 1 and tune_part:
            model = NGramModel(n, vocab_chars).fit(fit_part)
            scores = {}
            for a in NGramModel.ALPHAS:
                model.alpha = a
                scores[a] = model.loss(tune_part[:20_000], history=fit_part[-(n - 1):])
            alpha = min(scores, key=scores.get)
        model = NGramModel(n, vocab_chars, alpha).fit(train_text)
        results[n] = model.loss(val_text, history=train_text[-(n - 1):] if n > 1 else "")
    return results
