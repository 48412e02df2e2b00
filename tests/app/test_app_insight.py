"""AppTest for the insight pages: defaults run without exception, a main interaction works, user text is escaped."""

import json
from pathlib import Path

import numpy as np
import pytest
from model_helpers import adopt, model
from streamlit.testing.v1 import AppTest

from rnn.corpus import load_builtin, make_corpus
from rnn.insight.health import spectral_radius
from rnn.train import TrainConfig, Trainer

PAGES = Path(__file__).resolve().parents[2] / "pages"
HOSTILE = ('Hello "world" <script>alert(1)</script> (a [b] c) 123\n'
           '<img src=x onerror="alert(2)"> & <b>bold</b> x = {1: 2}\n')


def make_trainer(text, steps=120, **kw):
    cfg = dict(hidden_size=24, eval_every=0, sample_every=40, health_every=20)
    cfg.update(kw)
    t = Trainer(make_corpus(text, "test", seq_length=cfg.get("seq_length", 25)), TrainConfig(**cfg))
    t.step(steps)
    return t


@pytest.fixture(scope="module")
def docs_trainer():
    return make_trainer(load_builtin("python-docs")[:40_000])


@pytest.fixture(scope="module")
def hostile_trainer():
    return make_trainer(HOSTILE * 60, steps=60, batch_size=2)


def app(page, trainer):
    at = AppTest.from_file(str(PAGES / page), default_timeout=60)
    adopt(at, trainer)
    return at.run()


def ok(at):
    assert not at.exception, [e.value for e in at.exception]
    return at


def chart(at, key):
    for c in at.get("plotly_chart"):
        if c.proto.id and key in c.proto.id:
            return json.loads(c.proto.spec)
    raise AssertionError(f"no chart {key!r}")


def html_bodies(at):
    """Every HTML string the page renders: st.markdown with HTML allowed, and st.html (text_block, the copied
    highlight)."""
    return [m.value for m in at.markdown if getattr(m.proto, "allow_html", False)] + [
        h.proto.body for h in at.get("html")]


def chart_specs(at):
    return [c.proto.spec for c in at.get("plotly_chart")]


# ------------------------------------------------------------------------------------------------ pages


def test_neurons_page(docs_trainer):
    at = ok(app("5_Neurons.py", docs_trainer))
    assert len(at.get("plotly_chart")) == 2
    assert len(html_bodies(at)) == 12 + 2  # six strongest and six weakest contexts, then the two intervention texts
    first = at.number_input[0]
    assert first.label == "Hidden unit"
    ok(first.set_value(5).run())
    assert any("Unit 5" in s for s in chart_specs(at))
    ok(at.text_area[0].set_value("the <script>x</script> and ~~~").run())
    assert any("never seen" in w.value for w in at.warning)


def test_neurons_page_holds_a_unit_and_compares_the_two_texts(docs_trainer):
    import html

    from rnn.insight.intervention import clamp_unit

    at = ok(app("5_Neurons.py", docs_trainer))
    unit = int(at.number_input[0].value)
    for value in (0.0, 1.0, -1.0):
        ok(at.slider(key="clamp_value").set_value(value).run())
        want = clamp_unit(docs_trainer.params, docs_trainer.vocab, unit, value, h=docs_trainer.h[0])
        free, held = html_bodies(at)[-2:]
        agree = min(want.agree_for, 600)
        for block, text in ((free, want.free), (held, want.clamped)):
            assert html.escape(text[:agree]) in block and html.escape(text[agree:600]) in block
        assert want.free != want.clamped  # this trained unit changes what the model writes
        table = at.dataframe[-1].value
        assert list(table["change"]) == [r["change"] for r in want.count_changes()]
        assert f"held at {value:+.1f}" in " ".join(m.value for m in at.markdown)


def test_surprise_page(docs_trainer):
    at = ok(app("6_Surprise.py", docs_trainer))
    assert any(m.label == "Mean surprise" for m in at.metric)
    spec = chart(at, "surprise_chart")
    assert "model expected" in json.dumps(spec)
    ok(at.text_area[0].set_value("the function returns").run())
    mean = next(m for m in at.metric if m.label == "Mean surprise").value
    from rnn.insight.surprise import surprise
    s = surprise(docs_trainer.params, docs_trainer.vocab, "the function returns", h0=docs_trainer.h[0])
    assert mean == f"{s.mean:.3f} nats"
    ok(at.text_area[0].set_value("x").run())
    assert any("at least two" in i.value for i in at.info)


def test_training_health_page(docs_trainer):
    at = ok(app("7_Training_health.py", docs_trainer))
    spec = chart(at, "health_chart")
    radius = [d.spectral_radius for d in docs_trainer.health_history]
    y = spec["data"][0]["y"]
    if isinstance(y, dict):  # numpy arrays arrive base64-encoded
        import base64
        y = np.frombuffer(base64.b64decode(y["bdata"]), dtype=y["dtype"]).tolist()
    np.testing.assert_allclose(y, radius)
    chart(at, "gradient_flow_chart")
    assert any(m.label == "Spectral radius of Whh" for m in at.metric)


