"""A Jupyter notebook (nbformat v4) that loads a checkpoint with `rnn` and draws it: the loss curve, samples at
three temperatures and a hidden-state heatmap, with the same figure builders as the dashboard (rnn/viz).

It works for any model a checkpoint can hold (the vanilla RNN, LSTM, GRU, stacked layers): rnn's
load_checkpoint, forward and sample handle them all. The checkpoint is referenced by its path, or embedded
(base64) when the notebook has to stand alone (a download from the dashboard), up to EMBED_MAX_BYTES.
User text (corpus and run names) never goes into a Markdown cell: only into code, as Python literals.
"""

from __future__ import annotations

import base64

from . import ExportError

EMBED_MAX_BYTES = 8 * 2**20  # a bigger checkpoint is referenced by its file name instead
TEMPERATURES = (0.5, 1.0, 1.5)
HEATMAP_CHARS = 100

INTRO = """\
# An RNN Lab checkpoint: loss curve, samples and hidden states

Exported by RNN Lab. This notebook needs the `rnn` package: run it from an RNN Lab checkout (the folder that holds
`rnn/`) or after `pip install "rnn-lab[app]"`. Run all cells from the top.

1. Load the checkpoint: the model, its optimizer memory, its histories and its corpus.
2. The loss curve: the loss per step (thin), its recent average (thick), min-char-rnn's smoothed loss (dashed) and
   the validation loss (dots), in nats per character.
3. Samples at temperatures 0.5, 1.0 and 1.5, from the model's carried hidden state: low temperatures are safe and
   repetitive, high ones inventive and misspelled.
4. A hidden-state heatmap: each row a hidden unit, each column a character of the corpus read in order."""

SETUP = """\
import base64
import io

import numpy as np
import plotly.io as pio

from rnn.checkpoint import load_checkpoint
from rnn.model import forward
from rnn.sample import sample
from rnn.viz.hidden_states import hidden_heatmap, unit_order
from rnn.viz.training import loss_figure

# Plotly's figures as data (JupyterLab, VS Code) and as HTML that loads plotly.js (classic notebook)
pio.renderers.default = "plotly_mimetype+notebook_connected"

{source}
trainer = load_checkpoint(CHECKPOINT)
cfg = trainer.config
print(f"corpus {{trainer.corpus.name!r}}: {{len(trainer.corpus.text):,}} characters, {{trainer.vocab.size}} symbols")
print(f"model: {{cfg.cell}} x {{cfg.num_layers}}, {{cfg.hidden_size}} hidden units, {{cfg.optimizer}} "
      f"lr {{cfg.learning_rate:g}}, batch {{cfg.batch_size}}, seq_length {{cfg.seq_length}}, seed {{cfg.seed}}")
print(f"iteration {{trainer.iteration:,}}, smoothed loss {{trainer.smooth_loss:.4f}} nats/char, "
      f"status {{trainer.status}}")"""

LOSS = """\
steps, loss, weights = trainer.history.curve("loss")  # older steps are binned: weights = steps per point
_, smooth, _ = trainer.history.curve("smooth_loss")
loss_figure(loss, smooth, trainer.val_history, trainer.vocab.size, x=steps, weights=weights,
            events=trainer.events)"""

SAMPLES = f"""\
for temperature in {TEMPERATURES!r}:
    text = sample(trainer.params, trainer.vocab, 300, temperature=temperature, seed=0, h=trainer.h[0])
    print(f"----- temperature {{temperature}} -----")
    print(text)"""

HEATMAP = f"""\
text = trainer.corpus.text[:{HEATMAP_CHARS}]  # the first characters of the corpus, from a zero state
ids = trainer.vocab.encode(text)
hs = forward(trainer.params, ids[None, :]).hs[0]  # (characters, hidden units): the state after each character
hidden_heatmap(hs, text, order=unit_order(hs), clickable=False)"""


def notebook(checkpoint_path: str | None = None, checkpoint: bytes | None = None):
    """The notebook (an nbformat NotebookNode) for a checkpoint at `checkpoint_path` (as the notebook will see it:
    relative to its own folder, or absolute), or with the checkpoint's bytes embedded."""
    import nbformat
    from nbformat import v4

    if checkpoint_path is not None:
        source = f"CHECKPOINT = {str(checkpoint_path)!r}  # the checkpoint file, relative to this notebook's folder"
    elif checkpoint is not None:
        if len(checkpoint) > EMBED_MAX_BYTES:
            raise ExportError(f"the checkpoint is {len(checkpoint) / 2**20:.1f} MiB, over the "
                              f"{EMBED_MAX_BYTES // 2**20} MiB a notebook embeds; export it beside its file: "
                              "python -m rnn export CKPT --to ipynb")
        packed = base64.b64encode(checkpoint).decode("ascii")
        lines = "\n".join(f'    "{packed[i:i + 100]}"' for i in range(0, len(packed), 100))
        source = f"# the checkpoint, embedded (base64)\nCHECKPOINT = io.BytesIO(base64.b64decode(\n{lines}\n))"
    else:
        raise ValueError("give the checkpoint's path or its bytes")
    nb = v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = [
        v4.new_markdown_cell(INTRO),
        v4.new_code_cell(SETUP.format(source=source)),
        v4.new_markdown_cell("## The loss curve"),
        v4.new_code_cell(LOSS),
        v4.new_markdown_cell("## Samples at three temperatures"),
        v4.new_code_cell(SAMPLES),
        v4.new_markdown_cell("## Hidden states over the first characters of the corpus"),
        v4.new_code_cell(HEATMAP),
    ]
    nbformat.validate(nb)
    return nb


def notebook_text(checkpoint_path: str | None = None, checkpoint: bytes | None = None) -> str:
    import nbformat

    return nbformat.writes(notebook(checkpoint_path, checkpoint))


def notebook_bytes(checkpoint_path: str | None = None, checkpoint: bytes | None = None) -> bytes:
    return notebook_text(checkpoint_path, checkpoint).encode("utf-8")
