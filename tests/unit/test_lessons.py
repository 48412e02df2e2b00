"""The lesson track: every scene can be set in the app, and every check fires on what its task does, not before."""

import math

import pytest

from rnn.config import SETTINGS, TrainConfig
from rnn.corpus import BUILTINS, load_builtin, make_corpus
from rnn.lessons import STEPS, Progress
from rnn.starters import STARTERS
from rnn.train import Trainer
from ui.navigation import app_pages


def test_the_track_follows_the_seed_then_experiments():
    assert len({s.id for s in STEPS}) == len(STEPS)
    parts = [s.part for s in STEPS]
    assert parts[:10] == [p for p in parts if not p.startswith("Experiment")]
    assert [int(p.split(".")[0]) for p in parts[:10]] == list(range(1, 11))
    assert sum(p.startswith("Experiment") for p in parts) == 3


@pytest.mark.parametrize("step", STEPS, ids=[s.id for s in STEPS])
def test_every_scene_can_be_set_in_the_app(step):
    assert step.scene.page in {p.label for p in app_pages()}
    assert step.scene.corpus is None or step.scene.corpus in BUILTINS
    assert step.scene.starter is None or step.scene.starter in STARTERS
    assert not (step.scene.corpus and step.scene.starter)
    TrainConfig(**step.scene.settings).validate()
    for name, value in step.scene.settings.items():  # within the Train page's widgets, so they show it
        s = SETTINGS[name]
        assert s.low <= value <= s.high, name
    assert step.task.endswith((".", "?")) and step.explain.endswith(".") and 2 <= step.explain.count(". ") + 1 <= 4


def trainer(corpus="zen", **settings):
    return Trainer(make_corpus(load_builtin(corpus), corpus), TrainConfig(**settings))


def at(step_id: str) -> Progress:
    p = Progress()
    p.begin([s.id for s in STEPS].index(step_id), iteration=0)
    return p


def test_a_page_step_waits_for_its_page():
    p, t = at("predict"), trainer()
    p.opened("Train")
    assert not p.check(t)
    p.opened("Sample")
    assert p.check(t) and "predict" in p.done
    p.begin(1, 0)
    assert p.pages == set() and not p.check(t)  # the next step starts afresh


def test_step_counts_are_counted_from_the_start_of_the_step():
    t = trainer()
    t.step(150)
    p = Progress()
    p.begin([s.id for s in STEPS].index("loop"), iteration=t.iteration)
    t.step(99)
    assert not p.check(t)
    t.step(1)
    assert p.check(t)


def test_the_loss_curve_step_waits_for_half_of_ln_v():
    p, t = at("curve"), trainer()
    t.step(10)
    assert not p.check(t)
    t.train(steps=3000, callback=lambda tr: not p.check(tr), every=0)
    assert p.check(t) and t.recent_loss < 0.5 * math.log(t.vocab.size)
    assert t.iteration < 3000


def test_the_divergence_experiment_diverges_with_its_own_settings():
    step = next(s for s in STEPS if s.id == "too-high")
    p, t = at("too-high"), trainer(step.scene.corpus, **step.scene.settings)
    assert not p.check(t)
    t.train(steps=200)
    assert t.status == "diverged" and p.check(t)


def test_done_stays_done_and_the_index_is_clamped():
    p = at("data")
    p.opened("Data")
    assert p.check(trainer())
    p.begin(99, 0)
    assert p.current == len(STEPS) - 1 and "data" in p.done
