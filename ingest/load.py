"""Loaders: one file in, one ``Document`` of styled ``Line`` records out.

Loaders only read; they do not decide what is a header, a footnote or a
paragraph. HTML and Markdown carry their structure in markup, so those loaders
label lines with a style; PDF lines carry font size, weight and position, which
the cleaner and structure finder use.
"""

from __future__ import annotations

import logging
import re
import tomllib
from pathlib import Path

from .records import DocMeta, Document, IngestError, Line, file_sha256, slugify

log = logging.getLogger(__name__)

SUFFIXES = {".pdf": "pdf", ".html": "html", ".htm": "html", ".md": "md", ".markdown": "md", ".txt": "txt"}


# ---------------------------------------------------------------- metadata

def load_sources(sources_file: Path | None) -> dict[str, dict]:
    """The source manifest (corpus/sources.toml) keyed by document id."""
    if not sources_file or not Path(sources_file).exists():
        return {}
    with open(sources_file, "rb") as f:
        data = tomllib.load(f)
    return {s["id"]: s for s in data.get("source", [])}


def meta_from_source(entry: dict) -> DocMeta:
    return DocMeta(
        doc_id=entry["id"],
        title=entry.get("title", entry["id"]),
        short_title=entry.get("short_title", ""),
        edition=entry.get("edition", ""),
        kind=entry.get("kind", "guidance"),
        official=bool(entry.get("official", True)),
        url=entry.get("file_url", "") or entry.get("landing_page", ""),
        publisher=entry.get("publisher", ""),
        edition_of=str(entry.get("edition_of", "")),
        supersedes=str(entry.get("supersedes", "")),
    )


def guess_meta(path: Path, sources: dict[str, dict], title: str = "") -> DocMeta:
    """Metadata for a file that does not describe itself.

    Files named after a manifest id (what ``wtkb fetch`` writes) get the
    manifest's metadata; anything else is indexed as an unofficial document
    named after the file, so it is never presented as official guidance.
    """
    stem = path.stem
    if stem in sources:
        return meta_from_source(sources[stem])
    return DocMeta(doc_id=slugify(stem), title=title or stem.replace("_", " "), kind="other", official=False)


# ---------------------------------------------------------------- PDF

def _pdf_lines(path: Path) -> tuple[list[Line], int, str]:
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
    try:
        title = str((reader.metadata or {}).get("/Title") or "").strip()
    except Exception:  # noqa: BLE001 - broken metadata must not stop the text
        title = ""

    lines: list[Line] = []
    for number, page in enumerate(pages, start=1):
        try:
            lines.extend(_page_lines(page, number))
        except Exception as e:  # noqa: BLE001 - a malformed page stream can raise anything
            log.warning("%s: page %d could not be read (%s); it is skipped", path, number, type(e).__name__)
    if not any(ln.text.strip() for ln in lines):
        raise IngestError(f"{path}: the PDF has no text layer (scanned?); run it through OCR first, then rebuild")
    return lines, len(pages), title


