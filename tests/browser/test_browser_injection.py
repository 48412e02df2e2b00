"""A corpus is user text: HTML and script in it must show as text on every page and never run.

Pasted on the Data page, trained on for a few steps (so samples and heatmaps hold those characters too), then
every page in the sidebar is visited in the same session. Checked in every frame (components render in iframes):
no window.__pwned, no injected element, no tag-stripped or double-escaped rendering of the payload.
"""

from __future__ import annotations

import re

from playwright.sync_api import Frame, Page, expect
from streamlit_app import (
    RERUN_TIMEOUT_MS,
    assert_no_exception,
    button,
    chart,
    click_and_wait,
    go_to,
    metric_value,
    open_app,
    page_titles,
    parse_int,
    wait_idle,
)

SCRIPT = "<script>window.__pwned=1</script>"
IMG = '<img src=x onerror="window.__pwned=1">'
SVG = "<svg onload=window.__pwned=1>"
CORPUS = (
    f"{SCRIPT}\n{IMG}\n{SVG}\n"
    + "Plain words & <b>bold?</b> \"quotes\" and 'apostrophes' < > end.\n" * 12
    + f"{SCRIPT} once more\n"
)

# Pages that display corpus text as text (the start, or the validation text at the end, both hold SCRIPT).
# Others draw it into Plotly figures or text areas, where only the checks in check_frames apply.
SHOWS_CORPUS_TEXT = {"Data", "Hidden states", "Neurons"}

# Elements that only exist if the payload was parsed as HTML.
INJECTED_JS = """() => {
    const hits = [];
    for (const el of document.querySelectorAll('script, img, svg, [onerror], [onload]')) {
        const html = el.outerHTML || '';
        if (html.includes('__pwned') || (el.tagName === 'IMG' && el.getAttribute('src') === 'x'))
            hits.push(html.slice(0, 120));
    }
    return {pwned: window.__pwned === undefined ? null : String(window.__pwned), hits,
            text: document.body ? document.body.innerText : ''};
}"""


def check_frames(page: Page, where: str) -> str:
    """Assert no frame ran or parsed the payload; return all frames' visible text."""
    texts = []
    for frame in page.frames:
        state = _frame_state(frame)
        if state is None:
            continue
        assert state["pwned"] is None, f"{where}: window.__pwned={state['pwned']} in frame {frame.url}"
        assert not state["hits"], f"{where}: payload parsed as HTML in frame {frame.url}: {state['hits']}"
        texts.append(state["text"])
    text = "\n".join(texts)
    # Escaped once, not twice: entities must never show up as literal text.
    assert "&lt;script" not in text and "&quot;window" not in text, f"{where}: payload double-escaped"
    # Rendered as HTML, a <script> would vanish and leave its body as bare text.
    for m in re.finditer(re.escape("window.__pwned=1"), text):
        before = text[max(0, m.start() - 12) : m.start()]
        assert before.endswith(("<script>", 'onerror="', "onerror=", "onload=")), (
            f"{where}: payload text shown without its tags: ...{text[max(0, m.start() - 40) : m.end() + 20]!r}"
        )
    return text


def _frame_state(frame: Frame):
    try:
        return frame.evaluate(INJECTED_JS)
    except Exception:  # a frame detached while we looked (a chart redraw); the next page checks again
        return None


def use_uploaded_corpus(page, name: str, text: str) -> None:
    """On the Data page: upload `text` as a file called `name` and train on it (confirming the new model)."""
    go_to(page, "Data")
    page.get_by_test_id("stRadio").filter(has_text="Source").get_by_text("Upload file", exact=True).click()
    wait_idle(page)
    uploader = page.get_by_test_id("stFileUploader").filter(has_text="Text file (.txt)")
    uploader.locator('input[type="file"]').set_input_files(
        {"name": name, "mimeType": "text/plain", "buffer": text.encode()})
    expect(uploader.get_by_test_id("stFileChip")).to_be_visible(timeout=RERUN_TIMEOUT_MS)
    expect(uploader.get_by_test_id("stFileChipIconSpinner")).to_have_count(0, timeout=RERUN_TIMEOUT_MS)
    wait_idle(page)
    click_and_wait(page, button(page, "Use this corpus"))
    confirm = button(page, "Apply and reset model")
    if confirm.count():
        click_and_wait(page, confirm)
    expect(metric_value(page, "Characters")).to_have_text(re.compile(rf"^\s*{len(text):,}\s*$"))


