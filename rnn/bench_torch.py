"""The bench's PyTorch reference: the same training step written with torch.nn, timed beside the engine.

Optional: used only when PyTorch is importable (`python -m rnn bench --reference torch`); never a dependency.
The step is the engine's, layer for layer: nn.RNN (tanh) on one-hot inputs (Wxh x_t + Whh h_{t-1} + bh),
nn.Linear (Why h_t + by), summed cross-entropy, BPTT over T steps with the hidden state carried (detached)
between steps, clip_grad_value_ at 5 and Adagrad. PyTorch is timed with one thread and with its default
(one per core); the engine with one thread and with its own choice (rnn/threads.py). All four run
interleaved in one process and are timed in wall-clock seconds (two threads use more CPU time than wall time).
"""

from __future__ import annotations

import statistics

import numpy as np

from .corpus import make_corpus
from .train import TrainConfig, Trainer

SEQ_LENGTH = 25
STEPS_PER_CALL = 5  # engine steps per timed call (each call enters the Trainer's loop once)


def available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


class TorchStep:
    """One training step of the char-RNN in PyTorch, on B streams of `ids` read side by side."""

    def __init__(self, ids: np.ndarray, vocab_size: int, hidden: int, batch: int, dtype: str,
                 learning_rate: float = 0.1, clip: float = 5.0, seed: int = 0):
        import torch

        self.torch = torch
        torch.manual_seed(seed)
        self.dtype = getattr(torch, dtype)
        self.rnn = torch.nn.RNN(vocab_size, hidden, nonlinearity="tanh", batch_first=True).to(self.dtype)
        self.out = torch.nn.Linear(hidden, vocab_size).to(self.dtype)
        self.params = [*self.rnn.parameters(), *self.out.parameters()]
        self.optimizer = torch.optim.Adagrad(self.params, lr=learning_rate)
        self.V, self.B, self.clip = vocab_size, batch, clip
        seg = (len(ids) - 1) // batch
        self.streams = torch.as_tensor(np.asarray(ids[:seg * batch + 1]), dtype=torch.long)
        self.starts = torch.arange(batch) * seg
        self.seg, self.pos = seg, 0
        self.h = torch.zeros(1, batch, hidden, dtype=self.dtype)

    def __call__(self) -> int:
        """One step; returns the characters trained."""
        torch, T = self.torch, SEQ_LENGTH
        if self.pos + T + 1 > self.seg:
            self.pos, self.h = 0, torch.zeros_like(self.h)
        idx = self.starts[:, None] + self.pos + torch.arange(T + 1)
        chunk = self.streams[idx]
        x = torch.nn.functional.one_hot(chunk[:, :-1], self.V).to(self.dtype)
        hs, h_last = self.rnn(x, self.h)
        logits = self.out(hs)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, self.V), chunk[:, 1:].reshape(-1),
                                                 reduction="sum")
        self.optimizer.zero_grad(set_to_none=False)
        loss.backward()
        torch.nn.utils.clip_grad_value_(self.params, self.clip)
        self.optimizer.step()
        self.h = h_last.detach()
        self.pos += T
        return T * self.B


def _engine_step(corpus, hidden: int, batch: int, dtype: str, threads):
    trainer = Trainer(corpus, TrainConfig(hidden_size=hidden, batch_size=batch, dtype=dtype, eval_every=0,
                                          health_every=0, divergence_factor=1e9), threads=threads)

    def run() -> int:
        return SEQ_LENGTH * batch * trainer.step(STEPS_PER_CALL)
    return run, trainer


def bench_training_torch(hidden: int, batch: int, dtype: str, text: str, seconds: float, repeats: int,
                         rate) -> dict:
    """One row: chars/s of PyTorch (1 thread, default threads) and of the engine (1 thread, its choice).

    rate(fn, seconds, clock) is the bench's timer; the four runs interleave and each ratio is the median
    of the per-repeat ratios."""
    import torch

    default_threads = torch.get_num_threads()
    corpus = make_corpus(text, "bench", val_fraction=0)
    reference = TorchStep(corpus.train, corpus.vocab.size, hidden, batch, dtype)
    engine_one, _ = _engine_step(corpus, hidden, batch, dtype, 1)
    engine_auto, auto = _engine_step(corpus, hidden, batch, dtype, "auto")
    while auto.threads.auto and not auto.threads.decisions and auto.iteration < 100:
        engine_auto()  # let "auto" try both plans before it is timed

    def torch_with(n):
        def run():
            torch.set_num_threads(n)
            return reference()
        return run

    runs = {"torch_one": torch_with(1), "torch_default": torch_with(default_threads), "engine_one": engine_one,
            "engine": engine_auto}
    rates: dict[str, list[float]] = {k: [] for k in runs}
    try:
        for _ in range(repeats):
            for name, fn in runs.items():
                rates[name].append(rate(fn, seconds, "wall"))
    finally:
        torch.set_num_threads(default_threads)

    def ratio(a, b):
        return statistics.median(x / y for x, y in zip(rates[a], rates[b], strict=True))

    row = {"what": "train", "hidden": hidden, "batch": batch, "dtype": dtype, "torch_threads": default_threads,
           "engine_plan": auto.threads.describe()}
    row.update({f"{k}_chars_per_sec": statistics.median(v) for k, v in rates.items()})
    row["chars_per_sec"] = row.pop("engine_chars_per_sec")
    row["ratio"] = ratio("engine", "torch_default")  # the headline: the engine as it runs, PyTorch as it runs
    row["ratio_one_thread"] = ratio("engine_one", "torch_one")
    return row


def format_torch_table(rows: list[dict]) -> str:
    threads = rows[0]["torch_threads"] if rows else "?"
    lines = [f"| H | B | dtype | engine chars/s | engine 1 thread | PyTorch 1 thread | PyTorch {threads} threads "
             "(default) | engine / PyTorch default | engine / PyTorch, 1 thread each |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['hidden']} | {r['batch']} | {r['dtype']} | {r['chars_per_sec']:,.0f} "
                     f"| {r['engine_one_chars_per_sec']:,.0f} | {r['torch_one_chars_per_sec']:,.0f} "
                     f"| {r['torch_default_chars_per_sec']:,.0f} | {r['ratio']:.2f}x | {r['ratio_one_thread']:.2f}x |")
    return "\n".join(lines)
