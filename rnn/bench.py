"""Speed benchmark: the engine against a reference measured in the same process.

The default reference is min-char-rnn's algorithm written out as the seed writes it below (one-hot column
vectors, a Python loop over time steps for forward and backward, np.clip and the Adagrad update per
parameter, np.random.choice for sampling). The other reference, "plain", is the engine itself with
rnn/fast.py switched off (rnn/model.py's plain code): its ratio is what the fast module gains.
Absolute chars/s drift on a shared machine, so each row interleaves reference and engine runs and
reports the median of the per-pair ratios.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter

import numpy as np

from . import bench_torch, fast
from .corpus import load_builtin, make_corpus
from .evaluate import evaluate_loss
from .runtime import one_blas_thread
from .sample import sample
from .train import TrainConfig, Trainer

# ----------------------------------------------------------------------------- the seed, as written


def seed_lossfun(Wxh, Whh, Why, bh, by, inputs, targets, hprev):
    xs, hs, ys, ps = {}, {}, {}, {}
    hs[-1] = np.copy(hprev)
    loss = 0
    vocab_size = Wxh.shape[1]
    for t in range(len(inputs)):
        xs[t] = np.zeros((vocab_size, 1))
        xs[t][inputs[t]] = 1
        hs[t] = np.tanh(np.dot(Wxh, xs[t]) + np.dot(Whh, hs[t - 1]) + bh)
        ys[t] = np.dot(Why, hs[t]) + by
        ps[t] = np.exp(ys[t]) / np.sum(np.exp(ys[t]))
        loss += -np.log(ps[t][targets[t], 0])
    dWxh, dWhh, dWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
    dbh, dby = np.zeros_like(bh), np.zeros_like(by)
    dhnext = np.zeros_like(hs[0])
    for t in reversed(range(len(inputs))):
        dy = np.copy(ps[t])
        dy[targets[t]] -= 1
        dWhy += np.dot(dy, hs[t].T)
        dby += dy
        dh = np.dot(Why.T, dy) + dhnext
        dhraw = (1 - hs[t] * hs[t]) * dh
        dbh += dhraw
        dWxh += np.dot(dhraw, xs[t].T)
        dWhh += np.dot(dhraw, hs[t - 1].T)
        dhnext = np.dot(Whh.T, dhraw)
    for dparam in [dWxh, dWhh, dWhy, dbh, dby]:
        np.clip(dparam, -5, 5, out=dparam)
    return loss, dWxh, dWhh, dWhy, dbh, dby, hs[len(inputs) - 1]


class SeedTrainer:
    """min-char-rnn's main loop (without its printing), one stream, float64."""

    def __init__(self, data: np.ndarray, vocab_size: int, hidden_size: int, seq_length: int = 25,
                 learning_rate: float = 0.1, seed: int = 0):
        rng = np.random.default_rng(seed)
        H, V = hidden_size, vocab_size
        self.Wxh = rng.standard_normal((H, V)) * 0.01
        self.Whh = rng.standard_normal((H, H)) * 0.01
        self.Why = rng.standard_normal((V, H)) * 0.01
        self.bh, self.by = np.zeros((H, 1)), np.zeros((V, 1))
        self.mem = [np.zeros_like(p) for p in self.params]
        # The seed slices Python lists of ints (`[char_to_ix[ch] for ch in data[p:p+seq_length]]`), not arrays.
        self.data, self.seq_length, self.lr = np.asarray(data).tolist(), seq_length, learning_rate
        self.p, self.hprev, self.chars = 0, np.zeros((H, 1)), 0

    @property
    def params(self):
        return [self.Wxh, self.Whh, self.Why, self.bh, self.by]

    def step(self):
        T = self.seq_length
        if self.p + T + 1 >= len(self.data):
            self.hprev = np.zeros_like(self.hprev)
            self.p = 0
        inputs = self.data[self.p:self.p + T]
        targets = self.data[self.p + 1:self.p + T + 1]
        loss, *grads, self.hprev = seed_lossfun(*self.params, inputs, targets, self.hprev)
        for param, dparam, mem in zip(self.params, grads, self.mem, strict=True):
            mem += dparam * dparam
            param += -self.lr * dparam / np.sqrt(mem + 1e-8)  # adagrad update
        self.p += T
        self.chars += T
        return loss

    def as_engine_params(self):
        return {"Wxh": self.Wxh, "Whh": self.Whh, "Why": self.Why, "bh": self.bh.ravel(), "by": self.by.ravel()}


