"""An excerpt: a cited passage a trainer collected, with the question it answered and a note.

The basket keeps excerpts as plain JSON (they live in the browser's
localStorage between visits); ``Excerpt`` is the typed view the exports and
the app read, and ``to_dict()`` is that stored form. ``from_dict`` accepts
whatever the browser sends back, so a damaged or hand-edited basket degrades to
empty fields rather than an error.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ingest.records import Chunk

from .cite import Citation


@dataclass(frozen=True)
class Excerpt:
    chunk_id: str
    text: str
    label: str  # the citation line shown with the excerpt
    citation: Citation
    question: str = ""
    highlights: tuple[str, ...] = ()  # sentences of the text to show in bold (the key points it held)
    note: str = ""  # the trainer's own words
    footnotes: tuple[tuple[str, str], ...] = ()  # (marker, text) of the footnotes the passage cites

    @classmethod
    def from_chunk(cls, chunk: Chunk, question: str = "", highlights: Iterable[str] = (),
                   note: str = "") -> "Excerpt":
        cit = Citation.of(chunk)
        return cls(chunk.chunk_id, chunk.text, cit.label, cit, question or "", tuple(h for h in highlights if h),
                   note or "", tuple((f.marker, f.text) for f in chunk.footnotes))

    @classmethod
    def from_dict(cls, d: dict) -> "Excerpt":
        cit = Citation.from_dict(d.get("citation"))
        label = str(d.get("label") or cit.label or d.get("chunk_id") or "Untitled excerpt")
        highlights = d.get("highlights") or ()
        return cls(chunk_id=str(d.get("chunk_id") or ""), text=str(d.get("text", "")), label=label, citation=cit,
                   question=str(d.get("question") or ""),
                   highlights=tuple(str(h) for h in highlights if h) if isinstance(highlights, (list, tuple)) else (),
                   note=str(d.get("note") or ""), footnotes=_footnotes(d.get("footnotes")))

    def to_dict(self) -> dict:
        """The stored form (the basket's JSON): the same keys wtkb has always kept."""
        return {"chunk_id": self.chunk_id, "text": self.text, "label": self.label, "citation": self.citation.to_dict(),
                "question": self.question, "highlights": list(self.highlights), "note": self.note,
                "footnotes": [list(f) for f in self.footnotes]}

    @property
    def heading(self) -> str:
        """A short heading: the section's title, else the chapter's, else the document's, else the label.
        The full citation is given once under the passage and in the reference list."""
        section = self.citation.section.split(" > ")[-1].strip()
        return section or self.citation.chapter_title.strip() or self.citation.title or self.label


def _footnotes(value) -> tuple[tuple[str, str], ...]:
    """Footnotes from a stored excerpt: pairs of strings; anything else (an older basket, a damaged one) is dropped."""
    if not isinstance(value, (list, tuple)):
        return ()
    return tuple((str(f[0]), str(f[1])) for f in value if isinstance(f, (list, tuple)) and len(f) == 2)
