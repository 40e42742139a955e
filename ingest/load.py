"""Loaders: one file in, one ``Document`` of styled ``Line`` records out.

Loaders only read; they do not decide what is a header, a footnote or a
paragraph. HTML and Markdown carry their structure in markup, so those loaders
label lines with a style; PDF lines carry font size, weight and position, which
the cleaner and structure finder use.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from . import frontmatter
from .limits import Limits, check_page_lines, check_pdf_header, check_size
from .load_html import html_lines
from .outline import read_outline
from .provenance import id_from_name, is_official, load_sources, valid_id
from .pdf_text import page_lines as read_page_lines
from .records import MARKER_CLOSE, MARKER_OPEN, DocMeta, Document, Heading, IngestError, Line, file_sha256, slugify

__all__ = ["SUFFIXES", "guess_meta", "load", "load_sources", "meta_from_source", "read_text"]

log = logging.getLogger(__name__)

SUFFIXES = {".pdf": "pdf", ".html": "html", ".htm": "html", ".md": "md", ".markdown": "md", ".txt": "txt"}


# ---------------------------------------------------------------- metadata

def meta_from_source(entry: dict, official: bool) -> DocMeta:
    return DocMeta(
        doc_id=entry["id"],
        title=entry.get("title", entry["id"]),
        short_title=entry.get("short_title", ""),
        edition=entry.get("edition", ""),
        kind=entry.get("kind", "guidance"),
        official=official,
        url=entry.get("file_url", "") or entry.get("landing_page", ""),
        publisher=entry.get("publisher", ""),
        edition_of=str(entry.get("edition_of", "")),
        supersedes=str(entry.get("supersedes", "")),
    )


def guess_meta(path: Path, sources: dict[str, dict], title: str = "", sha256: str = "",
               trusted: dict[str, set[str]] | None = None) -> DocMeta:
    """Metadata for a file that does not describe itself.

    A file whose bytes are a verified official document (ingest/provenance.py)
    gets its manifest entry's metadata; anything else, whatever its name, is
    an unofficial document titled from its own contents or file name.
    """
    doc_id = id_from_name(path.stem)
    entry = sources.get(doc_id)
    if entry is not None and is_official(doc_id, sha256, entry.get("kind", "guidance"), trusted):
        return meta_from_source(entry, official=True)
    return DocMeta(doc_id=doc_id, title=title or path.stem.replace("_", " "), kind="other", official=False)


# ---------------------------------------------------------------- PDF

def _pdf_lines(path: Path, limits: Limits = Limits()) -> tuple[list[Line], int, str, list[Heading]]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except Exception:  # noqa: BLE001 - pypdf raises several types here
                ok = 0
            if not ok:
                raise IngestError(f"{path}: the PDF is encrypted with a password; save an unprotected copy and rebuild")
        pages = list(reader.pages)
    except IngestError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, AttributeError) as e:
        raise IngestError(f"{path}: not a readable PDF ({type(e).__name__}); re-download or re-export it") from e
    if not pages:
        raise IngestError(f"{path}: the PDF has no pages; re-download or re-export it")
    if len(pages) > limits.max_pdf_pages:
        raise IngestError(f"{path}: {len(pages):,} pages, over the max_pdf_pages limit of {limits.max_pdf_pages:,}; "
                          "check the file or raise WTKB_MAX_PDF_PAGES")
    try:
        title = str((reader.metadata or {}).get("/Title") or "").strip()
    except Exception:  # noqa: BLE001 - broken metadata must not stop the text
        title = ""

    lines: list[Line] = []
    for number, page in enumerate(pages, start=1):
        try:
            _check_page_stream(path, page, number, limits)
            page_lines = read_page_lines(page, number)
        except IngestError:
            raise
        except Exception as e:  # noqa: BLE001 - a malformed page stream can raise anything
            log.warning("%s: page %d could not be read (%s); it is skipped", path, number, type(e).__name__)
            continue
        check_page_lines(path, number, len(page_lines), limits)
        lines.extend(page_lines)
    if not any(ln.text.strip() for ln in lines):
        raise IngestError(f"{path}: the PDF has no text layer (scanned?); run it through OCR first, then rebuild")
    return lines, len(pages), pdf_title(title, lines), read_outline(reader)


TEMPLATE_TITLE = re.compile(r"template|untitled|^microsoft word|\.docx?$|^document\d*$|^title$", re.I)


def pdf_title(metadata_title: str, lines: list[Line]) -> str:
    """The document's title: its metadata title unless that is a leftover of
    the authoring template ("DFE stat guidance template", "Microsoft Word -
    draft.docx"), else the largest type on the cover page."""
    if metadata_title and not TEMPLATE_TITLE.search(metadata_title.strip()):
        return metadata_title
    cover = [ln for ln in lines if ln.page == 1 and ln.size and re.search(r"[A-Za-z]{3}", ln.text)]
    if not cover:
        return ""
    biggest = max(ln.size for ln in cover)
    words = " ".join(" ".join(ln.text.split()) for ln in cover if ln.size >= biggest - 0.5)
    return words.replace(MARKER_OPEN, "").replace(MARKER_CLOSE, "")[:200]


def _check_page_stream(path: Path, page, number: int, limits: Limits) -> None:
    """Count the page's text-showing operators before extracting anything: a
    page with tens of thousands of lines would take minutes to extract."""
    try:
        contents = page.get_contents()
        data = contents.get_data() if contents is not None else b""
    except Exception:  # noqa: BLE001 - a broken stream is reported by the extraction itself
        return
    shows = data.count(b"Tj") + data.count(b"TJ")
    # Real pages show a line in one to a few runs; ten per allowed line is generous.
    if shows > 10 * limits.max_lines_per_page:
        check_page_lines(path, number, shows, limits, what="pieces of text")


# ---------------------------------------------------------------- Markdown and text

MD_LINK = re.compile(r"!?\[([^\]\n]+)\]\((?:[^()\s]|\([^()\s]*\))+\)")


def strip_links(text: str) -> str:
    """Markdown-style links and images read as their text: "[the guidance](https://…)" →
    "the guidance", "![a chart](c.png)" → "a chart". The address never reaches a chunk."""
    return MD_LINK.sub(r"\1", text)


def _md_lines(text: str, chapter_level: int) -> list[Line]:
    """Markdown blocks to lines. Blank lines end paragraphs; wrapped lines join."""
    lines: list[Line] = []
    buf: list[str] = []

    def flush():
        if buf:
            lines.append(Line(" ".join(buf), style="para"))
            buf.clear()

    for raw in text.splitlines():
        s = raw.strip()
        m = re.match(r"^(#{1,6})\s+(.*?)\s*#*$", s)
        if m:
            flush()
            level = len(m.group(1))
            style = {chapter_level: "chapter", chapter_level + 1: "section"}.get(level, "subsection")
            if level < chapter_level:
                style = "title"
            lines.append(Line(m.group(2), style=style))
        elif re.match(r"^([-*+]|\d+[.)])\s+", s):
            flush()
            lines.append(Line(re.sub(r"^([-*+]|\d+[.)])\s+", "", s), style="bullet"))
        elif not s:
            flush()
        elif lines and lines[-1].style == "bullet" and raw[:1].isspace() and not buf:
            lines[-1].text += " " + s  # a wrapped bullet item
        else:
            buf.append(s)
    flush()
    return lines


def _md_meta(path: Path, fm: dict, sources: dict[str, dict], sha256: str,
             trusted: dict[str, set[str]] | None) -> DocMeta:
    """Metadata from checked front matter (ingest/frontmatter.py). Its 'official'
    is never believed: provenance decides (ingest/provenance.py)."""
    covers = fm.get("covers") or {}
    kind = fm.get("kind") or "notes"
    doc_id = fm.get("id") or id_from_name(path.stem)
    if not valid_id(doc_id):
        raise IngestError(f"{path}: front matter id {doc_id!r} is not allowed; use lower-case letters, digits, "
                          f"'.', '_' and '-' only (for example '{slugify(doc_id)}') and rebuild")
    covered = sources.get(covers.get("doc", ""), {})
    return DocMeta(
        doc_id=doc_id,
        title=fm.get("title") or path.stem,
        short_title=fm.get("short_title", ""),
        edition=fm.get("edition", ""),
        kind=kind,
        official=is_official(doc_id, sha256, kind, trusted),
        # A url the front matter gave but frontmatter.py dropped (not https) stays empty.
        url=(fm.get("url") or "") if "url" in fm else covered.get("landing_page", ""),
        publisher=fm.get("publisher", ""),
        covers_doc=covers.get("doc", ""),
        covers_title=covered.get("short_title") or covered.get("title") or covers.get("doc", ""),
        covers_chapter=covers.get("chapter", ""),
        covers_chapter_title=covers.get("chapter_title", ""),
        edition_of=fm.get("edition_of") or "",
        supersedes=fm.get("supersedes") or "",
    )


# ---------------------------------------------------------------- entry point

def read_text(path: Path) -> str:
    """Decode a text file: UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252."""
    data = path.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    controls = sum(1 for ch in text[:20000] if (ord(ch) < 32 and ch not in "\n\r\t\f") or ch == "\ufffd")
    if "\x00" in text or controls > 0.02 * min(len(text), 20000):
        raise IngestError(f"{path}: looks like a binary file, not text; export it as PDF, HTML, Markdown or "
                          "plain text and rebuild")
    return text


def load(path: Path, sources: dict[str, dict] | None = None, trusted: dict[str, set[str]] | None = None,
         limits: Limits | None = None) -> Document:
    """Read one file. Raises IngestError (one line, naming the file) on bad input.

    ``trusted`` holds the sha256 values that prove a file is an official
    document (ingest.provenance.trusted_hashes); without it nothing is official."""
    path = Path(path)
    sources = sources or {}
    limits = limits or Limits()
    fmt = SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise IngestError(f"{path}: unsupported file type '{path.suffix}'; use PDF, HTML, Markdown or plain text")
    sha = _checked_sha256(path, fmt, limits)
    if fmt == "pdf":
        check_pdf_header(path)
        lines, pages, title, outline = _pdf_lines(path, limits)
        meta = guess_meta(path, sources, title, sha, trusted)
        return Document(meta, path, sha, fmt, lines, pages, outline)
    lines, meta = _text_lines(path, fmt, _read_nonblank(path), sources, sha, trusted, limits)
    if not any(ln.text.strip() for ln in lines):
        raise IngestError(f"{path}: no readable text found; check the file's contents")
    return Document(meta, path, sha, fmt, lines, 0)


def _checked_sha256(path: Path, fmt: str, limits: Limits) -> str:
    """The file's sha256, once it is known to be a non-empty file within the
    size limit. Size is checked first so an oversized file is never hashed."""
    try:
        size = path.stat().st_size
        if size == 0:
            raise IngestError(f"{path}: the file is empty; replace it with the full document or remove it")
        check_size(path, size, fmt, limits)
        return file_sha256(path)
    except FileNotFoundError as e:
        raise IngestError(f"{path}: the file disappeared while reading; check the folder and rebuild") from e
    except IsADirectoryError as e:
        raise IngestError(f"{path}: is a directory, not a file") from e
    except OSError as e:
        raise IngestError(f"{path}: cannot be read ({e.strerror}); check its permissions") from e


def _read_nonblank(path: Path) -> str:
    """A text file's contents, refusing one that holds nothing but white space."""
    try:
        raw = read_text(path)
    except OSError as e:
        raise IngestError(f"{path}: cannot be read ({e.strerror}); check its permissions") from e
    if not raw.strip():
        raise IngestError(f"{path}: the file holds only white space; replace it with the full document or remove it")
    return raw


def _text_lines(path: Path, fmt: str, raw: str, sources: dict[str, dict], sha: str,
                trusted: dict[str, set[str]] | None, limits: Limits) -> tuple[list[Line], DocMeta]:
    """Lines and metadata for an HTML, Markdown or plain-text file."""
    if fmt == "html":
        lines, title = html_lines(path, raw)
        return lines, guess_meta(path, sources, title, sha, trusted)
    if fmt == "md":
        fm, body = frontmatter.parse(path, raw, limits)
        meta = _md_meta(path, fm, sources, sha, trusted) if fm else guess_meta(path, sources, "", sha, trusted)
        # A note that covers one chapter uses ## for sections; a free-standing
        # Markdown file uses # or ## for chapters.
        return _md_lines(strip_links(body), chapter_level=1 if meta.covers_chapter else 2), meta
    return _txt_lines(raw), guess_meta(path, sources, "", sha, trusted)


def _txt_lines(raw: str) -> list[Line]:
    """Plain text: blank lines separate blocks; each block is one line for
    the structure finder, which recognises chapters and numbered paragraphs."""
    blocks = re.split(r"\n\s*\n", raw.replace("\r\n", "\n"))
    lines = []
    for block in (strip_links(" ".join(b.split())) for b in blocks if b.strip()):
        # "1 Introduction" is a numbered heading; "1. Records are kept…" a numbered paragraph.
        numbered_heading = re.match(r"^\d+(\.\d+)*\s+[A-Z]", block) is not None
        heading = (len(block.split()) <= 12 and not re.search(r"[.;:,!?]$", block)
                   and (not block[:1].isdigit() or numbered_heading))
        lines.append(Line(block, style="txt-heading" if heading else "para"))
    return lines
