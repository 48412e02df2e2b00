"""AppTest for the home, Data, Hidden states and Sample pages (the Train page has its own file)."""

import numpy as np
import pytest
from model_helpers import adopt, model, running, shown, step, wait_for
from streamlit.testing.v1 import AppTest

from rnn.corpus import make_corpus
from rnn.train import TrainConfig, Trainer
from rnn.viz.user_text import markdown_literal

TIMEOUT = 60
PAGES = ["../../dashboard.py", "../../pages/1_Data.py", "../../pages/2_Train.py", "../../pages/3_Hidden_states.py",
         "../../pages/4_Sample.py"]


def run(path):
    at = AppTest.from_file(path, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def ok(at):
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("path", PAGES)
def test_every_page_runs_with_defaults(path):
    """Opened directly (no other page visited first), each page builds the default model and shows no error."""
    at = run(path)
    assert not at.error, [e.value for e in at.error]
    t = model(at)
    assert t.corpus.name == "python-docs" and t.iteration == 0
    assert running(at) is False


def test_pages_in_any_order_share_the_session_model():
    at = AppTest.from_file("../../dashboard.py", default_timeout=TIMEOUT)
    at.switch_page("pages/4_Sample.py").run()
    ok(at)
    t = model(at)
    step(at, 3)
    at.switch_page("pages/2_Train.py").run()
    ok(at)
    assert model(at) is t
    assert next(m.value for m in at.metric if m.label == "Iteration") == "3"


def test_a_live_model_keeps_training_on_other_pages():
    at = AppTest.from_file("../../dashboard.py", default_timeout=TIMEOUT)
    at.switch_page("pages/2_Train.py").run()
    at.button(key="tr_run").click().run()
    assert running(at) is True
    at.switch_page("pages/4_Sample.py").run()
    ok(at)
    assert running(at) is True  # it trains in a worker: looking at samples does not stop it
    it = model(at).iteration
    wait_for(lambda: model(at).iteration > it)
    assert any("Training live" in c.value for c in at.sidebar.caption)
    at.switch_page("pages/2_Train.py").run()
    at.button(key="tr_run").click().run()
    assert running(at) is False


# ---------------------------------------------------------------- home


def test_home_shows_what_and_status_and_a_start():
    at = run("../../dashboard.py")
    assert at.title[0].value == "RNN Lab"
    labels = {m.label: m.value for m in at.metric}
    # the metric's Markdown source: the name made literal (the browser shows python-docs)
    assert labels["Corpus"] == markdown_literal("python-docs") == r"python\-docs" and labels["Iterations"] == "0"
    assert any(b.label == "Start training" for b in at.button)


def test_sidebar_names_the_home_page_home_and_keeps_every_url_path():
    """The first sidebar entry read "dashboard" (the file name). st.navigation names it Home; every other page
    keeps the URL path the pages/ folder gave it (/Train, /Hidden_states, ...), so links and bookmarks work."""
    at = run("../../dashboard.py")
    # AppTest has no public view of the navigation; _registered_pages is what a session's sidebar is built from
    pages = list(at._registered_pages.values())
    assert (pages[0]["page_name"], pages[0]["url_pathname"]) == ("Home", "")
    assert [p["page_name"] for p in pages[1:5]] == ["Data", "Train", "Hidden states", "Sample"]
    for p in pages[1:]:
        assert p["url_pathname"] == p["page_name"].replace(" ", "_")
        assert p["icon"].startswith(":material/")
    assert not any("dashboard" in p["page_name"].lower() for p in pages)
    # the tour's links point at registered pages (a broken st.page_link raises), and the buttons switch pages
    assert len(at.get("page_link")) == len(pages) - 1
    at.button(key="home_start").click().run()
    assert ok(at).title[0].value == "Train"


# ---------------------------------------------------------------- data


def trained_data_page(steps=5):
    at = run("../../pages/1_Data.py")
    step(at, steps)
    return at, model(at)


def paste(at, text):
    at.radio(key="data_source").set_value("Paste text").run()
    at.text_area(key="data_text").input(text).run()
    at.button(key="data_use").click().run()
    return ok(at)


def test_data_page_shows_corpus_facts():
    at = run("../../pages/1_Data.py")
    labels = {m.label: m.value for m in at.metric}
    assert labels["Characters"] == f"{465_047:,}" or labels["Characters"].replace(",", "").isdigit()
    t = model(at)
    assert labels["Vocabulary"] == str(t.vocab.size)
    assert labels["Training"] == f"{len(t.corpus.train):,}"
    assert labels["Validation"] == f"{len(t.corpus.val):,}"
    table = at.dataframe[0].value
    assert table["char"].iloc[0] == "␣"  # space is the most common character, shown visibly
    assert table["count"].sum() == len(t.corpus.text)


@pytest.mark.parametrize("text,reason", [
    ("", "empty"),
    ("too short", "seq_length + 1"),
    ("a" * 200, "one distinct character"),
])
def test_bad_corpus_shows_error_and_keeps_model(text, reason):
    at, t = trained_data_page()
    paste(at, text)
    assert any(reason in shown(e.value) for e in at.error), [e.value for e in at.error]
    assert model(at) is t and t.iteration == 5
    assert at.session_state.get("pending_corpus") is None


def test_bad_upload_shows_error_and_keeps_model():
    at, t = trained_data_page()
    at.radio(key="data_source").set_value("Upload file").run()
    at.file_uploader(key="data_upload").set_value(("latin1.txt", "café au lait ".encode("latin-1") * 20, "text/plain"))
    at.run()
    at.button(key="data_use").click().run()
    ok(at)
    assert any("not valid UTF-8" in shown(e.value) for e in at.error)
    assert model(at) is t


def test_good_upload_on_untrained_model_applies_at_once():
    at = run("../../pages/1_Data.py")
    at.radio(key="data_source").set_value("Upload file").run()
    text = "To be, or not to be, that is the question:\n" * 30
    at.file_uploader(key="data_upload").set_value(("hamlet.txt", text.encode(), "text/plain"))
    at.run()
    at.button(key="data_use").click().run()
    ok(at)
    t = model(at)
    assert t.corpus.name == "hamlet.txt" and t.corpus.text == text and t.iteration == 0
    assert any("hamlet.txt" in shown(s.value) for s in at.success)


def test_new_corpus_on_trained_model_asks_first():
    at, t = trained_data_page()
    paste(at, "the quick brown fox jumps over the lazy dog. " * 50)
    assert model(at) is t  # not yet
    assert any("discards the current model" in w.value for w in at.warning)
    at.button(key="data_apply").click().run()
    ok(at)
    new = model(at)
    assert new is not t and new.corpus.name == "pasted text" and new.iteration == 0
    assert new.config.hidden_size == t.config.hidden_size  # settings carried over


def test_new_corpus_can_be_declined():
    at, t = trained_data_page()
    paste(at, "the quick brown fox jumps over the lazy dog. " * 50)
    at.button(key="data_cancel").click().run()
    ok(at)
    assert model(at) is t and not at.warning


def test_builtin_switch_and_unusual_character_warning():
    at = run("../../pages/1_Data.py")
    at.selectbox(key="data_builtin").set_value("zen").run()
    at.button(key="data_use").click().run()
    ok(at)
    assert model(at).corpus.name == "zen"
    paste(at, "tab\tseparated\x07bell and text " * 20)
    assert any("Unusual characters" in w.value and "U+0007" in w.value for w in at.warning)


def test_family_emoji_is_not_unusual():
    at = run("../../pages/1_Data.py")
    family = "\U0001F468\u200d\U0001F469\u200d\U0001F467"
    paste(at, f"a family {family} walks home. " * 20)
    assert model(at).corpus.name == "pasted text"
    assert not any("Unusual characters" in w.value for w in at.warning), [w.value for w in at.warning]


@pytest.mark.parametrize("repeat,has_split", [(6, False), (40, True)])
def test_small_corpus_advice_matches_its_validation_split(repeat, has_split):
    """A tiny corpus was told both "no validation split" and "watch the validation loss". The advice now
    depends on whether there is a validation split."""
    at = run("../../pages/1_Data.py")
    paste(at, "the cat sat on the mat. " * repeat)
    t = model(at)
    assert (t.corpus.val is not None) is has_split
    warnings = [shown(w.value) for w in at.warning]
    small = [w for w in warnings if w.startswith("Small corpus")]
    assert len(small) == 1, warnings
    if has_split:
        assert "watch the validation loss" in small[0]
        assert not any("no validation" in w.lower() for w in warnings)
    else:
        assert not any("watch the validation loss" in w for w in warnings), warnings
        assert "no validation split" in small[0] and "260" in small[0]  # what would give one, at seq_length 25
        assert len([w for w in warnings if "validation" in w]) == 1, warnings  # said once, not twice


def test_paste_counter_says_when_it_counts():
    """A text area reports its text only on Ctrl+Enter or when it loses focus, so "0 characters" read like a
    broken counter while pasting. The caption says when it counts."""
    at = run("../../pages/1_Data.py")
    at.radio(key="data_source").set_value("Paste text").run()
    caption = next(c.value for c in at.caption if "Ctrl+Enter" in c.value)
    assert "0 characters" not in caption and "click outside" in caption
    at.text_area(key="data_text").input("abcab").run()
    caption = next(c.value for c in at.caption if "Ctrl+Enter" in c.value)
    assert caption.startswith("5 characters, 3 distinct")


# ---------------------------------------------------------------- hidden states


def hs_page(steps=20):
    at = run("../../pages/3_Hidden_states.py")
    step(at, steps)
    at.run()
    return ok(at)


def heatmap_spec(at):
    import json

    charts = at.get("plotly_chart")
    assert len(charts) == 1
    return json.loads(charts[0].proto.spec)


def test_hidden_heatmap_units_by_time_with_char_labels():
    at = hs_page()
    t = model(at)
    at.toggle(key="hs_hide").set_value(False).run()  # after 20 steps most units are still flat: show them all
    spec = heatmap_spec(at)
    trace = spec["data"][0]
    assert trace["type"] == "heatmap"
    # 60 characters by default: every label readable
    assert len(trace["x"]) == 60 and len(trace["y"]) == t.config.hidden_size
    z = trace["z"]
    assert z["dtype"] == "f4"  # float32 on the wire
    assert [int(n) for n in str(z["shape"]).split(",")] == [t.config.hidden_size, 60]
    ticks = spec["layout"]["xaxis"]["ticktext"]
    assert ticks[0] == t.vocab.decode(t.corpus.val[:1]).replace(" ", "␣").replace("\n", "↵")


def test_hidden_units_sortable_and_unit_text_escaped():
    at = hs_page()
    at.toggle(key="hs_hide").set_value(False).run()
    at.radio(key="hs_sort").set_value("index").run()
    ok(at)
    assert heatmap_spec(at)["data"][0]["y"][:3] == ["0", "1", "2"]
    at.radio(key="hs_source").set_value("Your own text").run()
    t = model(at)
    at.text_area(key="hs_text").input("a <b>&</b> c").run()
    ok(at)
    html_blocks = [h.proto.body for h in at.get("html")]
    coloured = [h for h in html_blocks if "&lt;</span>" in h]  # one span per character, escaped
    assert coloured and "&amp;</span>" in coloured[0] and "&gt;</span>" in coloured[0]
    assert not any("<b>" in h for h in html_blocks)
    at.selectbox(key="hs_unit").set_value(5).run()
    ok(at)
    assert t.iteration == 20


def test_constant_units_are_hidden_and_can_be_shown():
    """Half the rows of an H = 200 heatmap were flat +-1. They are hidden by default (and said so); the toggle
    brings them back; the unit list still offers them."""
    t = Trainer(make_corpus("the cat sat on the mat. " * 200, "cats"), TrainConfig(hidden_size=24, eval_every=0))
    t.step(20)
    saturated = [0, 3, 7]
    for u in saturated:  # these units ignore their input and sit at tanh(8) ~ +1
        t.params["Wxh"][u] = 0.0
        t.params["Whh"][u] = 0.0
        t.params["bh"][u] = 8.0
    at = AppTest.from_file("../../pages/3_Hidden_states.py", default_timeout=TIMEOUT)
    adopt(at, t)
    ok(at.run())
    rows = heatmap_spec(at)["data"][0]["y"]
    assert not set(rows) & {str(u) for u in saturated} and len(rows) == 24 - 3
    assert any("3 of 24 units are hidden" in c.value for c in at.caption), [c.value for c in at.caption]
    assert any("Click a row" in c.value for c in at.caption)
    assert any("unit 3 " in o and "constant" in o for o in at.selectbox(key="hs_unit").options)
    at.toggle(key="hs_hide").set_value(False).run()
    ok(at)
    assert len(heatmap_spec(at)["data"][0]["y"]) == t.config.hidden_size


def test_a_fully_saturated_model_is_said_so_not_hidden():
    t = Trainer(make_corpus("the cat sat on the mat. " * 200, "cats"), TrainConfig(hidden_size=16, eval_every=0))
    t.step(5)
    t.params["bh"][:] = 9.0
    t.params["Wxh"][:] = 0.0
    t.params["Whh"][:] = 0.0
    at = AppTest.from_file("../../pages/3_Hidden_states.py", default_timeout=TIMEOUT)
    adopt(at, t)
    ok(at.run())
    assert len(heatmap_spec(at)["data"][0]["y"]) == 16  # nothing left to hide: all rows stay
    assert any("Every unit is constant" in c.value and "16 of 16 saturated" in c.value for c in at.caption)


def test_hidden_states_unknown_characters_are_explained():
    at = hs_page()
    at.radio(key="hs_source").set_value("Your own text").run()
    at.text_area(key="hs_text").input("snowman ☃").run()
    ok(at)
    assert any("never seen" in e.value for e in at.error)


# ---------------------------------------------------------------- sample


def test_sample_columns_per_temperature_plus_greedy():
    at = run("../../pages/4_Sample.py")
    step(at, 20)
    at.run()
    ok(at)
    heads = [m.value for m in at.markdown if m.value.startswith("**")]
    assert heads[:6] == ["**T = 0.2**", "**T = 0.5**", "**T = 1**", "**T = 1.5**", "**T = 2**", "**Greedy**"]
    bodies = [h.proto.body for h in at.get("html")]
    assert len(bodies) == 6
    assert len(at.get("plotly_chart")) == 1


def test_sample_is_reproducible_and_generate_changes_seed():
    at = run("../../pages/4_Sample.py")
    first = [h.proto.body for h in at.get("html")]
    at.run()
    assert [h.proto.body for h in at.get("html")] == first  # same seed, same samples
    at.button(key="sm_generate").click().run()
    ok(at)
    assert at.number_input(key="sm_seed").value == 1
    assert [h.proto.body for h in at.get("html")] != first


def test_sample_prime_and_bad_prime():
    at = run("../../pages/4_Sample.py")
    at.text_input(key="sm_prime").input("The ").run()
    ok(at)
    assert all(">The </span>" in h.proto.body for h in at.get("html"))
    at.text_input(key="sm_prime").input("☃").run()
    ok(at)
    assert any("never seen" in e.value for e in at.error)


def test_next_char_chart_follows_temperature():
    import json

    at = run("../../pages/4_Sample.py")
    step(at, 50)
    at.slider(key="sm_temperature").set_value(0.0).run()
    ok(at)
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    ys = spec["data"][0]["y"]
    if isinstance(ys, dict):  # base64-encoded numpy array
        import base64

        ys = np.frombuffer(base64.b64decode(ys["bdata"]), dtype=ys["dtype"])
    assert ys[0] == pytest.approx(1.0) and sum(ys[1:]) == pytest.approx(0.0)  # greedy: all on one character
    assert len(spec["data"]) == 2  # bars at T = 0 plus the T = 1 outlines


def test_sessions_are_isolated_on_every_page():
    t = Trainer(make_corpus("abcabcabd " * 30, "tiny"), TrainConfig(hidden_size=8))
    a = run("../../pages/4_Sample.py")
    adopt(a, t)
    a.run()
    b = run("../../pages/4_Sample.py")
    assert model(b) is not t and model(b).corpus.name == "python-docs"


def _chart_bars(at):
    import base64
    import json

    spec = json.loads(at.get("plotly_chart")[0].proto.spec)

    def values(trace):
        ys = trace["y"]
        if isinstance(ys, dict):  # base64-encoded numpy array
            ys = np.frombuffer(base64.b64decode(ys["bdata"]), dtype=ys["dtype"])
        return list(trace["x"]), [float(y) for y in ys]

    return [(t["name"], *values(t)) for t in spec["data"]]


def test_next_char_prefix_follows_a_new_prime_text():
    at = run("../../pages/4_Sample.py")
    first = at.text_input(key="sm_prefix").value
    at.text_input(key="sm_prime").input("The model").run()
    ok(at)
    assert at.text_input(key="sm_prefix").value == "The model" != first
    at.text_input(key="sm_prime").input("Python is").run()
    ok(at)
    assert at.text_input(key="sm_prefix").value == "Python is"  # every new prime, not only the first
    at.text_input(key="sm_prefix").input("my own").run()  # the reader's own prefix stays until the prime changes
    at.slider(key="sm_temperature").set_value(0.5).run()
    assert at.text_input(key="sm_prefix").value == "my own"
    at.text_input(key="sm_prime").input("☃").run()  # a prime it cannot read: said once, the chart stays
    ok(at)
    assert sum("never seen" in e.value for e in at.error) == 1
    assert at.text_input(key="sm_prefix").value == "my own" and at.get("plotly_chart")


def test_top_k_chart_draws_only_the_kept_characters_by_probability_with_the_true_softmax():
    at = run("../../pages/4_Sample.py")
    step(at, 50)
    at.number_input(key="sm_topk").set_value(5).run()
    at.slider(key="sm_temperature").set_value(0.5).run()
    ok(at)
    traces = _chart_bars(at)
    (bar_name, bar_x, bar_y), (ref_name, ref_x, ref_y) = traces
    assert len(bar_x) == 5 and all(y > 0 for y in bar_y)  # only the kept characters, none at zero
    assert bar_y == sorted(bar_y, reverse=True)  # most likely first
    assert sum(bar_y) == pytest.approx(1.0)  # top-k renormalised
    assert "top-5" in bar_name
    trainer = model(at)
    from rnn.sample import next_char_probs, warm_state

    _, logits = warm_state(trainer.params, trainer.vocab, at.text_input(key="sm_prefix").value, h=trainer.h[0])
    softmax = next_char_probs(logits, 1.0)
    assert ref_x == bar_x and ref_y == pytest.approx(sorted(softmax, reverse=True)[:5])  # the model's own softmax
    assert sum(ref_y) < 1.0 and "softmax" in ref_name
    # At T = 1 with top-k the bars (renormalised) and the softmax differ: both are drawn.
    at.slider(key="sm_temperature").set_value(1.0).run()
    assert len(_chart_bars(at)) == 2
    # Greedy: one bar at 1, the outlines still in the softmax's order.
    at.slider(key="sm_temperature").set_value(0.0).run()
    (_, gx, gy), (_, rx, ry) = _chart_bars(at)
    assert gy[0] == pytest.approx(1.0) and len(gx) == 5 and ry == sorted(ry, reverse=True)
