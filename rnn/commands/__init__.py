"""Subcommands of `python -m rnn`. Each module has add_parser(subparsers) and run(args) -> int."""

from . import bench, gradcheck, sample, train

COMMANDS = [train, sample, bench, gradcheck]
