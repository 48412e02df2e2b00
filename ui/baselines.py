"""n-gram reference losses for the loss chart, computed once per corpus in the background.

`ngram_baselines` is pure Python and takes seconds, so the chart adds the lines when they are ready
instead of blocking the Train page. It runs in a child Python process (at a lower priority) watched by an
idle thread: run in a thread it would hold the GIL and slow live training and Streamlit's event loop.
A plain subprocess, not multiprocessing: under `streamlit run`, `__main__` is the page script, which
multiprocessing's spawn would re-execute in the child.

The result depends only on the corpus text (keyed by its fingerprint), so it is shared across sessions
like any cache; no user model is involved.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from rnn.corpus import Corpus

# Caps keep the computation to a few seconds on big corpora; the validation cap matches the app's
# validation evaluation so both are scored on the same characters.
MAX_TRAIN_CHARS = 200_000
MAX_VAL_CHARS = 20_000
MAX_ENTRIES = 16
TIMEOUT_SECONDS = 600

ROOT = Path(__file__).resolve().parent.parent
_CHILD = """
import json, os, sys
try:
    os.nice(10)
except OSError:
    pass
from rnn.evaluate import ngram_baselines
job = json.load(sys.stdin)
out = ngram_baselines(job["train"], job["val"], job["chars"], max_train_chars=job["max_train"],
                      max_val_chars=job["max_val"])
json.dump({str(k): v for k, v in out.items()}, sys.stdout)
"""

_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ngram")
_lock = threading.Lock()
_futures: dict[str, Future] = {}


def compute_baselines(train_text: str, val_text: str, chars) -> dict[int, float]:
    """ngram_baselines(...) run in a child process; raises RuntimeError if the child fails."""
    job = {"train": train_text[-MAX_TRAIN_CHARS:], "val": val_text[:MAX_VAL_CHARS], "chars": list(chars),
           "max_train": MAX_TRAIN_CHARS, "max_val": MAX_VAL_CHARS}
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-c", _CHILD], input=json.dumps(job), capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=TIMEOUT_SECONDS, encoding="utf-8")
    if proc.returncode != 0:
        raise RuntimeError(f"n-gram baselines failed: {proc.stderr.strip()[-500:]}")
    return {int(k): float(v) for k, v in json.loads(proc.stdout).items()}


def baselines_for(corpus: Corpus) -> dict[int, float] | None:
    """{n: nats/char} once computed (the first call starts the computation); None while computing, without
    a validation split, or on failure."""
    if corpus.val is None:
        return None
    key = corpus.fingerprint
    with _lock:
        fut = _futures.get(key)
        if fut is None:
            if len(_futures) >= MAX_ENTRIES:  # forget the oldest finished entry
                for k, f in list(_futures.items()):
                    if f.done():
                        del _futures[k]
                        break
            cut = len(corpus.train)
            fut = _executor.submit(compute_baselines, corpus.text[:cut], corpus.text[cut:], corpus.vocab.chars)
            _futures[key] = fut
    if not fut.done() or fut.exception() is not None:
        return None
    return fut.result()
