"""Corpora: validation with actionable messages, built-in texts, train/validation split.

Built-in corpora are read at run time from the Python interpreter, so no text is copied into the repo.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import math
import random
import unicodedata
from dataclasses import dataclass
from functools import cache, cached_property

import numpy as np

from .budget import BudgetError, check_vocab
from .vocab import Vocab

DEFAULT_MAX_CHARS = 5_000_000
DEFAULT_VAL_FRACTION = 0.1


class CorpusError(ValueError):
    """A corpus that cannot be trained on; the message says what to do about it."""


# --------------------------------------------------------------------------- validation


def decode_bytes(data: bytes, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """Bytes of an uploaded file -> text. UTF-8 only (a BOM is dropped, CRLF becomes LF)."""
    if len(data) > 4 * max_chars:  # cheap guard before decoding a huge upload
        raise CorpusError(
            f"The file is {len(data):,} bytes, over the limit of {max_chars:,} characters. "
            "Use a smaller file or a slice of it."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CorpusError(
            f"The file is not valid UTF-8 text (bad byte at position {exc.start}). "
            "Save it as UTF-8 (plain text) and upload again."
        ) from None
    return text.replace("\r\n", "\n")


def validate_text(text: str, seq_length: int = 25, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """Return `text` if it can be trained on with this sequence length, else raise CorpusError."""
    if not isinstance(text, str):
        raise CorpusError("The corpus must be text.")
    if len(text) == 0:
        raise CorpusError("The corpus is empty. Paste some text, upload a .txt file or pick a built-in corpus.")
    if len(text) > max_chars:
        raise CorpusError(
            f"The corpus has {len(text):,} characters, over the limit of {max_chars:,}. "
            "Use a slice of it or raise the limit."
        )
    if len(text) < seq_length + 1:
        raise CorpusError(
            f"The corpus has {len(text)} characters but one training chunk needs seq_length + 1 = "
            f"{seq_length + 1}. Add more text or lower the sequence length."
        )
    if len(set(text)) < 2:
        raise CorpusError(
            f"The corpus uses only one distinct character ({text[0]!r}); there is nothing to predict. "
            "Use text with at least two different characters."
        )
    return text


# Zero-width (non-)joiners are how emoji sequences (a family: man ZWJ woman ZWJ girl), Indic and Persian text
# are written. Between two non-ASCII characters they are expected; next to ASCII or at an end they are stray.
JOINERS = "\u200c\u200d"


def unusual_characters(text: str, limit: int = 20) -> list[str]:
    """Control and format characters (other than newline and tab) a user may not expect in a corpus."""
    odd = {c for c in set(text) if c not in "\n\t" and unicodedata.category(c) in ("Cc", "Cf", "Co", "Cs", "Cn")}
    for j in odd & set(JOINERS):
        if all(_joins(text, i) for i in _positions(text, j)):
            odd.discard(j)
    return sorted(odd)[:limit]


def _positions(text: str, ch: str):
    i = text.find(ch)
    while i != -1:
        yield i
        i = text.find(ch, i + 1)


def _joins(text: str, i: int) -> bool:
    """The joiner at text[i] sits between two non-ASCII characters (emoji, letters of a script that uses it)."""
    return 0 < i < len(text) - 1 and not text[i - 1].isascii() and not text[i + 1].isascii()


# --------------------------------------------------------------------------- built-ins


def _hello() -> str:
    return "hello hello hello world world world"


def _python_docs() -> str:
    from pydoc_data import topics

    return "\n\n".join(topics.topics[k].strip() for k in sorted(topics.topics))


_STDLIB_MODULES = (
    "textwrap", "string", "heapq", "bisect", "fractions", "statistics", "dataclasses", "functools",
    "random", "shlex", "difflib", "csv", "argparse", "calendar", "pprint", "json.decoder",
    "json.encoder", "colorsys", "glob", "fnmatch", "operator", "copy", "graphlib", "queue",
)


def _python_code() -> str:
    parts = []
    for name in _STDLIB_MODULES:
        spec = importlib.util.find_spec(name)
        if spec and spec.origin and spec.origin.endswith(".py"):
            with open(spec.origin, encoding="utf-8") as f:
                parts.append(f.read())
    if not parts:
        raise CorpusError("No Python standard-library source files were found on this interpreter.")
    return "\n\n".join(parts)


def _zen() -> str:
    # `import this` prints to stdout; read the ROT13 string from its source instead.
    spec = importlib.util.find_spec("this")
    with open(spec.origin, encoding="utf-8") as f:
        tree = ast.parse(f.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "s":
            rot = ast.literal_eval(node.value)
            return rot.translate(str.maketrans(
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
                "NOPQRSTUVWXYZABCDEFGHIJKLMnopqrstuvwxyzabcdefghijklm",
            ))
    raise CorpusError("Could not read the Zen of Python from this interpreter.")


def brackets_text(n_chars: int = 200_000, seed: int = 0, max_depth: int = 6) -> str:
    """A generated language of nested (), [], {} and quotes with words inside.

    Closing the right bracket needs memory of what was opened many characters ago, the long-range
    dependency a vanilla RNN struggles with.
    """
    rng = random.Random(seed)
    pairs = [("(", ")"), ("[", "]"), ("{", "}"), ('"', '"')]
    words = ["a", "b", "ab", "ba", "abc", "x", "xy", "z"]

    def expr(depth: int) -> str:
        if depth >= max_depth or rng.random() < 0.3 + 0.1 * depth:
            return rng.choice(words)
        open_, close = rng.choice(pairs)
        if open_ == '"':  # quotes hold words only, no nesting
            return open_ + " ".join(rng.choice(words) for _ in range(rng.randint(1, 3))) + close
        items = [expr(depth + 1) for _ in range(rng.randint(1, 3))]
        return open_ + " ".join(items) + close

    out, size = [], 0
    while size < n_chars:
        line = expr(0)
        out.append(line)
        size += len(line) + 1
    text = "\n".join(out)
    cut = text.rfind("\n", 0, n_chars + 1)
    # Drop the last line rather than cut it mid-way, so every line stays balanced.
    return text[:cut] if len(text) > n_chars and cut > 0 else text[:n_chars]


BUILTINS = {
    "python-docs": ("Python documentation (English prose)", _python_docs),
    "python-code": ("Python standard-library source code", _python_code),
    "zen": ("The Zen of Python (short)", _zen),
    "brackets": ("Generated nested brackets and quotes (long-range memory)", brackets_text),
    "hello": ("The seed's 'hello hello hello world world world'", _hello),
}
DEFAULT_BUILTIN = "python-docs"


@cache
def load_builtin(name: str) -> str:
    """Text of a built-in corpus by name; CorpusError for an unknown name."""
    if name not in BUILTINS:
        raise CorpusError(f"Unknown built-in corpus {name!r}. Choose one of: {', '.join(BUILTINS)}.")
    return BUILTINS[name][1]()


# --------------------------------------------------------------------------- split


@dataclass(frozen=True)
class Corpus:
    """A validated text with its vocabulary and encoded train/validation splits."""

    name: str
    text: str
    vocab: Vocab
    train: np.ndarray  # int32 ids
    val: np.ndarray | None  # None when the text is too short for a validation split
    notice: str = ""

    @cached_property
    def fingerprint(self) -> str:
        """A hash of the text (its text never changes, and live pages ask every second)."""
        return fingerprint(self.text)


def fingerprint(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def split_point(n: int, seq_length: int, val_fraction: float) -> tuple[int, str]:
    """Where validation starts (n when there is none) and a notice explaining a missing split."""
    n_val = int(n * val_fraction)
    if val_fraction <= 0:
        return n, "No validation split (validation fraction is 0)."
    if n_val < seq_length + 1 or n - n_val < seq_length + 1:
        return n, (
            f"The corpus is too small for a validation split ({n} characters; each part needs at least "
            f"{seq_length + 1}). Training uses all of it and no validation loss is reported."
        )
    return n - n_val, ""


def min_chars_for_split(seq_length: int, val_fraction: float = DEFAULT_VAL_FRACTION) -> int | None:
    """The shortest text that gets a validation split (None when val_fraction leaves none at any length)."""
    if not 0 < val_fraction < 1:
        return None
    n = max(1, math.ceil((seq_length + 1) / val_fraction) - 2)  # the estimate, then step past rounding
    while split_point(n, seq_length, val_fraction)[0] == n:
        n += 1
    return n


def make_corpus(
    text: str,
    name: str = "custom",
    seq_length: int = 25,
    val_fraction: float = DEFAULT_VAL_FRACTION,
    max_chars: int = DEFAULT_MAX_CHARS,
) -> Corpus:
    """Validate `text` and split it: the last `val_fraction` is validation (as char-rnn does)."""
    validate_text(text, seq_length, max_chars)
    vocab = Vocab.from_text(text)
    try:
        check_vocab(vocab.size)  # the vocabulary cap (rnn/budget.py), before anything is encoded
    except BudgetError as exc:
        raise CorpusError(f"{str(exc)[0].upper()}{str(exc)[1:]}.") from None
    ids = vocab.encode(text)
    cut, notice = split_point(len(text), seq_length, val_fraction)
    val = ids[cut:] if cut < len(ids) else None
    return Corpus(name=name, text=text, vocab=vocab, train=ids[:cut], val=val, notice=notice)
