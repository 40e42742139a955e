"""A document's recovered outline: chapters → sections → passages, as the document orders them.

The index stores flat chunks, each knowing its chapter, section path, paragraph
labels and pages. Readers want the tree the document itself shows (the app's
Browse view, ``wtkb outline``), so this module rebuilds it. It is pure: chunks
in, dataclasses out, no Streamlit, no files, so the CLI and the app share it
and tests can hand-make the chunks.

Order is the chunk order (the order the builder met the text), never a sort:
chapter "A" or "Part two" has no natural place in a numeric sort, and the
document's own order is the one a reader expects.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ingest.chunk import chapter_label, paragraph_range


@dataclass
class SectionNode:
    """One section (or the text before a chapter's first section, when ``path`` is empty)."""

    path: tuple[str, ...]  # the section path as stored in chunks, e.g. ("Child protection", "Strategy discussions")
    title: str  # the last element of path; "" for a chapter's opening text
    chunk_ids: list[str] = field(default_factory=list)
    para_first: str | None = None  # paragraph labels as printed ("150", "4.12"), None when unnumbered
    para_last: str | None = None
    pages: tuple[int, int] | None = None  # (first, last), None where the source has no pages

    @property
    def depth(self) -> int:
        """1 for a section, 2 for a subsection, 0 for a chapter's opening text."""
        return len(self.path)


@dataclass
class ChapterNode:
    """One top-level division of a document (chapter, part, annex, introduction)."""

    doc_id: str
    number: str  # as stored: "3", "A", "0" for an untitled opening part
    title: str
    pages: tuple[int, int] | None = None
    sections: list[SectionNode] = field(default_factory=list)
    kind: str = "chapter"  # the printed word: chapter, part, annex, appendix; "" for an unnumbered title

    @property
    def label(self) -> str:
        """"Part two: …", "Ch 3: …", "Annex A: …" or the bare title, as citations name it."""
        return chapter_label(self.number, self.title, self.kind)

    @property
    def chunk_ids(self) -> list[str]:
        return [cid for s in self.sections for cid in s.chunk_ids]


def _merge_pages(current: tuple[int, int] | None, pages: Sequence[int]) -> tuple[int, int] | None:
    """Widen a (first, last) page range by a chunk's pages (which may be empty)."""
    if not pages:
        return current
    first, last = int(pages[0]), int(pages[-1])
    if current is None:
        return (first, last)
    return (min(current[0], first), max(current[1], last))


def _add_chunk(section: SectionNode, chunk) -> None:
    section.chunk_ids.append(chunk.chunk_id)
    section.pages = _merge_pages(section.pages, chunk.pages)
    paras = tuple(chunk.paragraphs or ())
    if paras:
        # First and last in reading order, not min/max: labels such as "4.12" or "A.3" are strings.
        if section.para_first is None:
            section.para_first = str(paras[0])
        section.para_last = str(paras[-1])


def outline(chunks: Iterable, doc_id: str | None = None) -> list[ChapterNode]:
    """The chapters of one document (or of every document when ``doc_id`` is None), each with
    its sections, in the order the chunks come.

    A chapter is identified by (document, number, title) and a section by its path within the
    chapter, so a chapter or section whose chunks are not contiguous is still one node, placed
    where it first appears.
    """
    chapters: dict[tuple[str, str, str], ChapterNode] = {}
    sections: dict[tuple[str, str, str, tuple[str, ...]], SectionNode] = {}
    for chunk in chunks:
        did = chunk.meta.doc_id
        if doc_id is not None and did != doc_id:
            continue
        ckey = (did, str(chunk.chapter_number), str(chunk.chapter_title))
        chapter = chapters.get(ckey)
        if chapter is None:
            chapter = chapters[ckey] = ChapterNode(did, ckey[1], ckey[2], kind=getattr(chunk, "chapter_kind", "chapter"))
        path = tuple(str(p) for p in chunk.section or ())
        skey = (*ckey, path)
        section = sections.get(skey)
        if section is None:
            section = sections[skey] = SectionNode(path, path[-1] if path else "")
            chapter.sections.append(section)
        _add_chunk(section, chunk)
        chapter.pages = _merge_pages(chapter.pages, chunk.pages)
    return list(chapters.values())


def topic_label(chunk) -> str:
    """The publisher's name of the chapter a passage is about ("Part two: …", "Annex A: …",
    "Ch 3: …", "Appendix B: …"): its own top level, or for a study note the chapter it covers.
    Filters and Browse use it, so an option is one real chapter and reads as the citation does."""
    number, title = chunk.topic_chapter
    if chunk.meta.is_note and chunk.meta.covers_chapter:
        kind = "chapter" if number.isdigit() else ""
    else:
        kind = getattr(chunk, "chapter_kind", "chapter")
    return chapter_label(number, title, kind)


def chapter_options(chunks: Iterable) -> dict[str, str]:
    """One filter option per real chapter, in the order the index first meets it: the value is
    what ``Filters.chapter`` matches (the chapter's label), the text is how to show it. Chapters
    that share a number but not a title (three notes on untitled opening parts) stay apart."""
    out: dict[str, str] = {}
    for chunk in chunks:
        name = topic_label(chunk)
        out.setdefault(name, name)
    return out


def para_range(first: str | None, last: str | None) -> str:
    """"para 12", "paras 12–14" or "" (the form citations use)."""
    if not first:
        return ""
    return paragraph_range((first,) if last in (None, first) else (first, last))


def page_range(pages: tuple[int, int] | None) -> str:
    """"p. 5", "pp. 5–7" or ""."""
    if not pages:
        return ""
    return f"p. {pages[0]}" if pages[0] == pages[1] else f"pp. {pages[0]}\u2013{pages[1]}"
