"""Typed records that flow through ingestion: file → Document → Paragraph → Chunk.

Each stage takes and returns these plain dataclasses, so every stage can be
tested alone and the index never needs to know which loader a chunk came from.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

KINDS = ("guidance", "framework", "summary", "notes", "other")
NOTE_KIND = "notes"  # our own study notes: never official, always cited by the chapter they cover


def is_note_kind(kind: str) -> bool:
    """Whether a document kind is a study note; for code that has a kind before it has a DocMeta."""
    return kind == NOTE_KIND


class IngestError(Exception):
    """A file that cannot be ingested; the message is one line naming the file and the fix."""


@dataclass(frozen=True)
class DocMeta:
    """What a citation needs to know about a document."""

    doc_id: str
    title: str
    short_title: str = ""
    edition: str = ""
    kind: str = "other"
    official: bool = False
    url: str = ""
    publisher: str = ""
    # For study notes: the official document and chapter a note summarises.
    covers_doc: str = ""
    covers_title: str = ""  # short title of the covered document, for citations
    covers_chapter: str = ""
    covers_chapter_title: str = ""
    # Editions: the id of the work this is an edition of, and of the edition it replaces.
    edition_of: str = ""
    supersedes: str = ""

    @property
    def label(self) -> str:
        return self.short_title or self.title

    @property
    def edition_label(self) -> str:
        """The label with the edition when the label does not already say it: "Working Together (2018)"."""
        return self.label + (f" ({self.edition})" if self.edition and self.edition not in self.label else "")

    @property
    def is_note(self) -> bool:
        """A study note written by us: unofficial, and about a chapter of another document."""
        return is_note_kind(self.kind)

    def chapter_of(self, number: str, title: str) -> tuple[str, str]:
        """The (number, title) of the chapter a passage printed under chapter ``number`` is about.

        A study note is about the official chapter it covers, so filters, outlines and citations
        place it there; each part the note does not name falls back to the printed chapter, as it
        does for every other document.
        """
        if not self.is_note:
            return number, title
        return self.covers_chapter or number, self.covers_chapter_title or title


@dataclass
class Line:
    """One line of source text with what the loader knows about its role.

    ``style`` is set by loaders that know the markup (HTML, Markdown):
    "chapter", "section", "subsection", "para", "bullet". PDF lines arrive with
    style "" and the structure finder decides from text and font.
    """

    text: str
    page: int | None = None
    style: str = ""
    size: float = 0.0  # font size where known (PDF)
    bold: bool = False
    top: float = 0.0  # distance from the top of the page, 0..1, where known
    left: float = 0.0  # x of the line's first character in points, where known (PDF)
    # Heading depth given by the document's own navigation (outline or contents
    # page): 0 = chapter, 1.. = section levels; -1 when not a navigation heading.
    level: int = -1
    # The footnotes this line's markers cite, once the cleaner has matched them (PDF).
    footnotes: tuple["Footnote", ...] = ()


# A PDF loader wraps each raised, small run of 1-3 digits (a possible footnote
# marker) in these two invisible characters; the cleaner then removes the run
# if a footnote with that number exists, and keeps its digits as text if not.
MARKER_OPEN, MARKER_CLOSE = "\u2063", "\u2064"


@dataclass(frozen=True)
class Heading:
    """One entry of a document's own map: a PDF bookmark or a contents-page line.

    ``page`` is 1-based; ``depth`` 0 is the top level (chapter, part, annex).
    """

    depth: int
    title: str
    page: int
    source: str = "outline"  # "outline" or "contents"


@dataclass
class Document:
    meta: DocMeta
    path: Path
    sha256: str
    fmt: str  # pdf, html, md, txt
    lines: list[Line] = field(default_factory=list)
    pages: int = 0
    # The document's own navigation (PDF bookmarks), in reading order; empty
    # when the file has none. The cleaner falls back to the contents page.
    outline: list[Heading] = field(default_factory=list)


@dataclass(frozen=True)
class Footnote:
    """A footnote as printed at the foot of a page, attached to the paragraph whose marker cites it.

    ``marker`` is the printed number or symbol ("125", "*"); ``page`` is 1-based where known.
    """

    marker: str
    text: str
    page: int | None = None


@dataclass
class Paragraph:
    text: str
    chapter_number: str  # as printed: "3", "one", "A"; "0" for an untitled introduction, "" when unnumbered
    chapter_title: str
    section: tuple[str, ...]
    label: str | None = None  # the paragraph number as printed: "113", "4.12", "A.3"
    page: int | None = None
    page_end: int | None = None
    start: int = 0  # character offsets into the cleaned document text
    end: int = 0
    chapter_kind: str = "chapter"  # the printed word: chapter, part, annex, appendix, section; "" if none
    footnotes: tuple[Footnote, ...] = ()  # the footnotes this paragraph's markers cite


@dataclass
class Chunk:
    chunk_id: str
    meta: DocMeta
    chapter_number: str
    chapter_title: str
    section: tuple[str, ...]
    paragraphs: tuple[str, ...]  # paragraph labels as printed ("113", "4.12")
    pages: tuple[int, ...]  # (first, last) or () where the source has no pages
    text: str
    start: int
    end: int
    header: str = ""
    chapter_kind: str = "chapter"
    footnotes: tuple[Footnote, ...] = ()  # footnotes cited by the chunk's paragraphs, in marker order

    @property
    def topic_chapter(self) -> tuple[str, str]:
        """(number, title) of the chapter this passage is about: a note's covered chapter (DocMeta.chapter_of)."""
        return self.meta.chapter_of(self.chapter_number, self.chapter_title)

    @property
    def embed_text(self) -> str:
        return f"{self.header}\n{self.text}" if self.header else self.text

    @property
    def footnote_text(self) -> str:
        """The footnotes the chunk's paragraphs cite, one per line ("125 This also applies…")."""
        return "\n".join(f"{f.marker} {f.text}" for f in self.footnotes)

    def keyword_text(self, text: str) -> str:
        """What the keyword index reads for this chunk: ``text`` (what is embedded) and its
        footnotes. Footnotes are mostly legal references and definitions, the exact terms
        keyword search is for; they stay out of the embedding, so a paragraph's vector (and
        the vectors cached by content hash) are its own words only."""
        notes = self.footnote_text
        return f"{text}\n{notes}" if notes else text

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.embed_text.encode("utf-8")).hexdigest()

    def to_dict(self) -> dict:
        d = asdict(self)
        d["section"] = list(self.section)
        d["paragraphs"] = list(self.paragraphs)
        d["pages"] = list(self.pages)
        d["footnotes"] = [asdict(f) for f in self.footnotes]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Chunk":
        d = dict(d)
        d["meta"] = DocMeta(**d["meta"])
        d["section"] = tuple(d["section"])
        d["paragraphs"] = tuple(str(p) for p in d["paragraphs"])  # indexes built before labels were strings
        d["pages"] = tuple(d["pages"])
        d["footnotes"] = tuple(Footnote(**f) for f in d.get("footnotes", ()))  # absent in older indexes
        return cls(**d)


def slugify(text: str, max_len: int = 48) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:max_len].rstrip("-") or "untitled"


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
