"""`python -m rnn gradcheck`: analytic vs numerical gradients on a small random float64 model."""

from __future__ import annotations

import json

import numpy as np

from .. import cells
from ..config import CELLS, SETTINGS
from ..insight.gradcheck import PASS_THRESHOLD, gradient_check, random_problem, summary


def add_parser(sub):
    p = sub.add_parser("gradcheck", help="check the backward pass against finite differences",
                       description="Compare analytic gradients with central finite differences on a small "
                                   "random model (float64), every entry of every parameter. Exit code 0 when "
                                   f"every error is below {PASS_THRESHOLD:g}, 1 otherwise.")
    p.add_argument("--cell", choices=CELLS, default="rnn", help="recurrent cell (default %(default)s)")
    p.add_argument("--layers", type=int, default=1, help="stacked layers, 1 to 3 (default %(default)s)")
    p.add_argument("--dropout", type=float, default=0.0,
                   help="check with a fixed dropout mask of this rate (drawn from --seed; default %(default)s)")
    p.add_argument("--vocab", type=int, default=8, help="vocabulary size (default %(default)s)")
    p.add_argument("--hidden", type=int, default=10, help="hidden units (default %(default)s)")
    p.add_argument("--seq-length", type=int, default=12, help="time steps (default %(default)s)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--eps", type=float, default=1e-5, help="finite-difference step (default %(default)s)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(run=run)


def run(args) -> int:
    for name in ("vocab", "hidden", "seq_length"):
        if not 1 <= getattr(args, name) <= 200:
            raise ValueError(f"--{name.replace('_', '-')} must be between 1 and 200")
    if not 0 < args.eps < 1:
        raise ValueError("--eps must be between 0 and 1")
    for setting, value in ((SETTINGS["num_layers"], args.layers), (SETTINGS["dropout"], args.dropout)):
        if setting.problem(value):
            raise ValueError(f"--{setting.flag} must be {setting.range_text()}")
    problem = random_problem(args.vocab, args.hidden, args.seq_length, seed=args.seed, cell=args.cell,
                             num_layers=args.layers)
    masks = cells.dropout_masks(np.random.default_rng(args.seed), args.dropout, (1, args.seq_length, args.hidden),
                                args.layers, np.float64)
    result = {"cell": args.cell, "num_layers": args.layers, "dropout": args.dropout,
              **summary(gradient_check(*problem, eps=args.eps, masks=masks))}
    if args.json:
        print(json.dumps(result, sort_keys=True))
    else:
        model = f"{args.layers}-layer {args.cell}" + (f", dropout {args.dropout:g} (fixed mask)" if masks else "")
        print(f"gradient check of a {model}: V={args.vocab} H={args.hidden} T={args.seq_length} float64, "
              f"eps={args.eps:g}")
        for name, err in result["max_rel_error"].items():
            flag = "ok" if err < PASS_THRESHOLD else "FAIL"
            near_zero = result["near_zero"][name]
            small = f", {near_zero} below {result['floor']:g}, compared absolutely" if near_zero else ""
            print(f"  {name:5s} max relative error {err:.2e}  ({result['checked'][name]} entries{small})  {flag}")
        print("PASSED" if result["passed"] else f"FAILED: some error is above {PASS_THRESHOLD:g}")
    return 0 if result["passed"] else 1
