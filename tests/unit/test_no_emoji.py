"""No emoji in the app's own text: without an emoji font (many Linux machines, projectors in class) they render
as empty boxes. Page icons, alert icons and button icons are Material icons (":material/name:"), which ship
with Streamlit's own font.

Corpora and user text may hold emoji (they are data); this scans the string literals of the app's code.
"""

from __future__ import annotations

import ast
from pathlib import Path

from streamlit.emojis import ALL_EMOJIS

REPO = Path(__file__).resolve().parents[2]
APP_SOURCES = [REPO / "dashboard.py", *sorted((REPO / "pages").glob("*.py")), *sorted((REPO / "ui").glob("*.py")),
               *sorted((REPO / "rnn" / "viz").glob("*.py")), *sorted((REPO / "rnn" / "insight").glob("*.py"))]
VS16 = "\ufe0f"  # "show the previous character as an emoji"


def emoji_in(text: str) -> list[str]:
    """Code points drawn as emoji: VS16 sequences and characters whose default look is an emoji (✅, 🧠).
    Characters that default to a text glyph (→, ★, ⚠ without VS16, ␣) are fine: DejaVu has them."""
    found = []
    for i, c in enumerate(text):
        if c == VS16:
            found.append(f"U+{ord(text[i - 1]):04X} U+FE0F" if i else "U+FE0F")
        elif c in ALL_EMOJIS and (c + VS16) not in ALL_EMOJIS:
            found.append(f"U+{ord(c):04X}")
    return found


def test_the_detector_tells_emoji_from_text_symbols():
    assert emoji_in("🧠 Neurons") == ["U+1F9E0"]
    assert emoji_in("✅") == ["U+2705"]
    assert emoji_in("ℹ️") == ["U+2139 U+FE0F"] and emoji_in("⚠️") == ["U+26A0 U+FE0F"]
    assert emoji_in("a → b ★ ␣ ↵ ⇥ · — … ≈ × ± ⚠ ©") == []
    assert emoji_in(":material/psychology:") == []


def test_no_emoji_in_app_source():
    hits = []
    for path in APP_SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and emoji_in(node.value):
                hits.append(f"{path.relative_to(REPO)}:{node.lineno}: {emoji_in(node.value)} in {node.value[:60]!r}")
    assert not hits, "emoji render as empty boxes without an emoji font; use ':material/…:' icons:\n" + "\n".join(hits)
