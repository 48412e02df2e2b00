"""`python -m rnn gradcheck`: analytic vs numerical gradients on a small random float64 model."""

from __future__ import annotations

import json

from ..insight.gradcheck import PASS_THRESHOLD, gradient_check, random_problem, summary


def add_parser(sub):
    p = sub.add_parser("gradcheck", help="check the backward pass against finite differences",
                       description="Compare analytic gradients with central finite differences on a small "
                                   "random model (float64). Exit code 0 when every error is below "
                                   f"{PASS_THRESHOLD:g}, 1 otherwise.")
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
    problem = random_problem(args.vocab, args.hidden, args.seq_length, seed=args.seed)
    result = summary(gradient_check(*problem, eps=args.eps))
    if args.json:
        print(json.dumps(result, sort_keys=True))
    else:
        print(f"gradient check: V={args.vocab} H={args.hidden} T={args.seq_length} float64, eps={args.eps:g}")
        for name, err in result["max_rel_error"].items():
            flag = "ok" if err < PASS_THRESHOLD else "FAIL"
            near_zero = result["near_zero"][name]
            small = f", {near_zero} below {result['floor']:g}, compared absolutely" if near_zero else ""
            print(f"  {name:4s} max relative error {err:.2e}  ({result['checked'][name]} entries{small})  {flag}")
        print("PASSED" if result["passed"] else f"FAILED: some error is above {PASS_THRESHOLD:g}")
    return 0 if result["passed"] else 1
