"""Structure: cleaned lines → chapters → sections → paragraphs.

The guidance is cited by chapter, section and numbered paragraph, so those are
recovered as the document prints them:

- top levels in the publisher's own words — "Chapter 3: …", "Part one: …",
  "Annex A: …", "Appendix B …", or unnumbered ("Summary", "Further
  information") — from the document's map (``ingest.outline``) when it has
  one, else from their wording and type;
- sections as a path of headings, deepest last;
- paragraph labels as printed — "113", "4.12", "A.3" — kept as strings. A label
  only counts when it continues the document's numbering, so a numbered list
  inside a paragraph is not mistaken for new paragraphs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .records import DocMeta, Footnote, Line, Paragraph

WORD_NUMBERS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve")
DESIGNATOR = re.compile(
    r"^(?P<kind>chapter|part|annex|appendix|section)\s+(?P<num>\d{1,2}|[ivx]{1,5}|[a-z]|"
    + "|".join(WORD_NUMBERS) + r")\b\s*[:.\u2013\u2014-]?\s*(?P<title>.*)$", re.I)
SIMPLE = re.compile(r"^(\d{1,4})\.\s+(\S.*)$")
DOTTED = re.compile(r"^((?:\d{1,3}|[A-Z])\.\d{1,3})\.?\s+(\S.*)$")
NO_HYPHEN_JOIN = {"multi", "non", "co", "pre", "post", "self", "well", "inter", "sub", "cross", "anti", "ex",
                  "over", "under", "long", "short", "full", "part", "re", "semi", "child", "family", "year",
                  "high", "low", "face", "extra", "intra", "cyber", "e"}
ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9, "x": 10}
MAX_PARA_GAP = 25  # a label further ahead than this is a list item, not a paragraph


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


def label_prefix(label: str | None) -> str:
    """How a paragraph's label opens its text in a passage: "62. ", "4.12. "; "" when unnumbered.

    One simple form at the start of a line, so a reader can match sentences to
    "paras 61–63" and a sentence splitter can tell a label from a sentence."""
    return f"{label}. " if label else ""


def designator(text: str) -> tuple[str, str, str] | None:
    """("part", "one", "Safeguarding information…") for "Part one: Safeguarding…".

    Chapter numbers in roman numerals become digits (the notes and the 2018
    edition cite "Ch 3"); every other designator keeps its printed form.
    """
    m = DESIGNATOR.match(text.strip())
    if not m:
        return None
    kind, num = m.group("kind").lower(), m.group("num")
    if kind == "chapter" and num.lower() in ROMAN:
        num = str(ROMAN[num.lower()])
    elif kind == "chapter" and num.lower() in WORD_NUMBERS:
        num = str(WORD_NUMBERS.index(num.lower()) + 1)
    elif len(num) == 1 and num.isalpha():
        num = num.upper()
    else:
        num = num.lower() if not num.isdigit() else num
    return kind, num, m.group("title").strip()


def _legacy_chapter(line: Line, heading_like: bool) -> tuple[str, str, str] | None:
    """A chapter found by wording alone (documents without a map): a short
    line "Chapter 3: …", "Appendix A …" or "Annex B …"."""
    text = line.text
    short = len(text.split()) <= 16 and not text.endswith((".", ";", ","))
    if not (heading_like or short):
        return None
    found = designator(text)
    if found and found[0] in ("chapter", "appendix", "annex"):
        return found
    return None


def label_scheme(lines: list[Line]) -> str:
    """"dotted" when the document numbers paragraphs per chapter ("4.12."),
    else "simple" ("113."). Decided once per document by which form is
    printed more often at line starts."""
    simple = dotted = 0
    for ln in lines:
        if ln.style not in ("", "para"):
            continue
        if DOTTED.match(ln.text) and ln.text[:1].isdigit():
            dotted += 1
        elif SIMPLE.match(ln.text):
            simple += 1
    return "dotted" if dotted >= 3 and dotted > simple else "simple"


def _parts(label: str) -> tuple[str, int]:
    major, _, minor = label.partition(".")
    return major, int(minor)


def continues(label: str, last: str | None, new_chapter: bool) -> bool:
    """Whether ``label`` is the next paragraph rather than a list item.

    "113" must follow the last number within ``MAX_PARA_GAP``; "4.12" must
    follow "4.11" the same way, or open a later chapter ("5.1"); "A.1" opens
    an annex. A document whose numbering restarts in an annex may restart at
    "1" where a chapter begins.
    """
    if "." not in label:
        n = int(label)
        prev = int(last) if last and last.isdigit() else 0
        return prev < n <= prev + MAX_PARA_GAP or (new_chapter and n <= 2 and prev > 0)
    major, minor = _parts(label)
    if not last or "." not in last:
        return minor <= 2 and (major.isalpha() or int(major) <= 3 or new_chapter)
    last_major, last_minor = _parts(last)
    if major == last_major:
        return last_minor < minor <= last_minor + MAX_PARA_GAP
    if minor > 2 or (minor == 2 and not new_chapter):
        return False  # "4.2 of the Regulations" wrapped to a line start does not open chapter 4
    if major.isdigit() and last_major.isdigit():
        return int(last_major) < int(major) <= int(last_major) + 3
    return major.isalpha() and (last_major.isdigit() or major > last_major)


def match_label(text: str, scheme: str) -> tuple[str, str] | None:
    """(label, rest of the line) when a line opens with a paragraph label."""
    m = DOTTED.match(text)
    # A paragraph opens with a capital, a quote or a bracket; "4.2 of the …" is a
    # reference that wrapped onto a new line.
    if m and (scheme == "dotted" or m.group(1)[:1].isalpha()) and re.match(r"[A-Z0-9(\[\"'\u2018\u201c]", m.group(2)):
        return m.group(1), m.group(2)
    m = SIMPLE.match(text) if scheme == "simple" else None
    return (str(int(m.group(1))), m.group(2)) if m else None


@dataclass
class _State:
    chapter_number: str = "0"
    chapter_title: str = "Introduction"
    chapter_kind: str = "chapter"
    section: list[str] = field(default_factory=list)
    last_label: str | None = None
    new_chapter: bool = False
    awaiting_title: bool = False

    def enter_chapter(self, kind: str, number: str, title: str) -> None:
        self.chapter_kind, self.chapter_number, self.chapter_title = kind, number, title
        self.section = []
        self.new_chapter = True
        self.awaiting_title = not title and bool(number)


def _chapter_from_line(ln: Line, mapped: bool) -> tuple[str, str, str]:
    """(kind, number, title) for a line styled as a chapter."""
    found = designator(ln.text)
    if found:
        return found
    m = re.match(r"^(\d{1,2})\.?\s+(\S.*)$", ln.text)  # a numbered HTML heading: "1. A more reliable railway"
    if m:
        return "chapter", m.group(1), m.group(2)
    if mapped:
        return "", "", ln.text  # an unnumbered top level: "Summary", "Further information"
    if ln.text.lower().startswith("introduction"):
        return "chapter", "0", ln.text
    return "chapter", re.sub(r"[^A-Za-z0-9]+", "-", ln.text)[:40].strip("-"), ln.text


HEADING_STYLES = ("heading", "chapter", "section", "subsection")


@dataclass
class _OpenParagraph:
    """The paragraph being read: lines join it until a label, a heading or markup closes it."""
    text: str
    label: str | None
    page: int | None
    page_end: int | None
    footnotes: list[Footnote] = field(default_factory=list)  # cited by its lines' markers, in order
    last_line: str = ""  # the last printed line read into it (PDF rows are kept as lines)


@dataclass
class _Output:
    """What has been written so far.

    Paragraph offsets point into the cleaned document text, so the text is
    built here piece by piece (``length`` is its length so far) in the same
    pass that records the paragraphs.
    """
    paragraphs: list[Paragraph] = field(default_factory=list)
    pieces: list[str] = field(default_factory=list)
    length: int = 0
    open: _OpenParagraph | None = None
    # Footnotes cited from a heading: they go with the first paragraph under it.
    pending_notes: list[Footnote] = field(default_factory=list)


@dataclass(frozen=True)
class _Rules:
    """Per-document decisions taken once, before the lines are read."""
    mapped: bool  # the document has a map (outline or contents), so its levels are known
    scheme: str  # "simple" or "dotted" paragraph labels (``label_scheme``)
    chapters_by_wording: bool  # no map and not a note on one chapter: chapters come from their wording
    line_width: float = 0.0  # characters in a full line of PDF body text (0: lines are not printed lines)


def _emit(out: _Output, text: str) -> tuple[int, int]:
    """Append a block to the cleaned text; blocks are separated by a blank line."""
    if out.pieces:
        out.pieces.append("\n\n")
        out.length += 2
    start = out.length
    out.pieces.append(text)
    out.length += len(text)
    return start, out.length


def _close_paragraph(out: _Output, st: _State) -> None:
    """Record the open paragraph (if it holds any text) under the current
    chapter and section. It is closed before a heading changes them, so it is
    cited where it was printed."""
    para = out.open
    if para and para.text.strip():
        text = para.text.strip()
        # The cleaned text prints the label as the chunk text does ("62. "); the
        # paragraph's offsets cover its words only.
        prefix = label_prefix(para.label)
        start, end = _emit(out, prefix + text)
        start += len(prefix)
        out.paragraphs.append(Paragraph(text=text, chapter_number=st.chapter_number, chapter_title=st.chapter_title,
                                        section=tuple(st.section), label=para.label, page=para.page,
                                        page_end=para.page_end, start=start, end=end, chapter_kind=st.chapter_kind,
                                        footnotes=tuple(para.footnotes)))
    out.open = None


def _open_paragraph(out: _Output, st: _State, text: str, label: str | None, page: int | None) -> None:
    """Close whatever paragraph is open and start a new one at this line."""
    _close_paragraph(out, st)
    out.open = _OpenParagraph(text, label, page, page, last_line=text)


def _line_role(ln: Line, rules: _Rules) -> tuple[str, bool, tuple[str, str, str] | None]:
    """(style, whether the line is a heading, the chapter its wording names).

    A short plain-text block ("txt-heading") is decided here to be a chapter
    or a section heading; chapters are looked for by wording only where the
    document has no map to name them."""
    style = ln.style
    heading_like = style in HEADING_STYLES
    if style == "txt-heading":
        style = "heading" if _legacy_chapter(ln, True) else "section"
        heading_like = True
    chapter = None
    if rules.chapters_by_wording and style in ("heading", "chapter", ""):
        chapter = _legacy_chapter(ln, heading_like)
    return style, heading_like, chapter


def _place_heading(st: _State, ln: Line, style: str) -> None:
    """Update the chapter title or the section path for a heading line.

    A map-given depth wins; without one, a subsection nests under the
    current top section and any other heading starts a new section path."""
    if st.awaiting_title and ln.level < 0:
        st.chapter_title = ln.text
        st.awaiting_title = False
    elif ln.level >= 1:
        st.section = st.section[:ln.level - 1] + [ln.text]
    elif style == "heading" and ln.text.lower() == "introduction" and st.chapter_number == "0":
        st.chapter_title = "Introduction"
    elif style == "subsection" and st.section:
        st.section = [st.section[0], ln.text]
    else:
        st.section = [ln.text]


def _add_bullet(out: _Output, st: _State, ln: Line) -> None:
    """A bullet belongs to the paragraph it follows (one is opened if none is)."""
    if out.open is None:
        _open_paragraph(out, st, "", None, ln.page)
    out.open.text += "\n\u2022 " + ln.text
    out.open.last_line = ln.text
    out.open.page_end = ln.page or out.open.page_end


ROW_OPEN_END = re.compile(r"([,;(/&\u2013\u2014-]|\b(and|or|the|of|to|a|an|in|for|with|by|on|at|from|that))$", re.I)


def is_row_break(prev: str, line: str, width: float) -> bool:
    """Whether a printed line ends a row (of a table, a link list, a contents
    table) rather than wrapping: it stops well short of a full line, does not
    end mid-phrase, and the next line starts afresh. Such lines stay lines, so a
    table is never a 120-word run-on."""
    if not width or not re.match(r"[A-Z0-9\"'(\u2018\u201c\u2022]", line):
        return False
    prev = prev.rstrip()
    if prev.endswith(":"):  # a lead-in, then the first row
        return len(line) < 0.6 * width
    return len(prev) < 0.6 * width and not ROW_OPEN_END.search(prev)


def _line_width(lines: list[Line]) -> float:
    """The length of a full line of PDF body text: the 80th percentile of body line lengths."""
    lengths = sorted(len(ln.text) for ln in lines if ln.size and ln.style in ("", "para"))
    return float(lengths[int(0.8 * (len(lengths) - 1))]) if len(lengths) >= 20 else 0.0


def _extend_paragraph(para: _OpenParagraph, ln: Line, width: float = 0.0) -> None:
    """Join a wrapped line to the open paragraph, or to its last bullet when
    the paragraph ends in one; a line after a row (``is_row_break``) starts a
    line of its own."""
    para.page_end = ln.page or para.page_end
    last = para.text.rsplit("\n", 1)[-1]
    if is_row_break(para.last_line, ln.text, width) and last.strip():
        para.text += "\n" + ln.text
        para.last_line = ln.text
        return
    para.last_line = ln.text
    if "\n" in para.text and para.text.rsplit("\n", 1)[1].startswith("\u2022"):
        head, last = para.text.rsplit("\n", 1)
        para.text = head + "\n" + join_lines(last, ln.text)
    else:
        para.text = join_lines(para.text, ln.text)


def _read_body_line(out: _Output, st: _State, ln: Line, style: str, rules: _Rules) -> None:
    """A line of body text: it opens a numbered paragraph when its label
    continues the numbering, opens a paragraph where markup says one starts,
    and otherwise continues the open paragraph."""
    found = match_label(ln.text, rules.scheme) if style in ("", "para") else None
    if found and continues(found[0], st.last_label, st.new_chapter):
        st.last_label, st.new_chapter = found[0], False
        _open_paragraph(out, st, found[1], found[0], ln.page)
    elif style == "para" or out.open is None:
        _open_paragraph(out, st, ln.text, None, ln.page)
    else:
        _extend_paragraph(out.open, ln, rules.line_width)


def _cite(out: _Output, ln: Line, heading: bool) -> None:
    """Attach the footnotes a line cites to the paragraph it belongs to; a
    heading's go to the first paragraph after it."""
    notes = out.pending_notes if heading or out.open is None else out.open.footnotes
    notes.extend(f for f in ln.footnotes if f not in notes)
    if out.open is not None and out.pending_notes and not heading:
        out.open.footnotes[:0] = [f for f in out.pending_notes if f not in out.open.footnotes]
        out.pending_notes = []


