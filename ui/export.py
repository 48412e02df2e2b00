"""Export download buttons for the Train and Runs pages: the model or run as a standalone script (rnn/export/script.py)
or a notebook (rnn/export/notebook.py).

The files are built when a button is clicked (Streamlit calls the data callable then), from a checkpoint: the live
model's as it is at that moment, or the run's stored one. What the script cannot reproduce (script_refusal) is said
on the page up front, in plain text, and its button is disabled; the notebook works for any model.
"""

from __future__ import annotations

import os

import streamlit as st

from rnn.checkpoint import load_checkpoint
from rnn.export import ExportError, notebook_bytes, safe_stem, script_refusal, script_text
from rnn.export.notebook import EMBED_MAX_BYTES
from rnn.train import Trainer
from ui.checkpoint import checkpoint_filename

PY_MIME, IPYNB_MIME = "text/x-python", "application/x-ipynb+json"
SCRIPT_HELP = ("One Python file, NumPy only, in the spirit of min-char-rnn: it retrains this model from scratch with "
               "the same corpus, settings and seed and reproduces its loss curve (`python FILE`).")
NOTEBOOK_HELP = ("A Jupyter notebook that loads this model with the rnn package (the checkpoint is inside it) and "
                 "draws its loss curve, samples at three temperatures and a hidden-state heatmap.")


def script_filename(stem: str, iteration: int) -> str:
    return f"min_char_rnn-{safe_stem(stem)}-it{iteration}.py"


def notebook_filename(stem: str, iteration: int) -> str:
    return f"rnn-{safe_stem(stem)}-it{iteration}.ipynb"


def script_from_checkpoint(checkpoint, origin: str, filename: str) -> bytes:
    """The script for a checkpoint (its bytes or its path). A refusal found only now (the page checked the config
    before) comes as a script that says so and exits, so the click never ends in a traceback."""
    try:
        return script_text(load_checkpoint(checkpoint), origin=origin, filename=filename).encode("utf-8")
    except ExportError as exc:
        return f"raise SystemExit({str(exc)!r})\n".encode()


def notebook_from_checkpoint(data: bytes, path_if_too_big: str) -> bytes:
    """The notebook with the checkpoint embedded; past EMBED_MAX_BYTES it refers to the file instead."""
    if len(data) <= EMBED_MAX_BYTES:
        return notebook_bytes(checkpoint=data)
    return notebook_bytes(checkpoint_path=path_if_too_big)


def notebook_from_file(path: str) -> bytes:
    """The notebook for a checkpoint file: embedded when small enough (the file is read only then), else by path."""
    if os.path.getsize(path) > EMBED_MAX_BYTES:
        return notebook_bytes(checkpoint_path=os.path.abspath(path))
    with open(path, "rb") as f:
        return notebook_from_checkpoint(f.read(), os.path.abspath(path))


def _buttons(prefix: str, refusal: str | None, script_data, script_name: str, notebook_data, notebook_name: str,
             stacked: bool = False):
    """The two buttons: one above the other in a narrow column (Train), side by side otherwise (Runs)."""
    c1, c2 = (st.container(), st.container()) if stacked else st.columns([1, 1, 2])[:2]
    c1.download_button("Script (.py)", data=script_data, file_name=script_name, mime=PY_MIME, on_click="ignore",
                       key=f"{prefix}_export_py", icon=":material/code:", width="stretch", disabled=bool(refusal),
                       help=SCRIPT_HELP)
    c2.download_button("Notebook (.ipynb)", data=notebook_data, file_name=notebook_name, mime=IPYNB_MIME,
                       on_click="ignore", key=f"{prefix}_export_ipynb", icon=":material/description:",
                       width="stretch", help=NOTEBOOK_HELP)
    if refusal:
        st.text(f"No script for this model: {refusal}.")  # plain text: no Markdown in it is interpreted


def train_buttons(trainer: Trainer, checkpoint) -> None:
    """The Train page's export buttons; `checkpoint`: a no-argument callable giving the live model's checkpoint."""
    it, stem = trainer.iteration, trainer.corpus.name
    script_name = script_filename(stem, it)
    ckpt_name = checkpoint_filename(trainer)
    _buttons("tr", script_refusal(trainer.config, trainer.events),
             lambda: script_from_checkpoint(checkpoint(), "a model of the RNN Lab dashboard", script_name),
             script_name, lambda: notebook_from_checkpoint(checkpoint(), ckpt_name), notebook_filename(stem, it),
             stacked=True)


def run_buttons(rec, config) -> None:
    """The Runs page's export buttons for run `rec` (a RunRecord the visitor may see) with a stored checkpoint."""
    path = rec.checkpoint  # load_checkpoint checks a file's size and entries before reading them
    stem = f"run{rec.id}-{rec.name}"
    script_name = script_filename(stem, rec.iterations or 0)
    _buttons("runs", script_refusal(config),
             lambda: script_from_checkpoint(path, f"run #{rec.id} of the RNN Lab run store", script_name),
             script_name, lambda: notebook_from_file(path), notebook_filename(stem, rec.iterations or 0))
