"""The models of rnn/cells (LSTM, GRU, stacked layers, dropout) against plain per-step references
(tests/unit/cells_reference.py), against the sum of independent streams, and against finite differences."""

import numpy as np
import pytest
from cells_reference import lstm_step, stream_loss

import rnn
from rnn import cells
from rnn.model import PARAM_NAMES, forward, init_params, loss_and_grads, param_shapes, softmax
from rnn.sample import sample, sample_many, warm_state
from rnn.vocab import Vocab

V, H, T = 6, 4, 7
MODELS = [(cell, layers) for cell in ("lstm", "gru") for layers in (1, 2)] + [("rnn", 2), ("lstm", 3)]


def random_model(cell, layers, seed=1, scale=0.5, v=V, h=H):
    """Weights far from the init, so gates and tanh are well inside their non-linear range."""
    rng = np.random.default_rng(seed)
    return {k: rng.standard_normal(s) * scale for k, s in param_shapes(v, h, cell, layers).items()}


def random_chunk(cell, layers, B, seed=2, t=T, v=V, h=H):
    rng = np.random.default_rng(seed)
    S = cells.state_size(cell, h, layers)
    return rng.integers(0, v, (B, t)), rng.integers(0, v, (B, t)), rng.uniform(-0.9, 0.9, (B, S))


def fixed_masks(layers, B, p=0.4, seed=5, t=T, h=H):
    return cells.dropout_masks(np.random.default_rng(seed), p, (B, t, h), layers, np.float64)


# --------------------------------------------------------------------------- the public contract


def test_init_params_keys_shapes_and_order_of_the_contract():
    lstm = init_params(V, H, seed=3, cell="lstm")
    assert {k: v.shape for k, v in lstm.items()} == {"Wx": (4 * H, V), "Wh": (4 * H, H), "b": (4 * H,),
                                                     "Why": (V, H), "by": (V,)}
    gru = init_params(V, H, seed=3, cell="gru", num_layers=2)
    assert {k: v.shape for k, v in gru.items()} == {
        "Wx": (3 * H, V), "Wh": (3 * H, H), "bx": (3 * H,), "bh": (3 * H,),
        "Wx_1": (3 * H, H), "Wh_1": (3 * H, H), "bx_1": (3 * H,), "bh_1": (3 * H,), "Why": (V, H), "by": (V,)}
    assert list(param_shapes(V, H, "gru", 2)) == list(gru)  # the flat buffer's order is the dict's
    assert list(init_params(V, H)) == list(PARAM_NAMES)  # the vanilla RNN keeps its names and order
    for cell in ("lstm", "gru"):
        p = init_params(64, 100, seed=3, cell=cell, dtype=np.float32)
        assert all(v.dtype == np.float32 for v in p.values())
        k = 1 / np.sqrt(100)  # PyTorch's U(-1/sqrt(H), 1/sqrt(H)) for the cell, the seed's init for the output
        assert all(np.abs(p[n]).max() <= k and np.abs(p[n]).max() > 0.9 * k for n in ("Wx", "Wh"))
        assert 0.008 < p["Why"].std() < 0.012 and not p["by"].any()
        again = init_params(64, 100, seed=3, cell=cell, dtype=np.float32)
        assert all(np.array_equal(p[n], again[n]) for n in p)
        assert not np.array_equal(p["Wx"], init_params(64, 100, seed=4, cell=cell)["Wx"])
    for bad in (dict(cell="elman"), dict(cell="lstm", num_layers=0), dict(cell="gru", num_layers=4)):
        with pytest.raises(ValueError):
            init_params(V, H, **bad)


@pytest.mark.parametrize("cell, layers", MODELS + [("rnn", 1)])
def test_the_cell_and_depth_are_read_from_the_keys(cell, layers):
    arch = cells.architecture(init_params(V, H, cell=cell, num_layers=layers))
    assert (arch.cell, arch.num_layers, arch.hidden, arch.vocab) == (cell, layers, H, V)
    assert arch.state_size == layers * H * (2 if cell == "lstm" else 1)
    assert cells.is_plain(init_params(V, H, cell=cell, num_layers=layers)) == (cell == "rnn" and layers == 1)


