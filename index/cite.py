"""Citations: one format everywhere (CLI, app, exports, JSON).

Official text is cited the way the guidance is cited in practice, e.g.
``Working Together 2023 · Ch 3: Providing help… · Child protection · para 150 · p. 74``.
A study note is always labelled "Study note" and points to the official
chapter it summarises, so no one mistakes our summary for the guidance.

Provenance is said in three words, chosen here only: "Official" (the bytes are
the ones ``wtkb fetch`` recorded or ``sources.toml`` pins), "Not verified" (a
real document added by hand whose bytes nobody has checked yet: not a claim that
it is unofficial) and "Study note" (the bundled notes).

``Citation`` is the typed record; its ``to_dict()`` is the JSON every output
carries (``wtkb ask --json``, ``wtkb chunks --json``, the excerpts basket), and
its badge, status and link wording are the only place those words are chosen,
so the app, the CLI and the exports cannot drift apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.chunk import chapter_label, paragraph_range
from ingest.records import Chunk, is_note_kind

# Provenance, in the three forms the shells show it. UNOFFICIAL is the older name of NOT_VERIFIED.
OFFICIAL, NOTE, NOT_VERIFIED = "official", "note", "not-verified"
UNOFFICIAL = NOT_VERIFIED
BADGES = {OFFICIAL: "Official", NOTE: "Study note", NOT_VERIFIED: "Not verified"}
NOTE_STATUS = "Study note written by the wtkb authors, not the statutory guidance"
NOT_VERIFIED_STATUS = "Not verified: a copy added by hand, not yet checked against the published file"
STATUS = {OFFICIAL: "Official text", NOTE: NOTE_STATUS, NOT_VERIFIED: NOT_VERIFIED_STATUS}
# What each word means, for a tooltip or a legend (no commands: those are for whoever runs the app).
MEANING = {OFFICIAL: "The published file, checked byte for byte against the copy wtkb downloaded or a pinned "
                     "checksum.",
           NOTE: "A summary written by the wtkb authors in their own words; check the official chapter it names.",
           NOT_VERIFIED: "A real document added by hand. Its text has not been checked against the published "
                         "file yet, so read the source before quoting it."}
NOTE_CAVEAT = "Study note written by wtkb, not the guidance itself: check the official chapter."


def provenance(official: bool, kind: str) -> str:
    """OFFICIAL, NOTE or NOT_VERIFIED: the one rule behind every badge (a note is never official)."""
    return OFFICIAL if official else NOTE if is_note_kind(kind) else NOT_VERIFIED


def safe_url(url: object) -> str:
    """The URL when it is a plain http(s) link, else "" (no javascript:, data: and the like)."""
    s = str(url or "").strip()
    return s if re.match(r"^https?://[^\s<>\"'`]+$", s, re.I) else ""


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
    if m.is_note:
        parts.append(BADGES[NOTE])
        ch = chapter_label(*chunk.topic_chapter)
        doc = m.covers_title or m.covers_doc
        if not doc:
            parts.append(f"covers {ch}")
        elif ch.lower() in doc.lower():
            parts.append(f"covers {doc}")
        else:
            parts.append(f"covers {doc}, {ch}")
    else:
        parts.append(m.edition_label)
        parts.append(chapter_label(chunk.chapter_number, chunk.chapter_title, chunk.chapter_kind))
    if chunk.section:
        parts.append(" > ".join(chunk.section))
    for extra in (paragraph_range(chunk.paragraphs), _pages(chunk.pages)):
        if extra:
            parts.append(extra)
    return " \u00b7 ".join(parts)


@dataclass(frozen=True)
class Citation:
    """Where a passage comes from, and how to show that."""

    doc_id: str = ""
    title: str = ""
    edition: str = ""
    kind: str = ""
    official: bool = False
    chapter: str = ""
    chapter_kind: str = ""
    chapter_title: str = ""
    section: str = ""  # the section path joined with " > "
    paragraphs: tuple[str, ...] = ()
    pages: tuple[int, ...] = ()
    url: str = ""  # PDFs open at the passage's first page
    covers_doc: str = ""  # for a study note: the official document and chapter it summarises
    covers_chapter: str = ""
    covers_title: str = ""  # the covered document's short title ("Working Together 2023")
    label: str = ""  # the display text: the one citation line every surface shows

    @classmethod
    def of(cls, chunk: Chunk) -> "Citation":
        m = chunk.meta
        return cls(doc_id=m.doc_id, title=m.title, edition=m.edition, kind=m.kind, official=m.official,
                   chapter=chunk.chapter_number, chapter_kind=chunk.chapter_kind, chapter_title=chunk.chapter_title,
                   section=" > ".join(chunk.section), paragraphs=tuple(chunk.paragraphs), pages=tuple(chunk.pages),
                   url=source_url(chunk), covers_doc=m.covers_doc, covers_chapter=m.covers_chapter,
                   covers_title=m.covers_title, label=label(chunk))

    @classmethod
    def from_dict(cls, d: object) -> "Citation":
        """A citation read back from JSON the user's browser kept: anything missing or odd becomes empty."""
        d = d if isinstance(d, dict) else {}
        covers = d.get("covers") if isinstance(d.get("covers"), dict) else {}

        def text(key: str) -> str:
            v = d.get(key)
            return str(v) if v is not None else ""

        def seq(key: str) -> tuple:
            v = d.get(key)
            return tuple(v) if isinstance(v, (list, tuple)) else ()

        return cls(doc_id=text("doc_id"), title=text("title"), edition=text("edition"), kind=text("kind"),
                   official=bool(d.get("official")), chapter=text("chapter"), chapter_kind=text("chapter_kind"),
                   chapter_title=text("chapter_title"), section=text("section"),
                   paragraphs=tuple(str(p) for p in seq("paragraphs")), pages=seq("pages"), url=text("url"),
                   covers_doc=str(covers.get("doc_id") or ""), covers_chapter=str(covers.get("chapter") or ""),
                   covers_title=str(covers.get("title") or ""), label=text("label"))

    def to_dict(self) -> dict:
        """The JSON contract: the same keys, order and values wtkb has always written."""
        return {
            "doc_id": self.doc_id, "title": self.title, "edition": self.edition, "kind": self.kind,
            "official": self.official, "chapter": self.chapter, "chapter_kind": self.chapter_kind,
            "chapter_title": self.chapter_title, "section": self.section, "paragraphs": list(self.paragraphs),
            "pages": list(self.pages), "url": self.url,
            "covers": ({"doc_id": self.covers_doc, "chapter": self.covers_chapter, "title": self.covers_title}
                       if self.is_note else None),
            "label": self.label,
        }

    @property
    def is_note(self) -> bool:
        return is_note_kind(self.kind)

    @property
    def provenance(self) -> str:
        return provenance(self.official, self.kind)

    @property
    def badge(self) -> str:
        """"Official", "Study note" or "Not verified"."""
        return BADGES[self.provenance]

    @property
    def label_badge(self) -> str:
        """The badge to print after the label: none for a note, whose label already begins with it."""
        return "" if self.is_note else self.badge

    @property
    def status(self) -> str:
        """The provenance as a sentence, for exports: "Official text", or who wrote an unofficial note."""
        return STATUS[self.provenance]

    @property
    def document(self) -> str:
        """The document's short name as a reader knows it: "KCSIE 2025", or "study notes on Working
        Together 2023" for a note (titles and handouts name what is actually collected)."""
        if self.is_note:
            return f"study notes on {self.covers_title}" if self.covers_title else "study notes"
        head = self.label.split(" \u00b7 ")[0].strip() if self.label else ""
        return head or self.title or self.doc_id

    @property
    def meaning(self) -> str:
        """What the badge means, in one sentence for a reader."""
        return MEANING[self.provenance]

    @property
    def caveat(self) -> str:
        """What a reader of a study note must do before relying on it; "" for anything else."""
        return NOTE_CAVEAT if self.is_note else ""

    @property
    def link_text(self) -> str:
        """The words on a link to the source ("" when there is no safe link)."""
        url = safe_url(self.url)
        if not url:
            return ""
        if self.is_note:
            return "Official chapter's source"
        if self.pages and "#page=" in url:
            return f"Source, page {self.pages[0]}"
        return "Open the source"

    def reference(self, label: str = "") -> str:
        """One reference-list entry: the label, then title, edition, status and the link."""
        label = label or self.label
        parts = [label]
        if self.title and self.title not in label:
            parts.append(self.title + (f" ({self.edition})" if self.edition else ""))
        elif self.edition and self.edition not in label:
            parts.append(f"Edition {self.edition}")
        parts.append(self.status + ("; check the official chapter it covers" if self.is_note else ""))
        url = safe_url(self.url)
        if url:
            parts.append(url)
        return ". ".join(p.rstrip(".") for p in parts if p) + "."


def citation(chunk: Chunk) -> dict:
    """The citation as JSON (``Citation.of(chunk).to_dict()``)."""
    return Citation.of(chunk).to_dict()
