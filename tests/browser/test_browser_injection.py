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
    go_to(page, "Data")
    page.get_by_test_id("stRadio").filter(has_text="Source").get_by_text("Upload file", exact=True).click()
    wait_idle(page)
    uploader = page.get_by_test_id("stFileUploader").filter(has_text="Text file (.txt)")
    uploader.locator('input[type="file"]').set_input_files(
        {"name": name, "mimeType": "text/plain", "buffer": CORPUS.encode()}
    )
    expect(uploader.get_by_test_id("stFileChip")).to_be_visible(timeout=RERUN_TIMEOUT_MS)
    expect(uploader.get_by_test_id("stFileChipIconSpinner")).to_have_count(0, timeout=RERUN_TIMEOUT_MS)
    wait_idle(page)
    click_and_wait(page, button(page, "Use this corpus"))
    confirm = button(page, "Apply and reset model")
    if confirm.count():
        click_and_wait(page, confirm)
    expect(metric_value(page, "Characters")).to_have_text(re.compile(rf"^\s*{len(CORPUS):,}\s*$"))
    for title in ("Data", "Train", "dashboard"):
        if title != "Data":
            go_to(page, title)
        assert_no_exception(page)
        text = check_frames(page, f"{title} (uploaded file name)")
        assert name in text, f"{title}: the file name should show as text"
