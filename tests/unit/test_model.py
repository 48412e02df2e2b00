"""The vectorized model against the seed's per-timestep lossFun (tests/unit/reference.py) and finite differences.

Tests marked with the `implementation` fixture run twice: with rnn/fast.py and with the plain code."""

import numpy as np
import pytest
from reference import seed_forward, seed_loss_fun

import rnn
from rnn.model import PARAM_NAMES, forward, init_params, loss_and_grads, param_shapes

V, H, T = 7, 5, 9


def rel_err(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def random_params(seed=1, scale=0.5, dtype=np.float64, v=V, h=H):
    """Weights far from the seed's tiny init, so tanh saturates and every term of the gradient matters."""
    rng = np.random.default_rng(seed)
    shapes = param_shapes(v, h)
    return {k: (rng.standard_normal(shapes[k]) * scale).astype(dtype) for k in PARAM_NAMES}


def random_batch(B, seed=2, t=T, v=V, h=H):
    rng = np.random.default_rng(seed)
    inputs = rng.integers(0, v, size=(B, t))
    targets = rng.integers(0, v, size=(B, t))
    h_prev = rng.uniform(-0.9, 0.9, size=(B, h))  # non-zero carried state
    return inputs, targets, h_prev


def reference_batch(params, inputs, targets, h_prev):
    """Sum of the seed's lossFun over independent streams."""
    loss, grads, h_last = 0.0, {k: np.zeros_like(params[k], dtype=np.float64) for k in PARAM_NAMES}, []
    for b in range(inputs.shape[0]):
        l_b, g_b, h_b = seed_loss_fun(params, list(inputs[b]), list(targets[b]), h_prev[b].reshape(-1, 1))
        loss += l_b
        for k in PARAM_NAMES:
            grads[k] += g_b[k]
        h_last.append(h_b.ravel())
    return loss, grads, np.array(h_last)


def test_init_params_matches_seed_init():
    p = init_params(65, 100, seed=3)
    assert {k: v.shape for k, v in p.items()} == {"Wxh": (100, 65), "Whh": (100, 100), "Why": (65, 100),
                                                  "bh": (100,), "by": (65,)}
    assert all(v.dtype == np.float64 for v in p.values())
    assert not p["bh"].any() and not p["by"].any()
    for k in ("Wxh", "Whh", "Why"):
        assert 0.008 < p[k].std() < 0.012 and abs(p[k].mean()) < 0.002  # randn * 0.01
    again = init_params(65, 100, seed=3)
    assert all(np.array_equal(p[k], again[k]) for k in PARAM_NAMES)
    assert not np.array_equal(p["Wxh"], init_params(65, 100, seed=4)["Wxh"])
    assert all(v.dtype == np.float32 for v in init_params(5, 4, dtype=np.float32).values())


def test_public_names_are_reexported():
    assert rnn.init_params is init_params and rnn.forward is forward and rnn.loss_and_grads is loss_and_grads


@pytest.mark.usefixtures("implementation")
@pytest.mark.parametrize("B", [1, 4])
def test_loss_and_grads_equal_reference(B):
    params = random_params()
    inputs, targets, h_prev = random_batch(B)
    loss, grads, h_last = loss_and_grads(params, inputs, targets, h_prev)
    ref_loss, ref_grads, ref_h = reference_batch(params, inputs, targets, h_prev)
    assert isinstance(loss, float)
    assert rel_err(loss, ref_loss) <= 1e-9
    assert set(grads) == set(PARAM_NAMES)
    for k in PARAM_NAMES:
        assert grads[k].shape == params[k].shape
        assert rel_err(grads[k], ref_grads[k]) <= 1e-9, k
    assert h_last.shape == (B, H)
    assert rel_err(h_last, ref_h) <= 1e-9


@pytest.mark.usefixtures("implementation")
def test_batch_is_sum_of_single_streams():
    params = random_params(seed=5)
    inputs, targets, h_prev = random_batch(3, seed=6)
    loss, grads, h_last = loss_and_grads(params, inputs, targets, h_prev)
    singles = [loss_and_grads(params, inputs[b:b + 1], targets[b:b + 1], h_prev[b:b + 1]) for b in range(3)]
    assert rel_err(loss, sum(s[0] for s in singles)) <= 1e-9
    for k in PARAM_NAMES:
        assert rel_err(grads[k], sum(s[1][k] for s in singles)) <= 1e-9
    assert rel_err(h_last, np.concatenate([s[2] for s in singles])) <= 1e-9


@pytest.mark.usefixtures("implementation")
def test_one_stream_shapes_are_accepted():
    params = random_params()
    inputs, targets, h_prev = random_batch(1)
    full = loss_and_grads(params, inputs, targets, h_prev)
    flat = loss_and_grads(params, inputs[0], targets[0], h_prev[0])
    assert flat[0] == pytest.approx(full[0], rel=1e-12)
    assert rel_err(flat[2], full[2]) <= 1e-12


@pytest.mark.usefixtures("implementation")
def test_zero_state_default_and_no_mutation_of_inputs():
    params = random_params()
    inputs, targets, h_prev = random_batch(2)
    before = {k: v.copy() for k, v in params.items()}
    h_copy = h_prev.copy()
    loss_and_grads(params, inputs, targets, h_prev)
    forward(params, inputs, h_prev)
    assert all(np.array_equal(before[k], params[k]) for k in PARAM_NAMES)
    assert np.array_equal(h_copy, h_prev)  # the Trainer passes its carried state: it must not change
    out_none = forward(params, inputs, None)
    out_zero = forward(params, inputs, np.zeros((2, H)))
    assert np.array_equal(out_none.probs, out_zero.probs)


@pytest.mark.usefixtures("implementation")
def test_grads_out_buffers_are_filled():
    params = random_params()
    inputs, targets, h_prev = random_batch(2)
    _, expected, _ = loss_and_grads(params, inputs, targets, h_prev)
    buf = {k: np.full_like(v, np.nan) for k, v in params.items()}
    _, grads, _ = loss_and_grads(params, inputs, targets, h_prev, grads_out=buf)
    for k in PARAM_NAMES:
        assert grads[k] is buf[k]
        assert np.array_equal(buf[k], expected[k])


@pytest.mark.usefixtures("implementation")
@pytest.mark.parametrize("B", [1, 3])
def test_forward_equals_reference(B):
    params = random_params(seed=7)
    inputs, _, h_prev = random_batch(B, seed=8)
    out = forward(params, inputs, h_prev)
    assert out.hs.shape == (B, T, H) and out.probs.shape == (B, T, V) and out.h_last.shape == (B, H)
    for b in range(B):
        hs, ps = seed_forward(params, inputs[b], h_prev[b])
        assert rel_err(out.hs[b], np.array(hs)) <= 1e-9
        assert rel_err(out.probs[b], np.array(ps)) <= 1e-9
        assert rel_err(out.h_last[b], hs[-1]) <= 1e-9
    np.testing.assert_allclose(out.probs.sum(axis=-1), 1.0, rtol=1e-12)


@pytest.mark.usefixtures("implementation")
def test_forward_and_loss_agree():
    params = random_params(seed=9)
    inputs, targets, h_prev = random_batch(2, seed=10)
    out = forward(params, inputs, h_prev)
    loss, _, h_last = loss_and_grads(params, inputs, targets, h_prev)
    direct = -np.log(np.take_along_axis(out.probs, targets[..., None], axis=-1)).sum()
    assert rel_err(loss, direct) <= 1e-12
    assert np.array_equal(h_last, out.h_last)


@pytest.mark.usefixtures("implementation")
def test_float32_is_close_to_float64_reference():
    params64 = random_params(seed=11)
    params32 = {k: v.astype(np.float32) for k, v in params64.items()}
    inputs, targets, h_prev = random_batch(4, seed=12)
    loss, grads, h_last = loss_and_grads(params32, inputs, targets, h_prev.astype(np.float32))
    ref_loss, ref_grads, ref_h = reference_batch(params32, inputs, targets, h_prev)
    assert h_last.dtype == np.float32 and all(g.dtype == np.float32 for g in grads.values())
    assert rel_err(loss, ref_loss) <= 1e-5
    for k in PARAM_NAMES:
        assert rel_err(grads[k], ref_grads[k]) <= 1e-4, k
    assert rel_err(h_last, ref_h) <= 1e-5
    out = forward(params32, inputs, h_prev.astype(np.float32))
    assert out.probs.dtype == np.float32 and out.hs.dtype == np.float32


@pytest.mark.usefixtures("implementation")
def test_numerical_gradient_every_parameter():
    """Central differences on every element of every parameter (float64, B=2, non-zero h_prev)."""
    v, h, t = 5, 4, 6
    params = random_params(seed=13, v=v, h=h)
    inputs, targets, h_prev = random_batch(2, seed=14, t=t, v=v, h=h)
    _, grads, _ = loss_and_grads(params, inputs, targets, h_prev)
    grads = {k: g.copy() for k, g in grads.items()}
    eps = 1e-5
    for k in PARAM_NAMES:
        num = np.zeros_like(params[k])
        p = params[k]
        for i in np.ndindex(p.shape):
            old = p[i]
            p[i] = old + eps
            plus = loss_and_grads(params, inputs, targets, h_prev)[0]
            p[i] = old - eps
            minus = loss_and_grads(params, inputs, targets, h_prev)[0]
            p[i] = old
            num[i] = (plus - minus) / (2 * eps)
        # relative error, with an absolute floor for entries that are almost zero (round-off ~1e-10 there)
        err = np.abs(num - grads[k]) / np.maximum(np.abs(num) + np.abs(grads[k]), 1e-3)
        assert err.max() < 1e-6, (k, err.max())


@pytest.mark.usefixtures("implementation")
def test_loss_at_init_is_uniform_guess():
    """With the seed's tiny init every prediction is ~uniform: loss ~ B*T*log(V)."""
    params = init_params(V, 50, seed=0)
    inputs, targets, _ = random_batch(3)
    loss, _, _ = loss_and_grads(params, inputs, targets, np.zeros((3, 50)))
    assert loss / inputs.size == pytest.approx(np.log(V), rel=1e-2)


@pytest.mark.usefixtures("implementation")
@pytest.mark.parametrize("v,h,t,B", [(2, 1, 1, 1), (3, 2, 1, 2), (2, 3, 40, 2)])
def test_edge_shapes_equal_reference(v, h, t, B):
    """One time step, one hidden unit, two characters, long chunks: the same maths as the seed."""
    params = random_params(seed=15, v=v, h=h)
    inputs, targets, h_prev = random_batch(B, seed=16, t=t, v=v, h=h)
    loss, grads, h_last = loss_and_grads(params, inputs, targets, h_prev)
    ref_loss, ref_grads, ref_h = reference_batch(params, inputs, targets, h_prev)
    assert rel_err(loss, ref_loss) <= 1e-9 and rel_err(h_last, ref_h) <= 1e-9
    for k in PARAM_NAMES:
        assert rel_err(grads[k], ref_grads[k]) <= 1e-9, k


@pytest.mark.usefixtures("implementation")
def test_big_float64_batches_equal_reference():
    """B*H >= TANH_BY_EXP_MIN_SIZE: the fast path takes the exp-based tanh; still the seed's maths to 1e-9."""
    from rnn.fast import TANH_BY_EXP_MIN_SIZE

    v, h, B = 11, 64, 16
    assert B * h >= TANH_BY_EXP_MIN_SIZE
    params = random_params(seed=21, v=v, h=h)
    inputs, targets, h_prev = random_batch(B, seed=22, t=12, v=v, h=h)
    loss, grads, h_last = loss_and_grads(params, inputs, targets, h_prev)
    ref_loss, ref_grads, ref_h = reference_batch(params, inputs, targets, h_prev)
    assert rel_err(loss, ref_loss) <= 1e-9 and rel_err(h_last, ref_h) <= 1e-9
    for k in PARAM_NAMES:
        assert rel_err(grads[k], ref_grads[k]) <= 1e-9, k
    f = forward(params, inputs, h_prev)
    assert np.abs(f.hs[:1] - forward(params, inputs[:1], h_prev[:1]).hs).max() <= 1e-13  # B=1 uses np.tanh


def test_tanh_by_exp_matches_numpy_everywhere():
    from rnn.fast import tanh_by_exp

    x = np.concatenate([np.linspace(-30, 30, 20001), [0.0, -0.0, 1e-300, -1e-12, 1e-8, 354.0, 355.0, 1e308, -1e308,
                                                      np.inf, -np.inf]])
    with np.errstate(over="ignore"):
        got = tanh_by_exp(x, np.empty_like(x))
    assert np.abs(got - np.tanh(x)).max() <= 4e-16
    assert got[-4] == 1.0 and got[-3] == -1.0 and got[-2] == 1.0 and got[-1] == -1.0
    with np.errstate(over="ignore"):
        assert np.isnan(tanh_by_exp(np.array([np.nan]), np.empty(1))).all()


@pytest.mark.parametrize("softmax_in_place", [False, True])
def test_softmax_survives_logits_that_overflow_exp(softmax_in_place):
    """Logits far beyond exp's range (a blown-up model) still give a clean softmax, with no warning:
    the plain softmax and the fast path's in-place one."""
    from rnn.fast import softmax_rows
    from rnn.model import softmax

    logits = np.array([[1000.0, 999.0, 0.0], [-1000.0, -1001.0, -2000.0], [1.0, 2.0, 3.0], [710.0, 0.0, -710.0]])
    expect = np.exp(logits - logits.max(axis=1, keepdims=True))
    expect /= expect.sum(axis=1, keepdims=True)
    with np.errstate(over="raise", divide="raise", invalid="raise"):  # no warning may escape either
        got = softmax_rows(logits.copy(), np.empty((4, 1))) if softmax_in_place else softmax(logits)
    assert np.allclose(got, expect, rtol=1e-12, atol=0)
    assert np.allclose(got.sum(axis=1), 1.0)


def test_workspace_reuse_gives_identical_results():
    """A Trainer reuses one Workspace every step: results must not depend on what the buffers held, and a
    change of shape must get new buffers."""
    from rnn.fast import Workspace

    ws = Workspace()
    params = random_params(seed=31)
    for B, seed in [(2, 1), (2, 2), (3, 3), (2, 4)]:
        inputs, targets, h_prev = random_batch(B, seed=seed)
        fresh = loss_and_grads(params, inputs, targets, h_prev)
        reused = loss_and_grads(params, inputs, targets, h_prev, workspace=ws)
        assert reused[0] == fresh[0] and np.array_equal(reused[2], fresh[2])
        assert all(np.array_equal(reused[1][k], fresh[1][k]) for k in PARAM_NAMES)
    f1 = forward(params, inputs, h_prev)
    f2 = forward(params, inputs, h_prev)
    assert not np.shares_memory(f1.hs, f2.hs)  # forward hands out fresh arrays: callers keep them
