"""One sanitiser per target (issue 22, items 4 and 5): every string that reaches
a Word file, a Markdown file, the app or a terminal passes wtkb/sanitize.py.

The exports are called directly, the CLI's listing commands run as real
`wtkb` processes over an index folder written here, and the character sets
are whole classes (every C0 and C1 control, every bidi control, surrogates,
noncharacters, every code point of the Basic Multilingual Plane), not a few
examples.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import unicodedata
import zipfile
from pathlib import Path

import pytest

import index
from index import store
from ingest.records import Chunk, DocMeta
from wtkb import export, sanitize
from wtkb.ui import text as ui_text

WTKB = [str(Path(sys.executable).parent / "wtkb")]

C0 = [chr(c) for c in range(0x20) if chr(c) not in "\t\n"]
C1 = [chr(c) for c in range(0x7F, 0xA0)]
BIDI = ["\u061c", "\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",
        "\u2066", "\u2067", "\u2068", "\u2069"]
OTHER = ["\u2028", "\u2029", "\ud800", "\udcff", "\ufffe", "\uffff", "\ufeff", "\u200b"]
HOSTILE = C0 + C1 + BIDI + OTHER
# What Word puts on the clipboard for a soft line break, a page break, a bell, an escape, a NUL.
NOTE = "First line\x0bsecond line\x0cthird \x07bell \x1b[31mred\x1b[0m \x00nul \u202ereversed\u202c end"


def excerpt(note: str = NOTE, question: str = "what\x0bnow\x1b]0;title\x07?", text: str = "") -> dict:
    meta = DocMeta(doc_id="doc", title="A title\x1b[2J with \u202econtrols", kind="guidance", edition="2023")
    body = text or "Practitioners share\x0b information\x00 quickly.\x1b[0m It is recorded."
    chunk = Chunk(chunk_id="doc:p1", meta=meta, chapter_number="1", chapter_title="Ch\x07apter",
                  section=("Sec\x1btion",), paragraphs=("1",), pages=(3, 3), text=body, start=0, end=len(body))
    return export.excerpt_from_chunk(chunk, question, ["information\x00 quickly."], note)


def docx_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.read("word/document.xml").decode("utf-8")


def no_hostile(text: str, allowed: str = "") -> None:
    for ch in HOSTILE:
        if ch not in allowed:
            assert ch not in text, f"{ch!r} got through"


# ---------------------------------------------------------------- Word

def test_word_export_never_raises_on_a_control_character():
    """Every C0/C1 control, bidi control, surrogate and noncharacter, in every field at once."""
    nasty = "note " + "".join(HOSTILE) + " end"
    data = export.to_docx([excerpt(note=nasty, question=nasty, text="Body " + nasty)], title="Title " + nasty)
    xml = docx_text(data)
    no_hostile(xml, allowed="\r")  # XML itself may hold a carriage return; none comes from us
    assert "note " in xml and " end" in xml


def test_soft_line_breaks_in_a_note_become_line_breaks_in_word():
    xml = docx_text(export.to_docx([excerpt()]))
    para = xml[xml.index("First line"):xml.index("end</w:t>")]
    assert para.count("<w:br/>") >= 2  # \x0b and \x0c
    assert "second line" in para and "third bell [31mred[0m nul reversed" in para  # ESC, BEL, NUL, U+202E gone


def test_every_character_of_the_bmp_survives_or_is_dropped_by_the_word_sanitiser():
    """The class, not the example: any code point at all, and python-docx accepts the result."""
    everything = "".join(chr(c) for c in range(0x10000)) + "\U0001f600\U000e0067\U0010ffff"
    cleaned = sanitize.for_word(everything)
    from docx import Document

    Document().add_paragraph().add_run(cleaned)  # raises ValueError on anything XML cannot hold
    assert "A" in cleaned and "\u00e9" in cleaned and "\U0001f600" in cleaned and "\u200d" in cleaned
    assert "\x0b" not in cleaned and "\u202e" not in cleaned


def test_an_empty_or_control_only_title_falls_back_to_the_default():
    xml = docx_text(export.to_docx([excerpt()], title="\x1b\x07\x00"))
    assert export.DEFAULT_TITLE.split(":")[0] in xml


# ---------------------------------------------------------------- Markdown

def test_markdown_export_holds_no_control_character():
    nasty = "note " + "".join(HOSTILE) + " end"
    md = export.to_markdown([excerpt(note=nasty, question=nasty)], title="Title\x1b[2J\x0bsecond")
    no_hostile(md)
    assert md.splitlines()[0] == "# Title\\[2J second"  # one heading line, bracket escaped


def test_markdown_keeps_the_soft_line_breaks_of_a_note():
    md = export.to_markdown([excerpt()])
    assert "First line\nsecond line\nthird bell \\[31mred\\[0m nul reversed end" in md


def test_a_highlight_holding_a_control_still_matches_its_sentence():
    md = export.to_markdown([excerpt()])
    assert "**information quickly.**" in md


# ---------------------------------------------------------------- the app

def test_app_markdown_holds_no_control_character():
    nasty = "x " + "".join(HOSTILE) + " y"
    no_hostile(ui_text.escape_md(nasty))
    no_hostile(ui_text.highlighted_md(nasty + " said.", [nasty]))
    assert ui_text.escape_md("a\x0bb") == "a  \nb"  # a soft line break stays a line break


# ---------------------------------------------------------------- terminal

@pytest.mark.parametrize("ch", HOSTILE)
def test_the_terminal_sanitiser_shows_every_control_as_a_visible_escape(ch):
    shown = sanitize.for_terminal(f"a{ch}b")
    assert ch not in shown and shown.startswith("a\\") and shown.endswith("b")
    shown.encode("utf-8")  # a lone surrogate would raise here


def test_the_terminal_sanitiser_keeps_text_and_emoji_sequences():
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    text = f"caf\u00e9 \u0627\u0644\u0639\u0631\u0628\u064a\u0629 {family} \U0001f3f4\U000e0067\U000e0062\U000e007f"
    assert sanitize.for_terminal(text) == text
    assert sanitize.for_terminal("a\tb\nc") == "a b\\x0ac"
    assert sanitize.for_terminal("a\nc", keep_newlines=True) == "a\nc"


def test_terminal_json_is_valid_and_round_trips():
    data = {"t": "|".join(HOSTILE) + "\U0001f600", "n": [1, 2]}  # apart: two adjacent surrogates are a pair
    shown = sanitize.terminal_json(data)
    no_hostile(shown)
    shown.encode("utf-8")
    assert json.loads(shown) == data
    indented = sanitize.terminal_json(data, indent=2)
    assert json.loads(indented) == data and indented.count("\n") > 3  # layout kept, not escaped
    no_hostile(indented, allowed="\n")


# ---------------------------------------------------------------- the CLI's listings

EVIL_ID = "evil-doc"
EVIL_TITLE = "Evil \x1b]0;pwned\x07 \x1b[2J \u202etitle \x9b31m"


def fake_index(root: Path) -> dict[str, str]:
    """An index folder as a build leaves it, as far as `chunks` and `outline` read it."""
    meta = DocMeta(doc_id=EVIL_ID, title=EVIL_TITLE, kind="other", edition="\x1b[5m2023",
                   short_title="Evil\x1b[31m short \u202etitle")
    text = "Body\x1b[31m red \x07 text."
    chunk = Chunk(chunk_id=f"{EVIL_ID}:p1", meta=meta, chapter_number="1", chapter_title="Chap\x1b[1mter",
                  section=("Sec\u202etion",), paragraphs=("1",), pages=(1, 1), text=text, start=0, end=len(text))
    version = root / "v-handmade"
    version.mkdir(parents=True)
    store.write_chunks(version, [chunk])
    manifest = {"format_version": store.FORMAT_VERSION, "model": {"name": "m", "identity": "m", "dim": 3},
                "chunk_count": 1, "sources": [], "checksums": {}, "built_at": "now"}
    (version / "manifest.json").write_text(json.dumps(manifest))
    (root / "CURRENT").write_text(version.name)
    return dict(os.environ, WTKB_INDEX_DIR=str(root), COLUMNS="200")


def run(args, env) -> subprocess.CompletedProcess:
    return subprocess.run(WTKB + args, env=env, capture_output=True, timeout=120)


@pytest.mark.parametrize("args", [["chunks"], ["chunks", "--json"], ["outline"], ["outline", "--json"]])
def test_chunks_and_outline_print_no_raw_control(tmp_path, args):
    env = fake_index(tmp_path / "idx")
    p = run(args, env)
    assert p.returncode == 0, p.stderr
    out = p.stdout.decode("utf-8")  # strict: a lone surrogate written raw would not decode
    no_hostile(out, allowed="\n")
    assert EVIL_ID in out
    if "--json" in args:
        for line in out.splitlines():
            json.loads(line)
    else:
        assert "\\x1b" in out  # shown, visibly escaped


def test_listing_commands_report_a_bad_setting_in_one_line(tmp_path):
    env = dict(fake_index(tmp_path / "idx"), WTKB_K="abc")
    for args in (["chunks"], ["outline"]):
        p = run(args, env)
        err = p.stderr.decode()
        assert p.returncode == 1 and "WTKB_K" in err and "Traceback" not in err, err
        assert len([ln for ln in err.splitlines() if ln.strip()]) == 1, err


def test_a_census_of_every_code_point():
    """The sanitisers against their definition, code point by code point: a control (Cc), a lone
    surrogate (Cs), a line or paragraph separator, a bidi control, an invisible character or a
    noncharacter is escaped on a terminal and absent from a document; nothing else is touched."""
    def not_text(code: int) -> bool:
        return (unicodedata.category(chr(code)) in ("Cc", "Cs", "Zl", "Zp") or code in sanitize.BIDI
                or code in sanitize.INVISIBLE or 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE)

    expected = [c for c in range(0x110000) if not_text(c)]
    chars = [chr(c) for c in range(0x110000) if chr(c) not in "\t\n\r|"]
    shown = sanitize.for_terminal("|".join(chars)).split("|")
    escaped = [ord(ch) for ch, out in zip(chars, shown) if out != ch]
    assert escaped == [c for c in expected if chr(c) not in "\t\n\r"]
    kept = sanitize.for_word("".join(chars))
    breaks = [ch for ch in chars if ch in sanitize.LINE_BREAKS]  # \x0b, \u2028 ... become line breaks
    assert len(kept) == len(chars) - len(escaped) + len(breaks) and kept.count("\n") == len(breaks)
    assert not any(not_text(ord(ch)) for ch in kept.replace("\n", ""))
    assert index is not None


def test_a_link_holding_controls_never_breaks_an_export():
    """The citation's URL comes from a file's front matter or back from the browser's storage."""
    ex = excerpt()
    ex["citation"]["url"] = "https://www.gov.uk/guid\x1bance\u202e\x00.pdf"
    xml = docx_text(export.to_docx([ex]))
    no_hostile(xml, allowed="\r")
    md = export.to_markdown([ex])
    no_hostile(md)
    assert "<https://www.gov.uk/guidance.pdf>" in md
    ex["citation"]["url"] = "https://www.gov.uk/a\x0bb.pdf"  # a line break inside a link: no link at all
    assert "gov.uk" not in export.to_markdown([ex]) and export.safe_url("javascript:alert(1)") == ""
