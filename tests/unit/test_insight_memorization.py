"""Memorisation check: matching statistics against brute force; copied spans and novel share."""

import random

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from rnn.insight.memorization import copy_report, matching_lengths


def brute(sample, corpus):
    out = []
    for i in range(len(sample)):
        L = 0
        while i + L < len(sample) and sample[i:i + L + 1] in corpus:
            L += 1
        out.append(L)
    return out


@given(st.text(alphabet="abc", max_size=30), st.text(alphabet="abcd", max_size=60))
@settings(max_examples=200, deadline=None)
def test_matching_lengths_equal_brute_force(sample, corpus):
    assert list(matching_lengths(sample, corpus)) == brute(sample, corpus)


def test_copied_stretch_and_novel_share():
    rng = random.Random(0)
    corpus = "".join(rng.choice("abcdefgh ") for _ in range(5000))
    copied = corpus[1000:1040]
    sample = "XYZ" * 4 + copied + "QQQQ" * 2
    r = copy_report(sample, corpus, min_copy=20)
    assert r["longest_start"] == 12 and r["longest_length"] >= 40 and r["longest_text"].startswith(copied)
    assert r["corpus_position"] >= 0 and corpus[r["corpus_position"]:].startswith(r["longest_text"])
    assert r["spans"] == [(12, 12 + r["longest_length"])]
    assert r["novel_share"] == 1 - r["longest_length"] / len(sample)
    assert r["copied"].sum() == r["longest_length"]


def test_short_matches_do_not_count_as_copied():
    corpus = "the cat sat on the mat"
    r = copy_report("the dog sat on a log", corpus, min_copy=10)
    assert r["novel_share"] == 1.0 and r["spans"] == []
    assert r["longest_text"] == " sat on "
    r2 = copy_report("the dog sat on a log", corpus, min_copy=4)
    assert r2["novel_share"] < 1.0
    assert np.all(r2["copied"][7:15])  # " sat on " is inside a copied stretch


def test_empty_sample():
    r = copy_report("", "abc")
    assert r["novel_share"] == 1.0 and r["longest_length"] == 0 and r["corpus_position"] == -1
