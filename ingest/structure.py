"""Structure: cleaned lines → chapters → sections → paragraphs.

The guidance is cited by chapter, section and numbered paragraph, so those are
recovered as they are printed: "Chapter 3: Providing help, support and
protection" (or with a dash), appendices, an untitled introduction before
chapter 1, section headings, and paragraphs that start "113." at the start of a
line. Paragraph numbers only count when they continue the sequence, so a
numbered list inside a paragraph is not mistaken for new paragraphs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .records import DocMeta, Line, Paragraph

CHAPTER = re.compile(r"^chapter\s+(\d{1,2}|[ivx]{1,5})\b\s*[:.\u2013\u2014-]?\s*(.*)$", re.I)
APPENDIX = re.compile(r"^(?:appendix|annex)\s+([a-z0-9]{1,3})\b\s*[:.\u2013\u2014-]?\s*(.*)$", re.I)
NUMBERED = re.compile(r"^(\d{1,4})\.\s+(\S.*)$")
NO_HYPHEN_JOIN = {"multi", "non", "co", "pre", "post", "self", "well", "inter", "sub", "cross", "anti", "ex",
                  "over", "under", "long", "short", "full", "part", "re", "semi", "child", "family", "year",
                  "high", "low", "face", "inter", "extra", "intra", "cyber", "e"}
ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9, "x": 10}
MAX_PARA_GAP = 25  # a "number." further ahead than this is a list item, not a paragraph


def join_lines(a: str, b: str) -> str:
    """Join two wrapped lines, repairing a word hyphenated across them."""
    if not a:
        return b
    m = re.search(r"([A-Za-z]+)-$", a)
    if m and b[:1].islower():
        if m.group(1).lower() in NO_HYPHEN_JOIN:
            return a + b
        return a[:-1] + b
    return f"{a} {b}"


def _chapter_of(line: Line, heading_like: bool) -> tuple[str, str] | None:
    text = line.text
    short = len(text.split()) <= 16 and not text.endswith((".", ";", ","))
    if not (heading_like or short):
        return None
    m = CHAPTER.match(text)
    if m:
        num = m.group(1).lower()
        return str(ROMAN.get(num, num)), m.group(2).strip()
    m = APPENDIX.match(text)
    if m:
        return m.group(1).upper(), m.group(2).strip()
    return None


@dataclass
class _State:
    chapter_number: str = "0"
    chapter_title: str = "Introduction"
    section: list[str] = field(default_factory=list)
    last_number: int = 0
    awaiting_title: bool = False


def find_paragraphs(lines: list[Line], meta: DocMeta) -> tuple[list[Paragraph], str]:
    """Paragraphs with their chapter, section, number and page, and the cleaned
    document text their character offsets point into."""
    st = _State()
    if meta.covers_chapter:
        st.chapter_number = meta.covers_chapter
        st.chapter_title = meta.covers_chapter_title or meta.title
    paras: list[Paragraph] = []
    out: list[str] = []  # pieces of the cleaned document text
    pos = 0
    cur: dict | None = None

    def emit(text: str) -> tuple[int, int]:
        nonlocal pos
        if out:
            out.append("\n\n")
            pos += 2
        start = pos
        out.append(text)
        pos += len(text)
        return start, pos

    def flush():
        nonlocal cur
        if cur and cur["text"].strip():
            text = cur["text"].strip()
            start, end = emit(text)
            paras.append(Paragraph(text=text, chapter_number=st.chapter_number, chapter_title=st.chapter_title,
                                   section=tuple(st.section), number=cur["number"], page=cur["page"],
                                   page_end=cur["page_end"], start=start, end=end))
        cur = None

    def start_para(text: str, number: int | None, page: int | None):
        nonlocal cur
        flush()
        cur = {"text": text, "number": number, "page": page, "page_end": page}

    for ln in lines:
        style = ln.style
        heading_like = style in ("heading", "chapter", "section", "subsection")
        chapter = None
        if style == "txt-heading":  # a short plain-text block: a chapter or a section heading
            style = "heading" if _chapter_of(ln, True) else "section"
            heading_like = True
        if style in ("heading", "chapter", "") and not meta.covers_chapter:
            chapter = _chapter_of(ln, heading_like)
        if chapter or style == "chapter":
            flush()
            if chapter:
                st.chapter_number, st.chapter_title = chapter
            else:  # an HTML/Markdown chapter heading without "Chapter N"
                if ln.text.lower().startswith("introduction"):
                    st.chapter_number = "0"
                else:
                    st.chapter_number = re.sub(r"[^A-Za-z0-9]+", "-", ln.text)[:40].strip("-")
                st.chapter_title = ln.text
            st.awaiting_title = not st.chapter_title
            st.section = []
            emit(ln.text)
            continue
        if heading_like:
            flush()
            if st.awaiting_title:
                st.chapter_title = ln.text
                st.awaiting_title = False
            elif style == "heading" and ln.text.lower() == "introduction" and st.chapter_number == "0":
                st.chapter_title = "Introduction"
            elif style == "subsection" and st.section:
                st.section = [st.section[0], ln.text]
            else:
                st.section = [ln.text]
            emit(ln.text)
            continue
        if style == "title":
            continue
        if style == "bullet":
            if cur is None:
                start_para("", None, ln.page)
            cur["text"] += "\n\u2022 " + ln.text
            cur["page_end"] = ln.page or cur["page_end"]
            continue
        m = NUMBERED.match(ln.text) if style in ("", "para") else None
        if m and st.last_number < int(m.group(1)) <= st.last_number + MAX_PARA_GAP:
            st.last_number = int(m.group(1))
            start_para(m.group(2), st.last_number, ln.page)
            continue
        if style == "para":  # markup gives paragraph boundaries
            start_para(ln.text, None, ln.page)
            continue
        # A PDF or text line continues the current paragraph (or a bullet in it).
        if cur is None:
            start_para(ln.text, None, ln.page)
            continue
        cur["page_end"] = ln.page or cur["page_end"]
        if "\n" in cur["text"] and cur["text"].rsplit("\n", 1)[1].startswith("\u2022"):
            head, last = cur["text"].rsplit("\n", 1)
            cur["text"] = head + "\n" + join_lines(last, ln.text)
        else:
            cur["text"] = join_lines(cur["text"], ln.text)
    flush()
    return paras, "".join(out)
