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


@dataclass
class Document:
    meta: DocMeta
    path: Path
    sha256: str
    fmt: str  # pdf, html, md, txt
    lines: list[Line] = field(default_factory=list)
    pages: int = 0


@dataclass
class Paragraph:
    text: str
    chapter_number: str  # "3", "A" for an appendix, "0" for the introduction
    chapter_title: str
    section: tuple[str, ...]
    number: int | None = None  # the guidance's own paragraph number
    page: int | None = None
    page_end: int | None = None
    start: int = 0  # character offsets into the cleaned document text
    end: int = 0


@dataclass
class Chunk:
    chunk_id: str
    meta: DocMeta
    chapter_number: str
    chapter_title: str
    section: tuple[str, ...]
    paragraphs: tuple[int, ...]
    pages: tuple[int, ...]  # (first, last) or () where the source has no pages
    text: str
    start: int
    end: int
    header: str = ""

    @property
    def embed_text(self) -> str:
        return f"{self.header}\n{self.text}" if self.header else self.text

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.embed_text.encode("utf-8")).hexdigest()

    def to_dict(self) -> dict:
        d = asdict(self)
        d["section"] = list(self.section)
        d["paragraphs"] = list(self.paragraphs)
        d["pages"] = list(self.pages)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Chunk":
        d = dict(d)
        d["meta"] = DocMeta(**d["meta"])
        d["section"] = tuple(d["section"])
        d["paragraphs"] = tuple(d["paragraphs"])
        d["pages"] = tuple(d["pages"])
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
