"""Subcommands of `python -m rnn`. Each module has add_parser(subparsers) and run(args) -> int."""

from . import bench, export, gradcheck, runs, sample, sweep, train

COMMANDS = [train, sample, export, bench, gradcheck, runs, sweep]
