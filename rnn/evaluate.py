"""How good is a loss? Validation loss of the RNN, unit conversions, and n-gram baselines."""

from __future__ import annotations

import math

import numpy as np

from .fast import Workspace
from .model import forward
from .vocab import Vocab

LN2 = math.log(2)


def bits(nats):
    """nats -> bits (per character); a number or an array."""
    return np.divide(nats, LN2)


def perplexity(nats):
    """exp(nats), capped at exp(700) so a diverged loss stays finite; a number or an array."""
    return np.exp(np.minimum(nats, 700.0))


def evaluate_loss(params, ids: np.ndarray, seq_length: int = 100, streams: int = 16,
                  max_chars: int | None = None, h0=None) -> float:
    """Mean cross-entropy (nats/char) of predicting ids[1:] from ids[:-1].

    The text is cut into `streams` contiguous segments run in parallel; each carries its hidden state
    across chunks of `seq_length`, so long texts are scored as a continuous read, not restarted.
    h0: the state to start every stream from (H,), or (S,) for the models of rnn/cells.
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
    h = None if h0 is None else np.tile(np.asarray(h0, params["Why"].dtype), (streams, 1))
    workspace = Workspace()  # one set of arrays for all chunks: each chunk is read before the next
    for off in range(0, seg, seq_length):
        T = min(seq_length, seg - off)
        idx = starts[:, None] + off + np.arange(T)
        out = forward(params, ids[idx], h, workspace=workspace)
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


def ngram_codes(ids: np.ndarray, n: int, V: int) -> np.ndarray:
    """One integer per n-gram of `ids` (base-V digits), for the n-grams ending at positions n-1 .. len-1."""
    L = len(ids)
    code = np.zeros(max(L - n + 1, 0), dtype=np.int64)
    for j in range(n):
        code = code * V + ids[j:L - n + 1 + j]
    return code


def _count(codes: np.ndarray):
    return np.unique(codes, return_counts=True)


def _lookup(table, codes: np.ndarray) -> np.ndarray:
    """How often each code occurs in a (sorted codes, counts) table; 0 when absent."""
    keys, counts = table
    if len(keys) == 0:
        return np.zeros(len(codes))
    idx = np.minimum(np.searchsorted(keys, codes), len(keys) - 1)
    return np.where(keys[idx] == codes, counts[idx], 0).astype(np.float64)


class NGramModel:
    """Character n-gram model with interpolated Dirichlet smoothing:

        P_n(c | ctx) = (count(ctx + c) + alpha * P_{n-1}(c | ctx[1:])) / (count(ctx) + alpha)

    down to a Laplace-smoothed unigram. Counts are kept as sorted integer codes so a whole text is
    scored with a few vectorized look-ups.
    """

    ALPHAS = (0.1, 0.3, 1.0, 3.0, 10.0)

    def __init__(self, order: int, vocab_chars, alpha: float = 1.0):
        self.order, self.alpha = order, alpha
        self.vocab = Vocab(tuple(vocab_chars))
        self.V = self.vocab.size
        if self.V ** order >= 2**62:
            raise ValueError(f"order {order} is too high for a vocabulary of {self.V} characters")

    def fit(self, text: str) -> NGramModel:
        ids = self.vocab.encode(text)
        self.N = len(ids)
        self.grams = [_count(ngram_codes(ids, n, self.V)) for n in range(1, self.order + 1)]
        # contexts: (n-1)-grams that are followed by a character, i.e. those of text[:-1]
        self.contexts = [None] + [_count(ngram_codes(ids[:-1], n - 1, self.V)) for n in range(2, self.order + 1)]
        return self

    def _probs(self, ids: np.ndarray, start: int) -> np.ndarray:
        """P(ids[i] | what precedes it) for i = start .. len(ids)-1, backing off where context is short."""
        pos = np.arange(start, len(ids))
        p = (_lookup(self.grams[0], ids[pos]) + 1) / (self.N + self.V)  # unigram, Laplace
        shorter = ngram_codes(ids, 1, self.V)  # codes of the (n-1)-grams: the contexts at order n
        for n in range(2, self.order + 1):
            codes = ngram_codes(ids, n, self.V)
            ok = pos >= n - 1
            at = pos[ok] - (n - 1)  # index of the n-gram ending at pos in the code arrays
            full = _lookup(self.grams[n - 1], codes[at])
            ctx = _lookup(self.contexts[n - 1], shorter[at])
            p[ok] = (full + self.alpha * p[ok]) / (ctx + self.alpha)
            shorter = codes
        return p

    def prob(self, context: str, c: str) -> float:
        ids = self.vocab.encode(context[max(0, len(context) - self.order + 1):] + c)
        return float(self._probs(ids, len(ids) - 1)[0])

    def loss(self, text: str, history: str = "") -> float:
        """Mean nats/char over `text`, each character predicted from the ones before it."""
        if not text:
            return 0.0
        ids = self.vocab.encode(history + text)
        return float(-np.log(self._probs(ids, len(history))).mean())


def ngram_baselines(train_text: str, val_text: str, vocab_chars, max_order: int = 5,
                    max_train_chars: int = 500_000, max_val_chars: int = 20_000) -> dict[int, float]:
    """Validation loss (nats/char) of n-gram models for n = 1..max_order, fitted on the train text."""
    train_text = train_text[-max_train_chars:]
    val_text = val_text[:max_val_chars]
    tune_cut = int(len(train_text) * 0.9)
    fit_part, tune_part = train_text[:tune_cut], train_text[tune_cut:]
    results = {}
    max_order = min(max_order, max(1, int(62 / math.log2(max(len(vocab_chars), 2)))))  # int64 codes must fit
    for n in range(1, max_order + 1):
        alpha = 1.0
        if n > 1 and tune_part:
            model = NGramModel(n, vocab_chars).fit(fit_part)
            scores = {}
            for a in NGramModel.ALPHAS:
                model.alpha = a
                scores[a] = model.loss(tune_part[:5_000], history=fit_part[-(n - 1):])
            alpha = min(scores, key=scores.get)
        model = NGramModel(n, vocab_chars, alpha).fit(train_text)
        results[n] = model.loss(val_text, history=train_text[-(n - 1):] if n > 1 else "")
    return results
