"""`python -m rnn sweep`: grid or random search over hyperparameters, each run recorded in the run store.

    python -m rnn sweep --builtin zen --lr 0.05 0.1 --hidden 32 64 --steps 200
    python -m rnn sweep --lr 0.01 0.3 --hidden 32 64 128 --random 8 --seconds 20 --backend ray
"""

from __future__ import annotations

import argparse
import json
import sys

from ..corpus import BUILTINS
from ..optim import OPTIMIZERS
from ..runs.store import RunStore, RunStoreError
from ..runs.sweep import SweepSpec, default_workers, expand, run_sweep


def add_parser(sub):
    p = sub.add_parser("sweep", help="hyperparameter sweep (grid or random search)",
                       description="Train one run per hyperparameter combination, in parallel, recording each "
                                   "in the run store. Values not swept take the train command's defaults.")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--builtin", choices=list(BUILTINS), help="built-in corpus (default python-docs)")
    src.add_argument("--corpus", metavar="FILE", help="UTF-8 text file to train on")
    p.add_argument("--lr", type=float, nargs="+", metavar="LR", help="learning rates")
    p.add_argument("--hidden", type=int, nargs="+", metavar="H", help="hidden sizes")
    p.add_argument("--seq-length", type=int, nargs="+", metavar="T", help="sequence lengths")
    p.add_argument("--optimizer", nargs="+", choices=list(OPTIMIZERS), help="optimizers")
    p.add_argument("--batch", type=int, nargs="+", metavar="B", help="batch streams")
    budget = p.add_mutually_exclusive_group()
    budget.add_argument("--steps", type=int, help="training steps per run (default 200)")
    budget.add_argument("--seconds", type=float, help="seconds of training per run")
    p.add_argument("--random", type=int, default=0, metavar="N",
                   help="draw N random configurations instead of the full grid (lr log-uniform in its range)")
    p.add_argument("--seed", type=int, default=0, help="model seed of every run, and the random search's seed")
    p.add_argument("--clip", type=float, help="gradient clip for every run")
    p.add_argument("--dtype", choices=["float64", "float32"], help="dtype for every run")
    p.add_argument("--eval-every", type=int, default=0, help="validation every N steps (default: at the end only)")
    p.add_argument("--val-fraction", type=float, default=0.1)
    p.add_argument("--workers", type=int, help=f"parallel runs (default: the cores, here {default_workers()})")
    p.add_argument("--backend", choices=["process", "ray"], default="process",
                   help="process pool on this machine, or Ray (RAY_ADDRESS, else a local instance)")
    p.add_argument("--name", default="sweep", help="name prefix of the runs")
    p.add_argument("--tag", action="append", default=[], help="tag every run (repeatable)")
    p.add_argument("--home", metavar="DIR", help="data folder (default: $RNN_LAB_HOME or ./runs)")
    p.add_argument("--dry-run", action="store_true", help="print the configurations and exit")
    p.add_argument("--json", action="store_true", help="print a JSON list of results as the last line")
    p.add_argument("--corpus-name", help="name shown for the --corpus file (default: the file name)")
    # internal: the dashboard creates the sweep row first, to follow its progress
    p.add_argument("--sweep-id", type=int, help=argparse.SUPPRESS)
    p.set_defaults(run=run)


def spec_from_args(args) -> SweepSpec:
    grid = {k: v for k, v in (("lr", args.lr), ("hidden", args.hidden), ("seq_length", args.seq_length),
                              ("optimizer", args.optimizer), ("batch", args.batch)) if v}
    base = {"seed": args.seed, "eval_every": max(0, args.eval_every)}
    if args.clip is not None:
        base["clip"] = args.clip
    if args.dtype:
        base["dtype"] = args.dtype
    steps = args.steps if args.steps is not None or args.seconds is not None else 200
    return SweepSpec(grid=grid, builtin=args.builtin, corpus_file=args.corpus,
                     corpus_name=args.corpus_name, val_fraction=args.val_fraction,
                     steps=steps, seconds=args.seconds, random=args.random, seed=args.seed, base=base,
                     name=args.name, tags=list(args.tag)).validate()


def run(args) -> int:
    if args.workers is not None and args.workers < 1:
        raise ValueError("--workers must be at least 1")
    spec = spec_from_args(args)
    configs = expand(spec)
    if args.dry_run:
        for c in configs:
            print(json.dumps(c))
        return 0
    try:
        store = RunStore(args.home) if args.home else RunStore()
    except RunStoreError as exc:
        raise ValueError(str(exc)) from None

    def progress(done, total, res):
        val = res.get("val_loss")
        val_txt = f"val {val:.4f}" if val is not None else res.get("message", "") or ""
        print(f"[{done}/{total}] run {res.get('run_id')}: {res['status']} {val_txt}", file=sys.stderr, flush=True)

    budget = f"{spec.steps} steps" if spec.steps is not None else f"{spec.seconds:g} s"
    print(f"sweep: {len(configs)} runs x {budget} on backend {args.backend}", file=sys.stderr, flush=True)
    try:
        result = run_sweep(spec, store, workers=args.workers, backend=args.backend, sweep_id=args.sweep_id,
                           on_progress=progress)
    except RunStoreError as exc:
        raise ValueError(str(exc)) from None
    ok = [r for r in result.results if r.get("val_loss") is not None]
    if args.json:
        print(json.dumps({"sweep_id": result.sweep_id, "cancelled": result.cancelled, "runs": result.results}))
    else:
        if ok:
            best = min(ok, key=lambda r: r["val_loss"])
            print(f"sweep #{result.sweep_id}: {len(result.results)} runs; best run {best['run_id']} "
                  f"({configs[best['index']]}) val loss {best['val_loss']:.4f}")
        else:
            print(f"sweep #{result.sweep_id}: {len(result.results)} runs, none with a validation loss")
        print("compare them with `python -m rnn runs list` or on the Runs page")
    if result.cancelled:
        print("sweep cancelled", file=sys.stderr)
        return 1
    return 0
