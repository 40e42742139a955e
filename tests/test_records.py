"""The typed records past the index, without a model: DocMeta's study-note rule, Citation (its JSON
contract and its wording), Excerpt (the basket's stored form) and IndexInfo (the manifest)."""

from __future__ import annotations

from pathlib import Path

import index
from ingest.records import Chunk, DocMeta

GUIDE = DocMeta("wt2023", "Working Together to Safeguard Children 2023", short_title="Working Together 2023",
                edition="2023-12-15", kind="guidance", official=True, url="https://example.org/wt.pdf")
NOTE = DocMeta("note-ch3", "Study note: Chapter 3", kind="notes", covers_doc="wt2023",
               covers_title="Working Together 2023", covers_chapter="3", covers_chapter_title="Providing help")


def chunk(meta: DocMeta, **kw) -> Chunk:
    base = dict(chunk_id=f"{meta.doc_id}:p1", meta=meta, chapter_number="1", chapter_title="Overview",
                section=("Strategy discussions",), paragraphs=("150", "151"), pages=(74, 75), text="Text.",
                start=0, end=5)
    return Chunk(**{**base, **kw})


def test_a_study_note_is_about_the_chapter_it_covers():
    assert NOTE.is_note and not GUIDE.is_note
    assert NOTE.chapter_of("1", "Overview") == ("3", "Providing help")
    assert GUIDE.chapter_of("1", "Overview") == ("1", "Overview")
    # A note that names no chapter stays where it is printed.
    assert DocMeta("n", "N", kind="notes").chapter_of("2", "Two") == ("2", "Two")
    assert chunk(NOTE).topic_chapter == ("3", "Providing help")
    assert GUIDE.edition_label == "Working Together 2023 (2023-12-15)"
    assert DocMeta("x", "KCSIE 2025", edition="2025").edition_label == "KCSIE 2025"


def test_citation_json_keeps_its_keys_and_order():
    d = index.Citation.of(chunk(NOTE)).to_dict()
    assert list(d) == ["doc_id", "title", "edition", "kind", "official", "chapter", "chapter_kind", "chapter_title",
                       "section", "paragraphs", "pages", "url", "covers", "label"]
    assert d["covers"] == {"doc_id": "wt2023", "chapter": "3", "title": "Working Together 2023"}
    assert d["paragraphs"] == ["150", "151"]
    assert d["label"] == ("Study note \u00b7 covers Working Together 2023, Ch 3: Providing help \u00b7 "
                          "Strategy discussions \u00b7 paras 150\u2013151 \u00b7 pp. 74\u201375")
    assert index.citation(chunk(GUIDE))["covers"] is None
    assert index.Citation.from_dict(d) == index.Citation.of(chunk(NOTE))  # the basket's copy reads back whole


def test_citation_wording_comes_from_one_place():
    official, note = index.Citation.of(chunk(GUIDE)), index.Citation.of(chunk(NOTE))
    unofficial = index.Citation.of(chunk(DocMeta("local", "Local procedures", kind="other")))
    assert [c.badge for c in (official, note, unofficial)] == ["Official", "Study note", "Not verified"]
    assert note.label.startswith(note.badge) and note.label_badge == "" and official.label_badge == "Official"
    assert official.status == "Official text" and note.status == index.NOTE_STATUS
    assert note.caveat and not official.caveat
    assert official.url.endswith("#page=74") and official.link_text == "Source, page 74"
    assert unofficial.link_text == ""  # no link, no button
    assert "check the official chapter it covers" in note.reference() and official.reference().endswith(
        "https://example.org/wt.pdf#page=74.")


def test_a_damaged_stored_excerpt_degrades_to_empty_fields():
    stored = index.Excerpt.from_chunk(chunk(GUIDE), "who?", ["Text.", ""], "mine").to_dict()
    assert index.Excerpt.from_dict(stored).to_dict() == stored and stored["highlights"] == ["Text."]
    odd = index.Excerpt.from_dict({"chunk_id": "a:1", "citation": "<script>", "highlights": "x", "pages": None})
    assert odd.label == "a:1" and odd.citation == index.Citation() and odd.highlights == ()
    assert odd.heading == "a:1" and index.Excerpt.from_dict(stored).heading == "Strategy discussions"
    assert index.Citation.from_dict({"url": "javascript:alert(1)", "kind": "guidance"}).link_text == ""


def test_index_info_reads_the_manifest_once():
    manifest = {"model": {"name": "m", "identity": "m@1", "dim": 384}, "chunk_count": 12,
                "built_at": "2026-11-22T10:00:05+0000", "chunker": {"parser_version": "7"},
                "sources": [{"doc_id": "wt2023", "title": "WT", "kind": "guidance", "official": True, "chunks": 9},
                            {"doc_id": "note-ch3", "title": "", "kind": "notes", "official": False, "chunks": 3,
                             "edition": None}]}
    about = index.IndexInfo.from_manifest(Path("/x/v-1"), manifest)
    assert (about.version, about.document_count, about.official_count, about.has_official) == ("v-1", 2, 1, True)
    assert about.built_when == "2026-11-22 10:00" and about.vector_index == "exact" and about.parser_version == "7"
    assert [s.badge for s in about.sources] == ["Official", "Study note"]
    assert about.sources[1].name == "note-ch3" and about.sources[1].edition == ""
    assert not index.IndexInfo.from_manifest(Path("v-2"), {"sources": []}).has_official


def test_a_loaded_index_describes_itself_once_even_in_memory(toy_kb):
    """The app reads the description on every rerun: it is built once per index, and an index made
    in memory (no version folder) still has one."""
    import index

    kb = toy_kb()
    about = index.info(kb=kb)
    assert about is index.info(kb=kb) is kb.info
    assert about.model_identity == kb.embedder.identity and about.dim == kb.embedder.dim
