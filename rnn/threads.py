"""How many BLAS threads a training step uses: one, or the second core too when that pays.

A step has two kinds of matrix products (rnn/fast.py):
* the per-step loops (forward recurrence, BPTT): one small (B, H) x (H, H) product per time step;
* the whole-sequence products (outputs, dL/dh, dWhy, dWhh, dWxh): few and large.
Two OpenBLAS threads speed up the large ones from about B * H >= 4096 and the per-step ones only from
about B * H >= 16384 (measured on a 2-core machine, numbers in the README). But when another process keeps
the other core busy, two threads wait for each other and a step gets slower than with one. So "auto" does
not trust a rule alone: it times real steps with one thread and with the rule's plan, keeps the faster,
and tries the other again now and then (less and less often while it keeps losing), so a machine that
becomes busy or free is noticed.

OpenBLAS splits a product over its output, not over the summed axis, so the thread count does not change
the numbers on this machine (tests/unit/test_threads.py); exact resume holds for any fixed count.

The choice: `threads=` on the Trainer, else the RNN_LAB_THREADS environment variable ("auto" or a number),
else "auto". Worker processes that already fill the cores (live models, sweeps) set RNN_LAB_THREADS=1.
"""

from __future__ import annotations

import os
import statistics
from collections import deque

ENV = "RNN_LAB_THREADS"
MAX_THREADS = os.cpu_count() or 1
BIG_PRODUCTS_MIN = 4096  # B * H from which the whole-sequence products get the second core
LOOP_PRODUCTS_MIN = 16384  # B * H from which the per-step products get it too
ONE = (1, 1)  # (threads in the per-step loops, threads in the whole-sequence products)


def parse(value) -> str | int:
    """'auto' or a thread count >= 1, from an argument or the environment; ValueError with what fits."""
    if value is None or value == "":
        value = os.environ.get(ENV) or "auto"
    if isinstance(value, str):
        if value.strip().lower() == "auto":
            return "auto"
        try:
            value = int(value)
        except ValueError:
            raise ValueError(f"threads must be 'auto' or a whole number from 1, not {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"threads must be 'auto' or a whole number from 1, not {value!r}")
    return value


def rule_plan(batch_size: int, hidden_size: int, threads: int = 2) -> tuple[int, int]:
    """The plan the measured rule gives for a shape: which products get `threads` threads."""
    size = batch_size * hidden_size
    big = threads if size >= BIG_PRODUCTS_MIN else 1
    loop = threads if size >= LOOP_PRODUCTS_MIN else 1
    return loop, big


class IdleCores:
    """How many cores sat idle since the last call, from /proc/stat (Linux); None where it cannot tell."""

    def __init__(self, path: str = "/proc/stat"):
        self.path = path
        self.last = self._read()

    def _read(self) -> tuple[int, int] | None:
        try:
            with open(self.path) as f:
                fields = [int(x) for x in f.readline().split()[1:]]
        except (OSError, ValueError):
            return None
        return fields[3] + fields[4], sum(fields[:8])  # idle + iowait, all (guest time is inside user)

    def __call__(self) -> float | None:
        now, before = self._read(), self.last
        self.last = now
        if now is None or before is None or now[1] <= before[1]:
            return None
        return MAX_THREADS * (now[0] - before[0]) / (now[1] - before[1])


class ThreadChooser:
    """Picks each step's (loop, big) thread plan: fixed, or by timing steps ("auto").

    Call plan() before a step and record(plan, seconds) after it with the step's compute time.

    "auto" runs the one-thread plan first, then tries the rule's plan for a few steps and keeps the faster.
    A try stops at its first step that is slower than the current plan's median (two threads on a busy
    machine can be 25x slower), and tries only happen while the time lost to failed tries stays under
    TRY_BUDGET of all step time, so a busy machine costs at most about that much. A two-thread plan that
    gets slower than the one-thread plan's last median hands back to it at once. And it does not try at
    all while the other cores have been busy since the last look (IdleCores): that is when a try costs most.
    """

    SAMPLES = 5  # timings kept per plan; medians decide
    TRY_STEPS = 3  # steps of the other plan in one try that does not fail early
    FIRST_TRY = 20  # steps between tries; doubles after a failed try, up to LAST_TRY
    LAST_TRY = 5000
    MARGIN = 0.03  # the other plan must be this much faster to take over
    TRY_BUDGET = 0.02  # time lost in failed tries, as a share of all step time
    IDLE_NEEDED = 0.7  # idle cores (besides the one we run on) per extra thread for a try to start

    def __init__(self, threads, batch_size: int, hidden_size: int, idle_cores=None):
        """idle_cores: a callable giving the idle cores since its last call (default IdleCores())."""
        self.mode = parse(threads)
        candidate = rule_plan(batch_size, hidden_size, min(2, MAX_THREADS) if self.mode == "auto" else self.mode)
        self.auto = self.mode == "auto" and candidate != ONE
        self.current = ONE if self.auto else candidate
        self.candidate = candidate
        self.times = {ONE: deque(maxlen=self.SAMPLES), candidate: deque(maxlen=self.SAMPLES)}
        self.interval = self.FIRST_TRY
        self.since_try = self.FIRST_TRY - self.SAMPLES  # the first try comes as soon as there are samples
        self.trying = 0  # steps left in the current try of the other plan
        self.decisions = 0  # tries judged so far
        self.spent = self.lost = 0.0  # all step time; time lost to failed tries
        self.idle = idle_cores or (IdleCores() if self.auto else None)

    @property
    def other(self) -> tuple[int, int]:
        return self.candidate if self.current == ONE else ONE

    def plan(self) -> tuple[int, int]:
        return self.other if self.trying else self.current

    def record(self, plan: tuple[int, int], seconds: float) -> None:
        if not self.auto:
            return
        self.spent += seconds
        if self.trying:
            self._tried(seconds)
            return
        times = self.times[self.current]
        times.append(seconds)
        if self.current != ONE and self.times[ONE] and statistics.median(times) > \
                statistics.median(self.times[ONE]) * (1 + self.MARGIN):
            self.current = ONE  # the machine got busier: back to the plan that cannot stall
            return
        self.since_try += 1
        if (self.since_try >= self.interval and len(times) >= self.SAMPLES
                and self.lost <= self.TRY_BUDGET * self.spent):
            self.since_try = 0
            if self.other != ONE and not self._cores_free():
                return  # busy now: look again after the next interval
            self.times[self.other].clear()  # judge it by how it does now, not before
            self.trying = self.TRY_STEPS

    def _cores_free(self) -> bool:
        idle = self.idle()
        extra = max(self.candidate) - 1
        return idle is None or idle >= self.IDLE_NEEDED * extra

    def _tried(self, seconds: float) -> None:
        mine = statistics.median(self.times[self.current])
        self.times[self.other].append(seconds)
        self.trying -= 1
        if seconds > mine * (1 + self.MARGIN):  # slower already: stop trying now
            self.trying = 0
            self.lost += seconds - mine
        if self.trying:
            return
        self.decisions += 1
        if statistics.median(self.times[self.other]) < mine * (1 - self.MARGIN):
            self.current = self.other
            self.interval = self.FIRST_TRY
        else:
            self.interval = min(2 * self.interval, self.LAST_TRY)

    def describe(self) -> str:
        """One line for logs and the bench: the mode and the plan in use."""
        loop, big = self.current
        return f"{self.mode}: {loop} thread(s) in the step loops, {big} in the whole-sequence products"
