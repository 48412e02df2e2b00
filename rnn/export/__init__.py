"""Export a run or checkpoint: a standalone NumPy training script that retrains it from scratch (script.py, from
the template in min_char_rnn.py), or a Jupyter notebook that loads the checkpoint with `rnn` and draws it
(notebook.py). Used by `python -m rnn export` (rnn/commands/export.py) and the Train and Runs pages (ui/export.py).
"""

from __future__ import annotations

import re


class ExportError(ValueError):
    """What an export cannot do for this model; the message says why and what to do instead."""


def safe_stem(name: str, fallback: str = "run", limit: int = 60) -> str:
    """A file-name stem from user text (a corpus or run name): letters, digits, '_', '.' and '-' only."""
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", str(name)).strip("-.")[:limit].strip("-.")
    return stem or fallback


from .notebook import notebook_bytes, notebook_text  # noqa: E402 - they use ExportError
from .script import script_refusal, script_text  # noqa: E402

__all__ = ["ExportError", "notebook_bytes", "notebook_text", "safe_stem", "script_refusal", "script_text"]
