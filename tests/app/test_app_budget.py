"""The resource budget in the app (issue 10): links clamped to the widgets, over-budget settings refused with
a message that says what fits, the current model untouched, never a MemoryError or a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from model_helpers import model, shown, step, wait_for
from streamlit.testing.v1 import AppTest

from rnn.checkpoint import checkpoint_bytes
from rnn.corpus import make_corpus
from rnn.train import TrainConfig, Trainer
from ui.checkpoint import apply_checkpoint

ROOT = Path(__file__).resolve().parents[2]
TRAIN = str(ROOT / "pages" / "2_Train.py")
DATA = str(ROOT / "pages" / "1_Data.py")


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("RNN_LAB_HOME", str(tmp_path))
    for name in ("RNN_LAB_BUDGET", "RNN_LAB_MODEL_MB", "RNN_LAB_STEP_SECONDS", "RNN_LAB_MAX_VOCAB"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at: AppTest) -> str:
    return " | ".join(e.value for kind in ("error", "warning", "info", "success") for e in getattr(at, kind))


def test_the_issue_link_is_clamped_refused_with_what_fits_and_step_1_trains(home):
    """/Train?hidden=1024&batch=1024&seq=400 asked for ~10 GB and Step 1 showed a raw MemoryError. Now each
    value is clamped to the widgets' largest (512, 128, 200), the page says so; that combination is still
    over the budget, so the model has the defaults and the notice says why and what fits."""
    at = AppTest.from_file(TRAIN, default_timeout=120)
    at.query_params.update({"hidden": "1024", "batch": "1024", "seq": "400"})
    run(at)
    (notice,) = [w.value for w in at.warning if "changed to the nearest value" in w.value]
    assert "hidden=1024 to 512" in notice and "batch=1024 to 128" in notice and "seq=400 to 200" in notice
    assert "hidden 512 x batch 128 x seq 200" in notice and "the limit is 256 MB" in notice
    assert "hidden <= " in notice and "fits" in notice
    c = model(at).config
    assert (c.hidden_size, c.batch_size, c.seq_length) == (100, 1, 25)
    at.button(key="tr_step1").click()
    run(at)
    wait_for(lambda: model(at).iteration == 1)
    assert "MemoryError" not in texts(at) and not at.exception


def test_a_link_that_fits_after_clamping_keeps_its_values(home):
    at = AppTest.from_file(TRAIN, default_timeout=120)
    at.query_params.update({"corpus": "zen", "hidden": "4096", "seq": "30"})
    run(at)
    c = model(at).config
    assert (c.hidden_size, c.seq_length) == (512, 30)
    assert any("hidden=4096 to 512" in w.value for w in at.warning)


def test_apply_shape_over_budget_keeps_the_model_and_says_what_fits(home):
    at = run(AppTest.from_file(TRAIN, default_timeout=120))
    step(at, 3)
    at.slider(key="tr_seq").set_value(200)  # live: the current small model takes it
    run(at)
    assert model(at).config.seq_length == 200
    at.select_slider(key="tr_hidden").set_value(512)
    at.select_slider(key="tr_batch").set_value(128)
    run(at)
    at.button(key="tr_apply").click()
    run(at)
    errors = [e.value for e in at.error]
    assert any("over this server's budget" in e and "hidden 512 x batch 128 x seq 200" in e and "hidden <= " in e
               and "unchanged" in e for e in errors), errors
    after = model(at)
    assert after.iteration == 3 and (after.config.hidden_size, after.config.batch_size) == (100, 1)


def test_live_sequence_length_over_budget_is_refused_and_the_model_keeps_training(home):
    """seq is a live setting, so the worker checks it too: hidden 512 x batch 64 steps in ~0.3 s at seq 25
    but would take ~2 s at seq 200, over the 1 s a step may take in the app."""
    at = AppTest.from_file(TRAIN, default_timeout=120)
    at.query_params.update({"hidden": "512", "batch": "64"})
    run(at)
    assert (model(at).config.hidden_size, model(at).config.batch_size) == (512, 64), texts(at)
    at.slider(key="tr_seq").set_value(200)
    run(at)
    assert any("Not changed" in e.value and "expected to take" in e.value for e in at.error), texts(at)
    assert model(at).config.seq_length == 25
    step(at, 1)
    assert model(at).iteration == 1


def test_uploaded_checkpoint_over_budget_is_refused_and_the_model_kept(home, monkeypatch):
    at = run(AppTest.from_file(TRAIN, default_timeout=120))
    before = model(at).config
    text = "".join(chr(0x4E00 + i) for i in range(300)) * 2
    big = Trainer(make_corpus(text, "wide", seq_length=8), TrainConfig(hidden_size=16, seq_length=8))
    data = checkpoint_bytes(big)
    monkeypatch.setenv("RNN_LAB_MAX_VOCAB", "200")
    ok, message = apply_checkpoint(data, "wide.npz")
    message = shown(message)
    assert not ok and "300 distinct characters; the limit is 200" in message and "unchanged" in message
    assert model(at).config == before


def test_pasted_text_over_the_vocabulary_cap_is_refused_with_a_message(home):
    at = run(AppTest.from_file(DATA, default_timeout=120))
    before = model(at).corpus.name
    at.radio(key="data_source").set_value("Paste text")
    run(at)
    at.text_area(key="data_text").set_value("".join(chr(0x4E00 + i) for i in range(5000)) * 4)
    run(at)
    at.button(key="data_use").click()
    run(at)
    errors = [shown(e.value) for e in at.error]
    assert any("cannot be used" in e and "5,000 distinct characters; the limit is 4,000" in e for e in errors), \
        texts(at)
    assert model(at).corpus.name == before
