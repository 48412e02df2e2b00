"""History series as arrays: one dtype per series, lists round trip, and the dashboard's incremental view."""

import numpy as np

from rnn.corpus import make_corpus
from rnn.history import HISTORY_DTYPES, as_arrays, as_lists
from rnn.train import HISTORY_KEYS, TrainConfig, Trainer
from ui.history import HistoryArrays

TEXT = "the cat sat on the mat. " * 60


def trainer():
    return Trainer(make_corpus(TEXT, "t", seq_length=8), TrainConfig(hidden_size=6, seq_length=8, eval_every=0,
                                                                     health_every=0, clip=0.01))


def test_arrays_and_lists_round_trip_with_one_dtype_per_series():
    t = trainer()
    t.step(5)
    arrays = as_arrays(t.history)
    assert set(arrays) == set(HISTORY_KEYS) and arrays["clipped"].dtype == np.bool_
    assert all(arrays[k].dtype == np.float64 for k in HISTORY_KEYS if k != "clipped")
    back = as_lists(arrays)
    assert back == t.history
    assert all(type(x) is bool for x in back["clipped"]) and all(type(x) is float for x in back["loss"])
    np.testing.assert_array_equal(as_arrays(t.history, 2, 4)["loss"], t.history["loss"][2:4])
    assert set(HISTORY_DTYPES) == set(HISTORY_KEYS)


def test_incremental_arrays_match_a_full_conversion():
    t = trainer()
    view = HistoryArrays(t)
    for steps in (3, 0, 1500, 7):  # the buffers start at 1024 entries and grow
        t.step(steps)
        got = view.update()
        for k, a in as_arrays(t.history).items():
            np.testing.assert_array_equal(got[k], a)
            assert got[k].dtype == a.dtype
