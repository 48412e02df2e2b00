"""Neuron explorer: what does one hidden unit track?

The activation at position t is h_t, the hidden state right after the RNN has read character t, so it
lines up with text[t]. Units are ranked by the correlation of their activation with simple features of
the text (the "Visualizing and Understanding Recurrent Networks" idea: some units track quotes, brackets,
line position...).
"""

from __future__ import annotations

import numpy as np

from ..model import forward

OPENERS = {"(": ")", "[": "]", "{": "}"}
CLOSERS = {v: k for k, v in OPENERS.items()}

FEATURES = {
    "inside quotes": "between an opening and a closing double quote",
    "inside brackets": "inside (), [] or {} (any depth)",
    "bracket depth": "how many brackets are open",
    "whitespace": "space, tab or newline",
    "position in line": "characters since the last newline",
    "upper case": "an upper-case letter",
    "digit": "a digit 0-9",
    "letter": "any letter",
    "punctuation": "neither a letter, a digit nor whitespace",
}


def activations(params, ids, h0=None, chunk: int = 2000) -> np.ndarray:
    """Hidden states (T, H) over a sequence of ids, read as one continuous stream from h0 (zeros if None).

    Read in chunks with the state carried over, which is exactly the same as one long forward pass.
    """
    ids = np.asarray(ids)
    H = params["Whh"].shape[0]
    out = np.empty((len(ids), H), params["Whh"].dtype)
    h = None if h0 is None else np.asarray(h0, params["Whh"].dtype)[None, :]
    for start in range(0, len(ids), chunk):
        f = forward(params, ids[None, start:start + chunk], h)
        out[start:start + chunk] = f.hs[0]
        h = f.h_last
    return out


def text_features(text: str) -> dict[str, np.ndarray]:
    """One float array per feature in FEATURES, aligned with the characters of text."""
    n = len(text)
    quotes = np.zeros(n)
    depth = np.zeros(n)
    column = np.zeros(n)
    in_quote, d, col = False, 0, 0
    for i, c in enumerate(text):
        # A quote character itself counts as inside (opening and closing both belong to the quoted span).
        if c == '"':
            quotes[i] = 1.0
            in_quote = not in_quote
        else:
            quotes[i] = float(in_quote)
        if c in OPENERS:
            d += 1
            depth[i] = d
        elif c in CLOSERS:
            depth[i] = d  # the closer still belongs to the bracketed span
            d = max(0, d - 1)
        else:
            depth[i] = d
        column[i] = col
        col = 0 if c == "\n" else col + 1
    chars = np.array(list(text)) if n else np.array([], dtype="<U1")
    is_ = np.frompyfunc(lambda c, m: getattr(c, m)(), 2, 1)
    return {
        "inside quotes": quotes,
        "inside brackets": (depth > 0).astype(float),
        "bracket depth": depth,
        "whitespace": is_(chars, "isspace").astype(float) if n else np.zeros(0),
        "position in line": column,
        "upper case": is_(chars, "isupper").astype(float) if n else np.zeros(0),
        "digit": np.isin(chars, list("0123456789")).astype(float) if n else np.zeros(0),
        "letter": is_(chars, "isalpha").astype(float) if n else np.zeros(0),
        "punctuation": (~(is_(chars, "isalnum").astype(bool) | is_(chars, "isspace").astype(bool))).astype(float)
        if n else np.zeros(0),
    }


def correlations(acts: np.ndarray, features: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Pearson correlation of every unit (columns of acts, (T, H)) with every feature -> {feature: (H,)}.

    A constant unit or feature has no correlation (0), not NaN.
    """
    a = acts - acts.mean(axis=0)
    a_norm = np.sqrt((a * a).sum(axis=0))
    out = {}
    for name, f in features.items():
        f = np.asarray(f, np.float64) - np.mean(f)
        f_norm = np.sqrt(f @ f)
        denom = a_norm * f_norm
        with np.errstate(invalid="ignore", divide="ignore"):
            r = np.where(denom > 1e-12, (f @ a) / np.where(denom > 1e-12, denom, 1.0), 0.0)
        out[name] = r
    return out


def rank_units(acts: np.ndarray, text: str, top: int = 10, min_std: float = 0.05) -> list[dict]:
    """Units that best track a simple feature, best first: [{unit, feature, r}] (one entry per unit,
    with its best feature; r is the signed correlation).

    Units whose activation barely moves (std < min_std, typically stuck at +-1) are left out: a tiny
    wiggle can correlate with a feature, but such a unit does nothing visible.
    """
    corr = correlations(acts, text_features(text))
    names = list(corr)
    table = np.stack([corr[k] for k in names])  # (F, H)
    best_f = np.abs(table).argmax(axis=0)
    best_r = table[best_f, np.arange(table.shape[1])]
    moving = np.flatnonzero(acts.std(axis=0) >= min_std)
    order = moving[np.argsort(-np.abs(best_r[moving]), kind="stable")][:top]
    return [{"unit": int(u), "feature": names[best_f[u]], "r": float(best_r[u])} for u in order]


def top_contexts(acts_unit: np.ndarray, text: str, k: int = 5, before: int = 30, after: int = 10,
                 highest: bool = True) -> list[dict]:
    """The k positions where a unit is highest (or lowest), each with the text around it.

    Positions closer than `before` characters to an already chosen one are skipped, so the list shows
    k different places rather than k neighbours of the same peak. The left context starts at a word
    boundary (up to `before` more characters back) so no word or tag is shown cut in half.
    Returns [{position, activation, left, char, right, context_values}] with context_values the unit's
    activation over left + char + right.
    """
    acts_unit = np.asarray(acts_unit)
    order = np.argsort(-acts_unit if highest else acts_unit, kind="stable")
    chosen: list[int] = []
    for i in order:
        if all(abs(int(i) - j) > before for j in chosen):
            chosen.append(int(i))
            if len(chosen) == k:
                break
    out = []
    for i in chosen:
        lo, hi = max(0, i - before), min(len(text), i + after + 1)
        # Start the context at a word boundary when one is near, rather than in the middle of a word.
        cut = max(text.rfind(" ", max(0, lo - before), lo), text.rfind("\n", max(0, lo - before), lo))
        if lo > 0 and cut >= 0:
            lo = cut + 1
        out.append({
            "position": i,
            "activation": float(acts_unit[i]),
            "left": text[lo:i],
            "char": text[i],
            "right": text[i + 1:hi],
            "context_values": acts_unit[lo:hi].astype(float),
        })
    return out
