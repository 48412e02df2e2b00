"""CLI flags generated from the settings table (rnn/config.py), for `train` and `sweep`."""

from __future__ import annotations

from ..budget import CLI_ENV
from ..config import SETTINGS, TrainConfig

FLAGGED = [s for s in SETTINGS.values() if s.flag]


def add_setting_flags(parser, settings=FLAGGED, *, many: bool = False) -> None:
    """One --flag per setting (dest: the TrainConfig field, absent: None). many=True takes a list of values."""
    defaults = TrainConfig()
    for s in settings:
        kw = {"dest": s.name, "help": s.help}
        if s.choices:
            kw["choices"] = list(s.choices)
        else:
            kw["type"] = s.type
            kw["metavar"] = s.symbol.upper() if s.symbol else "N" if s.type is int else s.flag.upper()
            kw["help"] += f"; {s.range_text()}"
        if many:
            kw["nargs"] = "+"
        else:
            kw["help"] += f" (default {s.format(getattr(defaults, s.name))})"
        parser.add_argument(f"--{s.flag}", **kw)


def given_settings(args, settings=FLAGGED) -> dict:
    """{TrainConfig field: value} for the setting flags given on the command line."""
    return {s.name: getattr(args, s.name) for s in settings if getattr(args, s.name, None) is not None}


def add_budget_flag(parser) -> None:
    """--max-model-mb: the CLI's memory limit per model (rnn/budget.py). Larger than the app's by default: a
    CLI run is one user's own job on their machine, stopped with Ctrl-C, not a share of a class's server."""
    env, default = CLI_ENV["model_mb"]
    parser.add_argument("--max-model-mb", type=float, metavar="MB", help=(
        f"refuse a model that needs more memory than this (parameters, optimizer, BPTT arrays); default "
        f"${env} or {default:g}"))
