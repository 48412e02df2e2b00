"""n-gram reference losses for the loss chart, computed once per corpus in the background.

`ngram_baselines` is pure Python and takes seconds, so it runs in a worker thread and the chart adds the
lines when they are ready instead of blocking the Train page. The result depends only on the corpus text
(keyed by its fingerprint), so it is shared across sessions like any cache; no user model is involved.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor

from rnn.corpus import Corpus
from rnn.evaluate import ngram_baselines

# Caps keep the computation to a few seconds on big corpora; the validation cap matches the app's
# validation evaluation so both are scored on the same characters.
MAX_TRAIN_CHARS = 200_000
MAX_VAL_CHARS = 20_000
MAX_ENTRIES = 16

_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ngram")
_lock = threading.Lock()
_futures: dict[str, Future] = {}


def _compute(train_text: str, val_text: str, chars) -> dict[int, float]:
    return ngram_baselines(train_text, val_text, chars, max_train_chars=MAX_TRAIN_CHARS,
                           max_val_chars=MAX_VAL_CHARS)


def baselines_for(corpus: Corpus, start: bool = True) -> dict[int, float] | None:
    """{n: nats/char} once computed; None while computing, without a validation split, or on failure."""
    if corpus.val is None:
        return None
    key = corpus.fingerprint
    with _lock:
        fut = _futures.get(key)
        if fut is None:
            if not start:
                return None
            if len(_futures) >= MAX_ENTRIES:  # forget the oldest finished entry
                for k, f in list(_futures.items()):
                    if f.done():
                        del _futures[k]
                        break
            cut = len(corpus.train)
            fut = _executor.submit(_compute, corpus.text[:cut], corpus.text[cut:], corpus.vocab.chars)
            _futures[key] = fut
    if not fut.done() or fut.exception() is not None:
        return None
    return fut.result()


def wait_for(corpus: Corpus, timeout: float = 60.0) -> dict[int, float] | None:
    """Block until the baselines are ready (for scripts and tests)."""
    baselines_for(corpus)
    fut = _futures.get(corpus.fingerprint)
    if fut is None:
        return None
    fut.result(timeout=timeout)
    return baselines_for(corpus)
