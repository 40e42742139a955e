"""GOV.UK HTML, Markdown notes and plain text recovered the same way as PDFs."""

from __future__ import annotations

import pytest

from ingest import ingest_file, load_sources
from ingest.records import IngestError
from ingest.config import PROJECT_ROOT


def test_govuk_html_structure(sample_corpus):
    r = ingest_file(sample_corpus / "sample-html.html")
    assert r.document.meta.title == "Sample HTML guidance"
    by_num = {int(p.label): p for p in r.paragraphs if p.label}
    assert sorted(by_num) == [1, 2, 3, 4]
    assert (by_num[1].chapter_number, by_num[1].chapter_title, by_num[1].section) == \
        ("1", "Early support", ("Offering help early",))
    assert by_num[3].section == ("Recording consent",)
    assert (by_num[4].chapter_number, by_num[4].chapter_title) == ("2", "Reviews")
    assert by_num[2].text.endswith("\u2022 about what is going well;\n\u2022 about what support they would accept.")
    intro = [p for p in r.paragraphs if p.label is None]
    assert intro and intro[0].chapter_number == "0" and intro[0].chapter_title == "Introduction"
    everything = " ".join(c.text for c in r.chunks)
    for junk in ("must not be indexed", "GOV.UK navigation", "Footer links"):
        assert junk not in everything


def test_markdown_note_with_front_matter(sample_corpus):
    sources = load_sources(PROJECT_ROOT / "corpus" / "sources.toml")
    r = ingest_file(sample_corpus / "note-sample.md", sources)
    m = r.document.meta
    assert (m.doc_id, m.kind, m.official, m.covers_doc, m.covers_chapter) == \
        ("note-sample", "notes", False, "wt2023-guidance", "3")
    sections = [p.section for p in r.paragraphs]
    assert sections == [("Strategy discussions",), ("Strategy discussions", "Recording the outcome"),
                        ("Section 47 enquiries",)]
    assert all(p.chapter_number == "3" and p.label is None for p in r.paragraphs)
    assert r.paragraphs[0].text.endswith("\u2022 who attends;\n\u2022 what is decided.")
    ids = [c.chunk_id for c in r.chunks]
    assert ids == ["note-sample:ch3/strategy-discussions#1",
                   "note-sample:ch3/strategy-discussions/recording-the-outcome#1",
                   "note-sample:ch3/section-47-enquiries#1"]


def test_plain_text_chapters_and_numbers(tmp_path):
    f = tmp_path / "plain.txt"
    f.write_text("Chapter 1: Plain start\n\nKeeping records\n\n1. Records are kept safely and shared "
                 "only with those who need them.\n\n2. Each record is dated.\n", encoding="cp1252")
    r = ingest_file(f)
    assert [(p.label, p.chapter_number, p.section) for p in r.paragraphs] == \
        [("1", "1", ("Keeping records",)), ("2", "1", ("Keeping records",))]


def test_windows_1252_and_utf16_text_decode(tmp_path):
    a = tmp_path / "cp.txt"
    a.write_bytes("The child\u2019s view matters most of all here.".encode("cp1252"))
    b = tmp_path / "u16.txt"
    b.write_text("The child's view matters most of all here.", encoding="utf-16")
    assert "child's view" in ingest_file(a).paragraphs[0].text
    assert "child's view" in ingest_file(b).paragraphs[0].text


@pytest.mark.parametrize("content, expected", [
    (b"", "the file is empty"),
    (b"   \n\t\n", "only white space"),
    (b"---\nid: [unclosed\n---\n\n## A\n\nText here for a section.\n", "front matter is not valid YAML"),
    (b"---\nid: x\n\n## never closed\n", "never ends"),
])
def test_bad_markdown_gives_one_line(tmp_path, content, expected):
    f = tmp_path / "bad.md"
    f.write_bytes(content)
    with pytest.raises(IngestError) as e:
        ingest_file(f)
    msg = str(e.value)
    assert expected in msg and str(f) in msg and "\n" not in msg
