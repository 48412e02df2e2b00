"""Subcommands of `python -m rnn`. Each module has add_parser(subparsers) and run(args) -> int."""

from . import bench, sample, train

COMMANDS = [train, sample, bench]
