"""BLAS threads per step (rnn/threads.py): the parse, the rule, the "auto" chooser's decisions on scripted
timings, and that the thread count changes neither the numbers nor exact resume."""

import os

import numpy as np
import pytest

from rnn import fast, threads
from rnn.checkpoint import checkpoint_bytes, load_checkpoint
from rnn.corpus import make_corpus
from rnn.runs import sweep
from rnn.threads import ONE, ThreadChooser, parse, rule_plan
from rnn.train import TrainConfig, Trainer

TEXT = "the quick brown fox jumps over the lazy dog. " * 300


@pytest.mark.parametrize("value, expected", [("auto", "auto"), (" AUTO ", "auto"), ("2", 2), (1, 1), (3, 3)])
def test_parse_accepts_auto_and_counts(value, expected):
    assert parse(value) == expected


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5", 0, True, 2.0])
def test_parse_refuses_other_values_with_what_fits(value):
    with pytest.raises(ValueError, match="'auto' or a whole number from 1"):
        parse(value)


def test_parse_falls_back_to_the_environment_then_auto(monkeypatch):
    monkeypatch.setenv(threads.ENV, "1")
    assert parse(None) == 1
    monkeypatch.delenv(threads.ENV)
    assert parse(None) == "auto"


def test_rule_gives_big_products_the_second_core_first():
    assert rule_plan(1, 100) == ONE  # one stream: nothing pays
    assert rule_plan(32, 100) == ONE
    assert rule_plan(32, 256) == (1, 2)  # B*H = 8192: the whole-sequence products only
    assert rule_plan(128, 512) == (2, 2)


def scripted(idle=1.0, threads_="auto"):
    """A chooser for B=128, H=512 (the rule's plan: two threads everywhere) on a machine with `idle` cores free."""
    return ThreadChooser(threads_, 128, 512, idle_cores=lambda: idle)


class Clock:
    """Feeds a chooser step times from a table of plan -> seconds, as a Trainer would."""

    def __init__(self, chooser, cost):
        self.chooser, self.cost, self.total = chooser, cost, 0.0

    def run(self, steps):
        used = []
        for _ in range(steps):
            plan = self.chooser.plan()
            seconds = self.cost(plan)
            self.chooser.record(plan, seconds)
            self.total += seconds
            used.append(plan)
        return used


def test_auto_takes_two_threads_when_they_are_faster():
    chooser = scripted()
    Clock(chooser, lambda plan: 0.06 if plan == (2, 2) else 0.1).run(40)
    assert chooser.current == (2, 2) and chooser.decisions >= 1


def test_auto_on_a_busy_machine_stays_within_its_budget():
    """Two threads 25x slower (another process on the other core): each try stops at its first step and
    the time lost stays near TRY_BUDGET of the run."""
    chooser = scripted()
    clock = Clock(chooser, lambda plan: 2.5 if plan == (2, 2) else 0.1)
    used = clock.run(5000)
    assert chooser.current == ONE
    ideal = 5000 * 0.1
    assert clock.total <= ideal * (1 + chooser.TRY_BUDGET) + 2.5  # the budget, plus at most one try over it
    assert used.count((2, 2)) >= 1  # it did try


def test_auto_goes_back_to_one_thread_when_the_machine_gets_busy():
    chooser = scripted()
    busy = False
    clock = Clock(chooser, lambda plan: (0.3 if busy else 0.06) if plan == (2, 2) else 0.1)
    clock.run(40)
    assert chooser.current == (2, 2)
    busy = True
    used = clock.run(3)
    assert chooser.current == ONE and used[-1] == (2, 2)  # within a few steps: the median turned
    assert clock.run(1) == [ONE]


def test_auto_does_not_try_while_the_other_core_is_busy():
    busy = scripted(idle=0.1)
    used = Clock(busy, lambda plan: 2.5 if plan == (2, 2) else 0.1).run(2000)
    assert set(used) == {ONE} and busy.lost == 0


def test_idle_cores_reads_proc_stat(tmp_path):
    stat = tmp_path / "stat"
    stat.write_text("cpu  100 0 100 800 0 0 0 0 0 0\n")
    idle = threads.IdleCores(str(stat))
    stat.write_text("cpu  200 0 100 900 0 0 0 0 0 0\n")  # half of the time since: idle
    assert idle() == pytest.approx(threads.MAX_THREADS * 0.5)
    assert idle() is None  # no time passed
    assert threads.IdleCores(str(tmp_path / "missing"))() is None


def test_fixed_counts_and_small_shapes_never_try():
    for chooser in (ThreadChooser(1, 128, 512), ThreadChooser(2, 128, 512), ThreadChooser("auto", 1, 100)):
        planned = {chooser.plan()}
        Clock(chooser, lambda plan: 0.1).run(100)
        assert {chooser.plan()} == planned and chooser.decisions == 0
    assert ThreadChooser(2, 128, 512).plan() == (2, 2) and ThreadChooser(1, 128, 512).plan() == ONE


def test_the_step_switches_threads_per_kind_of_product_and_ends_on_one(monkeypatch):
    calls = []
    monkeypatch.setattr(fast, "blas_thread_setter", lambda: calls.append)
    params = Trainer(make_corpus(TEXT, "t", val_fraction=0), TrainConfig(hidden_size=8)).params
    ws = fast.Workspace()
    ws.threads = (1, 2)
    ids = np.zeros((2, 5), int)
    fast.loss_and_grads(params, ids, ids, np.zeros((2, 8)), workspace=ws)
    assert calls == [1, 2, 1, 2, 1]  # loop, big, BPTT loop, weight gradients, and back to one
    calls.clear()
    ws.threads = ONE
    fast.loss_and_grads(params, ids, ids, np.zeros((2, 8)), workspace=ws)
    assert calls == []  # the one-thread plan never touches the BLAS settings


def trainer(threads_, steps=0):
    corpus = make_corpus(TEXT, "t", val_fraction=0.1)
    t = Trainer(corpus, TrainConfig(hidden_size=128, batch_size=128, seq_length=8, eval_every=0), threads=threads_)
    t.step(steps)
    return t


def test_thread_count_does_not_change_the_numbers():
    one, two = trainer(1), trainer(2)
    assert one.threads.plan() == ONE and two.threads.plan() == (2, 2)
    one.step(6)
    two.step(6)
    # Not bit for bit everywhere: a BLAS may split a product's sums differently on two threads (identical with
    # numpy 2.4's OpenBLAS on this CPU, 6e-12 apart after 6 steps with numpy 2.0's, the floors' venv)
    np.testing.assert_allclose(two.flat_params, one.flat_params, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(two.h, one.h, rtol=1e-9, atol=1e-10)


def test_exact_resume_with_two_threads():
    full = trainer(2, steps=10)
    part = trainer(2, steps=4)
    resumed = load_checkpoint(checkpoint_bytes(part))
    resumed.set_threads(2)
    resumed.step(6)
    assert np.array_equal(resumed.flat_params, full.flat_params)
    assert np.array_equal(resumed.h, full.h)


def test_sweep_workers_that_fill_the_cores_use_one_thread(monkeypatch):
    monkeypatch.setenv(threads.ENV, "auto")  # and restored afterwards
    monkeypatch.setattr(sweep, "handle_stop_signals", lambda: None)
    monkeypatch.setattr(sweep, "watch_parent", lambda pid, fn: None)
    sweep._worker_init(os.getpid(), "1")
    assert os.environ[threads.ENV] == "1" and trainer(None).threads.plan() == ONE
