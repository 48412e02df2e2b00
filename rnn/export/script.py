"""Fill the min-char-rnn template (min_char_rnn.py) with a trainer's corpus, settings, seed and setting changes.

script_text(trainer) -> the source of one standalone file, NumPy only, that retrains the model from scratch and
ends by printing {"iterations": ..., "smooth_loss": ...} as JSON. It covers what the template does: the
single-layer vanilla RNN without dropout; script_refusal says why another model cannot be exported this way.

The corpus goes in as the built-in recipe (the interpreter's own text, checked by its SHA-256 when the script
runs), as a Python string literal (repr of each line: quotes, backslashes, control characters and lone
surrogates come out escaped; printable Unicode stays readable), or, past EMBED_READABLE_CHARS, as
zlib-compressed base64. Its size is bounded by the corpus limit (rnn/corpus.py: 5 M characters), so the script is
too: at most ~30 MB even for an incompressible corpus.
"""

from __future__ import annotations

import base64
import hashlib
import inspect
import re
import zlib

from ..corpus import BUILTINS, brackets_text, load_builtin
from ..train import MAX_EVENTS, Trainer
from . import ExportError
from .min_char_rnn import OPTIMIZER_CODE, SLOTS, SOFTMAX, TANH, TEMPLATE

EMBED_READABLE_CHARS = 200_000  # up to this many characters the corpus is a readable literal, line by line
LINE_CHARS = 80  # characters of the corpus per literal line (longer lines are split)
TANH_BY_EXP_MIN_SIZE = 1024  # rnn/fast.py: float64 with B*H at least this uses the exp-based tanh

_RECIPES = {
    "hello": '''\
text = "hello hello hello world world world"  # the built-in corpus "hello": min-char-rnn's own example''',
    "zen": '''\
# The built-in corpus "zen": the Zen of Python, from the interpreter (`import this` prints it ROT13-decoded).
import codecs
import contextlib
import io

with contextlib.redirect_stdout(io.StringIO()):
    import this
text = codecs.decode(this.s, "rot13")''',
    "python-docs": '''\
# The built-in corpus "python-docs": the Python documentation's topics, from the interpreter.
from pydoc_data import topics

text = "\\n\\n".join(topics.topics[k].strip() for k in sorted(topics.topics))''',
    "python-code": '''\
# The built-in corpus "python-code": these standard-library modules' source, from the interpreter.
import importlib.util

MODULES = {modules}
parts = []
for name in MODULES:
    spec = importlib.util.find_spec(name)
    if spec and spec.origin and spec.origin.endswith(".py"):
        with open(spec.origin, encoding="utf-8") as f:
            parts.append(f.read())
text = "\\n\\n".join(parts)''',
}


def script_refusal(config, events=()) -> str | None:
    """Why the standalone script cannot reproduce this run (None when it can), with what to do instead."""
    cell, layers, dropout = config.cell, config.num_layers, config.dropout
    if cell != "rnn" or layers != 1 or dropout:
        model = f"a {layers}-layer {'vanilla RNN' if cell == 'rnn' else cell.upper()}"
        if dropout:
            model += f" with dropout {dropout:g}"
        return (f"the script is min-char-rnn's single-layer vanilla RNN without dropout, and this run is "
                f"{model}. Export a notebook instead (--to ipynb): it loads the checkpoint with rnn and works for "
                "any model")
    if len(events) >= MAX_EVENTS:
        return (f"the run changed its settings {len(events)} times or more, and a checkpoint keeps only the last "
                f"{MAX_EVENTS} changes, so its early settings are unknown. Export a notebook instead (--to ipynb)")
    return None


