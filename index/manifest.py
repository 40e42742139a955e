"""What an index holds, as typed records: ``IndexInfo`` and its ``SourceEntry`` items.

The manifest on disk is JSON written by ``index.build``; these records are how
everything past the index reads it (``wtkb info``, the app's sidebar), so a
shell never indexes into the raw dict and a missing key in an older manifest
has one default, here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ingest.coverage import page_ranges
from ingest.records import is_note_kind

from .cite import BADGES, provenance


@dataclass(frozen=True)
class SourceEntry:
    """One indexed document, as the build recorded it."""

    doc_id: str
    title: str = ""
    short_title: str = ""
    edition: str = ""
    kind: str = "other"
    official: bool = False
    url: str = ""
    covers_doc: str = ""  # for a study note: the document and chapter it covers
    covers_chapter: str = ""
    path: str = ""  # the file it was read from, as the build showed it
    sha256: str = ""  # of the file's bytes: what made it official (or not)
    format: str = ""
    pages: int = 0
    chunks: int = 0
    footnotes_removed: int = 0
    # Where the text layer's words went (ingest.coverage): words, kept, accounted, removed per rule,
    # lost, lost_pages. Empty for an index built before the check existed.
    coverage: dict = field(default_factory=dict, hash=False, compare=False)

    @classmethod
    def from_dict(cls, d: dict) -> "SourceEntry":
        known = {k: d[k] for k in cls.__dataclass_fields__ if k in d and d[k] is not None}
        return cls(**known)

    @property
    def name(self) -> str:
        return self.title or self.doc_id

    @property
    def coverage_line(self) -> str:
        """"99.96% of 64,210 words accounted for: 96.1% indexed; removed: contents list 327, cover 12;
        lost 25 (pages 29, 43-44)", or "" for an index built before coverage was recorded."""
        c = self.coverage
        if not c or not c.get("words"):
            return ""
        removed = ", ".join(f"{rule} {n:,}" for rule, n in (c.get("removed") or {}).items())
        pages = sorted(int(p) for p in (c.get("lost_pages") or {}))
        lost = f"; lost {c.get('lost', 0):,}" + (f" (pages {page_ranges(pages)})" if pages else "") if c.get("lost") else ""
        return (f"{float(c.get('accounted', 0)):.2%} of {int(c['words']):,} words accounted for: "
                f"{float(c.get('share_kept', 0)):.1%} indexed" + (f"; removed: {removed}" if removed else "") + lost)

    @property
    def is_note(self) -> bool:
        return is_note_kind(self.kind)

    @property
    def badge(self) -> str:
        """"Official", "Study note" or "Not verified" (the same words as a citation's badge)."""
        return BADGES[provenance(self.official, self.kind)]


@dataclass(frozen=True)
class IndexInfo:
    """The live index: where it is, what built it, and what it holds."""

    path: Path  # the live version folder
    model: str = ""  # the sentence-transformers name the build was asked for
    model_identity: str = ""  # what that name resolved to (queries must resolve the same)
    dim: int = 0
    vector_index: str = "exact"
    query_encoder: str = ""
    built_at: str = ""  # ISO time with offset, as the build wrote it
    build_seconds: float = 0.0
    chunk_count: int = 0
    parser_version: str = ""
    sources: tuple[SourceEntry, ...] = ()
    warnings: tuple[str, ...] = field(default=())

    @classmethod
    def from_manifest(cls, version: Path, manifest: dict) -> "IndexInfo":
        model = manifest.get("model") or {}
        return cls(path=Path(version) if version is not None else Path(), model=str(model.get("name", "")), model_identity=str(model.get("identity", "")),
                   dim=int(model.get("dim", 0) or 0), vector_index=str(manifest.get("vector_index", "exact")),
                   query_encoder=str(manifest.get("query_encoder") or ""), built_at=str(manifest.get("built_at", "")),
                   build_seconds=float(manifest.get("build_seconds", 0) or 0),
                   chunk_count=int(manifest.get("chunk_count", 0) or 0),
                   parser_version=str((manifest.get("chunker") or {}).get("parser_version", "")),
                   sources=tuple(SourceEntry.from_dict(d) for d in manifest.get("sources", [])),
                   warnings=tuple(str(w) for w in manifest.get("warnings", [])))

    @property
    def version(self) -> str:
        """The version folder's name (changes with every build)."""
        return self.path.name

    @property
    def document_count(self) -> int:
        return len(self.sources)

    @property
    def official_count(self) -> int:
        return sum(1 for s in self.sources if s.official)

    @property
    def has_official(self) -> bool:
        """False when only study notes (or unverified copies) are indexed: answers must say so."""
        return self.official_count > 0

    @property
    def built_when(self) -> str:
        """The build time to the minute, "2026-11-22 10:00" (the raw value when it is not ISO)."""
        m = re.match(r"(\d{4}-\d\d-\d\d)T(\d\d:\d\d)", self.built_at)
        return f"{m.group(1)} {m.group(2)}" if m else self.built_at