def test_html_and_script_in_corpus_never_run(page: Page, app_url, shots):
    open_app(page, app_url)
    go_to(page, "Data")
    page.get_by_test_id("stRadio").filter(has_text="Source").get_by_text("Paste text", exact=True).click()
    wait_idle(page)
    area = page.get_by_label("Corpus text")
    area.fill(CORPUS)
    area.press("Control+Enter")  # commit the text area's value
    wait_idle(page)
    chars = metric_value(page, "Characters")
    click_and_wait(page, button(page, "Use this corpus"))
    confirm = button(page, "Apply and reset model")
    applied = chars.filter(has_text=re.compile(rf"^\s*{len(CORPUS):,}\s*$"))
    expect(confirm.or_(applied)).to_be_visible(timeout=RERUN_TIMEOUT_MS)
    if confirm.is_visible():
        confirm.click()
    expect(applied).to_be_visible(timeout=RERUN_TIMEOUT_MS)
    wait_idle(page)
    assert parse_int(chars.inner_text()) == len(CORPUS)
    text = check_frames(page, "Data")
    assert SCRIPT in text, "the Data page should show the corpus text literally"
    shots(page, "injection_data")

    go_to(page, "Train")
    click_and_wait(page, button(page, "Step 10"), fragment=True)
    expect(metric_value(page, "Iteration")).to_have_text(re.compile(r"^\s*10\s*$"), timeout=RERUN_TIMEOUT_MS)
    wait_idle(page)

    for title in page_titles(page):
        go_to(page, title)
        assert_no_exception(page)
        if title == "Hidden states":  # it reads 60 characters by default: the whole validation text holds SCRIPT
            length = page.get_by_test_id("stSlider").filter(has_text="Length").get_by_role("slider")
            length.press("End")
            # the whole text fits: the page reran once "Start at character" is gone
            start = page.get_by_test_id("stSlider").filter(has_text="Start at character")
            expect(start).to_have_count(0, timeout=RERUN_TIMEOUT_MS)
            wait_idle(page)
        text = check_frames(page, title)
        if title in SHOWS_CORPUS_TEXT:
            assert SCRIPT in text, f"{title}: the corpus text should show literally, tags included"
        if title in ("Hidden states", "Neurons"):
            shots(page, f"injection_{title.lower().replace(' ', '_')}")
    assert page.evaluate("window.__pwned") is None


def test_uploaded_file_name_with_html_is_shown_as_text(page: Page, app_url):
    # The file name is user text too: it names the corpus on the Data page, the sidebar and the Train page.
    # (No double quotes in it: Chromium sends them as %22 in a multipart file name.)
    name = "<img src=x onerror=window.__pwned=1>.txt"
    open_app(page, app_url)
    use_uploaded_corpus(page, name, CORPUS)
    for title in ("Data", "Train", "Home"):
        if title != "Data":
            go_to(page, title)
        assert_no_exception(page)
        text = check_frames(page, f"{title} (uploaded file name)")
        assert name in text, f"{title}: the file name should show as text"


# --------------------------------------------------------------------------- Markdown in names and samples
# Names and samples are user text too: a crafted corpus name (from a file name or a checkpoint), the run named
# after it and a stored sample must show literally wherever they appear, as Markdown never (no image loaded, no
# link, no heading, no bold).
IMAGE_URL = "http://127.0.0.1:9/x.png"
MD_PAYLOAD = f"**x** ![i]({IMAGE_URL}) <b>y</b> # H [l](http://e)"
# A file name cannot hold "/": the uploaded one points its image at this server instead.
MD_FILE_NAME = "**x** ![i](x.png) <b>y</b> # H [l](e).txt"
MD_CORPUS = (MD_PAYLOAD + "\n") * 10 + "Plain words and more plain words, to have something to learn.\n" * 10

