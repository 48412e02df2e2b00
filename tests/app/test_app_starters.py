"""Starter models in the app: one click on Home or on an untrained analysis page opens a trained model."""

from pathlib import Path

from model_helpers import model, shown
from streamlit.testing.v1 import AppTest

from rnn.starters import STARTERS

ROOT = Path(__file__).resolve().parents[2]


def ok(at):
    assert not at.exception, [e.value for e in at.exception]
    return at


def press(at, label):
    return ok(next(b for b in at.button if b.label == label).click().run())


def test_home_opens_a_starter_model():
    at = ok(AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run())
    labels = [b.label for b in at.button]
    assert all(s.title in labels for s in STARTERS.values())
    press(at, STARTERS["prose"].title)
    m = model(at)
    assert m.iteration == STARTERS["prose"].steps and m.corpus.name == "python-docs" and m.config.hidden_size == 128
    assert any("Opened the starter model" in shown(s.value) for s in at.success)
    assert next(x for x in at.metric if x.label == "Iterations").value == f"{STARTERS['prose'].steps:,}"


def test_an_untrained_analysis_page_offers_a_trained_model():
    at = ok(AppTest.from_file(str(ROOT / "pages" / "5_Neurons.py"), default_timeout=60).run())
    assert any("The model is untrained" in i.value for i in at.info)
    press(at, STARTERS["brackets"].title)
    assert model(at).corpus.name == "brackets" and model(at).iteration == STARTERS["brackets"].steps
    assert not any("The model is untrained" in i.value for i in at.info)
    assert any("Opened the starter model" in shown(s.value) for s in at.success)
    ok(at.run())  # the message is shown once
    assert not any("Opened the starter model" in shown(s.value) for s in at.success)


def test_a_missing_starter_file_says_so_and_keeps_the_model(monkeypatch, tmp_path):
    monkeypatch.setattr("rnn.starters.DIR", tmp_path)
    at = ok(AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run())
    before = model(at).corpus.name
    press(at, STARTERS["code"].title)
    assert model(at).iteration == 0 and model(at).corpus.name == before
    assert any("make_starters.py" in shown(e.value) and "unchanged" in e.value for e in at.error)
