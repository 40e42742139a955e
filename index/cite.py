"""Citations: one format everywhere (CLI, app, exports, JSON).

Official text is cited the way the guidance is cited in practice, e.g.
``Working Together 2023 · Ch 3: Providing help… · Child protection · para 150 · p. 74``.
A study note is always labelled as unofficial and points to the official
chapter it summarises, so no one mistakes our summary for the guidance.
"""

from __future__ import annotations

from ingest.chunk import chapter_label, paragraph_range
from ingest.records import Chunk




def _pages(pages: tuple[int, ...]) -> str:
    if not pages:
        return ""
    return f"p. {pages[0]}" if pages[0] == pages[-1] else f"pp. {pages[0]}\u2013{pages[-1]}"


def source_url(chunk: Chunk) -> str:
    """Link to the source; PDFs open at the page the passage starts on."""
    url = chunk.meta.url
    if url and chunk.pages and url.lower().split("?")[0].endswith(".pdf"):
        return f"{url}#page={chunk.pages[0]}"
    return url


def label(chunk: Chunk) -> str:
    m = chunk.meta
    parts: list[str] = []
    if m.kind == "notes":
        parts.append("Unofficial study note")
        covered = m.covers_chapter_title or chunk.chapter_title
        ch = chapter_label(m.covers_chapter or chunk.chapter_number, covered)
        doc = m.covers_title or m.covers_doc
        if not doc:
            parts.append(f"covers {ch}")
        elif ch.lower() in doc.lower():
            parts.append(f"covers {doc}")
        else:
            parts.append(f"covers {doc}, {ch}")
    else:
        parts.append(m.label + (f" ({m.edition})" if m.edition and m.edition not in m.label else ""))
        parts.append(chapter_label(chunk.chapter_number, chunk.chapter_title, chunk.chapter_kind))
    if chunk.section:
        parts.append(" > ".join(chunk.section))
    for extra in (paragraph_range(chunk.paragraphs), _pages(chunk.pages)):
        if extra:
            parts.append(extra)
    return " \u00b7 ".join(parts)


def citation(chunk: Chunk) -> dict:
    m = chunk.meta
    return {
        "doc_id": m.doc_id,
        "title": m.title,
        "edition": m.edition,
        "kind": m.kind,
        "official": m.official,
        "chapter": chunk.chapter_number,
        "chapter_kind": chunk.chapter_kind,
        "chapter_title": chunk.chapter_title,
        "section": " > ".join(chunk.section),
        "paragraphs": list(chunk.paragraphs),
        "pages": list(chunk.pages),
        "url": source_url(chunk),
        "covers": {"doc_id": m.covers_doc, "chapter": m.covers_chapter} if m.kind == "notes" else None,
        "label": label(chunk),
    }
