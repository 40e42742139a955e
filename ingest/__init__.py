"""Ingestion: files → Document → Paragraph → Chunk.

``discover`` finds the files, ``ingest_file`` runs load → clean → structure →
chunk on one of them. Each stage is a module of plain functions over the
records in ``ingest.records``.
"""

from __future__ import annotations

import logging
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from .chunk import TokenCounter, approx_tokens, chunk_document
from .clean import clean
from .coverage import kept_texts, measure
from .limits import Limits
from .load import SUFFIXES, load
from .provenance import load_sources, trusted_hashes, unverified_warning
from .records import Chunk, DocMeta, Document, Heading, IngestError, Line, Paragraph
from .structure import find_paragraphs

log = logging.getLogger(__name__)

# Bumped whenever a change to parsing changes chunks or citations, so that an
# index built by older code is rebuilt by `wtkb build --if-stale` (and `make app`).
PARSER_VERSION = 3

__all__ = ["PARSER_VERSION", "Chunk", "DocMeta", "Document", "Heading", "IngestError", "Line", "Paragraph",
           "IngestedFile", "Limits", "discover", "ingest_file", "load_sources", "trusted_hashes", "approx_tokens"]


@dataclass
class IngestedFile:
    document: Document
    paragraphs: list[Paragraph]
    chunks: list[Chunk]
    text: str  # the cleaned document text that chunk offsets point into
    footnotes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # indexed, but the user should know (one line each)
    coverage: dict = field(default_factory=dict)  # ingest.coverage.Coverage.to_dict(): where every word went


def _regular(path: Path, warnings: list[str]) -> bool:
    """Only regular files are read: a FIFO or device named x.txt would block a build forever."""
    try:
        if stat.S_ISREG(os.stat(path).st_mode):
            return True
    except OSError as e:
        warnings.append(f"{_shown(path)}: cannot be read ({e.strerror}); check it")
        return False
    warnings.append(f"{_shown(path)}: not a regular file (a pipe or device?); skipped")
    return False


def _shown(path) -> str:
    """A path for a warning: a name's bytes that are not UTF-8 written as \\xff, so the
    warning itself can be printed and stored in the manifest."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _named_in_utf8(path: Path, warnings: list[str]) -> bool:
    """A name that is not UTF-8 (bytes Python keeps as lone surrogates) cannot be
    stored in an index or cited, and would stop the whole build; skip that file."""
    try:
        str(path).encode("utf-8")
        return True
    except UnicodeEncodeError:
        warnings.append(f"{_shown(path)}: its name is not valid UTF-8, so it cannot be cited; rename it and "
                        "build again")
        return False


def _inside(real: str, root: str) -> bool:
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def _link_outside(path: Path, root: str, warnings: list[str], what: str) -> bool:
    """Whether ``path`` resolves outside ``root`` (the real corpus folder), with a warning naming it."""
    if _inside(os.path.realpath(path), root):
        return False
    warnings.append(f"{_shown(path)}: a symlink to a {what} outside the corpus folder {_shown(root)}; skipped "
                    "(copy it into the folder, or set WTKB_FOLLOW_LINKS_OUTSIDE_CORPUS=1 if you trust its target)")
    return True


def _walk(folder: Path, outside_links: bool, seen_dirs: set[str], found: list[Path], warnings: list[str]) -> None:
    """Readable files under one corpus folder, in sorted order, into ``found``."""
    root = os.path.realpath(folder)
    for here, dirnames, filenames in os.walk(folder, followlinks=True):
        real = os.path.realpath(here)
        if real in seen_dirs:
            warnings.append(f"{_shown(here)}: folder already visited (a symlink loop?); skipped")
            dirnames[:] = []
            continue
        seen_dirs.add(real)
        dirnames[:] = sorted(n for n in dirnames if not n.startswith(".") and
                             (outside_links or not _link_outside(Path(here) / n, root, warnings, "folder")))
        for name in sorted(filenames):
            if name.startswith(".") or name.endswith((".part", ".tmp")):
                continue
            p = Path(here) / name
            if p.suffix.lower() in SUFFIXES:
                if ((outside_links or not _link_outside(p, root, warnings, "file")) and _regular(p, warnings)
                        and _named_in_utf8(p, warnings)):
                    found.append(p)
            elif p.suffix.lower() not in {".json", ".toml", ".lock"}:
                warnings.append(f"{_shown(p)}: unsupported file type '{_shown(p.suffix or 'none')}'; skipped")


def discover(dirs: list[Path], outside_links: bool = False) -> tuple[list[Path], list[str]]:
    """Files under the given folders (or files) that a loader can read, and a
    one-line warning for everything skipped.

    Only what a corpus folder holds is read: a file or folder symlink that
    resolves outside the folder it was found in is skipped with a warning,
    unless ``outside_links`` (``Settings.follow_links_outside_corpus``) allows
    it, so a link dropped into a shared folder cannot serve a private file as
    passages. A file named directly (``--corpus x.pdf``) is read wherever it
    is: the user chose it. Hard links cannot be told from the file itself;
    Linux's protected_hardlinks already stops a link to a file its maker could
    not read. Symlinked folders are followed once, so a link loop cannot hang
    a build.
    """
    found: list[Path] = []
    warnings: list[str] = []
    seen_dirs: set[str] = set()
    for d in dirs:
        d = Path(d)
        if not d.exists():
            warnings.append(f"{_shown(d)}: no such file or folder; check the path")
            continue
        if not d.is_dir():
            if not _regular(d, warnings) or not _named_in_utf8(d, warnings):
                continue
            if d.suffix.lower() in SUFFIXES:
                found.append(d)
            else:
                warnings.append(f"{_shown(d)}: unsupported file type '{_shown(d.suffix)}'; use PDF, HTML, Markdown "
                                "or plain text")
            continue
        _walk(d, outside_links, seen_dirs, found, warnings)
    return found, warnings


def ingest_file(path: Path, sources: dict[str, dict] | None = None, max_tokens: int = 240,
                count: TokenCounter = approx_tokens, trusted: dict[str, set[str]] | None = None,
                limits: Limits | None = None) -> IngestedFile:
    """Load, clean, structure and chunk one file. Raises IngestError on bad input.

    ``trusted`` (ingest.provenance.trusted_hashes) is what lets a file be official."""
    doc = load(path, sources, trusted, limits)
    source = [(ln.page, ln.text) for ln in doc.lines]  # the text layer as read, before cleaning edits it
    removed: dict[str, list[Line]] = {}
    lines, notes = clean(doc.lines, doc.fmt, doc.outline, doc.pages, removed)
    paragraphs, text = find_paragraphs(lines, doc.meta)
    if not paragraphs:
        raise IngestError(f"{path}: no paragraphs of text were found; check that it is the full document")
    chunks = chunk_document(doc.meta, paragraphs, max_tokens=max_tokens, count=count)
    footnotes = [n.text for n in notes]
    coverage = measure(source, removed, kept_texts(lines, chunks, footnotes))
    warnings = []
    if sources and doc.meta.doc_id in sources and not doc.meta.official and not doc.meta.is_note:
        warnings.append(unverified_warning(path, doc.meta.doc_id))
    if coverage.warning(_shown(path)):
        warnings.append(coverage.warning(_shown(path)))
    return IngestedFile(doc, paragraphs, chunks, text, footnotes, warnings, coverage.to_dict())