def test_gate_order_lstm_i_f_g_o():
    """Forget gate wide open and input gate shut: the cell keeps c exactly, and the output gate alone sets h."""
    p = init_params(V, H, cell="lstm")
    p["Wx"][:] = 0
    p["Wh"][:] = 0
    p["b"][:] = 0
    p["b"][:H], p["b"][H:2 * H], p["b"][3 * H:] = -50.0, 50.0, 50.0  # i shut, f open, o open
    c0 = np.array([0.3, -1.2, 2.0, 0.1])
    state = np.concatenate([np.zeros(H), c0])
    hs, _, last = forward(p, np.arange(5) % V, state)
    assert np.allclose(last[0, H:], c0) and np.allclose(last[0, :H], np.tanh(c0))
    assert np.allclose(hs[0], np.tanh(c0))
    p["b"][3 * H:] = -50.0  # output gate shut: h = 0 while c is kept
    hs, _, last = forward(p, np.arange(5) % V, state)
    assert np.allclose(hs, 0) and np.allclose(last[0, H:], c0)


def test_gate_order_gru_r_z_n_and_the_update_rule():
    """z = 1 keeps h (h' = (1 - z) n + z h); z = 0 with r = 0 gives h' = tanh(Wx_n x + bx_n + 0 * (...))."""
    p = init_params(V, H, cell="gru", seed=2)
    h0 = np.array([0.5, -0.4, 0.3, 0.9])
    p["bx"][H:2 * H] = 60.0  # z = 1
    _, _, last = forward(p, [1, 2, 3], h0)
    assert np.allclose(last[0], h0)
    p["bx"][H:2 * H] = -60.0  # z = 0
    p["bx"][:H] = -60.0  # r = 0: the recurrent part of n (Wh_n h + bh_n) is switched off
    _, _, last = forward(p, [1, 2, 3], h0)
    assert np.allclose(last[0], np.tanh(p["Wx"][2 * H:, 3] + p["bx"][2 * H:]))


# --------------------------------------------------------------------------- against the per-step reference


@pytest.mark.parametrize("dropout", [False, True])
@pytest.mark.parametrize("cell, layers", MODELS)
def test_loss_probs_and_state_equal_the_per_step_reference(cell, layers, dropout):
    B = 3
    params = random_model(cell, layers)
    inputs, targets, state = random_chunk(cell, layers, B)
    masks = fixed_masks(layers, B) if dropout else None
    loss, grads, last = loss_and_grads(params, inputs, targets, state, masks=masks)
    ref_loss = 0.0
    for b in range(B):
        l_b, p_b, s_b = stream_loss(params, cell, layers, inputs[b], targets[b], state[b],
                                    None if masks is None else [m[b] for m in masks])
        ref_loss += l_b
        assert np.allclose(last[b], s_b, rtol=1e-12, atol=1e-12)
        if not dropout:  # forward: the model without dropout, as evaluation and sampling see it
            out = forward(params, inputs[b], state[b])
            assert np.allclose(out.probs[0], p_b, rtol=1e-12, atol=1e-14)
            assert np.allclose(out.h_last[0], s_b, rtol=1e-12, atol=1e-12)
    assert isinstance(loss, float) and abs(loss - ref_loss) <= 1e-10 * ref_loss
    assert set(grads) == set(params) and all(grads[k].shape == params[k].shape for k in params)


@pytest.mark.parametrize("dropout", [False, True])
@pytest.mark.parametrize("cell, layers", MODELS)
def test_a_batch_is_the_sum_of_independent_streams(cell, layers, dropout):
    B = 4
    params = random_model(cell, layers, seed=7)
    inputs, targets, state = random_chunk(cell, layers, B, seed=8)
    masks = fixed_masks(layers, B) if dropout else None
    loss, grads, last = loss_and_grads(params, inputs, targets, state, masks=masks)
    total, summed = 0.0, {k: np.zeros_like(v) for k, v in params.items()}
    for b in range(B):
        l_b, g_b, s_b = loss_and_grads(params, inputs[b:b + 1], targets[b:b + 1], state[b:b + 1],
                                       masks=None if masks is None else [m[b:b + 1] for m in masks])
        total += l_b
        for k in params:
            summed[k] += g_b[k]
        assert np.allclose(last[b], s_b[0], rtol=1e-12, atol=1e-13)
    assert abs(loss - total) <= 1e-11 * total
    for k in params:
        assert np.allclose(grads[k], summed[k], rtol=1e-10, atol=1e-12), k


def numerical_grad(params, inputs, targets, state, masks, name, eps=1e-6):
    flat = params[name].reshape(-1)
    out = np.empty(flat.size)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        lp = loss_and_grads(params, inputs, targets, state, masks=masks)[0]
        flat[i] = old - eps
        lm = loss_and_grads(params, inputs, targets, state, masks=masks)[0]
        flat[i] = old
        out[i] = (lp - lm) / (2 * eps)
    return out.reshape(params[name].shape)


