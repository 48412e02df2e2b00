"""`python -m rnn train`: train on a file or a built-in corpus, print progress, optionally save."""

from __future__ import annotations

import json
import sys
import time

from ..checkpoint import load_checkpoint, save_checkpoint
from ..config import LIVE, SETTINGS
from ..corpus import BUILTINS, DEFAULT_BUILTIN, DEFAULT_VAL_FRACTION, decode_bytes, load_builtin, make_corpus
from ..lifecycle import stop_signals
from ..threads import ENV as THREADS_ENV
from ..train import TrainConfig, Trainer
from .setting_flags import FLAGGED, add_budget_flag, add_setting_flags, given_settings


def add_parser(sub):
    live = ", ".join(f"--{s.flag}" for s in FLAGGED if s.kind == LIVE)
    p = sub.add_parser("train", help="train the RNN", description=(
        f"Train the character-level RNN. With --resume, {live} change the resumed run; the other settings "
        "are fixed by the checkpoint."))
    src = p.add_mutually_exclusive_group()
    src.add_argument("--corpus", metavar="FILE", help="UTF-8 text file to train on")
    src.add_argument("--builtin", choices=list(BUILTINS), help=f"built-in corpus (default {DEFAULT_BUILTIN})")
    src.add_argument("--resume", metavar="CKPT", help="continue training from a checkpoint (exact resume)")
    # Absent setting flags are None, so that with --resume we can tell which flags were given.
    add_setting_flags(p)
    add_budget_flag(p)
    p.add_argument("--val-fraction", type=float, help=f"last fraction held out (default {DEFAULT_VAL_FRACTION})")
    budget = p.add_mutually_exclusive_group()
    budget.add_argument("--steps", type=int, help="number of training steps")
    budget.add_argument("--seconds", type=float, help="train for this many seconds of training time (evaluation "
                        "not counted: the JSON's eval_seconds says how long it took)")
    p.add_argument("--threads", help="BLAS threads: 'auto' (default: the second core when it is free and pays) "
                   f"or a number; also ${THREADS_ENV}")
    p.add_argument("--out", metavar="CKPT", help="save a checkpoint (.npz) at the end")
    p.add_argument("--json", action="store_true", help="print one JSON summary object as the last line")
    p.add_argument("--no-record", action="store_true", help="do not record this run in the run store (RNN_LAB_HOME)")
    p.add_argument("--name", help="name of the recorded run")
    p.set_defaults(run=run)


def resume_trainer(args) -> Trainer:
    """Load a checkpoint; live settings (rnn/config.py) change the resumed run, the rest must match it."""
    trainer = load_checkpoint(args.resume)
    given = given_settings(args)
    for name, value in given.items():
        setting, current = SETTINGS[name], getattr(trainer.config, name)
        if setting.kind != LIVE and value != current:
            raise ValueError(f"--{setting.flag} {value} does not match the checkpoint ({name} = {current}); "
                             "a resumed run keeps its model and data: drop the flag, or start a new run "
                             "without --resume")
    if args.val_fraction is not None:
        raise ValueError("--val-fraction cannot change on --resume: the split is stored in the checkpoint")
    trainer.change(**{k: v for k, v in given.items() if SETTINGS[k].kind == LIVE})
    if {"learning_rate", "clip"} & given.keys():
        trainer.resume()  # a run stopped by the divergence guard continues with the new rate or clip
    return trainer


def build_trainer(args) -> Trainer:
    if args.resume:
        return resume_trainer(args)
    config = TrainConfig(**given_settings(args)).validate()
    val_fraction = DEFAULT_VAL_FRACTION if args.val_fraction is None else args.val_fraction
    if args.corpus:
        with open(args.corpus, "rb") as f:
            text, name = decode_bytes(f.read()), args.corpus
    else:
        name = args.builtin or DEFAULT_BUILTIN
        text = load_builtin(name)
    corpus = make_corpus(text, name, seq_length=config.seq_length, val_fraction=val_fraction)
    return Trainer(corpus, config)


