"""`python -m rnn export CKPT|--run ID --to py|ipynb -o FILE`: a checkpoint or recorded run as a standalone script
or a notebook (rnn/export)."""

from __future__ import annotations

import os
import sys

from ..checkpoint import load_checkpoint
from ..export import ExportError, notebook_bytes, script_text
from ..runs.store import RunStore, RunStoreError


def add_parser(sub):
    p = sub.add_parser("export", help="export a checkpoint or run as a standalone script or a notebook",
                       description="Export a checkpoint (or a recorded run's checkpoint) as a standalone NumPy "
                       "script that retrains it from scratch and reproduces its loss curve (--to py: the "
                       "single-layer vanilla RNN without dropout), or as a Jupyter notebook that loads it with "
                       "rnn and draws its loss curve, samples and hidden states (--to ipynb: any model).")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("checkpoint", metavar="CKPT", nargs="?", help="a checkpoint file (.npz)")
    src.add_argument("--run", dest="run_id", metavar="ID", type=int,
                     help="a recorded run's final checkpoint (python -m rnn runs list)")
    p.add_argument("--home", metavar="DIR", help="run store folder for --run (default: $RNN_LAB_HOME or ./runs)")
    p.add_argument("--to", choices=["py", "ipynb"], required=True, help="py: standalone script; ipynb: notebook")
    p.add_argument("-o", "--out", metavar="FILE", required=True, help="where to write it ('-' for stdout)")
    p.add_argument("--embed", action="store_true",
                   help="ipynb: embed the checkpoint in the notebook (up to 8 MiB) instead of referring to its file")
    p.set_defaults(run=run)


def _checkpoint_path(args) -> tuple[str, str]:
    """(path of the checkpoint, where it came from in words)."""
    if args.run_id is None:
        return args.checkpoint, f"the checkpoint {os.path.basename(args.checkpoint)}"
    try:
        rec = (RunStore(args.home) if args.home else RunStore()).get(args.run_id)
    except RunStoreError as exc:
        raise ValueError(str(exc)) from None
    if not rec.checkpoint:
        raise ValueError(f"run #{rec.id} has no stored checkpoint (it is still running, or was killed): nothing to "
                         "export")
    return rec.checkpoint, f"run #{rec.id} of the RNN Lab run store"


def run(args) -> int:
    path, origin = _checkpoint_path(args)
    trainer = load_checkpoint(path)  # CheckpointError: one line, exit 1 (rnn/cli.py)
    to_stdout = args.out == "-"
    if args.to == "py":
        name = "min_char_rnn.py" if to_stdout else os.path.basename(args.out)
        data = script_text(trainer, origin=origin, filename=name).encode("utf-8")
    elif args.embed:
        with open(path, "rb") as f:
            data = notebook_bytes(checkpoint=f.read())
    else:  # the notebook finds the checkpoint relative to its own folder (absolute when that is not possible)
        folder = os.getcwd() if to_stdout else os.path.dirname(os.path.abspath(args.out))
        try:
            ref = os.path.relpath(os.path.abspath(path), folder)
        except ValueError:  # another drive (Windows)
            ref = os.path.abspath(path)
        data = notebook_bytes(checkpoint_path=ref)
    if to_stdout:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return 0
    with open(args.out, "wb") as f:
        f.write(data)
    what = "script" if args.to == "py" else "notebook"
    run_it = f"python {args.out}" if args.to == "py" else f"jupyter lab {args.out}"
    print(f"wrote the {what} {args.out} ({len(data):,} bytes): {run_it}", file=sys.stderr)
    return 0


__all__ = ["ExportError", "run"]