def test_training_health_page_gives_verdicts():
    t = make_trainer(load_builtin("zen"), steps=30)
    t.params["Whh"] *= 7.9 / spectral_radius(t.params["Whh"])  # the reviewer's model: radius 7.9
    t.params["bh"][:] = 4.0 * np.sign(t.params["bh"] + 1e-9)  # and most units pinned at |h| ~ 1
    at = ok(app("7_Training_health.py", t))
    errors = [e.value for e in at.error]
    assert any(e.startswith("**Spectral radius: unhealthy.** 7.90 is above 5") for e in errors), errors
    assert any(e.startswith("**Saturated units: unhealthy.**") for e in errors), errors
    assert any(s.value.startswith("**Gradient norm: healthy.**") for s in at.success)
    assert any("Gradient through time" in v.value for v in list(at.success) + list(at.warning) + list(at.error))


def test_training_health_page_healthy_verdicts():
    t = make_trainer(load_builtin("zen"), steps=30)
    t.params["Whh"] *= 1.0 / spectral_radius(t.params["Whh"])
    at = ok(app("7_Training_health.py", t))
    assert any(s.value.startswith("**Spectral radius: healthy.** 1.00") for s in at.success)
    assert any(s.value.startswith("**Saturated units: healthy.**") for s in at.success)


def test_training_health_page_untrained():
    t = make_trainer(load_builtin("zen"), steps=0)
    at = ok(app("7_Training_health.py", t))
    assert any("recorded every" in i.value for i in at.info)


def test_bptt_walkthrough_page_and_take_step(docs_trainer):
    t = make_trainer(load_builtin("python-docs")[:20_000], steps=30)
    at = ok(app("8_BPTT_walkthrough.py", t))
    for key in ("bptt_hidden_chart", "bptt_steps_chart", "bptt_params_chart"):
        chart(at, key)
    assert len(at.dataframe) == 2
    assert at.title[0].value == "BPTT walkthrough"  # the sidebar's name for the page (ui/navigation.py)
    table = at.dataframe[0].value
    shown = "".join(table["input"]) + "".join(table["target"]) + "".join(table["model's top guess"])
    assert "␣" in shown and not any(c.isspace() for c in shown)  # no blank cells: whitespace as its symbol
    before = t.iteration
    ok(next(b for b in at.button if b.label == "Take this step").click().run())
    assert model(at).iteration == before + 1


def test_gradient_check_page():
    t = make_trainer(load_builtin("zen"), steps=50)
    at = ok(app("9_Gradient_check.py", t))
    assert at.success and "Passed" in at.success[0].value
    chart(at, "gradcheck_chart")
    ok(at.radio[0].set_value("The running model").run())
    assert at.success, [e.value for e in at.error]
    ok(next(b for b in at.button if b.label == "Check other weights").click().run())
    assert at.success


def test_gradient_check_page_passes_on_a_saturated_running_model():
    # Most units pinned at |h| ~ 1 (as after a long H=200 run): their bias gradients are ~1e-10, below the finite
    # difference's own error. The page used to show the red alert for bh here (relative error ~1).
    t = make_trainer(load_builtin("zen"), steps=20, hidden_size=60)
    rng = np.random.default_rng(0)
    t.params["bh"][10:] = 12.0 * rng.choice([-1, 1], 50)
    t.h[...] = np.tanh(t.params["bh"])
    at = ok(app("9_Gradient_check.py", t))
    ok(at.radio[0].set_value("The running model").run())
    assert at.success and not at.error, [e.value for e in at.error]
    assert r"{\max(|\text{analytic}| + |\text{numerical}|,\ 0.01)}" in at.latex[0].value  # the floor, inside
    checked = next(m.value for m in at.markdown if m.value.startswith("**Checked:**"))
    assert "up to 20 entries per parameter" in checked and "ε = 0.0001" in checked
    near_zero = int(checked.split(" of them with a gradient below")[0].rsplit(", ", 1)[1])
    assert near_zero >= 10
    for _ in range(3):
        ok(next(b for b in at.button if b.label == "Check other weights").click().run())
        assert at.success and not at.error


def test_samples_over_training_page(docs_trainer):
    at = ok(app("11_Samples_over_training.py", docs_trainer))
    assert len(docs_trainer.samples) == 3
    slider = at.select_slider[0]
    assert slider.label == "Sample"
    ok(slider.set_value(0).run())
    assert any("iteration 40" in m.value for m in at.markdown)
    assert any(m.label == "Novel share" for m in at.metric)
    ok(at.radio[0].set_value("A fresh sample").run())
    assert any(m.label == "Novel share" for m in at.metric)


