"""Subcommands of `python -m rnn`. Each module has add_parser(subparsers) and run(args) -> int."""

from . import bench, gradcheck, runs, sample, sweep, train

COMMANDS = [train, sample, bench, gradcheck, runs, sweep]