@pytest.mark.parametrize("dropout", [False, True])
@pytest.mark.parametrize("cell, layers", [("lstm", 1), ("lstm", 2), ("gru", 1), ("gru", 2), ("rnn", 2)])
def test_gradients_of_every_parameter_equal_finite_differences(cell, layers, dropout):
    B = 2
    params = random_model(cell, layers, seed=11)
    inputs, targets, state = random_chunk(cell, layers, B, seed=12, t=5)
    masks = fixed_masks(layers, B, t=5) if dropout else None
    _, grads, _ = loss_and_grads(params, inputs, targets, state, masks=masks)
    grads = {k: v.copy() for k, v in grads.items()}
    for name in params:
        num = numerical_grad(params, inputs, targets, state, masks, name)
        scale = np.abs(num).max()
        assert scale > 1e-3, f"{name}: the check needs gradients well above the finite differences' noise"
        assert np.abs(grads[name] - num).max() <= 1e-6 * scale, name


# --------------------------------------------------------------------------- inputs, state, dtype, dropout


def test_state_none_is_zeros_and_one_stream_may_be_one_dimensional():
    params = random_model("lstm", 2)
    ids = np.array([1, 4, 2, 0])
    zeros = np.zeros(cells.state_size("lstm", H, 2))
    a, b, c = forward(params, ids), forward(params, ids, zeros), forward(params, ids[None, :], zeros[None, :])
    assert np.array_equal(a.probs, b.probs) and np.array_equal(a.probs, c.probs)
    assert a.hs.shape == (1, 4, H) and a.probs.shape == (1, 4, V) and a.h_last.shape == (1, 4 * H)
    l1, _, s1 = loss_and_grads(params, ids, ids, None)
    l2, _, s2 = loss_and_grads(params, ids[None, :], ids[None, :], zeros)
    assert l1 == l2 and np.array_equal(s1, s2)
    with pytest.raises(ValueError, match="carries 16"):
        forward(params, ids, np.zeros(H))  # a vanilla-sized state for a 2-layer LSTM


def test_chunks_carry_the_state():
    """Two chunks with the carried state give exactly what one chunk of both does."""
    for cell, layers in MODELS:
        params = random_model(cell, layers)
        ids = np.random.default_rng(3).integers(0, V, (2, 10))
        whole = forward(params, ids)
        first = forward(params, ids[:, :4])
        second = forward(params, ids[:, 4:], first.h_last)
        assert np.allclose(np.concatenate([first.probs, second.probs], axis=1), whole.probs, atol=1e-14)
        assert np.allclose(second.h_last, whole.h_last, atol=1e-14)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_float32_stays_float32(cell):
    params = init_params(V, H, cell=cell, num_layers=2, dtype=np.float32)
    inputs, targets, state = random_chunk(cell, 2, 3)
    masks = cells.dropout_masks(np.random.default_rng(0), 0.2, (3, T, H), 2, np.float32)
    loss, grads, last = loss_and_grads(params, inputs, targets, state, masks=masks)
    assert all(g.dtype == np.float32 for g in grads.values()) and last.dtype == np.float32
    out = forward(params, inputs, state)
    assert out.probs.dtype == np.float32 and out.h_last.dtype == np.float32


def test_float32_logits_are_floored_as_in_the_fast_path():
    """A target whose float32 probability would underflow: the loss is huge but finite, with no denormals in
    the probabilities (the vanilla fast path's LOGIT_FLOOR)."""
    params = init_params(V, H, cell="gru", dtype=np.float32)
    params["by"][0] = 200.0
    loss, grads, _ = loss_and_grads(params, np.zeros((1, 3), int), np.ones((1, 3), int), None)
    assert np.isfinite(loss) and 3 * 79 < loss < 3 * 81
    probs = forward(params, [0, 0, 0]).probs
    tiny = probs[(probs > 0) & (probs < np.finfo(np.float32).tiny)]
    assert tiny.size == 0 and all(np.isfinite(g).all() for g in grads.values())


