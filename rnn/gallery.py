"""The hyperparameter gallery: runs recorded in advance, one setting changed at a time from the starter models'
recipe on python-docs (H=128, T=50, 16 streams, Adam 3e-3), so a class can overlay "learning rate too low /
right / too high" on the Runs page in one click.

`python scripts/make_starters.py gallery` trains them (about two minutes) and writes rnn/starter_models/gallery.json:
each run's settings, corpus, metric rows and validation points, as the run recorder writes them. `load_gallery`
puts them into a run store as finished runs, tagged "gallery", owned by whoever loaded them (once per owner).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from .config import TrainConfig
from .corpus import load_builtin, make_corpus
from .runs.recorder import history_rows, run_config, trainer_summary
from .runs.store import RunStore
from .starters import DIR
from .train import Trainer

PATH = DIR / "gallery.json"
TAG = "gallery"
CORPUS = "python-docs"
STEPS = 1000
# Adam and 16 streams: clear differences within a minute of training each (min-char-rnn's Adagrad with one
# stream needs ten times longer before its curves part).
BASE = TrainConfig(hidden_size=128, seq_length=50, batch_size=16, optimizer="adam", learning_rate=3e-3,
                   dtype="float32", eval_every=100, sample_every=0, health_every=0)

# (name, what it shows, the one setting changed)
VARIANTS = (
    ("lr 0.0003 (too low)", "learns, but slowly", {"learning_rate": 3e-4}),
    ("lr 0.003 (about right)", "the reference curve", {}),
    ("lr 0.03 (too high)", "fast at first, then noisy or worse", {"learning_rate": 3e-2}),
    ("hidden 16 (small)", "too little memory: the loss flattens early", {"hidden_size": 16}),
    ("hidden 256 (large)", "more capacity, slower to use: behind 128 units after 1000 steps", {"hidden_size": 256}),
    ("seq 5 (short)", "gradients reach back only 5 characters", {"seq_length": 5}),
    ("seq 150 (long)", "3x the characters per step: plot against characters too", {"seq_length": 150}),
)


def record(steps: int = STEPS) -> list[dict]:
    """Train every variant `steps` steps and return the runs as the gallery file holds them."""
    text = load_builtin(CORPUS)
    runs = []
    for name, what, change in VARIANTS:
        config = replace(BASE, **change).validate()
        trainer = Trainer(make_corpus(text, CORPUS, seq_length=config.seq_length), config, threads=1)
        trainer.train(steps=steps)
        rows = [(i, c, round(s, 3), round(loss, 4), round(smooth, 4))  # 4 digits: a small file, the same curve
                for i, c, s, loss, smooth in history_rows(trainer)[0]]
        runs.append({"name": f"gallery: {name}", "what": what, "config": run_config(trainer),
                     "status": "diverged" if trainer.status == "diverged" else "finished",
                     "corpus_name": CORPUS, "corpus_fingerprint": trainer.corpus.fingerprint,
                     "vocab_size": trainer.vocab.size, "summary": trainer_summary(trainer),
                     "rows": rows, "vals": list(trainer.val_history)})
    return runs


def save(runs: list[dict], path: Path = PATH) -> None:
    path.write_text(json.dumps({"corpus": CORPUS, "steps": STEPS, "runs": runs}, separators=(",", ":")))


def load_gallery(store: RunStore, owner: str | None, path: Path = PATH) -> list[int]:
    """The gallery's runs in `store`, owned by `owner`: added the first time, found again after. Returns their ids."""
    mine = [r for r in store.list_runs() if TAG in r.tags and r.owner == owner]
    if mine:
        return [r.id for r in sorted(mine, key=lambda r: r.id)]
    ids = []
    for run in json.loads(path.read_text())["runs"]:
        run_id = store.create_run(config=run["config"], name=run["name"], source="gallery", tags=[TAG],
                                  corpus_name=run["corpus_name"], corpus_fingerprint=run["corpus_fingerprint"],
                                  vocab_size=run["vocab_size"], owner=owner)
        summary = {k: v for k, v in run["summary"].items() if k != "message"}
        store.finish_run(run_id, run["status"], metrics=run["rows"], val_metrics=run["vals"],
                         message=run["what"], **summary)
        ids.append(run_id)
    return ids