def seed_sample(Wxh, Whh, Why, bh, by, h, seed_ix, n, rng):
    vocab_size = Wxh.shape[1]
    x = np.zeros((vocab_size, 1))
    x[seed_ix] = 1
    ixes = []
    for _ in range(n):
        h = np.tanh(np.dot(Wxh, x) + np.dot(Whh, h) + bh)
        y = np.dot(Why, h) + by
        p = np.exp(y) / np.sum(np.exp(y))
        ix = rng.choice(range(vocab_size), p=p.ravel())
        x = np.zeros((vocab_size, 1))
        x[ix] = 1
        ixes.append(ix)
    return ixes


# ----------------------------------------------------------------------------- measurement


def bench_text(vocab_size: int = 65, n_chars: int = 200_000) -> str:
    """English prose from the Python docs, reduced to its `vocab_size - 1` commonest characters + '?'."""
    text = load_builtin("python-docs")[:n_chars]
    keep = {c for c, _ in Counter(text).most_common(vocab_size - 1)}
    return "".join(c if c in keep else "?" for c in text)


def _rate(fn, seconds: float, clock: str = "cpu") -> float:
    """chars per second; fn() returns the characters it processed. clock "cpu": CPU seconds of this process
    (time other processes take is not counted, which keeps one-thread ratios steadier on a shared machine);
    "wall": wall-clock seconds, for runs that may use more than one thread."""
    now = time.process_time if clock == "cpu" else time.perf_counter
    fn()  # warm-up
    chars, t0 = 0, now()
    while True:
        chars += fn()
        dt = now() - t0
        if dt >= seconds:
            return chars / dt


REFERENCES = ("seed", "plain", "torch")


def _ratio_row(what, hidden, batch, dtype, ref_fn, eng_fn, seconds, repeats) -> dict:
    """Interleaved rates of ref_fn and eng_fn (each returns the characters it processed), medians."""
    ref_rates, eng_rates = [], []
    with one_blas_thread():
        for _ in range(repeats):
            ref_rates.append(_rate(ref_fn, seconds))
            eng_rates.append(_rate(eng_fn, seconds))
    ratios = [e / r for e, r in zip(eng_rates, ref_rates, strict=True)]
    return {"what": what, "hidden": hidden, "batch": batch, "dtype": dtype,
            "ref_chars_per_sec": statistics.median(ref_rates), "chars_per_sec": statistics.median(eng_rates),
            "ratio": statistics.median(ratios)}


def _plain(fn):
    """fn run with rnn/fast.py switched off."""
    def run():
        with fast.disabled():
            return fn()
    return run


def bench_training(hidden: int, batch: int, dtype: str, text: str, seconds: float, repeats: int,
                   reference: str = "seed") -> dict:
    corpus = make_corpus(text, "bench", val_fraction=0)
    # Speed, not learning, is measured: a large model at lr 0.1 may pass the divergence guard's
    # 3x-first-loss line, which would stop the engine (and make its steps free).
    # Against the plain model both sides train the same model, at a gentler rate: at lr 0.1 a float32
    # H = 512 model soon has a target probability below float32's range, and without the fast path's
    # logit floor the plain loss is inf, which stops any run.
    config = TrainConfig(hidden_size=hidden, batch_size=batch, dtype=dtype, eval_every=0, health_every=0,
                         divergence_factor=1e9, learning_rate=0.01 if reference == "plain" else 0.1)

    def steps_of(trainer):
        def run():
            if trainer.status == "diverged":
                raise RuntimeError(f"the engine diverged during the benchmark: {trainer.message}")
            return 25 * batch * trainer.step(10)
        return run

    if reference == "plain":
        ref_fn = _plain(steps_of(Trainer(corpus, config, threads=1)))
    else:
        ref = SeedTrainer(corpus.train, corpus.vocab.size, hidden)

        def ref_fn():
            ref.step()
            return ref.seq_length

    engine = Trainer(corpus, config, threads=1)  # one thread, like its reference: ratios of CPU time
    return _ratio_row("train", hidden, batch, dtype, ref_fn, steps_of(engine), seconds, repeats)