class Progress:
    """A one-line progress bar on stderr, only when stderr is a terminal."""

    def __init__(self, total: float, unit: str):
        self.total, self.unit, self.enabled = total, unit, sys.stderr.isatty()
        self.last = 0.0

    def update(self, done: float, trainer: Trainer, force: bool = False):
        now = time.perf_counter()
        if not self.enabled or (not force and now - self.last < 0.2):
            return
        self.last = now
        frac = min(1.0, done / self.total) if self.total else 1.0
        bar = "#" * int(30 * frac) + "-" * (30 - int(30 * frac))
        sys.stderr.write(f"\r[{bar}] {frac:4.0%} it {trainer.iteration}  loss {trainer.smooth_loss:.3f}"
                         f"  {trainer.chars_per_sec:,.0f} chars/s ")
        sys.stderr.flush()

    def close(self):
        if self.enabled:
            sys.stderr.write("\n")


def run(args) -> int:
    if args.steps is not None and args.steps < 0:
        raise ValueError("--steps must be >= 0")
    if args.seconds is not None and args.seconds < 0:
        raise ValueError("--seconds must be >= 0")
    trainer = build_trainer(args)
    if args.threads is not None:
        trainer.set_threads(args.threads)
    steps = args.steps if args.steps is not None else (None if args.seconds is not None else 1000)
    start_iter, start_chars, start_secs = trainer.iteration, trainer.chars_trained, trainer.seconds
    start_eval = trainer.eval_seconds
    progress = Progress(steps if steps is not None else args.seconds, "steps" if steps is not None else "s")
    from ..runs.recorder import SafeRecorder

    t0 = time.perf_counter()

    def report(trainer) -> None:
        progress.update(trainer.iteration - start_iter if steps is not None else trainer.seconds - start_secs, trainer)
        recorder.update()

    with stop_signals():  # kill / a closed terminal: like Ctrl-C, the run is recorded as killed
        recorder = SafeRecorder(trainer, enabled=not args.no_record, name=args.name, source="cli")
        with recorder:
            trainer.train(steps=steps, training_seconds=args.seconds if steps is None else None, callback=report,
                          every=0.2)
            progress.update(progress.total, trainer, force=True)
            progress.close()
            val = trainer.evaluate()
    if trainer.status == "diverged":
        print(trainer.message, file=sys.stderr)
    if args.out:
        save_checkpoint(trainer, args.out)
    recent = trainer.history["loss"][-100:]
    summary = {
        "iterations": trainer.iteration,
        "new_iterations": trainer.iteration - start_iter,
        "chars_trained": trainer.chars_trained - start_chars,
        "seconds": round(trainer.seconds - start_secs, 4),
        "eval_seconds": round(trainer.eval_seconds - start_eval, 4),
        "wall_seconds": round(time.perf_counter() - t0, 4),
        "threads": trainer.threads.describe(),
        "chars_per_sec": round((trainer.chars_trained - start_chars) / max(trainer.seconds - start_secs, 1e-9), 1),
        "train_loss": sum(recent) / len(recent) if recent else None,
        "smooth_loss": trainer.smooth_loss,
        "val_loss": val,
        "status": trainer.status,
        "corpus": trainer.corpus.name,
        "vocab_size": trainer.vocab.size,
        "config": json.loads(trainer.config.to_json()),
        "checkpoint": args.out,
        "run_id": recorder.run_id,
    }
    if args.json:
        print(json.dumps(summary))
    else:
        val_txt = f"{val:.4f}" if val is not None else "n/a (no validation split)"
        train_txt = "n/a (no steps)" if summary["train_loss"] is None else f"{summary['train_loss']:.4f}"
        print(f"{summary['iterations']} iterations, {summary['chars_trained']:,} chars in {summary['seconds']:.1f}s "
              f"({summary['chars_per_sec']:,.0f} chars/s); train loss {train_txt}, "
              f"val loss {val_txt} nats/char")
        if args.out:
            print(f"saved {args.out}")
    return 1 if trainer.status == "diverged" else 0
