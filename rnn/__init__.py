"""RNN Lab engine: min-char-rnn's vanilla character-level RNN in plain NumPy (rnn/model.py), and LSTM, GRU,
stacked layers and dropout beside it (rnn/cells; TrainConfig(cell="lstm", num_layers=2, dropout=0.1)).

    from rnn import make_corpus, load_builtin, Trainer, TrainConfig
    trainer = Trainer(make_corpus(load_builtin("python-docs"), "python-docs"), TrainConfig())
    trainer.step(100); print(trainer.sample(200))
"""

__version__ = "0.1.0"  # the one home of the version: pyproject.toml reads it, `rnn-lab --version` prints it

from .checkpoint import CheckpointError, checkpoint_bytes, load_checkpoint, save_checkpoint
from .corpus import BUILTINS, Corpus, CorpusError, decode_bytes, load_builtin, make_corpus, validate_text
from .evaluate import evaluate_loss, ngram_baselines
from .model import forward, init_params, loss_and_grads
from .optim import DEFAULT_LR, OPTIMIZERS, clip_grads, make_optimizer
from .sample import sample, sample_many
from .train import TrainConfig, Trainer
from .vocab import Vocab

__all__ = [
    "BUILTINS", "CheckpointError", "Corpus", "CorpusError", "DEFAULT_LR", "OPTIMIZERS", "TrainConfig",
    "Trainer", "Vocab", "checkpoint_bytes", "clip_grads", "decode_bytes", "evaluate_loss", "forward",
    "init_params", "load_builtin", "load_checkpoint", "loss_and_grads", "make_corpus", "make_optimizer",
    "ngram_baselines", "sample", "sample_many", "save_checkpoint", "validate_text",
]