def test_samples_page_without_samples_records_one():
    t = make_trainer(load_builtin("zen"), steps=10, sample_every=0)
    at = ok(app("11_Samples_over_training.py", t))
    assert any("No samples stored yet" in i.value for i in at.info)
    ok(next(b for b in at.button if b.label == "Record a sample now").click().run())
    assert len(model(at).samples) == 1  # recorded by the worker, seen in the replica
    assert any(m.label == "Novel share" for m in at.metric)


def test_guessing_game_plays_a_round_against_the_model(docs_trainer):
    import html

    from rnn.insight.guessing import ROUND, shannon_estimate

    at = ok(app("12_Guessing_game.py", docs_trainer))
    game = at.session_state["guessing_game"]
    answer, vocab = game.passage.answer, docs_trainer.vocab
    assert html.escape(game.passage.context) in html_bodies(at)[0]

    def type_guess(char):
        at.text_input(key="guessing_input").input(char)
        return ok(next(b for b in at.button if b.label == "Guess").click().run())

    type_guess("€")  # not one of the model's characters
    assert any("never seen" in c.value for c in at.caption) and game.tries == [] and game.wrong == []
    wrong = next(c for c in vocab.chars if c != answer[0] and not c.isspace())
    type_guess(wrong)
    assert any("Not that one" in c.value for c in at.caption) and game.wrong == [wrong]
    ok(next(b for b in at.button if b.label == "Show me this one").click().run())
    assert game.tries == [vocab.size]
    for char in answer[1:]:
        label = {" ": "Guess a space ␣", "\n": "Guess a new line ↵"}.get(char)
        if label:
            ok(next(b for b in at.button if b.label == label).click().run())
        else:
            type_guess(char)
    assert game.done and game.tries == [vocab.size] + [1] * (ROUND - 1)
    assert any("Passage done" in s.value for s in at.success) and not any(b.label == "Guess" for b in at.button)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["The model: bits per character"] == f"{shannon_estimate(game.passage.model_guesses):.2f}"
    assert metrics["You: bits per character"] == f"{shannon_estimate(game.tries):.2f}"
    assert len(at.dataframe[-1].value) == ROUND
    ok(next(b for b in at.button if b.label == "New passage").click().run())
    assert at.session_state["guessing_game"].tries == [] and len(game.played) == ROUND  # the score is kept
    assert any(f"the {ROUND} characters you have played" in c.value for c in at.caption)


# ------------------------------------------------------------------------------------------------ escaping

INSIGHT_PAGES = ["5_Neurons.py", "6_Surprise.py", "7_Training_health.py", "8_BPTT_walkthrough.py",
                 "9_Gradient_check.py", "11_Samples_over_training.py", "12_Guessing_game.py"]


@pytest.mark.parametrize("page", INSIGHT_PAGES)
def test_hostile_corpus_is_shown_as_text(page, hostile_trainer):
    hostile_trainer.samples.append((hostile_trainer.iteration, HOSTILE))  # a sample that copies the corpus
    at = ok(app(page, hostile_trainer))
    for body in html_bodies(at) + chart_specs(at):
        assert "<script" not in body and "<img" not in body and "<b>bold" not in body
    if page == "11_Samples_over_training.py":
        bodies = " ".join(html_bodies(at))
        assert "&lt;script&gt;" in bodies  # the hostile sample is there, escaped


def test_train_page_shows_the_loss_in_words():
    t = make_trainer(load_builtin("zen"), steps=0)
    at = ok(app("2_Train.py", t))
    ok(next(b for b in at.button if b.label == "Step 10").click().run())
    words = [c.value for c in at.caption if "bits/char" in c.value and "perplexity" in c.value]
    assert words and words[0].startswith("Recent training loss (last ~10 steps): ")  # no validation point yet
    assert any("uniform guess over" in c.value for c in at.caption)


def test_samples_play_starts_from_the_first_and_pause_stops_it(docs_trainer):
    # The timed steps themselves run in the browser (tests/browser/test_runs_browser.py): AppTest has no timer.
    at = ok(app("11_Samples_over_training.py", docs_trainer))
    assert at.select_slider[0].value == 2  # the latest sample first
    assert not any(b.label == "Pause" for b in at.button)
    ok(next(b for b in at.button if b.label == "Play").click().run())
    assert at.session_state["samples_playing"] and at.select_slider[0].value == 0  # from the first
    assert any(m.value == "**Sample at iteration 40**" for m in at.markdown)
    assert any("Playing" in c.value for c in at.caption)  # the memorisation check waits
    ok(next(b for b in at.button if b.label == "Pause").click().run())
    assert not at.session_state["samples_playing"] and at.select_slider[0].value == 0
    assert any(m.label == "Novel share" for m in at.metric)
    # Dragging the slider while playing pauses too.
    ok(next(b for b in at.button if b.label == "Play").click().run())
    ok(at.select_slider[0].set_value(1).run())
    assert not at.session_state["samples_playing"]
