"""Character vocabulary: one token per Unicode code point, as in min-char-rnn."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Vocab:
    """Sorted list of distinct characters with char <-> index maps."""

    chars: tuple[str, ...]
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "_index", {c: i for i, c in enumerate(self.chars)})
        # For encode: the code points in sorted order and where each sits in `chars`.
        points = np.array([ord(c) for c in self.chars], dtype=np.uint32)
        order = np.argsort(points)
        object.__setattr__(self, "_sorted_points", points[order])
        object.__setattr__(self, "_order", order.astype(np.int32))

    @classmethod
    def from_text(cls, text: str) -> Vocab:
        return cls(tuple(sorted(set(text))))

    @property
    def size(self) -> int:
        return len(self.chars)

    def __len__(self) -> int:
        return len(self.chars)

    def __contains__(self, ch: str) -> bool:
        return ch in self._index

    def index(self, ch: str) -> int:
        return self._index[ch]

    def unknown(self, text: str) -> list[str]:
        """Characters of `text` not in the vocabulary, in order of first appearance."""
        return list(dict.fromkeys(c for c in text if c not in self._index))

    def check_known(self, text: str, what: str = "the text") -> None:
        """Raise ValueError naming the characters of `text` the model has never seen (they have no input
        column): the one wording every caller shows, e.g. what="the prime text"."""
        missing = self.unknown(text)
        if missing:
            shown = ", ".join(repr(c) for c in missing[:5])
            raise ValueError(f"{what} has characters the model has never seen: {shown}. "
                             "Remove them or train on a corpus that contains them.")

    def encode(self, text: str) -> np.ndarray:
        """Text -> int32 array of indices. Raises KeyError naming the first unknown character.

        Looks code points up with one searchsorted over the whole text (no Python work per character)."""
        points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        if not len(points):
            return np.zeros(0, dtype=np.int32)
        pos = np.minimum(np.searchsorted(self._sorted_points, points), max(self.size - 1, 0))
        found = self._sorted_points[pos] == points if self.size else np.zeros(len(points), bool)
        if not found.all():
            raise KeyError(f"character {text[int(np.argmin(found))]!r} is not in the vocabulary")
        return self._order[pos]

    def decode(self, ids) -> str:
        chars = self.chars
        return "".join(chars[int(i)] for i in ids)

    def to_json(self) -> list[str]:
        return list(self.chars)

    @classmethod
    def from_json(cls, chars) -> Vocab:
        chars = tuple(chars)
        if not all(isinstance(c, str) and len(c) == 1 for c in chars):
            raise ValueError("vocabulary entries must be single characters")
        if len(set(chars)) != len(chars):
            raise ValueError("vocabulary has duplicate characters")
        return cls(chars)
