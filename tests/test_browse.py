"""index.browse.outline on hand-made chunks: the tree a reader sees, in document order."""

from __future__ import annotations

from index import ChapterNode, SectionNode, outline
from index.browse import page_range, para_range
from ingest.records import Chunk, DocMeta

GUIDE = DocMeta("guide", "A guide", kind="guidance", official=True)
OTHER = DocMeta("other", "Another document")


def chunk(cid, chapter, title, section=(), paras=(), pages=(), meta=GUIDE) -> Chunk:
    return Chunk(chunk_id=cid, meta=meta, chapter_number=chapter, chapter_title=title, section=tuple(section),
                 paragraphs=tuple(paras), pages=tuple(pages), text=f"text of {cid}", start=0, end=0)


CHUNKS = [
    chunk("guide:intro", "0", "Introduction", (), (1, 2), (3, 3)),
    chunk("guide:p3-4", "Part one", "What staff should know", ("Roles",), ("3", "4"), (4, 5)),
    chunk("other:a", "1", "Elsewhere", ("X",), (), (), OTHER),
    chunk("guide:p5", "Part one", "What staff should know", ("Roles", "Heads"), ("5",), (5, 5)),
    chunk("guide:p6-7", "Part one", "What staff should know", ("Roles",), ("6", "7"), (6, 7)),
    chunk("guide:pA.1", "A", "Annex A: Further reading", ("Links",), ("A.1", "A.3"), (40, 41)),
    chunk("guide:p4.12-4.14", "4", "Chapter four", ("Adoption",), ("4.12", "4.14"), (20, 22)),
    chunk("guide:p4.9", "4", "Chapter four", ("Adoption",), ("4.9",), (19, 19)),
]


def test_chapters_and_sections_keep_document_order():
    tree = outline(CHUNKS, doc_id="guide")
    assert [c.number for c in tree] == ["0", "Part one", "A", "4"]  # not sorted: the document's own order
    assert all(isinstance(c, ChapterNode) and c.doc_id == "guide" for c in tree)
    part = tree[1]
    assert part.title == "What staff should know"
    assert [s.path for s in part.sections] == [("Roles",), ("Roles", "Heads")]
    assert all(isinstance(s, SectionNode) for s in part.sections)
    roles = part.sections[0]
    # A section whose chunks are split by a subsection stays one node, its chunks in order.
    assert roles.chunk_ids == ["guide:p3-4", "guide:p6-7"]
    assert roles.title == "Roles" and roles.depth == 1 and part.sections[1].title == "Heads"
    assert part.chunk_ids == ["guide:p3-4", "guide:p6-7", "guide:p5"]


def test_paragraph_labels_are_strings_in_reading_order():
    tree = outline(CHUNKS, doc_id="guide")
    intro = tree[0].sections[0]
    assert intro.path == () and intro.title == "" and intro.depth == 0
    assert (intro.para_first, intro.para_last) == ("1", "2")  # ints from older indexes become strings
    annex = tree[2].sections[0]
    assert (annex.para_first, annex.para_last) == ("A.1", "A.3")
    adoption = tree[3].sections[0]
    # first and last as read, not min/max of the labels
    assert (adoption.para_first, adoption.para_last) == ("4.12", "4.9")


def test_pages_span_first_to_last():
    tree = outline(CHUNKS, doc_id="guide")
    assert tree[0].pages == (3, 3)
    assert tree[1].pages == (4, 7) and tree[1].sections[0].pages == (4, 7) and tree[1].sections[1].pages == (5, 5)
    assert tree[3].pages == (19, 22)


def test_no_pages_and_no_paragraphs():
    tree = outline(CHUNKS, doc_id="other")
    assert len(tree) == 1 and tree[0].doc_id == "other"
    section = tree[0].sections[0]
    assert section.pages is None and tree[0].pages is None
    assert section.para_first is None and section.para_last is None
    assert para_range(section.para_first, section.para_last) == "" and page_range(section.pages) == ""


def test_every_document_when_no_doc_id_and_none_for_unknown():
    tree = outline(CHUNKS)
    assert [(c.doc_id, c.number) for c in tree] == [
        ("guide", "0"), ("guide", "Part one"), ("other", "1"), ("guide", "A"), ("guide", "4")]
    assert outline(CHUNKS, doc_id="missing") == [] and outline([]) == []


def test_same_number_different_title_are_different_chapters():
    chunks = [chunk("n:1", "0", "Introduction"), chunk("n:2", "0", "Statutory framework"),
              chunk("n:3", "0", "Introduction")]
    tree = outline(chunks)
    assert [(c.number, c.title, c.chunk_ids) for c in tree] == [
        ("0", "Introduction", ["n:1", "n:3"]), ("0", "Statutory framework", ["n:2"])]


def test_range_text():
    assert para_range("4.12", "4.14") == "paras 4.12\u20134.14" and para_range("7", "7") == "para 7"
    assert page_range((5, 5)) == "p. 5" and page_range((5, 9)) == "pp. 5\u20139"
