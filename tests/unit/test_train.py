"""Trainer: the seed's loop, exact resume through a checkpoint, epoch wrap, divergence guard, bookkeeping."""

import json
import math
import re

import numpy as np
import pytest
from reference import seed_adagrad, seed_loss_fun

import rnn.train
from rnn.checkpoint import checkpoint_bytes, load_checkpoint
from rnn.corpus import brackets_text, make_corpus
from rnn.evaluate import evaluate_loss
from rnn.model import init_params, loss_and_grads
from rnn.train import HISTORY_KEYS, TrainConfig, Trainer

TEXT = brackets_text(700, seed=2)


def make(text=TEXT, **overrides):
    cfg = dict(hidden_size=8, seq_length=10, eval_every=5, sample_every=6, sample_length=15, eval_max_chars=60,
               health_every=10)
    cfg.update(overrides)
    return Trainer(make_corpus(text, "t", seq_length=cfg["seq_length"]), TrainConfig(**cfg))


def steps_per_epoch(trainer):
    T = trainer.config.seq_length
    return (trainer.segment - T - 1) // T + 1


# --------------------------------------------------------------------------- the seed's loop


@pytest.mark.parametrize("clip", [5.0, 0.01])
def test_trainer_steps_equal_the_seed_loop(clip):
    """B=1 adagrad Trainer == min-char-rnn's loop (lossFun, np.clip, Adagrad) written out independently."""
    trainer = make(hidden_size=12, clip=clip, eval_every=0, sample_every=0, seed=3)
    V, H, T = trainer.vocab.size, 12, 10
    params = init_params(V, H, seed=3)
    mem = {k: np.zeros_like(v) for k, v in params.items()}
    hprev = np.zeros((H, 1))
    data = trainer.corpus.train
    for n in range(6):
        p = n * T
        loss, grads, hprev = seed_loss_fun(params, list(data[p:p + T]), list(data[p + 1:p + T + 1]), hprev)
        seed_adagrad(params, grads, mem, lr=0.1, clip=clip)
        trainer.step(1)
        assert trainer.history["loss"][-1] == pytest.approx(loss / T, rel=1e-9)
    for k in params:
        np.testing.assert_allclose(trainer.params[k], params[k], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(trainer.unflatten(trainer.optimizer.state["mem/all"])[k], mem[k],
                                   rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(trainer.h[0], hprev.ravel(), rtol=1e-9, atol=1e-12)
    assert trainer.history["clipped"][-1] == (clip < 1)


def test_streams_read_contiguous_segments():
    trainer = make(batch_size=3, eval_every=0, sample_every=0)
    seg, T = trainer.segment, 10
    assert seg == len(trainer.corpus.train) // 3
    train = trainer.corpus.train
    before = {k: v.copy() for k, v in trainer.params.items()}
    trainer.step(1)
    inputs = np.stack([train[b * seg:b * seg + T] for b in range(3)])
    targets = np.stack([train[b * seg + 1:b * seg + T + 1] for b in range(3)])
    loss, _, h_last = loss_and_grads(before, inputs, targets, np.zeros((3, 8)))
    assert trainer.history["loss"][0] == pytest.approx(loss / 30, rel=1e-12)
    np.testing.assert_allclose(trainer.h, h_last, rtol=1e-12)
    assert trainer.chars_trained == 30 and trainer.pointer == T


# --------------------------------------------------------------------------- exact resume


@pytest.mark.parametrize("overrides", [dict(batch_size=1), dict(batch_size=4),
                                       dict(optimizer="adam", learning_rate=0.01),
                                       dict(batch_size=2, optimizer="rmsprop", learning_rate=0.01, dtype="float32")])
def test_exact_resume(overrides):
    N, M = 33, 37
    full = make(**overrides)
    assert N + M > steps_per_epoch(full)  # the run crosses an epoch boundary
    full.step(N + M)
    part = make(**overrides)
    part.step(N)
    resumed = load_checkpoint(checkpoint_bytes(part))
    del part
    assert resumed.step(M) == M
    assert full.epoch >= 1 and resumed.epoch == full.epoch
    assert np.array_equal(resumed.flat_params, full.flat_params)
    for k in full.optimizer.state:
        assert np.array_equal(resumed.optimizer.state[k], full.optimizer.state[k]), k
    assert resumed.optimizer.t == full.optimizer.t
    assert np.array_equal(resumed.h, full.h)
    for k in HISTORY_KEYS:
        if k != "seconds":  # wall-clock time differs, by nature
            assert resumed.history[k] == full.history[k], k
    assert len(resumed.history["seconds"]) == N + M
    assert full.val_history and resumed.val_history == full.val_history
    assert full.samples and resumed.samples == full.samples
    assert full.health_history and resumed.health_history == full.health_history
    for attr in ("iteration", "pointer", "chars_trained", "smooth_loss", "recent_loss", "status"):
        assert getattr(resumed, attr) == getattr(full, attr), attr
    assert resumed.rng.bit_generator.state == full.rng.bit_generator.state
    assert resumed.sample(30) == full.sample(30)


# --------------------------------------------------------------------------- epoch wrap


@pytest.mark.parametrize("B", [1, 3])
def test_epoch_wrap_resets_state_and_pointer(B):
    trainer = make(batch_size=B, eval_every=0, sample_every=0)
    T, n = 10, steps_per_epoch(trainer)
    trainer.step(n)
    assert trainer.epoch == 0 and trainer.pointer == n * T
    assert n * T + T + 1 > trainer.segment  # the next chunk would run past the segment
    assert np.abs(trainer.h).max() > 0
    assert 0.8 < trainer.epoch_progress < 1.0
    before = {k: v.copy() for k, v in trainer.params.items()}
    trainer.step(1)
    assert trainer.epoch == 1 and trainer.pointer == T
    train, seg = trainer.corpus.train, trainer.segment
    inputs = np.stack([train[b * seg:b * seg + T] for b in range(B)])
    targets = np.stack([train[b * seg + 1:b * seg + T + 1] for b in range(B)])
    loss, _, h_last = loss_and_grads(before, inputs, targets, np.zeros((B, 8)))  # from h = 0, at the start
    assert trainer.history["loss"][-1] == pytest.approx(loss / (B * T), rel=1e-12)
    np.testing.assert_allclose(trainer.h, h_last, rtol=1e-12, atol=1e-15)
    assert trainer.epoch_progress == pytest.approx(1 + T / seg)


# --------------------------------------------------------------------------- divergence guard


def copy_state(t):
    """Everything the guard promises to put back, for comparing."""
    return {"params": t.flat_params.copy(), "h": t.h.copy(), "pointer": t.pointer, "epoch": t.epoch,
            "opt": {k: v.copy() for k, v in t.optimizer.state_dict().items()}, "rng": t.rng.bit_generator.state,
            "chars": t.chars_trained, "smooth": t.smooth_loss, "n_hist": len(t.history["loss"])}


def assert_state(t, want):
    got = copy_state(t)
    assert np.array_equal(got.pop("params"), want.pop("params"))
    assert np.array_equal(got.pop("h"), want.pop("h"))
    g_opt, w_opt = got.pop("opt"), want.pop("opt")
    assert g_opt.keys() == w_opt.keys() and all(np.array_equal(g_opt[k], w_opt[k]) for k in g_opt)
    assert got == want


def went_back_to(trainer) -> int:
    m = re.search(r"Went back to iteration (\d+)", trainer.message)
    assert m, trainer.message
    return int(m.group(1))


def train_then_blow_up(lr, before=300, text=None):
    """A default-sized model trained `before` steps, then stepped one by one at learning rate `lr` until the
    guard fires. Returns (trainer, the states seen from iteration before - 20 on, val loss at `before`)."""
    trainer = Trainer(make_corpus(text or brackets_text(30_000, seed=4), "b"), TrainConfig(eval_every=0))
    states = {}
    for _ in range(before):
        if trainer.iteration >= before - 20:
            states[trainer.iteration] = copy_state(trainer)
        assert trainer.step(1) == 1
    val_before = trainer.evaluate()
    trainer.val_history.clear()
    trainer.set_learning_rate(lr)
    for _ in range(100):
        states[trainer.iteration] = copy_state(trainer)
        if trainer.step(1) == 0:
            return trainer, states, val_before
    raise AssertionError("training did not diverge")


@pytest.mark.filterwarnings("error")  # the guard reports divergence; no NumPy warnings leak out
@pytest.mark.parametrize("lr", [3.0, 1000.0])  # a blow-up over a few steps, and at once
def test_blow_up_goes_back_to_the_last_known_good_state_and_a_lower_rate_continues(lr):
    trainer, states, val_before = train_then_blow_up(lr)
    assert trainer.status == "diverged" and "Lower the learning rate" in trainer.message
    n = went_back_to(trainer)
    fired_at = int(re.search(r"diverged at iteration (\d+)", trainer.message).group(1))
    assert 300 - rnn.train.KEEP_EVERY <= n <= 300 < fired_at
    assert trainer.iteration == n
    assert_state(trainer, states[n])  # parameters, optimizer memory, h, data position, RNG: those of iteration n
    assert all(len(v) == n for v in trainer.history.values())
    assert trainer.evaluate() <= val_before + 1e-12  # no worse than before the blow-up
    trainer.set_learning_rate(0.1)
    trainer.resume()  # what Step and Run do
    assert trainer.step(300) == 300 and trainer.status == "ready"  # does not diverge again
    assert trainer.evaluate() < val_before


def test_the_kept_weights_were_the_bug():
    """The state the old guard kept (the weights from just before the refused step, after unchecked updates)
    is far worse than the one the guard goes back to."""
    trainer, states, val_before = train_then_blow_up(3.0)
    bad = max(it for it in states if it > went_back_to(trainer))
    trainer.flat_params[...] = states[bad]["params"]
    assert trainer.evaluate() > val_before + 1.0


@pytest.mark.parametrize("text", ["hello hello hello hello hello!", "yes no yes no yes no yes no ye", "a" * 29 + "b",
                                  "aab" * 10, "abc" * 10, "0101101001011010010110100101101"[:30]])
def test_tiny_pasted_text_with_defaults_has_no_false_alarm(text):
    trainer = Trainer(make_corpus(text, "pasted text"), TrainConfig())
    assert trainer.step(200) == 200 and trainer.status == "ready", trainer.message


@pytest.mark.parametrize("bad", ["nan_loss", "inf_loss", "nan_grad", "big_loss"])
def test_divergence_guard_on_bad_step(monkeypatch, bad):
    real = rnn.train.loss_and_grads
    calls = {"n": 0}

    def patched(params, inputs, targets, h_prev, **kwargs):
        loss, grads, h_last = real(params, inputs, targets, h_prev, **kwargs)
        calls["n"] += 1
        if bad == "big_loss" and calls["n"] >= first_bad:
            loss = 10.0 * loss  # from here on, every step: a sustained blow-up
        elif calls["n"] == first_bad:
            if bad == "nan_loss":
                loss = float("nan")
            elif bad == "inf_loss":
                loss = float("inf")
            else:
                grads["Whh"][0, 0] = np.nan
        return loss, grads, h_last

    keep = rnn.train.KEEP_EVERY
    first_bad = keep + 4  # the step from iteration keep + 3
    monkeypatch.setattr(rnn.train, "loss_and_grads", patched)
    trainer = make(eval_every=0, sample_every=3)
    states = {}
    for _ in range(keep + 3):
        states[trainer.iteration] = copy_state(trainer)
        trainer.step(1)
    taken = trainer.step(20)
    assert trainer.status == "diverged" and (taken == 0 or bad == "big_loss")
    assert went_back_to(trainer) == trainer.iteration == keep  # the last copy (every KEEP_EVERY iterations)
    assert_state(trainer, states[keep])
    assert [i for i, _ in trainer.samples] == list(range(3, keep + 1, 3)) and len(trainer.history["loss"]) == keep
    assert trainer.step(5) == 0  # stays stopped until resumed
    trainer.resume()
    assert trainer.status == "ready" and trainer.message == ""


def test_a_second_blow_up_goes_back_again():
    trainer, _, _ = train_then_blow_up(3.0)
    n = went_back_to(trainer)
    trainer.resume()
    trainer.set_learning_rate(0.1)
    trainer.step(25)
    keep = rnn.train.KEEP_EVERY
    again = copy_state(trainer) if trainer.iteration % keep == 0 else None
    good_at = trainer.iteration - trainer.iteration % keep
    trainer.set_learning_rate(1000.0)
    while trainer.step(1):
        pass
    assert went_back_to(trainer) == good_at > n
    if again is not None:
        assert_state(trainer, again)


def test_blow_up_right_after_loading_keeps_the_state_and_says_so():
    trainer = make(eval_every=0, sample_every=0)
    trainer.step(4)
    loaded = load_checkpoint(checkpoint_bytes(trainer))
    before = copy_state(loaded)
    loaded.recent_loss = 1e9  # as if the loaded model had just blown up
    assert loaded.step(1) == 0 and loaded.status == "diverged"
    assert "No earlier state was known good" in loaded.message and loaded.iteration == 4
    assert_state(loaded, before)
    loaded.resume()
    assert loaded.step(3) == 3 and loaded.status == "ready"


def test_copying_the_known_good_state_does_not_change_training():
    a, b = make(eval_every=0), make(eval_every=0)
    a.step(77)
    for _ in range(77):
        b.step(1)
    keep = rnn.train.KEEP_EVERY
    assert np.array_equal(a.flat_params, b.flat_params) and a._good["counters"]["iteration"] == 77 // keep * keep
    assert a._good["params"] is not a.flat_params and not np.shares_memory(a._good["params"], a.flat_params)


def test_resume_does_nothing_when_ready():
    trainer = make()
    trainer.step(2)
    recent = trainer.recent_loss
    trainer.resume()
    assert trainer.status == "ready" and trainer.recent_loss == recent


# --------------------------------------------------------------------------- bookkeeping


def test_histories_and_counters():
    trainer = make(batch_size=2, eval_every=4, sample_every=5, sample_length=9)
    V = trainer.vocab.size
    assert trainer.smooth_loss == pytest.approx(math.log(V))  # the seed's starting value
    assert trainer.step(10) == 10
    assert trainer.iteration == 10 and trainer.chars_trained == 10 * 2 * 10
    assert all(len(trainer.history[k]) == 10 for k in HISTORY_KEYS)
    smooth = math.log(V)
    for loss, s in zip(trainer.history["loss"], trainer.history["smooth_loss"], strict=True):
        smooth = 0.999 * smooth + 0.001 * loss
        assert s == pytest.approx(smooth, rel=1e-12)
    assert trainer.history["loss"][0] == pytest.approx(math.log(V), rel=0.02)
    recent = math.log(V)
    for loss in trainer.history["loss"]:
        recent = rnn.train.RECENT_WEIGHT * recent + (1 - rnn.train.RECENT_WEIGHT) * loss
    assert trainer.recent_loss == pytest.approx(recent, rel=1e-12)
    secs = trainer.history["seconds"]
    assert all(b >= a for a, b in zip(secs, secs[1:], strict=False)) and trainer.seconds == secs[-1] > 0
    assert trainer.chars_per_sec == pytest.approx(trainer.chars_trained / trainer.seconds)
    assert [i for i, _ in trainer.val_history] == [4, 8]
    assert [i for i, _ in trainer.samples] == [5, 10] and all(len(s) == 9 for _, s in trainer.samples)
    assert trainer.last_loss == trainer.history["loss"][-1]
    assert trainer.last_val_loss == trainer.val_history[-1][1]


def test_learns_the_hello_corpus():
    trainer = make("hello hello hello world world world", hidden_size=16, seq_length=8, eval_every=0,
                   sample_every=0)
    trainer.step(300)
    assert trainer.status == "ready"
    assert np.mean(trainer.history["loss"][-20:]) < 0.3 * trainer.history["loss"][0]


def test_evaluate_uses_carried_state_and_replaces_same_iteration():
    trainer = make(eval_every=0, eval_max_chars=40)
    trainer.step(7)
    val = trainer.evaluate()
    assert val == evaluate_loss(trainer.params, trainer.corpus.val, max_chars=40, h0=trainer.h[0])
    assert trainer.evaluate() == val and trainer.val_history == [(7, val)]
    trainer.step(1)
    trainer.evaluate()
    assert [i for i, _ in trainer.val_history] == [7, 8]


def test_no_validation_split():
    trainer = make("hello hello hello world world world", seq_length=5, eval_every=1)
    assert trainer.corpus.val is None
    trainer.step(3)
    assert trainer.evaluate() is None and trainer.val_history == [] and trainer.last_val_loss is None


def test_train_for_is_time_boxed():
    trainer = make(eval_every=0, sample_every=0)
    taken = trainer.train_for(0.1)
    assert taken > 0 and trainer.iteration == taken
    assert trainer.train_for(10.0, max_steps=4) == 4


def test_clip_rate():
    trainer = make(clip=1e-6, eval_every=0, sample_every=0)
    trainer.step(5)
    assert trainer.clip_rate() == 1.0 and all(trainer.history["clipped"])
    trainer.set_clip(0)
    trainer.step(5)
    assert trainer.config.clip == 0 and trainer.clip_rate() == 0.5 and trainer.clip_rate(window=5) == 0.0


def test_set_learning_rate():
    trainer = make(optimizer="sgd", learning_rate=0.01)
    trainer.set_learning_rate(0.5)
    assert trainer.optimizer.lr == 0.5 and trainer.config.learning_rate == 0.5
    for bad in (0, -1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="learning rate"):
            trainer.set_learning_rate(bad)


def test_float32_trainer_keeps_float32():
    trainer = make(dtype="float32", batch_size=2)
    trainer.step(3)
    assert trainer.flat_params.dtype == np.float32 and trainer.h.dtype == np.float32
    assert all(v.dtype == np.float32 for v in trainer.optimizer.state.values())


def test_views_share_the_flat_buffer():
    trainer = make()
    trainer.step(2)
    assert all(np.shares_memory(v, trainer.flat_params) for v in trainer.params.values())
    assert trainer.unflatten(trainer.flat_params)["Why"].shape == (trainer.vocab.size, 8)


def test_trainer_sample_and_errors():
    trainer = make(eval_every=0, sample_every=0)
    trainer.step(5)
    text = trainer.sample(40, temperature=0.7, top_k=3)
    assert len(text) == 40 and set(text) <= set(trainer.vocab.chars)
    assert trainer.sample(20, temperature=0) == trainer.sample(20, temperature=0)  # greedy: no randomness
    with pytest.raises(ValueError, match="never seen"):
        trainer.sample(10, prime="\u00e9")
    with pytest.raises(ValueError, match="temperature"):
        trainer.sample(10, temperature=-1)


@pytest.mark.parametrize("overrides,match", [
    (dict(hidden_size=0), "hidden_size"), (dict(seq_length=0), "seq_length"),
    (dict(learning_rate=-1.0), "learning_rate"), (dict(learning_rate=float("nan")), "learning_rate"),
    (dict(batch_size=0), "batch_size"), (dict(dtype="float16"), "dtype"), (dict(clip=-1.0), "clip"),
    (dict(optimizer="lbfgs"), "optimizer"), (dict(clip=float("nan")), "clip"),
    (dict(eval_every=-1), "eval_every"), (dict(sample_every=-5), "sample_every"),
    (dict(eval_max_chars=0), "eval_max_chars"), (dict(sample_length=-1), "sample_length"),
    (dict(divergence_factor=0.5), "divergence_factor"), (dict(divergence_factor=float("nan")), "divergence_factor")])
def test_config_validation(overrides, match):
    with pytest.raises(ValueError, match=match):
        TrainConfig(**overrides).validate()
    with pytest.raises(ValueError, match=match):
        make(**overrides)


def test_too_many_streams_for_the_text():
    with pytest.raises(ValueError, match="lower the batch size"):
        make(batch_size=100)


def test_config_json_round_trip():
    cfg = TrainConfig(hidden_size=32, optimizer="adam", learning_rate=0.003, batch_size=4, dtype="float32")
    assert TrainConfig.from_dict(json.loads(cfg.to_json())) == cfg
    assert TrainConfig.from_dict({**json.loads(cfg.to_json()), "unknown_future_key": 1}) == cfg


def test_bench_reference_loop_trains_like_the_engine():
    """The benchmark's seed loop (rnn/bench.py) is the same algorithm: same init, same steps, same params."""
    from rnn.bench import SeedTrainer

    trainer = make(hidden_size=10, eval_every=0, sample_every=0, health_every=0)
    ref = SeedTrainer(trainer.corpus.train, trainer.vocab.size, 10, seq_length=10)
    losses = [ref.step() for _ in range(20)]
    trainer.step(20)
    np.testing.assert_allclose(np.array(trainer.history["loss"]) * 10, losses, rtol=1e-9)
    for k, v in ref.as_engine_params().items():
        np.testing.assert_allclose(trainer.params[k], v, rtol=1e-9, atol=1e-12)


# --------------------------------------------------------------------------- the one loop and the commands


def test_one_loop_any_split_gives_the_same_model():
    """Step 1 x 10, step(10), train(steps=10) with a callback after every step, and train_for with a step cap
    all take the same 10 steps: bit-identical parameters, state and histories."""
    runs = []
    for how in ("ones", "step", "callback", "train_for"):
        t = make(batch_size=2)
        if how == "ones":
            for _ in range(10):
                t.step(1)
        elif how == "step":
            t.step(10)
        elif how == "callback":
            seen = []
            assert t.train(steps=10, callback=lambda tr, seen=seen: seen.append(tr.iteration), every=0) == 10
            assert seen == list(range(1, 11))
        else:
            assert t.train_for(60.0, max_steps=10) == 10
        runs.append(t)
    first = runs[0]
    for t in runs[1:]:
        assert np.array_equal(t.flat_params, first.flat_params) and np.array_equal(t.h, first.h)
        assert t.history["loss"] == first.history["loss"] and t.val_history == first.val_history
        assert t.samples == first.samples


def test_train_stops_when_the_callback_says_so_and_needs_a_budget():
    t = make(eval_every=0, sample_every=0)
    assert t.train(callback=lambda tr: tr.iteration < 7, every=0) == 7 and t.iteration == 7
    assert t.train(seconds=0.0) == 0
    with pytest.raises(ValueError, match="budget"):
        t.train()


def test_set_optimizer_keeps_parameters_and_starts_fresh_memory():
    t = make(eval_every=0, sample_every=0)
    t.step(5)
    before = t.flat_params.copy()
    t.set_optimizer("adagrad")  # the same optimizer: its memory stays
    assert t.optimizer.state["mem/all"].any()
    t.set_optimizer("adam", 0.003)
    assert t.optimizer.name == "adam" and t.optimizer.lr == 0.003
    assert (t.config.optimizer, t.config.learning_rate) == ("adam", 0.003)
    assert np.array_equal(t.flat_params, before) and not any(v.any() for v in t.optimizer.state.values())
    t.set_optimizer("sgd")  # no rate given: keeps the current one
    assert t.optimizer.lr == 0.003
    with pytest.raises(ValueError, match="optimizer"):
        t.set_optimizer("lbfgs")
    assert t.optimizer.name == "sgd" and t.step(2) == 2


def test_set_seq_length_recomputes_the_windows_or_keeps_the_old_length():
    t = make(eval_every=0, sample_every=0)
    t.step(2)
    t.set_seq_length(20)
    assert t.config.seq_length == 20 and t.step(1) == 1 and t.chars_trained == 2 * 10 + 20
    with pytest.raises(ValueError, match="too short"):
        t.set_seq_length(len(t.corpus.train))
    assert t.config.seq_length == 20 and t.step(1) == 1
    with pytest.raises(ValueError, match="seq_length"):
        t.set_seq_length(0)


def test_change_applies_live_settings_and_refuses_model_settings():
    t = make(eval_every=0, sample_every=0)
    config = t.config
    t.change(learning_rate=0.05, clip=1.0, seq_length=12, eval_every=3, optimizer="rmsprop")
    assert (t.config.learning_rate, t.config.clip, t.config.seq_length, t.config.eval_every) == (0.05, 1.0, 12, 3)
    assert t.optimizer.name == "rmsprop" and t.optimizer.lr == 0.05
    assert config.learning_rate == 0.1  # configs are frozen: the old one is untouched
    for bad in (dict(hidden_size=16), dict(batch_size=2), dict(seed=1), dict(dtype="float32"), dict(nope=1)):
        with pytest.raises(ValueError, match="new model"):
            t.change(**bad)
    with pytest.raises(ValueError, match="eval_every"):
        t.change(eval_every=-1)
    t.step(3)
    assert [i for i, _ in t.val_history] == [3]


@pytest.mark.parametrize("loss, norm, recent, reference, expected", [
    (1.0, 1.0, 1.0, 1.0, False), (100.0, 1.0, 2.9, 1.0, False), (1.0, 1.0, 3.0, 1.0, False),
    (1.0, 1.0, 3.01, 1.0, True), (1.0, 1.0, 6.1, 2.0, True), (float("nan"), 1.0, 1.0, 1.0, True),
    (float("inf"), 1.0, 1.0, 1.0, True), (1.0, float("nan"), 1.0, 1.0, True), (1.0, float("inf"), 1.0, 1.0, True)])
def test_is_divergent(loss, norm, recent, reference, expected):
    """Not finite: at once. Otherwise the recent average against factor x the reference: one big loss alone
    (100 here, recent 2.9) is not a divergence."""
    assert rnn.train.is_divergent(loss, norm, recent, reference, 3.0) is expected


def test_divergence_reference_is_the_smoothed_loss_floored():
    assert rnn.train.divergence_reference(2.5) == 2.5
    assert rnn.train.divergence_reference(0.2) == rnn.train.LOSS_FLOOR == 1.0