def _page_lines(page, number: int) -> list[Line]:
    """Split a page's text into lines, keeping each line's dominant font.

    pypdf's visitor sees exactly the text that ``extract_text`` returns, run by
    run, with the font in force; concatenating the runs and remembering the
    style of every character lets lines keep pypdf's spacing and also know
    their size, weight and height on the page.
    """
    try:
        height = float(page.mediabox.height) or 842.0
    except Exception:  # noqa: BLE001
        height = 842.0
    chars: list[str] = []
    styles: list[tuple[float, bool, float]] = []

    def visit(text, cm, tm, font_dict, font_size):
        if not text:
            return
        scale = abs(tm[3] * cm[3]) or 1.0
        size = round(float(font_size or 0) * scale, 1)
        base = str((font_dict or {}).get("/BaseFont", ""))
        bold = "bold" in base.lower() or "black" in base.lower()
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        top = min(max(1.0 - y / height, 0.0), 1.0)
        chars.append(text)
        styles.extend([(size, bold, top)] * len(text))

    page.extract_text(visitor_text=visit)
    text = "".join(chars)
    out: list[Line] = []
    pos = 0
    for raw in text.split("\n"):
        span = styles[pos:pos + len(raw)]
        pos += len(raw) + 1
        if not raw.strip():
            continue
        visible = [s for ch, s in zip(raw, span) if not ch.isspace()] or span
        sizes = sorted(s[0] for s in visible)
        size = sizes[len(sizes) // 2] if sizes else 0.0
        bold = sum(1 for s in visible if s[1]) > len(visible) / 2
        tops = [s[2] for s in visible if s[2] > 0]
        # Characters far smaller than the line's body size are footnote markers.
        small = {i for i, (ch, s) in enumerate(zip(raw, span)) if size and s[0] and s[0] < 0.75 * size}
        clean = "".join(ch for i, ch in enumerate(raw) if i not in small) if small and len(small) < len(raw) else raw
        out.append(Line(clean, page=number, size=size, bold=bold, top=max(tops) if tops else 0.0))
    return out


# ---------------------------------------------------------------- HTML

_HTML_CHAPTER = re.compile(r"^(chapter\s+\d+|appendix\s+[a-z0-9]+|introduction)\b", re.I)


def _html_lines(path: Path, raw: str) -> tuple[list[Line], str]:
    """GOV.UK publication pages: h2 = chapter, h3 = section, h4 = subsection.

    Scripts, styles, iframes, forms and navigation are dropped, so nothing but
    the publication's own words reaches the index.
    """
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(raw, "html.parser")
    for tag in soup(["script", "style", "iframe", "form", "nav", "header", "footer", "noscript", "svg",
                     "button", "input", "select", "textarea", "object", "embed"]):
        tag.decompose()
    title_tag = soup.find("h1") or soup.find("title")
    title = title_tag.get_text(" ", strip=True) if title_tag else ""
    body = soup.select_one(".govspeak") or soup.find("main") or soup.body or soup
    lines: list[Line] = []
    has_h2_chapters = any(_HTML_CHAPTER.match(h.get_text(" ", strip=True)) for h in body.find_all("h2"))
    for el in body.find_all(["h2", "h3", "h4", "p", "li"]):
        text = el.get_text(" ", strip=True)
        if not text:
            continue
        if el.name == "li" and el.find(["p"]):
            continue  # its <p> children are visited on their own
        if el.name == "p" and el.find_parent("li"):
            style = "bullet"
        elif el.name == "h2":
            style = "chapter" if has_h2_chapters else "section"
        elif el.name == "h3":
            style = "section" if has_h2_chapters else "subsection"
        elif el.name == "h4":
            style = "subsection"
        elif el.name == "li":
            style = "bullet"
        else:
            style = "para"
        lines.append(Line(text, style=style))
    return lines, title


# ---------------------------------------------------------------- Markdown

def _front_matter(path: Path, raw: str) -> tuple[dict, str]:
    import yaml

    if not raw.startswith("---"):
        return {}, raw
    parts = raw.split("\n---", 1)
    if len(parts) != 2:
        raise IngestError(f"{path}: front matter starts with '---' but never ends; close it with a '---' line")
    try:
        data = yaml.safe_load(parts[0][3:]) or {}
    except yaml.YAMLError as e:
        where = getattr(e, "problem_mark", None)
        at = f" at line {where.line + 1}" if where else ""
        raise IngestError(f"{path}: front matter is not valid YAML{at}; fix it and rebuild") from e
    if not isinstance(data, dict):
        raise IngestError(f"{path}: front matter must be a YAML mapping of key: value lines; fix it and rebuild")
    return data, parts[1].lstrip("-").lstrip("\n")


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


def _md_meta(path: Path, fm: dict, sources: dict[str, dict]) -> DocMeta:
    covers = fm.get("covers") or {}
    if not isinstance(covers, dict):
        raise IngestError(f"{path}: front matter 'covers' must be a mapping with doc and chapter; fix it and rebuild")
    kind = str(fm.get("kind", "notes"))
    covered = sources.get(str(covers.get("doc", "")), {})
    return DocMeta(
        doc_id=str(fm.get("id") or slugify(path.stem)),
        title=str(fm.get("title") or path.stem),
        short_title=str(fm.get("short_title", "")),
        edition=str(fm.get("edition", "")),
        kind=kind,
        # A note is never official, whatever its front matter says.
        official=bool(fm.get("official", False)) and kind != "notes",
        url=str(fm.get("url", "") or covered.get("landing_page", "")),
        publisher=str(fm.get("publisher", "")),
        covers_doc=str(covers.get("doc", "")),
        covers_title=str(covered.get("short_title") or covered.get("title") or covers.get("doc", "")),
        covers_chapter=str(covers.get("chapter", "")),
        covers_chapter_title=str(covers.get("chapter_title", "")),
        edition_of=str(fm.get("edition_of", "") or ""),
        supersedes=str(fm.get("supersedes", "") or ""),
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


def load(path: Path, sources: dict[str, dict] | None = None) -> Document:
    """Read one file. Raises IngestError (one line, naming the file) on bad input."""
    path = Path(path)
    sources = sources or {}
    fmt = SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise IngestError(f"{path}: unsupported file type '{path.suffix}'; use PDF, HTML, Markdown or plain text")
    try:
        if path.stat().st_size == 0:
            raise IngestError(f"{path}: the file is empty; replace it with the full document or remove it")
        sha = file_sha256(path)
    except FileNotFoundError as e:
        raise IngestError(f"{path}: the file disappeared while reading; check the folder and rebuild") from e
    except IsADirectoryError as e:
        raise IngestError(f"{path}: is a directory, not a file") from e
    except OSError as e:
        raise IngestError(f"{path}: cannot be read ({e.strerror}); check its permissions") from e

    if fmt == "pdf":
        lines, pages, title = _pdf_lines(path)
        meta = guess_meta(path, sources, title)
        return Document(meta, path, sha, fmt, lines, pages)

    try:
        raw = read_text(path)
    except OSError as e:
        raise IngestError(f"{path}: cannot be read ({e.strerror}); check its permissions") from e
    if not raw.strip():
        raise IngestError(f"{path}: the file holds only white space; replace it with the full document or remove it")
    if fmt == "html":
        lines, title = _html_lines(path, raw)
        meta = guess_meta(path, sources, title)
    elif fmt == "md":
        fm, body = _front_matter(path, raw)
        meta = _md_meta(path, fm, sources) if fm else guess_meta(path, sources)
        # A note that covers one chapter uses ## for sections; a free-standing
        # Markdown file uses # or ## for chapters.
        lines = _md_lines(body, chapter_level=1 if meta.covers_chapter else 2)
    else:
        # Plain text: blank lines separate blocks; each block is one line for
        # the structure finder, which recognises chapters and numbered paragraphs.
        blocks = re.split(r"\n\s*\n", raw.replace("\r\n", "\n"))
        lines = []
        for block in (" ".join(b.split()) for b in blocks if b.strip()):
            heading = len(block.split()) <= 12 and not re.search(r"[.;:,!?]$", block) and not block[:1].isdigit()
            lines.append(Line(block, style="txt-heading" if heading else "para"))
        meta = guess_meta(path, sources)
    if not any(ln.text.strip() for ln in lines):
        raise IngestError(f"{path}: no readable text found; check the file's contents")
    return Document(meta, path, sha, fmt, lines, 0)