def _corpus_code(trainer: Trainer) -> str:
    corpus = trainer.corpus
    if corpus.name in BUILTINS and corpus.text == load_builtin(corpus.name):
        if corpus.name == "brackets":
            source = inspect.getsource(brackets_text)
            return ('# The built-in corpus "brackets": a generated language of nested brackets and quotes.\n'
                    f"import random\n\n\n{source}\n\ntext = brackets_text()")
        if corpus.name == "python-code":
            from ..corpus import _STDLIB_MODULES

            return _RECIPES["python-code"].format(modules=repr(_STDLIB_MODULES))
        return _RECIPES[corpus.name]
    text = corpus.text
    if len(text) > EMBED_READABLE_CHARS:
        packed = base64.b64encode(zlib.compress(text.encode("utf-8", "surrogatepass"), 9)).decode("ascii")
        lines = "\n".join(f'    "{packed[i:i + 100]}"' for i in range(0, len(packed), 100))
        return (f"# The run's corpus ({len(text):,} characters), compressed: zlib, then base64.\n"
                "import base64\nimport zlib\n\n"
                f"text = zlib.decompress(base64.b64decode(\n{lines}\n)).decode(\"utf-8\", \"surrogatepass\")")
    pieces = []
    for line in text.splitlines(keepends=True):
        pieces += [line[i:i + LINE_CHARS] for i in range(0, len(line), LINE_CHARS)]
    body = "\n".join(f"    {piece!r}" for piece in pieces)
    return f"# The run's corpus ({len(text):,} characters), one literal per line.\ntext = (\n{body}\n)"


def initial_settings(trainer: Trainer) -> tuple[dict, list]:
    """The live settings the run started with and its changes [(iteration, setting, new value)], from
    Trainer.events (each records the old value too: the first one of a setting says how it started)."""
    cfg = trainer.config
    start = {"learning_rate": cfg.learning_rate, "clip": cfg.clip, "seq_length": cfg.seq_length,
             "optimizer": cfg.optimizer}
    seen = set()
    for _, name, old, _ in trainer.events:
        if name in start and name not in seen:
            start[name] = old
            seen.add(name)
    changes = sorted(((int(at), name, new) for at, name, _, new in trainer.events if name in start),
                     key=lambda c: c[0])
    return start, changes


def script_text(trainer: Trainer, origin: str = "a checkpoint", filename: str = "min_char_rnn.py",
                print_every: int = 100) -> str:
    """The standalone script for this trainer's run. ExportError when script_refusal says it cannot be done."""
    cfg = trainer.config
    refusal = script_refusal(cfg, trainer.events)
    if refusal:
        raise ExportError(f"Cannot export a standalone script: {refusal}.")
    start, changes = initial_settings(trainer)
    used = {start["optimizer"], *(v for _, name, v in changes if name == "optimizer")}
    optimizers = "\n\n".join(OPTIMIZER_CODE[name] for name in sorted(used))
    optimizers += ("\n\nSTEP = {" + ", ".join(f"{n!r}: {n}" for n in sorted(used)) + "}\n"
                   "SLOTS = {" + ", ".join(f"{n!r}: {SLOTS[n]!r}" for n in sorted(used)) + "}\n")
    exp_tanh = cfg.dtype == "float64" and cfg.batch_size * cfg.hidden_size >= TANH_BY_EXP_MIN_SIZE
    fill = {
        "TITLE": "min-char-rnn, exported from RNN Lab: retrain a run from scratch.",
        "ORIGIN": _one_line(origin),
        "FILENAME": _one_line(filename),
        "ITERATIONS": str(int(trainer.iteration)),
        "HIDDEN_SIZE": str(cfg.hidden_size),
        "SEQ_LENGTH": str(start["seq_length"]),
        "LEARNING_RATE": repr(float(start["learning_rate"])),
        "OPTIMIZER": repr(start["optimizer"]),
        "CLIP": repr(float(start["clip"])),
        "BATCH": str(cfg.batch_size),
        "SEED": str(cfg.seed),
        "DTYPE": cfg.dtype,
        "PRINT_EVERY": str(int(print_every)),
        "CHANGES": repr(changes),
        "CORPUS": _corpus_code(trainer),
        "TRAIN_CHARS": str(len(trainer.corpus.train)),
        "TEXT_SHA256": hashlib.sha256(trainer.corpus.text.encode("utf-8", "surrogatepass")).hexdigest(),
        "TANH": TANH["exp" if exp_tanh else "numpy"],
        "SOFTMAX": SOFTMAX[cfg.dtype],
        "OPTIMIZERS": optimizers,
    }
    # one pass over the template: the values (the corpus may contain anything, "{{...}}" too) are never rescanned
    return re.sub(r"\{\{([A-Z_0-9]+)\}\}", lambda m: fill[m[1]], TEMPLATE)

def _one_line(text: str) -> str:
    """User text for the docstring: one line, no quotes or backslashes that could end or bend it."""
    return "".join(c if c.isprintable() and c not in '"\\' else "?" for c in str(text))[:200]
