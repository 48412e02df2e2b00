"""The guessing game: you against the model on the next characters of a held-out passage.

Shannon (1951) measured English this way: a person guesses the next character until right, and the number of
guesses each character needs bounds the bits per character. If q_i is the fraction of characters that took i
guesses, the entropy lies between  sum_i i (q_i - q_{i+1}) log2 i  and  -sum_i q_i log2 q_i.
The model plays the same game on the same characters: its guesses are its characters in order of probability,
so its count is 1 + the rank of the true character. Its actual cross-entropy, -log2 p(char), is shown too.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from .surprise import surprise

ROUND = 20  # characters to guess in one round
WARMUP = 200  # characters the model reads before the passage, so it starts from a sensible state
CONTEXT = 160  # of those, the ones the player is shown


@dataclass(frozen=True)
class Passage:
    context: str  # what the player reads first
    answer: str  # the characters to guess, in order
    model_guesses: tuple[int, ...]  # guesses the model needs for each character: 1 + its rank
    model_bits: tuple[float, ...]  # -log2 p(character) under the model


def pick_passage(params, vocab, ids, rng: np.random.Generator, length: int = ROUND) -> Passage:
    """A random passage of `length` characters from `ids` (held-out text), with the model's guesses on it."""
    text = vocab.decode(ids)
    if len(text) < length + 2:
        raise ValueError(f"the text is too short for a round of {length} characters")
    warm = min(WARMUP, len(text) - length - 1)
    start = int(rng.integers(warm, len(text) - length + 1))
    s = surprise(params, vocab, text[start - warm:start + length], top_k=vocab.size)
    answer = text[start:start + length]
    ranked = s.top_chars[-length:]  # every character, most likely first, at each answer position
    guesses = tuple(row.index(c) + 1 for row, c in zip(ranked, answer, strict=True))
    bits = tuple(float(x) / math.log(2) for x in s.loss[-length:])
    return Passage(text[max(0, start - CONTEXT):start], answer, guesses, bits)


def shannon_bounds(guesses) -> tuple[float, float]:
    """Shannon's lower and upper bounds on bits per character from how many guesses each character took."""
    n = len(guesses)
    if not n:
        return float("nan"), float("nan")
    counts = Counter(guesses)
    q = [counts.get(i, 0) / n for i in range(1, max(counts) + 2)]  # q[i - 1] = fraction needing i guesses
    upper = -sum(p * math.log2(p) for p in q if p > 0)
    lower = sum(i * (q[i - 1] - q[i]) * math.log2(i) for i in range(1, len(q)))
    return lower, upper


@dataclass
class Game:
    """One round: the player guesses the next character until right, then moves on."""

    passage: Passage
    vocab_size: int
    tries: list[int] = field(default_factory=list)  # guesses each finished character took
    wrong: list[str] = field(default_factory=list)  # wrong guesses at the current character

    @property
    def position(self) -> int:
        return len(self.tries)

    @property
    def done(self) -> bool:
        return self.position == len(self.passage.answer)

    @property
    def revealed(self) -> str:
        return self.passage.answer[:self.position]

    def guess(self, char: str) -> bool:
        """One guess at the current character; True if right (the game moves on). A repeated wrong guess
        is not counted again."""
        if self.done:
            raise ValueError("this round is over: start a new one")
        if len(char) != 1:
            raise ValueError("guess one character at a time")
        if char == self.passage.answer[self.position]:
            self.tries.append(len(self.wrong) + 1)
            self.wrong = []
            return True
        if char not in self.wrong:
            self.wrong.append(char)
        return False

    def give_up(self) -> str:
        """Show the current character; it counts as the most guesses possible (every character tried)."""
        if self.done:
            raise ValueError("this round is over: start a new one")
        char = self.passage.answer[self.position]
        self.tries.append(self.vocab_size)
        self.wrong = []
        return char

    def scores(self) -> dict:
        """Bits per character so far, the player's and the model's, on the same finished characters."""
        n = self.position
        model = self.passage.model_guesses[:n]
        return {"characters": n, "you": shannon_bounds(self.tries), "model": shannon_bounds(model),
                "model_cross_entropy": float(np.mean(self.passage.model_bits[:n])) if n else float("nan"),
                "you_first_try": sum(t == 1 for t in self.tries), "model_first_try": sum(g == 1 for g in model)}
