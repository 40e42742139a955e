"""Footnotes, type sizes, lists, tables and paragraph labels in PDFs (issue 19 items 3-5, issue 22 item 1).

The marker fixture (evals/fixture_footnotes.py) writes its content stream the
way real guidance does: a marker set by a smaller text matrix in the same run
as the words around it, a phrase in 8 pt on a 12 pt line, footnotes in 10 pt at
the foot of the page. The other fixtures are fpdf2 PDFs.
"""

from __future__ import annotations

import io
import json
import re

import pytest

from evals.fixture_footnotes import build_marker_pdf
from ingest import ingest_file


@pytest.fixture(scope="module")
def marked(tmp_path_factory):
    path = tmp_path_factory.mktemp("marks") / "marked-guidance.pdf"
    key = build_marker_pdf(path)
    return ingest_file(path), key


def _para(result, label: str):
    return next(p for p in result.paragraphs if p.label == label)


def test_type_size_never_deletes_words(marked):
    result, _ = marked
    # The last words of the line are set in 8 pt on the 12 pt baseline: text, not a marker.
    assert "refer concerns to the named team within one working day. The team records" in _para(result, "1").text


def test_markers_leave_the_words_on_both_sides_unfused(marked):
    result, key = marked
    text = " ".join(p.text for p in result.paragraphs)
    for phrase in key["kept"]:
        assert phrase in text, phrase
    assert "must41" not in text and "199842" not in text and " 41 " not in text
    # A raised number that no footnote carries is text ("40 m7"), not a marker to delete.
    assert "40 m7 is recorded" in _para(result, "4").text


def test_footnotes_read_and_attached_to_the_citing_paragraph(marked):
    result, key = marked
    assert sorted(result.footnotes) == sorted(key["footnotes"].values())  # each footnote whole, without its number
    for label, markers in key["cites"].items():
        p = _para(result, label)
        assert [f.marker for f in p.footnotes] == markers, label
        assert [f.text for f in p.footnotes] == [key["footnotes"][m] for m in markers]
    cited = [c for c in result.chunks if any(f.marker == "41" for f in c.footnotes)]
    assert cited and all("2" in c.paragraphs for c in cited)
    for c in result.chunks:  # a footnote is shown under its passage, never inside the text
        assert "volunteers who help" not in c.text


def test_footnote_text_is_found_by_keyword_search_and_chunk_ids_stay(marked):
    from index import HashEncoder, KnowledgeBase

    result, _ = marked
    kb = KnowledgeBase.from_chunks(result.chunks, HashEncoder())
    hits = kb.search("volunteers every week", k=3, mode="keyword")
    assert hits and any(f.marker == "41" for f in hits[0].chunk.footnotes)
    assert hits[0].chunk.chunk_id == result.chunks[0].chunk_id == "marked-guidance:p1-4"
    # The embedded text is the paragraph's own words: footnotes stay out of the vectors.
    assert "volunteers" not in hits[0].chunk.embed_text


def test_footnotes_shown_in_markdown_and_word_exports(marked):
    from docx import Document

    from wtkb import export

    result, key = marked
    chunk = next(c for c in result.chunks if c.footnotes)
    stored = export.excerpt_from_chunk(chunk, "what checks are needed?")
    md = export.to_markdown([stored], now="2025-01-01 00:00")
    for marker, text in key["footnotes"].items():
        assert f"- {marker} {text}" in md
    doc = Document(io.BytesIO(export.to_docx([stored], now="2025-01-01 00:00")))
    body = "\n".join(p.text for p in doc.paragraphs)
    assert "Footnotes" in body and f"41 {key['footnotes']['41']}" in body
    # The basket's storage keeps them, so an export after a reload still prints them.
    from wtkb.ui.browser import parse_stored

    reloaded = parse_stored(json.dumps({"items": [stored]}))[0]
    assert reloaded["footnotes"] == [[m, t] for m, t in key["footnotes"].items()]
    assert f"- 41 {key['footnotes']['41']}" in export.to_markdown([reloaded])
    # A control character in a stored footnote (a hand-edited basket) is sanitised, not fatal.
    stored["footnotes"] = [["41", "bad\x0bnote\x00"]]
    assert "bad" in export.to_markdown([stored]) and export.to_docx([stored])


def test_paragraph_labels_open_their_paragraphs_in_the_passage(fixture_pdf):
    from index.answer import sentences

    result = ingest_file(fixture_pdf[0])
    first = result.chunks[0]
    assert first.chunk_id == "sample-guidance:p1-3"  # ids do not change with the printed labels
    assert first.text.startswith("1. Every practitioner who meets a child")
    assert "\n\n2. When a concern is raised" in first.text and "\n\n3. Records should be accurate" in first.text
    for c in result.chunks:
        assert result.text[c.start:c.end].startswith(c.text[:30])
    # The answer layer never takes a label for a sentence of its own.
    found = sentences(first.text)
    assert found[0].startswith("Every practitioner") and not any(re.fullmatch(r"\d+\.?", s) for s in found)


def test_bullets_stay_items_when_a_paragraph_is_split(fixture_pdf):
    result = ingest_file(fixture_pdf[0], max_tokens=48)
    pieces = [c for c in result.chunks if "2" in c.paragraphs]
    assert len(pieces) > 1  # paragraph 2 and its list are longer than one passage
    joined = "\n".join(c.text for c in pieces)
    assert joined.count("\u2022") == 3
    for c in pieces:
        for m in re.finditer("\u2022", c.text):
            assert m.start() == 0 or c.text[m.start() - 1] == "\n", c.text


def _link_table_pdf(path):
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.set_font("Helvetica", "", 12)
    prose = ("Practitioners who work with families record what they see, share it with the right colleague "
             "and agree who acts next, so that no child falls between two services and every decision is "
             "written down with the reasons for it. ") * 5
    pdf.multi_cell(0, 6, "1. " + prose.strip(), new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 6, "2. The following organisations give further advice to staff and families:",
                   new_x="LMARGIN", new_y="NEXT")
    rows = [("Family support line", "www.example.org/family"), ("Young carers advice", "www.example.org/carers"),
            ("Online safety centre", "www.example.org/online"), ("Housing help desk", "www.example.org/housing")]
    for name, link in rows:
        pdf.cell(70, 6, name)
        pdf.cell(0, 6, link, new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 6, "3. " + prose.strip(), new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return rows


def test_link_table_rows_stay_rows(tmp_path):
    rows = _link_table_pdf(tmp_path / "links.pdf")
    result = ingest_file(tmp_path / "links.pdf")
    p2 = _para(result, "2")
    lines = p2.text.split("\n")
    assert lines[0] == "The following organisations give further advice to staff and families:"
    assert [re.sub(r"\s+", " ", ln) for ln in lines[1:]] == [f"{name} {link}" for name, link in rows]
    # Prose is still joined into one line per paragraph.
    assert "\n" not in _para(result, "1").text
