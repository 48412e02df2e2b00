"""The settings table (rnn/config.py): one description per TrainConfig field, and everything generated
from it agrees: validate(), the CLI flags and the app's ranges (the URL side: tests/app/test_app_runs.py)."""

import dataclasses
import math

import pytest

from rnn.cli import build_parser
from rnn.config import LIVE, MODEL, SETTINGS, TrainConfig
from rnn.optim import OPTIMIZERS
from rnn.runs.sweep import AXES


def test_every_field_has_exactly_one_setting():
    assert set(SETTINGS) == {f.name for f in dataclasses.fields(TrainConfig)}
    assert {s.kind for s in SETTINGS.values()} == {LIVE, MODEL}
    flags = [s.flag for s in SETTINGS.values() if s.flag]
    urls = [s.url for s in SETTINGS.values() if s.url]
    assert len(set(flags)) == len(flags) and len(set(urls)) == len(urls)


@pytest.mark.parametrize("s", [s for s in SETTINGS.values() if not s.choices], ids=lambda s: s.name)
def test_app_range_lies_inside_the_engine_range_and_holds_the_default(s):
    lo, hi = s.engine_range()
    assert lo is None or s.low is None or s.low >= lo
    assert hi is None or s.high is None or s.high <= hi
    assert all(s.problem(v, app=True) is None for v in s.stops), "a preset stop outside the app range"
    default = getattr(TrainConfig(), s.name)
    assert s.problem(default) is None
    if s.url:  # the app offers the defaults
        assert s.problem(default, app=True) is None


def test_validate_uses_the_engine_range_the_app_a_narrower_one():
    hidden, seq = SETTINGS["hidden_size"], SETTINGS["seq_length"]
    TrainConfig(hidden_size=4096, seq_length=10_000, batch_size=1024, learning_rate=1e3).validate()
    for bad in (dict(hidden_size=4097), dict(seq_length=10_001), dict(batch_size=1025), dict(hidden_size=2.5),
                dict(learning_rate=0.0), dict(clip=math.inf), dict(seed=-1), dict(hidden_size=True)):
        with pytest.raises(ValueError, match=next(iter(bad))):
            TrainConfig(**bad).validate()
    assert hidden.problem(512, app=True) is None and "between 1 and 512" in hidden.problem(513, app=True)
    assert seq.problem(1) is None and seq.problem(1, app=True) is not None


def test_config_is_frozen_and_copied_with_replace():
    cfg = TrainConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.hidden_size = 3
    assert dataclasses.replace(cfg, hidden_size=3).hidden_size == 3 and cfg.hidden_size == 100


def test_cli_flags_come_from_the_table():
    parser = build_parser()
    args = parser.parse_args(["train", "--hidden", "64", "--seq-length", "40", "--optimizer", "adam"])
    assert (args.hidden_size, args.seq_length, args.optimizer, args.learning_rate) == (64, 40, "adam", None)
    for s in SETTINGS.values():
        if s.flag:  # each flag sets its field, typed as the field
            value = s.choices[-1] if s.choices else getattr(TrainConfig(), s.name)
            parsed = parser.parse_args(["train", f"--{s.flag}", s.format(value)])
            assert getattr(parsed, s.name) == value and type(getattr(parsed, s.name)) is s.type
    sweep = parser.parse_args(["sweep", "--lr", "0.1", "0.2", "--optimizer", "sgd", "adam", "--clip", "1"])
    assert sweep.learning_rate == [0.1, 0.2] and sweep.optimizer == ["sgd", "adam"] and sweep.clip == 1.0
    assert AXES == ["learning_rate", "hidden_size", "seq_length", "optimizer", "batch_size", "cell", "num_layers",
                    "dropout"]
    assert list(SETTINGS["optimizer"].choices) == list(OPTIMIZERS)