def test_dropout_masks_are_inverted_deterministic_and_free_at_zero():
    rng = np.random.default_rng(0)
    masks = cells.dropout_masks(rng, 0.25, (8, 50, 64), 2, np.float64)
    assert len(masks) == 2 and masks[0].shape == (8, 50, 64)
    values = np.unique(np.concatenate(masks))
    assert np.allclose(values, [0, 1 / 0.75])  # kept units are scaled up: no rescaling at evaluation
    assert abs((masks[0] == 0).mean() - 0.25) < 0.01 and not np.array_equal(masks[0], masks[1])
    again = cells.dropout_masks(np.random.default_rng(0), 0.25, (8, 50, 64), 2, np.float64)
    assert all(np.array_equal(a, b) for a, b in zip(masks, again, strict=True))
    before = rng.bit_generator.state
    assert cells.dropout_masks(rng, 0.0, (8, 50, 64), 2, np.float64) is None
    assert rng.bit_generator.state == before  # no dropout, no random numbers drawn


def test_the_packages_public_functions_take_every_model():
    params = random_model("gru", 2)
    assert rnn.forward is forward and rnn.loss_and_grads is loss_and_grads
    assert rnn.forward(params, [1, 2]).h_last.shape == (1, 2 * H)


# --------------------------------------------------------------------------- sampling


def test_greedy_sample_equals_a_per_step_loop():
    """Temperature 0 from a given LSTM state: the argmax of each step's output, fed back (per-step reference)."""
    vocab = Vocab(tuple("abcdef"))
    params = random_model("lstm", 1, seed=4)
    rng = np.random.default_rng(9)
    state = rng.uniform(-0.5, 0.5, 2 * H)
    h, c = state[:H].reshape(-1, 1), state[H:].reshape(-1, 1)
    expected = []
    for _ in range(12):
        ix = int(np.argmax(params["Why"] @ h + params["by"].reshape(-1, 1)))
        expected.append(ix)
        x = np.zeros((V, 1))
        x[ix] = 1
        h, c = lstm_step(params, x, h, c)
    assert sample(params, vocab, 12, temperature=0, h=state) == vocab.decode(expected)


@pytest.mark.parametrize("cell, layers", [("lstm", 2), ("gru", 1)])
def test_sampling_is_reproducible_and_primed(cell, layers):
    vocab = Vocab(tuple("abcdef"))
    params = random_model(cell, layers, seed=6)
    a = sample(params, vocab, 40, temperature=1.0, seed=3)
    assert len(a) == 40 and set(a) <= set("abcdef")
    assert a == sample(params, vocab, 40, temperature=1.0, seed=3) != sample(params, vocab, 40, seed=4)
    assert sample_many(params, vocab, 40, [1.0], seed=3) == [a]
    assert [len(s) for s in sample_many(params, vocab, 40, [1.0, 0.5, 0], seed=3)] == [40, 40, 40]
    state, logits = warm_state(params, vocab, "fed")  # the prime's last state, and the logits that follow it
    out = forward(params, vocab.encode("fed"))
    assert np.array_equal(state, out.h_last[0]) and state.shape == (cells.state_size(cell, H, layers),)
    assert np.allclose(softmax(logits), out.probs[0, -1])
    assert sample(params, vocab, 10, temperature=0, top_k=1) == sample(params, vocab, 10, temperature=0)


def test_the_vanilla_rnn_with_dropout_runs_in_the_stack_and_is_right():
    """One vanilla layer with a dropout mask before the output (rnn/model.py has no masks): the reference's
    loss and finite differences, and without masks exactly the plain model's numbers."""
    params = random_model("rnn", 1, seed=13)
    inputs, targets, state = random_chunk("rnn", 1, 2, seed=14, t=5)
    masks = fixed_masks(1, 2, t=5)
    loss, grads, last = loss_and_grads(params, inputs, targets, state, masks=masks)
    ref = sum(stream_loss(params, "rnn", 1, inputs[b], targets[b], state[b], [masks[0][b]])[0] for b in range(2))
    assert abs(loss - ref) <= 1e-10 * ref
    grads = {k: v.copy() for k, v in grads.items()}
    for name in params:
        num = numerical_grad(params, inputs, targets, state, masks, name)
        assert np.abs(grads[name] - num).max() <= 1e-6 * np.abs(num).max(), name
    ones = [np.ones_like(masks[0])]  # the stack without dropout is the plain model
    stacked = loss_and_grads(params, inputs, targets, state, masks=ones)
    plain = loss_and_grads(params, inputs, targets, state)
    assert abs(stacked[0] - plain[0]) <= 1e-12 * plain[0]
    assert all(np.allclose(stacked[1][k], plain[1][k], rtol=1e-11, atol=1e-13) for k in params)
