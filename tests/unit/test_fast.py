"""rnn/fast.py against the plain code in rnn/model.py and rnn/sample.py: the same numbers, to round-off."""

import numpy as np
import pytest

from rnn import fast
from rnn.corpus import load_builtin, make_corpus
from rnn.model import PARAM_NAMES, forward, loss_and_grads, param_shapes
from rnn.sample import sample
from rnn.train import TrainConfig, Trainer
from rnn.vocab import Vocab


def rel_err(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def problem(V, H, B, T, dtype=np.float64, seed=0, scale=0.5, radius=1.5):
    """Weights far from the seed's tiny init (tanh saturates) and a non-zero carried state.

    Whh ~ N(0, radius^2 / H) has a spectral radius of about `radius`: 1.5 is where trained models sit.
    (Far beyond it the recurrence is chaotic, and any two orders of floating-point sums drift apart
    exponentially over the steps, whichever code computes them.)
    """
    rng = np.random.default_rng(seed)
    shapes = param_shapes(V, H)
    params = {k: (rng.standard_normal(shapes[k]) * scale).astype(dtype) for k in PARAM_NAMES}
    params["Whh"] = (rng.standard_normal((H, H)) * radius / np.sqrt(H)).astype(dtype)
    inputs = rng.integers(0, V, size=(B, T))
    targets = rng.integers(0, V, size=(B, T))
    h_prev = rng.uniform(-0.9, 0.9, size=(B, H)).astype(dtype)
    return params, inputs, targets, h_prev


def both(fn, *args, **kwargs):
    """fn(*args) with the fast path, then with the plain code."""
    fast_out = fn(*args, **kwargs)
    with fast.disabled():
        plain_out = fn(*args, **kwargs)
    return fast_out, plain_out


SHAPES = [  # (V, H, B, T)
    (7, 5, 1, 9),  # one stream
    (7, 5, 4, 9),  # a few streams
    (2, 1, 1, 1),  # one step, one unit
    (65, 100, 1, 25),  # the seed's defaults
    (11, 64, 16, 12),  # B*H = 1024: the fast path's exp-based tanh
    (30, 128, 32, 25),  # B*H = 4096
]


@pytest.mark.parametrize("V,H,B,T", SHAPES)
def test_loss_and_grads_agree_float64(V, H, B, T):
    params, inputs, targets, h_prev = problem(V, H, B, T)
    (loss_f, grads_f, h_f), (loss_p, grads_p, h_p) = both(loss_and_grads, params, inputs, targets, h_prev)
    assert rel_err(loss_f, loss_p) <= 1e-12
    assert rel_err(h_f, h_p) <= 1e-12
    for k in PARAM_NAMES:
        assert grads_f[k].shape == grads_p[k].shape == params[k].shape
        assert rel_err(grads_f[k], grads_p[k]) <= 1e-12, k


@pytest.mark.parametrize("V,H,B,T", SHAPES)
@pytest.mark.parametrize("temperature", [1.0, 0.5])
def test_forward_agrees_float64(V, H, B, T, temperature):
    params, inputs, _, h_prev = problem(V, H, B, T, seed=1)
    f, p = both(forward, params, inputs, h_prev, temperature)
    for name in ("hs", "probs", "h_last"):
        got, want = getattr(f, name), getattr(p, name)
        assert got.shape == want.shape and got.dtype == want.dtype
        assert rel_err(got, want) <= 1e-12, name


@pytest.mark.parametrize("V,H,B,T", [(7, 5, 1, 9), (7, 5, 4, 9), (11, 64, 16, 12), (65, 100, 32, 25)])
def test_float32_agrees_to_float32_precision(V, H, B, T):
    params, inputs, targets, h_prev = problem(V, H, B, T, dtype=np.float32, seed=2)
    (loss_f, grads_f, h_f), (loss_p, grads_p, h_p) = both(loss_and_grads, params, inputs, targets, h_prev)
    assert h_f.dtype == h_p.dtype == np.float32
    assert rel_err(loss_f, loss_p) <= 1e-5 and rel_err(h_f, h_p) <= 1e-5
    for k in PARAM_NAMES:
        assert grads_f[k].dtype == grads_p[k].dtype == np.float32
        assert rel_err(grads_f[k], grads_p[k]) <= 1e-5, k
    f, p = both(forward, params, inputs, h_prev)
    assert f.probs.dtype == p.probs.dtype == np.float32
    assert rel_err(f.probs, p.probs) <= 1e-5


def test_float32_logit_floor_changes_nothing_visible():
    """Logits spread over hundreds of nats: the fast path floors the shifted ones at -80 (no denormals),
    the plain softmax does not; probabilities and gradients still agree to float32 precision. (Only a
    target probability below float32's range differs: the plain loss is inf, the fast one huge.)"""
    params, inputs, _, h_prev = problem(20, 16, 4, 10, dtype=np.float32, seed=6)
    params["Why"] *= 60
    f, p = both(forward, params, inputs, h_prev)
    with np.errstate(divide="ignore"):
        assert (np.log(p.probs) < fast.LOGIT_FLOOR - 10).any()  # the floor is in play
    # logits 60x the usual size carry 60x the rounding: 1e-6 held on one CPU, 1.01e-6 on another
    assert np.abs(f.probs - p.probs).max() <= 1e-5
    targets = p.probs.argmax(axis=-1)  # likely characters, so the loss is finite in both
    (loss_f, grads_f, _), (loss_p, grads_p, _) = both(loss_and_grads, params, inputs, targets, h_prev)
    assert rel_err(loss_f, loss_p) <= 1e-5
    for k in PARAM_NAMES:
        assert rel_err(grads_f[k], grads_p[k]) <= 1e-5, k


def test_grads_out_and_one_stream_shapes_agree():
    """The Trainer's call: 1-D ids and state, gradients written into preallocated arrays, a Workspace."""
    params, inputs, targets, h_prev = problem(7, 5, 1, 9, seed=3)
    bufs = {k: np.full_like(v, np.nan) for k, v in params.items()}
    fast_out = loss_and_grads(params, inputs[0], targets[0], h_prev[0], grads_out=bufs, workspace=fast.Workspace())
    fast_grads = {k: g.copy() for k, g in fast_out[1].items()}
    with fast.disabled():
        plain_out = loss_and_grads(params, inputs[0], targets[0], h_prev[0], grads_out=bufs)
    assert all(plain_out[1][k] is bufs[k] for k in PARAM_NAMES)  # the plain code fills grads_out too
    assert rel_err(fast_out[0], plain_out[0]) <= 1e-12 and rel_err(fast_out[2], plain_out[2]) <= 1e-12
    for k in PARAM_NAMES:
        assert rel_err(fast_grads[k], bufs[k]) <= 1e-12, k


@pytest.mark.parametrize("temperature,top_k,prime", [
    (1.0, None, ""), (0.6, None, "abc"), (1.4, 3, ""), (0.0, None, "b"), (1e-4, None, ""), (1.0, 1, "")])
def test_sample_agrees(temperature, top_k, prime):
    """The fast one-stream loop draws the same characters as the plain sampler from the same seed."""
    vocab = Vocab.from_text("abcdefgh")
    params, _, _, h_prev = problem(vocab.size, 16, 1, 1, seed=4, scale=1.0)
    for seed in range(4):
        f, p = both(sample, params, vocab, 300, temperature, top_k, prime, seed, h_prev[0])
        assert f == p and len(f) == 300


def test_flag_selects_the_code_that_runs(monkeypatch):
    """ENABLED is the one switch: with it off, nothing in rnn/fast.py's compute functions is called."""
    calls = []
    for name in ("forward", "loss_and_grads", "sample_ids"):
        real = getattr(fast, name)
        monkeypatch.setattr(fast, name, lambda *a, _real=real, _name=name, **k: calls.append(_name) or _real(*a, **k))
    params, inputs, targets, h_prev = problem(7, 5, 2, 4, seed=5)
    vocab = Vocab.from_text("abcdefg")
    forward(params, inputs, h_prev)
    loss_and_grads(params, inputs, targets, h_prev)
    sample(params, vocab, 5)
    assert calls == ["forward", "loss_and_grads", "sample_ids"]
    calls.clear()
    monkeypatch.setattr(fast, "ENABLED", False)
    forward(params, inputs, h_prev)
    loss_and_grads(params, inputs, targets, h_prev)
    sample(params, vocab, 5)
    assert calls == []


def test_a_trainer_follows_the_same_loss_curve_on_both_paths():
    """One stream, float64, the seed's settings: 20 Adagrad steps on either path give the same curve to
    round-off. (The seed's lr 0.1 makes the first steps spike, which amplifies round-off about tenfold
    every ten steps here, and faster with many streams: a 1e-15 nudge of the initial weights on one path
    does the same. So the comparison is short, and its tolerance far above round-off, far below a bug.)"""
    corpus = make_corpus(load_builtin("python-docs")[:20_000], "docs")
    config = TrainConfig(eval_every=0, health_every=0)
    fast_run = Trainer(corpus, config)
    fast_run.step(20)
    with fast.disabled():
        plain_run = Trainer(corpus, config)
        plain_run.step(20)
    assert rel_err(fast_run.history["loss"], plain_run.history["loss"]) <= 1e-9
    assert rel_err(fast_run.flat_params, plain_run.flat_params) <= 1e-7
