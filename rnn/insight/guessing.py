"""The guessing game: you against the model on the next characters of a held-out passage.

Shannon (1951) measured English this way: a person guesses the next character until right. The guess counts
hold the whole text (whoever knows the guesser can recover it from them), so their entropy bounds the bits per
character: with q_i the fraction of characters that took i guesses, at most -sum_i q_i log2 q_i. The model plays
the same game on the same characters: its guesses are its characters in order of probability, so its count is
1 + the rank of the true character. Its actual cross-entropy, -log2 p(char), is shown beside it.
(Shannon's matching lower bound assumes q_i falls with i, which a few dozen characters do not give.)
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


def pick_passage(params, vocab, ids, rng: np.random.Generator, length: int = ROUND, h0=None) -> Passage:
    """A random passage of `length` characters from `ids` (held-out text), with the model's guesses on it.
    The model reads WARMUP characters before it from state h0 (pass the trainer's carried state: from zeros an
    early model can stay lost for hundreds of characters)."""
    text = vocab.decode(ids)
    if len(text) < length + 2:
        raise ValueError(f"the text is too short for a round of {length} characters")
    warm = min(WARMUP, len(text) - length - 1)
    start = int(rng.integers(warm, len(text) - length + 1))
    s = surprise(params, vocab, text[start - warm:start + length], h0=h0, top_k=vocab.size)
    answer = text[start:start + length]
    ranked = s.top_chars[-length:]  # every character, most likely first, at each answer position
    guesses = tuple(row.index(c) + 1 for row, c in zip(ranked, answer, strict=True))
    bits = tuple(float(x) / math.log(2) for x in s.loss[-length:])
    return Passage(text[max(0, start - CONTEXT):start], answer, guesses, bits)


def shannon_estimate(guesses) -> float:
    """Shannon's upper bound on bits per character, -sum_i q_i log2 q_i, from how many guesses each character
    took. From n characters it is at most log2 n: it reads low until about a hundred have been played."""
    n = len(guesses)
    if not n:
        return float("nan")
    return -sum(c / n * math.log2(c / n) for c in Counter(guesses).values()) + 0.0  # + 0.0: never -0.0


@dataclass
class Game:
    """Rounds of the game: the player guesses the next character of a passage until right, then moves on. The
    score pools every character played in every round, so it settles as the player goes on."""

    passage: Passage
    vocab_size: int
    tries: list[int] = field(default_factory=list)  # guesses each finished character of this passage took
    wrong: list[str] = field(default_factory=list)  # wrong guesses at the current character
    played: list[tuple[int, int, float]] = field(default_factory=list)  # every finished character of every
    # passage: (the player's guesses, the model's guesses, the model's bits)

    @property
    def position(self) -> int:
        return len(self.tries)

    @property
    def done(self) -> bool:
        return self.position == len(self.passage.answer)

    @property
    def revealed(self) -> str:
        return self.passage.answer[:self.position]

    def new_passage(self, passage: Passage) -> None:
        self.passage, self.tries, self.wrong = passage, [], []

    def _finish(self, guesses: int) -> None:
        p, i = self.passage, self.position
        self.played.append((guesses, p.model_guesses[i], p.model_bits[i]))
        self.tries.append(guesses)
        self.wrong = []

    def _check_open(self) -> None:
        if self.done:
            raise ValueError("this passage is over: start a new one")

    def guess(self, char: str) -> bool:
        """One guess at the current character; True if right (the game moves on). A repeated wrong guess
        is not counted again."""
        self._check_open()
        if len(char) != 1:
            raise ValueError("guess one character at a time")
        if char == self.passage.answer[self.position]:
            self._finish(len(self.wrong) + 1)
            return True
        if char not in self.wrong:
            self.wrong.append(char)
        return False

    def give_up(self) -> str:
        """Show the current character; it counts as the most guesses possible (every character tried)."""
        self._check_open()
        char = self.passage.answer[self.position]
        self._finish(self.vocab_size)
        return char

    def scores(self) -> dict:
        """Bits per character over every character played, the player's and the model's."""
        yours = [y for y, _, _ in self.played]
        model = [m for _, m, _ in self.played]
        n = len(self.played)
        return {"characters": n, "you": shannon_estimate(yours), "model": shannon_estimate(model),
                "model_cross_entropy": float(np.mean([b for _, _, b in self.played])) if n else float("nan"),
                "you_first_try": yours.count(1), "model_first_try": model.count(1),
                "you_mean_guesses": float(np.mean(yours)) if n else float("nan"),
                "model_mean_guesses": float(np.mean(model)) if n else float("nan")}