def bench_sampling(hidden: int, text: str, seconds: float, repeats: int, length: int = 200,
                   reference: str = "seed") -> dict:
    corpus = make_corpus(text, "bench", val_fraction=0)
    ref = SeedTrainer(corpus.train, corpus.vocab.size, hidden)
    for _ in range(50):
        ref.step()
    params = ref.as_engine_params()

    def engine():
        return len(sample(params, corpus.vocab, length, seed=1))

    if reference == "plain":
        ref_fn = _plain(engine)
    else:
        rng = np.random.default_rng(0)
        h0 = np.zeros((hidden, 1))

        def ref_fn():
            return len(seed_sample(*ref.params, h0, 0, length, rng))

    return _ratio_row("sample", hidden, 1, "float64", ref_fn, engine, seconds, repeats)


def run_benchmark(hiddens=(100, 512), batches=(1, 32), dtypes=("float64", "float32"), seconds: float = 0.5,
                  repeats: int = 3, vocab_size: int = 65, progress=None, reference: str = "seed") -> list[dict]:
    """Rows of training speed for every (hidden, batch, dtype), then one-stream sampling at H = 100,
    each against `reference`: "seed" (min-char-rnn's loop) or "plain" (the engine without rnn/fast.py)."""
    if reference not in REFERENCES:
        raise ValueError(f"reference must be one of {', '.join(REFERENCES)}")
    if reference == "torch" and not bench_torch.available():
        raise ValueError("--reference torch needs PyTorch (pip install torch): it is an optional comparison")
    text = bench_text(vocab_size)
    rows = []
    for hidden in hiddens:
        for batch in batches:
            for dtype in dtypes:
                if reference == "torch":
                    rows.append(bench_torch.bench_training_torch(hidden, batch, dtype, text, seconds, repeats, _rate))
                else:
                    rows.append(bench_training(hidden, batch, dtype, text, seconds, repeats, reference))
                if progress:
                    progress(rows[-1])
    if reference == "torch":
        return rows  # PyTorch has no sampling loop to compare with
    rows.append(bench_sampling(100, text, seconds, repeats, reference=reference))
    if progress:
        progress(rows[-1])
    return rows


def format_table(rows: list[dict], reference: str = "seed") -> str:
    if reference == "torch":
        return bench_torch.format_torch_table(rows)
    ref = "seed loop" if reference == "seed" else "plain model"
    lines = [f"| what | H | B | dtype | {ref} chars/s | engine chars/s | ratio (median) |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['what']} | {r['hidden']} | {r['batch']} | {r['dtype']} | {r['ref_chars_per_sec']:,.0f} "
                     f"| {r['chars_per_sec']:,.0f} | {r['ratio']:.1f}x |")
    return "\n".join(lines)


def race(seconds: float = 30.0, builtin: str = "python-docs") -> dict:
    """Train the seed loop and the engine (defaults) for the same wall time; compare validation loss."""
    corpus = make_corpus(load_builtin(builtin), builtin)
    out = {"seconds": seconds, "corpus": builtin}
    with one_blas_thread():
        ref = SeedTrainer(corpus.train, corpus.vocab.size, 100)
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            ref.step()
        out["reference_chars"] = ref.chars
        out["reference_val_loss"] = evaluate_loss(ref.as_engine_params(), corpus.val, h0=ref.hprev.ravel())
    eng = Trainer(corpus, TrainConfig(eval_every=0), threads=1)  # equal CPU time: one core each
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        eng.train_for(min(0.5, seconds - (time.perf_counter() - t0)))
    out["engine_chars"] = eng.chars_trained
    out["engine_val_loss"] = eng.evaluate()
    return out
