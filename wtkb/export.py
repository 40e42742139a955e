"""Export a basket of excerpts as Markdown or Word, with full citations.

Plain functions over a list of excerpts, so the app stays a thin UI and the
exports can be tested without Streamlit. The basket keeps each excerpt in its
stored form (a dict: ``index.Excerpt.to_dict()``); the exports read them as
``index.Excerpt`` records, whose citation carries the label, status and link
wording chosen once in the library (``index.Citation``). Each export ends with
a numbered reference list; excerpts point to it with [n].
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterable, Sequence

import index
from wtkb import sanitize

NOTICE = ("These excerpts point to the guidance; they do not replace local safeguarding procedures or "
          "professional judgement. If a child is in immediate danger, call 999.")
UNOFFICIAL = index.NOTE_STATUS
DEFAULT_TITLE = "Safeguarding excerpts"


def safe_url(url: object) -> str:
    """A plain http(s) link (``index.safe_url``) once the Word sanitiser has taken out what no
    document can hold (a control or bidi character, from a file's front matter or the browser's
    storage, made python-docx refuse the whole export); the same link in every format."""
    return index.safe_url(sanitize.for_word(url or "", single_line=True))


def suggested_title(excerpts: Sequence[dict | index.Excerpt]) -> str:
    """A handout title naming the documents actually in the basket, in the order first collected:
    "Safeguarding excerpts: KCSIE 2025 and Working Together 2023" (never a document it does not hold)."""
    names = name_list(ex.citation.document for ex in _typed(excerpts))
    return f"{DEFAULT_TITLE}: {names}" if names else DEFAULT_TITLE


NOTES_ON = "study notes on "


def name_list(documents: Iterable[str], most: int = 3) -> str:
    """Document names as one phrase, in first-seen order: "KCSIE 2025 and Working Together 2023";
    notes on several documents read "study notes on A and B"; past ``most`` names, "and N more"."""
    names = list(dict.fromkeys(d for d in documents if d))
    covered = [n[len(NOTES_ON):] for n in names if n.startswith(NOTES_ON)]
    names = [n for n in names if not n.startswith(NOTES_ON)]
    if covered:
        names.append(NOTES_ON + _joined(covered, most))
    return _joined(names, most)


def _joined(names: list[str], most: int) -> str:
    if len(names) > most:
        names = names[:most - 1] + [f"{len(names) - most + 1} more"]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1] if names else ""


# ------------------------------------------------------------------ building excerpts

def excerpt_from_chunk(chunk, question: str = "", highlights: Iterable[str] = (), note: str = "") -> dict:
    """The stored form of an excerpt of an index chunk, as the basket keeps it."""
    return index.Excerpt.from_chunk(chunk, question, highlights, note).to_dict()


def _typed(excerpts: Sequence[dict | index.Excerpt]) -> list[index.Excerpt]:
    return [ex if isinstance(ex, index.Excerpt) else index.Excerpt.from_dict(ex) for ex in excerpts]


def heading(ex: dict | index.Excerpt) -> str:
    """A short heading for an excerpt (``Excerpt.heading``)."""
    return _typed([ex])[0].heading


# ------------------------------------------------------------------ references

def references(excerpts: Sequence[dict | index.Excerpt]) -> tuple[list[str], list[int]]:
    """The reference list (unique by citation label and link, in first-use
    order) and, for each excerpt, its 1-based number in that list."""
    refs: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    numbers: list[int] = []
    for ex in _typed(excerpts):
        key = (ex.label, safe_url(ex.citation.url))
        if key not in seen:
            refs.append(ex.citation.reference(ex.label))
            seen[key] = len(refs)
        numbers.append(seen[key])
    return refs, numbers


# ------------------------------------------------------------------ Markdown

# Only what can start markup inside a line: ">" is harmless mid-line (it only quotes at a line start), and
# escaping it left "Child protection \\> Strategy discussions" in every section path.
_MD_INLINE = re.compile(r"([\\`*_\[\]<{}|~$])")
_MD_LINE_START = re.compile(r"^(\s*)([#>+=-]|\d+[.)])")


def md_escape(text: object) -> str:
    """Make text inert in Markdown (no links, images, HTML or emphasis) while
    keeping it readable in the raw file."""
    out = []
    for line in sanitize.for_markdown(text or "").splitlines() or [""]:
        out.append(_md_line(line.strip()))
    return "\n".join(out)


def _md_line(line: str) -> str:
    line = _MD_INLINE.sub(r"\\\1", line)
    return _MD_LINE_START.sub(lambda m: m.group(1) + (m.group(2)[:-1] + "\\" + m.group(2)[-1]
                                                      if m.group(2)[0].isdigit() else "\\" + m.group(2)), line)


def _md_highlighted(line: str, highlights: Sequence[str]) -> str:
    """One line of passage text, escaped, with the matched sentences in bold."""
    parts = []
    for k, (text, marked) in enumerate(_split_highlights(line, highlights)):
        piece = _MD_INLINE.sub(r"\\\1", text)
        if k == 0:
            piece = _md_line(text)
        if marked and piece.strip():
            lead, core, trail = re.match(r"^(\s*)(.*?)(\s*)$", piece, re.S).groups()
            piece = f"{lead}**{core}**{trail}"
        parts.append(piece)
    return "".join(parts)


def _quote(text: str, highlights: Sequence[str] = ()) -> str:
    highlights = [sanitize.for_markdown(h) for h in highlights]
    lines = [_md_highlighted(ln.strip(), highlights) if ln.strip() else ""
             for ln in sanitize.for_markdown(text).splitlines()]
    return "\n".join(("> " + ln) if ln else ">" for ln in lines or [""])


def footnote_lines(footnotes: Iterable[tuple[str, str]]) -> list[str]:
    """The footnotes a passage cites as the page prints them: "125 This also applies…"."""
    return [f"{marker} {text}".strip() for marker, text in footnotes if (text or "").strip()]


def _md_footnotes(footnotes: Sequence[tuple[str, str]]) -> list[str]:
    """Footnotes under the quoted passage, as a small "Footnotes" block (escaped like every other line)."""
    lines = footnote_lines(footnotes)
    if not lines:
        return []
    return ["Footnotes:", ""] + ["- " + md_escape(sanitize.for_markdown(ln, single_line=True)) for ln in lines] + [""]


def _md_reference(ref: str) -> str:
    """A reference-list entry, escaped, with its trailing link as a Markdown autolink (escaping a URL's
    underscores would break it)."""
    m = re.search(r"(https?://[^\s<>\"'`]+?)\.?$", ref)
    url = safe_url(m.group(1)) if m else ""
    if not url:
        return md_escape(ref)
    return (md_escape(ref[:m.start()]).rstrip() + f" <{url}>.").lstrip()


def to_markdown(excerpts: Sequence[dict | index.Excerpt], title: str | None = None, now: str | None = None) -> str:
    """The basket as a Markdown document: each excerpt under its section title, the passage with
    the matched sentences in bold, its citation once, the trainer's note, then the reference list.
    Without a title, the title names the documents in the basket (``suggested_title``)."""
    now = now or time.strftime("%Y-%m-%d %H:%M")
    excerpts = _typed(excerpts)
    title = title or suggested_title(excerpts)
    refs, numbers = references(excerpts)
    out = [f"# {md_escape(sanitize.for_markdown(title, single_line=True)) or DEFAULT_TITLE}", "",
           f"Exported from wtkb on {now}. {NOTICE}", ""]
    if not excerpts:
        out += ["No excerpts were selected.", ""]
    for i, (ex, n) in enumerate(zip(excerpts, numbers), start=1):
        out += [f"## {i}. {md_escape(sanitize.for_markdown(ex.heading, single_line=True))}", ""]
        out += [f"*{md_escape(sanitize.for_markdown(ex.citation.status, single_line=True))}.*", ""]
        if ex.question:
            out += [f"Found for the question: \u201c{md_escape(ex.question)}\u201d", ""]
        out += [_quote(ex.text, ex.highlights), ""]
        out += _md_footnotes(ex.footnotes)
        url = safe_url(ex.citation.url)
        out += [f"Citation: {md_escape(ex.label)} [{n}]" + (f" <{url}>" if url else ""), ""]
        note = ex.note.strip()
        if note:
            out += ["**Trainer's note:**", "", md_escape(note), ""]
    out += ["## References", ""]
    out += [f"{n}. {_md_reference(r)}" for n, r in enumerate(refs, start=1)] or ["None."]
    out.append("")
    return "\n".join(out)


# ------------------------------------------------------------------ Word

def _hyperlink(paragraph, url: str, text: str | None = None):
    """Append a real, clickable hyperlink run (python-docx has no API for one)."""
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    rid = paragraph.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), rid)
    run = OxmlElement("w:r")
    props = OxmlElement("w:rPr")
    style = OxmlElement("w:rStyle")
    style.set(qn("w:val"), "Hyperlink")
    color = OxmlElement("w:color")
    color.set(qn("w:val"), "0563C1")
    underline = OxmlElement("w:u")
    underline.set(qn("w:val"), "single")
    for el in (style, color, underline):
        props.append(el)
    run.append(props)
    t = OxmlElement("w:t")
    t.text = text or url
    t.set(qn("xml:space"), "preserve")
    run.append(t)
    link.append(run)
    paragraph._p.append(link)
    return link


def _a4(doc) -> None:
    """A4 with 2 cm margins: python-docx's default template is US Letter."""
    from docx.shared import Mm

    for section in doc.sections:
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.left_margin = section.right_margin = Mm(20)
        section.top_margin = section.bottom_margin = Mm(20)


