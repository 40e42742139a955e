"""Footnotes: read them from the foot of the page, and resolve the markers that cite them.

The PDF loader cannot know whether a small raised "125" is a footnote marker
or part of the text (a squared unit, an ordinal, a date in small type), so it
only wraps each possible marker in ``MARKER_OPEN``/``MARKER_CLOSE``. Here,
with every page's footnotes read, a wrapped run is a marker only when a
footnote with that number exists (on the marker's page, else the nearest page);
it is then removed from the sentence, with the words on both sides kept and
spaced, and the line records the footnote it cites. Every other wrapped run is
put back as text. No word is ever removed for its type size alone.

A footnote is a block of smaller type at the foot of a page that opens with its
number ("125 This also applies…" or a raised "¹²⁵"); the lines after a number
continue that footnote, and smaller lines at the very top of the next page's
foot block, in the footnotes' own size, continue the last footnote of the page
before. Small type anywhere else (a phrase, a table, a caption) stays body text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from .records import MARKER_CLOSE, MARKER_OPEN, Footnote, Line
from .structure import join_lines

WRAPPED = re.compile(re.escape(MARKER_OPEN) + "([^" + re.escape(MARKER_CLOSE) + "]*)" + re.escape(MARKER_CLOSE))
NOTE_START = re.compile(r"^\s*(?:" + re.escape(MARKER_OPEN) + r"(\d{1,3}|[*\u2020\u2021]{1,3})"
                        + re.escape(MARKER_CLOSE) + r"|(\d{1,3})(?=\s+\S))\s*")
LABEL_START = re.compile(r"^(\d{1,4}\.|(\d{1,3}|[A-Z])\.\d{1,3}\.?)\s+\S")
SMALL = 0.85  # a footnote is set below this share of the body size
FOOT = 0.5  # and starts in the lower half of the page


@dataclass
class _Note:
    marker: str
    page: int | None
    size: float
    lines: list[Line]


def unwrap(text: str) -> str:
    """Text with every possible marker put back as plain text."""
    return text.replace(MARKER_OPEN, "").replace(MARKER_CLOSE, "")


def _small(ln: Line, size: float) -> bool:
    return bool(ln.size and ln.size < SMALL * size and not ln.style and not LABEL_START.match(unwrap(ln.text)))


def _start(ln: Line, size: float, cited: set[str]) -> str | None:
    """The footnote number a line opens with: a raised one, or a plain one some body marker cites."""
    if not _small(ln, size) or ln.top <= FOOT:
        return None
    m = NOTE_START.match(ln.text)
    if not m:
        return None
    return m.group(1) or (m.group(2) if m.group(2) in cited else None)


def _pages(lines: list[Line]) -> list[list[int]]:
    """Indexes of the lines of each page, in order (a line without a page is a page of its own)."""
    out: list[list[int]] = []
    for i, ln in enumerate(lines):
        if out and ln.page is not None and lines[out[-1][-1]].page == ln.page:
            out[-1].append(i)
        else:
            out.append([i])
    return out


def _foot_block(lines: list[Line], page: list[int], size: float) -> list[int]:
    """The page's trailing run of small lines: where its footnotes are, if it has any."""
    k = len(page)
    while k > 0 and _small(lines[page[k - 1]], size):
        k -= 1
    return page[k:]


def find_notes(lines: list[Line], size: float) -> tuple[list[_Note], set[int]]:
    """The footnotes of every page, and the indexes of the lines they are made of."""
    cited = {n for ln in lines for m in WRAPPED.finditer(ln.text) for n in m.group(1).split(",")}
    notes: list[_Note] = []
    used: set[int] = set()
    last_page_ended_in_note = False
    for page in _pages(lines):
        block = _foot_block(lines, page, size)
        starts = [i for i in block if _start(lines[i], size, cited)]
        if not starts:
            last_page_ended_in_note = False
            continue
        first = block.index(starts[0])
        if last_page_ended_in_note and notes:  # the last footnote of the page before runs on here
            carried = [i for i in block[:first] if abs(lines[i].size - notes[-1].size) < 0.3]
            if len(carried) == first:
                notes[-1].lines += [lines[i] for i in carried]
                used.update(carried)
        for i in block[first:]:
            number = _start(lines[i], size, cited) if i in starts else None
            if number:
                notes.append(_Note(number, lines[i].page, lines[i].size, [lines[i]]))
            else:
                notes[-1].lines.append(lines[i])
            used.add(i)
        last_page_ended_in_note = True
    return notes, used


def note_text(note: _Note) -> str:
    text = ""
    for k, ln in enumerate(note.lines):
        part = NOTE_START.sub("", ln.text, count=1) if k == 0 else ln.text
        text = join_lines(text, part.strip())
    return text


def _nearest(footnotes: dict[str, list[Footnote]], number: str, page: int | None) -> Footnote | None:
    """The footnote a marker on ``page`` cites: the same page's, else the nearest one after, else before."""
    found = footnotes.get(number) or []
    if not found:
        return None
    if page is None:
        return found[0]
    return min(found, key=lambda f: (abs((f.page or page) - page) + (0.5 if (f.page or page) < page else 0)))


def _close_gap(m: re.Match) -> str:
    """Where a marker was taken out: the words on both sides kept, one space
    between words, none before punctuation ("1998²³, the" -> "1998, the")."""
    left, right = m.group(1), m.group(2)
    if not left or not right or right in ",.;:)!?":
        return left + right
    spaced = left.isalnum() and right.isalnum() or any(ch.isspace() for ch in m.group(0))
    return left + (" " if spaced else "") + right


def resolve(text: str, page: int | None, footnotes: dict[str, list[Footnote]]) -> tuple[str, tuple[Footnote, ...]]:
    """A line's text with its markers resolved, and the footnotes they cite."""
    cites: list[Footnote] = []

    def one(m: re.Match) -> str:
        found = [_nearest(footnotes, n, page) for n in m.group(1).split(",")]
        if not all(found):
            return m.group(1)  # no such footnote: the digits are text
        cites.extend(f for f in found if f not in cites)
        return "\x00"

    out = WRAPPED.sub(one, text)
    if cites:
        out = re.sub(r"(\S?)\s*\x00[\s\x00]*(\S?)", _close_gap, re.sub("\x00+", "\x00", out))
    return unwrap(out).strip(), tuple(cites)


def split(lines: list[Line], size: float) -> tuple[list[Line], list[Line]]:
    """Body lines (markers resolved, each knowing the footnotes it cites) and
    one line per footnote (its text without its number, on the page it starts)."""
    if not size:
        return [replace(ln, text=unwrap(ln.text)) for ln in lines], []
    notes, used = find_notes(lines, size)
    footnotes: dict[str, list[Footnote]] = {}
    records = []
    for note in notes:
        record = Footnote(note.marker, unwrap(note_text(note)), note.page)
        footnotes.setdefault(note.marker, []).append(record)
        records.append((note, record))
    body = []
    for i, ln in enumerate(lines):
        if i in used:
            continue
        text, cites = resolve(ln.text, ln.page, footnotes)
        if text:
            body.append(replace(ln, text=text, footnotes=cites))
    notes_out = [Line(record.text, page=record.page, size=note.size, footnotes=(record,)) for note, record in records]
    return body, notes_out
