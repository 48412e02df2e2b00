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

    def encode(self, text: str) -> np.ndarray:
        """Text -> int32 array of indices. Raises KeyError naming the first unknown character."""
        missing = self.unknown(text)
        if missing:
            raise KeyError(f"character {missing[0]!r} is not in the vocabulary")
        lookup = self._index
        return np.fromiter((lookup[c] for c in text), dtype=np.int32, count=len(text))

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