def _text_with_links(paragraph, text: str) -> None:
    """Text whose http(s) URLs become hyperlinks."""
    pos = 0
    for m in re.finditer(r"https?://[^\s<>\"'`]+", text):
        url = safe_url(m.group(0).rstrip(".,;)"))
        if not url:
            continue
        if m.start() > pos:
            paragraph.add_run(text[pos:m.start()])
        _hyperlink(paragraph, url)
        pos = m.start() + len(url)
    if pos < len(text):
        paragraph.add_run(text[pos:])


def to_docx(excerpts: Sequence[dict | index.Excerpt], title: str | None = None, now: str | None = None) -> bytes:
    """The basket as an A4 Word document (python-docx); the same content as ``to_markdown``, with
    the sources as clickable links."""
    from docx import Document
    from docx.shared import Pt, RGBColor

    now = now or time.strftime("%Y-%m-%d %H:%M")
    excerpts = _typed(excerpts)
    title = title or suggested_title(excerpts)
    refs, numbers = references(excerpts)
    word = sanitize.for_word  # every string passes it: python-docx raises on a control character
    title = word(title, single_line=True).strip()
    doc = Document()
    _a4(doc)
    doc.core_properties.title = title or DEFAULT_TITLE
    doc.core_properties.author = "wtkb"
    doc.add_heading(title or DEFAULT_TITLE, level=1)
    p = doc.add_paragraph(f"Exported from wtkb on {now}. {NOTICE}")
    p.runs[0].italic = True
    if not excerpts:
        doc.add_paragraph("No excerpts were selected.")
    for i, (ex, n) in enumerate(zip(excerpts, numbers), start=1):
        doc.add_heading(word(f"{i}. {ex.heading}", single_line=True), level=2)
        run = doc.add_paragraph().add_run(word(ex.citation.status + ".", single_line=True))
        run.italic = True
        official = ex.citation.provenance == index.OFFICIAL
        run.font.color.rgb = RGBColor(0x1B, 0x5E, 0x20) if official else RGBColor(0x6A, 0x1B, 0x9A)
        if ex.question:
            doc.add_paragraph(word(f"Found for the question: \u201c{ex.question}\u201d"))
        highlights = [word(h) for h in ex.highlights]
        for block in word(ex.text).split("\n"):
            if not block.strip():
                continue
            para = doc.add_paragraph(style="Quote")
            for text, marked in _split_highlights(block.strip(), highlights):
                r = para.add_run(text)
                r.bold = marked
        _docx_footnotes(doc, ex.footnotes)
        c = doc.add_paragraph()
        c.add_run("Citation: ").bold = True
        c.add_run(word(f"{ex.label} [{n}]", single_line=True))
        url = safe_url(ex.citation.url)
        if url:
            c.add_run(" ")
            _hyperlink(c, url, "open the source")
        note = word(ex.note).strip()
        if note:
            np_ = doc.add_paragraph()
            np_.add_run("Trainer's note: ").bold = True
            np_.add_run(note)
    doc.add_heading("References", level=2)
    for n, ref in enumerate(refs, start=1):
        para = doc.add_paragraph()
        _text_with_links(para, word(f"[{n}] {ref}", single_line=True))
        para.paragraph_format.left_indent = Pt(18)
        para.paragraph_format.first_line_indent = Pt(-18)
    if not refs:
        doc.add_paragraph("None.")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _docx_footnotes(doc, footnotes: Sequence[tuple[str, str]]) -> None:
    """Footnotes under the passage in small type, each sanitised like every string in the document."""
    from docx.shared import Pt

    lines = footnote_lines(footnotes)
    if lines:
        doc.add_paragraph().add_run("Footnotes").bold = True
    for line in lines:
        run = doc.add_paragraph().add_run(sanitize.for_word(line, single_line=True))
        run.font.size = Pt(9)


def _split_highlights(text: str, highlights: Sequence[str]) -> list[tuple[str, bool]]:
    """Split text into (segment, is_highlighted) around the highlighted sentences."""
    spans = sorted(s for s in (highlight_spans(text, highlights)))
    out: list[tuple[str, bool]] = []
    pos = 0
    for a, b in spans:
        if a > pos:
            out.append((text[pos:a], False))
        out.append((text[a:b], True))
        pos = b
    if pos < len(text):
        out.append((text[pos:], False))
    return out or [(text, False)]


def highlight_spans(text: str, sentences: Iterable[str]) -> list[tuple[int, int]]:
    """Non-overlapping (start, end) spans of the given sentences in text,
    matched exactly or with any run of white space between words."""
    spans: list[tuple[int, int]] = []
    for s in sentences:
        s = (s or "").strip()
        if not s:
            continue
        i = text.find(s)
        if i >= 0:
            span = (i, i + len(s))
        else:
            m = re.search(r"\s+".join(re.escape(w) for w in s.split()), text)
            if not m:
                continue
            span = m.span()
        if all(span[1] <= a or span[0] >= b for a, b in spans):
            spans.append(span)
    return sorted(spans)
