"""Command-line interface: `python -m rnn <command> ...`, installed as `rnn-lab <command> ...`.

Each command lives in rnn/commands/<name>.py with `add_parser(subparsers)` and `run(args) -> int`.
Errors a user can fix are printed as one line on stderr (no traceback) with a non-zero exit code.
"""

from __future__ import annotations

import argparse
import os
import sys

from . import __version__
from .commands import COMMANDS


class UsageError(Exception):
    """Bad command-line input; the message is shown as is."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line instead of usage + message
        raise UsageError(f"{self.prog}: {message} (see --help)")


def program_name() -> str:
    """How the user started us, for usage and error lines: the console script or the module."""
    return "rnn-lab" if os.path.basename(sys.argv[0]).startswith("rnn-lab") else "python -m rnn"


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=program_name(), description="RNN Lab: a character-level RNN in plain NumPy.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for module in COMMANDS:
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from . import budget
    from .checkpoint import CheckpointError
    from .corpus import CorpusError

    try:
        args = build_parser().parse_args(argv)
        with budget.profile("cli", getattr(args, "max_model_mb", None)):  # the CLI's limits (rnn/budget.py)
            return int(args.run(args) or 0)
    except UsageError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except (CorpusError, CheckpointError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM/SIGHUP (rnn.lifecycle.Terminated)
        print(str(exc) or "interrupted", file=sys.stderr)
        return getattr(exc, "exit_code", 130)