MARKDOWN_JS = """(needles) => {
    const hits = [];
    for (const el of document.querySelectorAll('img, image')) {
        const src = el.getAttribute('src') || el.getAttribute('href') || el.getAttribute('xlink:href') || '';
        if (src.includes('x.png') || src.includes('127.0.0.1:9')) hits.push('img ' + src);
    }
    for (const el of document.querySelectorAll('a')) {
        const href = el.getAttribute('href') || el.getAttribute('xlink:href') || '';
        if (href === 'http://e' || href === 'http://e/' || href === 'e' || href.endsWith('/e')) hits.push('a ' + href);
    }
    for (const el of document.querySelectorAll('h1, h2, h3, h4, h5, h6'))
        if (/^\\s*H( \\[l\\]|\\s*$)/.test(el.textContent)) hits.push('heading ' + el.textContent);
    for (const el of document.querySelectorAll('strong, b, em, i'))
        if (['x', 'y', '*x*'].includes(el.textContent.trim())) hits.push(el.tagName + ' ' + el.textContent);
    return {hits, text: document.body ? document.body.innerText : ''};
}"""


def check_markdown(page: Page, where: str) -> str:
    """No frame rendered the payload as Markdown or HTML; returns all frames' text, whitespace collapsed."""
    texts = []
    for frame in page.frames:
        try:
            state = frame.evaluate(MARKDOWN_JS, None)
        except Exception:  # a frame detached while we looked
            continue
        assert not state["hits"], f"{where}: user text rendered as Markdown in {frame.url}: {state['hits']}"
        texts.append(state["text"])
    return " ".join(" ".join(texts).split())


def _md_checkpoint() -> bytes:
    from rnn.checkpoint import checkpoint_bytes
    from rnn.corpus import make_corpus
    from rnn.train import TrainConfig, Trainer

    t = Trainer(make_corpus(MD_CORPUS, MD_PAYLOAD), TrainConfig(hidden_size=16, sample_every=0, eval_every=5))
    t.step(20)
    t.samples.append((t.iteration, MD_PAYLOAD))  # a stored sample holding the same text
    return checkpoint_bytes(t)


def test_markdown_in_names_and_samples_is_shown_literally(page: Page, app_url):
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    open_app(page, app_url)

    # 1. an uploaded corpus file with Markdown in its name
    use_uploaded_corpus(page, MD_FILE_NAME, MD_CORPUS)
    for title in ("Data", "Train", "Home"):
        if title != "Data":
            go_to(page, title)
        assert_no_exception(page)
        assert MD_FILE_NAME in check_markdown(page, f"{title} (file name)"), f"{title}: file name not shown as text"

    # 2. a checkpoint whose corpus name and stored sample hold the payload; trained a step so it is a run
    go_to(page, "Train")
    ckpt = page.get_by_test_id("stFileUploader").filter(has_text="Upload checkpoint")
    ckpt.locator('input[type="file"]').set_input_files(
        {"name": "crafted.npz", "mimeType": "application/octet-stream", "buffer": _md_checkpoint()})
    expect(page.get_by_text("Training continues exactly where it was saved")).to_be_visible(timeout=RERUN_TIMEOUT_MS)
    wait_idle(page)
    assert MD_PAYLOAD in check_markdown(page, "Train (checkpoint)")
    click_and_wait(page, button(page, "Step 1"), fragment=True)
    expect(metric_value(page, "Iteration")).to_have_text(re.compile(r"^\s*21\s*$"), timeout=RERUN_TIMEOUT_MS)

    seen = {}
    for title in ("Home", "Data", "Train", "Samples over training", "Runs"):
        go_to(page, title)
        if title == "Runs":
            expect(chart(page, "runs_loss_chart")).to_be_visible(timeout=RERUN_TIMEOUT_MS)
            page.wait_for_timeout(500)  # the legend is drawn after the chart appears
        assert_no_exception(page)
        seen[title] = check_markdown(page, f"{title} (checkpoint)")
    for title, text in seen.items():
        assert MD_PAYLOAD in text, f"{title}: the corpus name or sample should show literally"
    legend = " ".join(chart(page, "runs_loss_chart").locator("text.legendtext").all_text_contents())
    assert MD_PAYLOAD in " ".join(legend.split()), f"Runs: the run name should show literally in its legend: {legend!r}"
    assert not [u for u in requests if "127.0.0.1:9" in u or u.endswith("/x.png")], "the payload's image was fetched"
