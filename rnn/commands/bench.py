"""`python -m rnn bench`: chars/s of the engine against the seed's per-timestep loop, its own plain code
(rnn/model.py without rnn/fast.py) or PyTorch (when installed), in the same process."""

from __future__ import annotations

import json
import sys

from ..bench import REFERENCES, format_table, race, run_benchmark
from ..runtime import keep_freed_memory


def add_parser(sub):
    p = sub.add_parser("bench", help="speed benchmark against the seed's loop",
                       description="Benchmark training and sampling speed against min-char-rnn's loop.")
    p.add_argument("--hidden", type=int, nargs="+", default=[100, 512])
    p.add_argument("--batch", type=int, nargs="+", default=[1, 32])
    p.add_argument("--dtype", nargs="+", default=["float64", "float32"], choices=["float64", "float32"])
    p.add_argument("--seconds", type=float, default=0.5, help="time per measurement (default %(default)s)")
    p.add_argument("--repeats", type=int, default=3, help="interleaved repeats; medians reported")
    p.add_argument("--reference", choices=REFERENCES, default="seed",
                   help="what the engine is timed against: the seed's loop (default), the engine's plain "
                        "model without rnn/fast.py (what the fast module gains), or PyTorch's nn.RNN step with "
                        "one thread and its default threads (needs PyTorch installed; the engine runs with one "
                        "thread and with its own choice, rnn/threads.py)")
    p.add_argument("--race", type=float, metavar="SECONDS",
                   help="instead: train seed loop and engine for SECONDS each on python-docs, compare val loss")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=run)


def run(args) -> int:
    if args.seconds <= 0 or args.repeats < 1:
        raise ValueError("--seconds must be > 0 and --repeats >= 1")
    keep_freed_memory()  # the seed loop's fresh arrays each step would otherwise cost new pages: see runtime.py
    if args.race:
        result = race(args.race)
        print(json.dumps(result) if args.json else
              f"after {args.race:g}s: reference {result['reference_chars']:,} chars, val loss "
              f"{result['reference_val_loss']:.3f}; engine {result['engine_chars']:,} chars, val loss "
              f"{result['engine_val_loss']:.3f} nats/char")
        return 0

    def progress(row):
        if sys.stderr.isatty():
            print(f"  {row['what']} H={row['hidden']} B={row['batch']} {row['dtype']}: {row['ratio']:.1f}x",
                  file=sys.stderr)

    rows = run_benchmark(args.hidden, args.batch, args.dtype, args.seconds, args.repeats, progress=progress,
                         reference=args.reference)
    print(json.dumps(rows) if args.json else format_table(rows, args.reference))
    return 0