def _read_line(out: _Output, st: _State, ln: Line, rules: _Rules) -> None:
    """Route one cleaned line: a chapter, a heading, a title (dropped), a bullet or body text."""
    style, heading_like, chapter = _line_role(ln, rules)
    _route(out, st, ln, rules, style, heading_like, chapter)
    _cite(out, ln, bool(chapter) or style == "chapter" or heading_like or style == "title")


def _route(out: _Output, st: _State, ln: Line, rules: _Rules, style: str, heading_like: bool,
           chapter: tuple[str, str, str] | None) -> None:
    if chapter or style == "chapter":
        _close_paragraph(out, st)
        st.enter_chapter(*(chapter or _chapter_from_line(ln, rules.mapped)))
        _emit(out, ln.text)
    elif heading_like:
        _close_paragraph(out, st)
        _place_heading(st, ln, style)
        _emit(out, ln.text)
    elif style == "bullet":
        _add_bullet(out, st, ln)
    elif style != "title":
        _read_body_line(out, st, ln, style, rules)


def find_paragraphs(lines: list[Line], meta: DocMeta) -> tuple[list[Paragraph], str]:
    """Paragraphs with their chapter, section, label and page, and the cleaned
    document text their character offsets point into."""
    st = _State()
    if meta.covers_chapter:
        st.chapter_number = meta.covers_chapter
        st.chapter_title = meta.covers_chapter_title or meta.title
    mapped = any(ln.level >= 0 for ln in lines)
    rules = _Rules(mapped=mapped, scheme=label_scheme(lines), line_width=_line_width(lines),
                   chapters_by_wording=not mapped and not meta.covers_chapter)
    out = _Output()
    for ln in lines:
        _read_line(out, st, ln, rules)
    _close_paragraph(out, st)
    return out.paragraphs, "".join(out.pieces)
