"""`python -m rnn sweep`: grid or random search over hyperparameters, each run recorded in the run store.

    python -m rnn sweep --builtin zen --lr 0.05 0.1 --hidden 32 64 --steps 200
    python -m rnn sweep --lr 0.01 0.3 --hidden 32 64 128 --random 8 --seconds 20 --backend ray
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict

from .. import budget
from ..corpus import BUILTINS
from ..lifecycle import stop_signals
from ..runs.store import RunStore, RunStoreError
from ..runs.sweep import RunResult, SweepSpec, default_workers, expand, run_sweep
from .setting_flags import FLAGGED, add_budget_flag, add_setting_flags, given_settings


def add_parser(sub):
    p = sub.add_parser("sweep", help="hyperparameter sweep (grid or random search)",
                       description="Train one run per hyperparameter combination, in parallel, recording each "
                                   "in the run store. Values not swept take the train command's defaults.")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--builtin", choices=list(BUILTINS), help="built-in corpus (default python-docs)")
    src.add_argument("--corpus", metavar="FILE", help="UTF-8 text file to train on")
    add_setting_flags(p, [s for s in FLAGGED if s.sweep], many=True)
    budget = p.add_mutually_exclusive_group()
    budget.add_argument("--steps", type=int, help="training steps per run (default 200)")
    budget.add_argument("--seconds", type=float, help="seconds of training per run")
    p.add_argument("--random", type=int, default=0, metavar="N",
                   help="draw N random configurations instead of the full grid (the learning rate log-uniform "
                        "between its smallest and largest value)")
    # the settings every run shares (the random search is seeded by --seed too)
    add_setting_flags(p, [s for s in FLAGGED if not s.sweep])
    add_budget_flag(p)
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
    # internal: run the sweep the store holds under this id (the dashboard stores it first, to follow it)
    p.add_argument("--sweep-id", type=int, help=argparse.SUPPRESS)
    p.set_defaults(run=run)


def spec_from_args(args) -> SweepSpec:
    axes = [s for s in FLAGGED if s.sweep]
    grid = given_settings(args, axes)
    base = given_settings(args, [s for s in FLAGGED if not s.sweep])
    steps = args.steps if args.steps is not None or args.seconds is not None else 200
    return SweepSpec(grid=grid, builtin=args.builtin, corpus_file=args.corpus,
                     corpus_name=args.corpus_name, val_fraction=args.val_fraction,
                     steps=steps, seconds=args.seconds, random=args.random, seed=base.get("seed", 0), base=base,
                     name=args.name, tags=list(args.tag)).validate()


def open_store(args) -> RunStore:
    return RunStore(args.home) if args.home else RunStore()


def stored_spec(args, store: RunStore) -> SweepSpec:
    """The spec of sweep --sweep-id as the store holds it: the one description of what to run."""
    if given_settings(args) or args.builtin or args.corpus or args.steps is not None or args.seconds is not None:
        raise ValueError("--sweep-id runs the sweep stored under that id; give no settings, corpus or budget")
    return SweepSpec.from_dict(store.get_sweep(args.sweep_id)["spec"]).validate()


def run(args) -> int:
    if args.sweep_id is not None:  # a sweep the dashboard stored: its runs get the app's budget, not the CLI's
        with budget.profile("app"):
            return _run(args)
    return _run(args)


def _run(args) -> int:
    if args.workers is not None and args.workers < 1:
        raise ValueError("--workers must be at least 1")
    store = None
    try:
        if args.sweep_id is not None:
            store = open_store(args)
            spec = stored_spec(args, store)
        else:
            spec = spec_from_args(args)
        configs = expand(spec)
        if args.dry_run:
            for c in configs:
                print(json.dumps(c))
            return 0
        store = store or open_store(args)
    except RunStoreError as exc:
        raise ValueError(str(exc)) from None

    def progress(done, total, res: RunResult):
        val_txt = f"val {res.val_loss:.4f}" if res.val_loss is not None else res.message
        print(f"[{done}/{total}] run {res.run_id}: {res.status} {val_txt}", file=sys.stderr, flush=True)

    budget = f"{spec.steps} steps" if spec.steps is not None else f"{spec.seconds:g} s"
    print(f"sweep: {len(configs)} runs x {budget} on backend {args.backend}", file=sys.stderr, flush=True)
    try:
        with stop_signals():  # kill / a closed terminal: like Ctrl-C, every run stops and is marked killed
            result = run_sweep(spec, store, workers=args.workers, backend=args.backend, sweep_id=args.sweep_id,
                               on_progress=progress)
    except RunStoreError as exc:
        raise ValueError(str(exc)) from None
    ok = [r for r in result.results if r.val_loss is not None]
    if args.json:
        print(json.dumps({"sweep_id": result.sweep_id, "cancelled": result.cancelled,
                          "runs": [asdict(r) for r in result.results]}))
    else:
        if ok:
            best = min(ok, key=lambda r: r.val_loss)
            print(f"sweep #{result.sweep_id}: {len(result.results)} runs; best run {best.run_id} "
                  f"({configs[best.index]}) val loss {best.val_loss:.4f}")
        else:
            print(f"sweep #{result.sweep_id}: {len(result.results)} runs, none with a validation loss")
        print("compare them with `python -m rnn runs list` or on the Runs page")
    if result.cancelled:
        print("sweep cancelled", file=sys.stderr)
        return 1
    return 0
