"""Surprise: how many nats the model loses on each character of a text (Karpathy's coloured-text figure).

Position i scores text[i + 1] given text[: i + 1]; the first character is only context. The mean of
`loss` is exactly the model's cross-entropy on the text read as one stream from h0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..model import forward
from ..vocab import Vocab


@dataclass
class Surprise:
    chars: str  # the scored characters, text[1:]
    loss: np.ndarray  # (n,) nats: -ln p(char)
    prob: np.ndarray  # (n,) probability the model gave to the actual character
    top_chars: list[list[str]]  # (n, k) most likely next characters, best first
    top_probs: np.ndarray  # (n, k) their probabilities
    context: str  # text[0], the character read before the first prediction

    @property
    def mean(self) -> float:
        return float(self.loss.mean()) if len(self.loss) else float("nan")


def surprise(params, vocab: Vocab, text: str, h0=None, top_k: int = 5, chunk: int = 2000) -> Surprise:
    """Per-character loss over `text` from state h0 (the trainer's carried state is a good default)."""
    vocab.check_known(text)
    if len(text) < 2:
        raise ValueError("need at least two characters: the first is context for the second")
    ids = vocab.encode(text)
    n = len(ids) - 1
    k = max(1, min(top_k, vocab.size))
    loss = np.empty(n)
    top_ix = np.empty((n, k), np.int64)
    top_p = np.empty((n, k))
    h = None if h0 is None else np.asarray(h0, params["Whh"].dtype)[None, :]
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        f = forward(params, ids[None, start:stop], h)
        probs = f.probs[0].astype(np.float64)  # (m, V): distribution over ids[start+1 : stop+1]
        tgt = ids[start + 1:stop + 1]
        p = probs[np.arange(len(tgt)), tgt]
        loss[start:stop] = -np.log(p)
        ix = np.argsort(-probs, axis=1, kind="stable")[:, :k]
        top_ix[start:stop] = ix
        top_p[start:stop] = np.take_along_axis(probs, ix, axis=1)
        h = f.h_last
    chars = vocab.chars
    return Surprise(
        chars=text[1:],
        loss=loss,
        prob=np.exp(-loss),
        top_chars=[[chars[i] for i in row] for row in top_ix],
        top_probs=top_p,
        context=text[0],
    )
