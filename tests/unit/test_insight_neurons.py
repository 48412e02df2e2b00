"""Neuron explorer: features, correlations, ranking and top contexts against hand-made cases."""

import numpy as np

from rnn.insight.neurons import activations, correlations, rank_units, text_features, top_contexts
from rnn.model import forward
from rnn.vocab import Vocab

TEXT = "abc 12 de 345 fgh 6 ijk 789 lm 0 no 42 pq\n" * 20


def digit_model(vocab: Vocab, H=6, unit=3, seed=0):
    """A hand-made RNN whose unit `unit` is +1 right after a digit and -1 after anything else;
    the other units are small random noise driven by the input."""
    rng = np.random.default_rng(seed)
    V = vocab.size
    params = {
        "Wxh": rng.standard_normal((H, V)) * 0.3,
        "Whh": rng.standard_normal((H, H)) * 0.1,
        "Why": rng.standard_normal((V, H)) * 0.1,
        "bh": np.zeros(H),
        "by": np.zeros(V),
    }
    params["Whh"][unit] = 0.0  # the digit unit ignores the past
    params["Wxh"][unit] = [6.0 if c.isdigit() else -6.0 for c in vocab.chars]
    return params


def test_features_by_hand():
    f = text_features('a "b c" (d [e]) 7X\nzz')
    assert list(f["inside quotes"][:8]) == [0, 0, 1, 1, 1, 1, 1, 0]
    #                     a  _  "  b  _  c  "  _  (  d  _  [  e  ]  )
    assert list(f["bracket depth"][:15]) == [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 1]
    assert f["inside brackets"][15] == 0  # the space after the closing bracket
    assert f["digit"][16] == 1 and f["digit"].sum() == 1
    assert f["upper case"][17] == 1 and f["upper case"].sum() == 1
    assert f["whitespace"][18] == 1  # the newline
    assert list(f["position in line"][19:]) == [0, 1]  # column resets after the newline


def test_activations_match_one_forward_pass():
    vocab = Vocab.from_text(TEXT)
    params = digit_model(vocab)
    ids = vocab.encode(TEXT)
    h0 = np.linspace(-0.5, 0.5, 6)
    acts = activations(params, ids, h0=h0, chunk=37)  # chunked with the state carried
    direct = forward(params, ids[None, :], h0[None, :]).hs[0]
    np.testing.assert_allclose(acts, direct, rtol=1e-12, atol=1e-12)


def test_a_digit_unit_is_found_first():
    vocab = Vocab.from_text(TEXT)
    params = digit_model(vocab, unit=3)
    acts = activations(params, vocab.encode(TEXT))
    ranking = rank_units(acts, TEXT, top=3)
    assert ranking[0]["unit"] == 3
    assert ranking[0]["feature"] == "digit"
    assert ranking[0]["r"] > 0.99
    # its strongest contexts are digits, its weakest are not
    hi = top_contexts(acts[:, 3], TEXT, k=5, before=3)
    lo = top_contexts(acts[:, 3], TEXT, k=5, before=3, highest=False)
    assert all(c["char"].isdigit() for c in hi)
    assert not any(c["char"].isdigit() for c in lo)


def test_correlation_of_constant_is_zero_not_nan():
    acts = np.ones((10, 2))
    acts[:, 1] = np.arange(10)
    r = correlations(acts, {"x": np.arange(10.0), "const": np.zeros(10)})
    assert r["x"][0] == 0 and abs(r["x"][1] - 1) < 1e-12
    assert np.all(r["const"] == 0)


def test_top_contexts_are_spread_out_and_carry_context():
    text = "x" * 100
    acts = np.zeros(100)
    acts[[10, 11, 12, 60]] = [3, 2.9, 2.8, 2.0]
    ctx = top_contexts(acts, text, k=2, before=5, after=3)
    assert [c["position"] for c in ctx] == [10, 60]  # 11 and 12 are neighbours of the first peak
    c = ctx[0]
    assert c["left"] == text[5:10] and c["right"] == text[11:14]
    assert len(c["context_values"]) == len(c["left"]) + 1 + len(c["right"])


def test_stuck_units_are_not_suggested():
    text = "ab1 cd2 " * 50
    f = text_features(text)["digit"]
    acts = np.stack([-1 + 1e-4 * f, 0.8 * f - 0.4], axis=1)  # unit 0 is stuck at -1 with a tiny wiggle
    ranking = rank_units(acts, text)
    assert [r["unit"] for r in ranking] == [1]


def test_context_starts_at_a_word_boundary():
    text = "one two <script>alert(1)</script> three four five"
    acts = np.zeros(len(text))
    peak = text.index("three")
    acts[peak] = 1
    c = top_contexts(acts, text, k=1, before=14, after=3)[0]  # the boundary is 27 back: within 2 * 14
    assert c["left"] == "<script>alert(1)</script> "  # not "t>alert(1)</script> "
    assert len(c["context_values"]) == len(c["left"]) + 1 + len(c["right"])
