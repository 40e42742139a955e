"""Cleaning: remove what is layout rather than content, and label headings.

The official PDFs repeat a running header and a page number on every page,
open with a cover and a contents page, and put footnotes at the foot of pages
in small type. None of that may reach a chunk: a running header in a chunk
makes every chunk look alike to the keyword index, and a footnote in the
middle of a paragraph breaks the sentence it interrupts.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

from .records import Line

DOT_LEADER = re.compile(r"(\.\s?){4,}\s*\d+\s*$|…+\s*\d+\s*$")
PAGE_NUMBER = re.compile(r"^\s*(page\s+)?\d{1,4}(\s*(of|/)\s*\d{1,4})?\s*$", re.I)
BULLET = re.compile(r"^\s*[\u2022\u25cf\u25aa\u25e6\u2023\u2043\u00b7\u2013\u2014o\-\*]\s+")
QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
                        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"',
                        "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u00ad": "", "\u200b": "",
                        "\ufeff": ""})
NUMBERED_START = re.compile(r"^\d{1,4}\.\s+\S")
HEADER_ZONE = 0.12  # top or bottom share of a page where running headers and footers sit


def normalise(text: str) -> str:
    """Ligatures, curly quotes, odd spaces and soft hyphens to plain forms.

    NFKC turns the ﬁ/ﬂ ligatures PDF fonts use into letters; quotes are
    straightened so that "child's" matches whichever quote a user types.
    """
    text = unicodedata.normalize("NFKC", text).translate(QUOTES)
    return re.sub(r"[ \t]+", " ", text).strip()


def _shape(text: str) -> str:
    """A line's shape for header/footer detection: digits stand for any number."""
    return re.sub(r"\d+", "#", text.lower()).strip()


def drop_front_matter(lines: list[Line]) -> list[Line]:
    """Drop contents pages (lines with dot leaders ending in page numbers) and
    every page before them (the cover)."""
    by_page = Counter(ln.page for ln in lines if DOT_LEADER.search(ln.text))
    contents = {p for p, n in by_page.items() if n >= 2}
    if not contents:
        return lines
    last = max(contents)
    return [ln for ln in lines if ln.page is None or ln.page > last]


def drop_running_lines(lines: list[Line]) -> list[Line]:
    """Drop running headers and footers (the same line near the top or foot of
    many pages) and bare page numbers."""
    pages = {ln.page for ln in lines if ln.page is not None}
    if not pages:
        return lines
    first_last: dict[int, tuple[int, int]] = {}
    for i, ln in enumerate(lines):
        if ln.page is None:
            continue
        lo, hi = first_last.get(ln.page, (i, i))
        first_last[ln.page] = (min(lo, i), max(hi, i))

    def in_zone(i: int, ln: Line) -> bool:
        if ln.top:
            return ln.top < HEADER_ZONE or ln.top > 1 - HEADER_ZONE
        lo, hi = first_last[ln.page]
        return i - lo < 2 or hi - i < 2

    counts = Counter()
    for i, ln in enumerate(lines):
        # A numbered paragraph that happens to open every page is content, not a header.
        if ln.page is not None and in_zone(i, ln) and not NUMBERED_START.match(ln.text):
            counts[(_shape(ln.text))] += 1
    threshold = max(3, int(0.3 * len(pages)))
    repeated = {s for s, n in counts.items() if n >= threshold}
    kept = []
    for i, ln in enumerate(lines):
        if ln.page is not None and in_zone(i, ln):
            if _shape(ln.text) in repeated or PAGE_NUMBER.match(ln.text):
                continue
        kept.append(ln)
    return kept


def body_size(lines: list[Line]) -> float:
    """The font size most text is set in, weighted by characters."""
    sizes = Counter()
    for ln in lines:
        if ln.size:
            sizes[ln.size] += len(ln.text)
    return sizes.most_common(1)[0][0] if sizes else 0.0


def split_footnotes(lines: list[Line]) -> tuple[list[Line], list[Line]]:
    """Separate footnotes (small type in the lower part of a page) from body text."""
    size = body_size(lines)
    if not size:
        return lines, []
    body, notes = [], []
    for ln in lines:
        if ln.size and ln.size < 0.85 * size and ln.top > 0.5 and not ln.style:
            notes.append(ln)
        else:
            body.append(ln)
    return body, notes


def label_headings(lines: list[Line]) -> list[Line]:
    """Mark PDF lines set larger or bolder than body text as headings.

    The largest heading size below chapter headings is a section; anything
    smaller (or bold at body size) is a subsection. Chapters themselves are
    recognised by their wording in the structure finder.
    """
    size = body_size(lines)
    if not size:
        return lines
    heading_sizes = sorted({ln.size for ln in lines if ln.size > size * 1.08 and not ln.style}, reverse=True)
    # The biggest size usually carries chapter titles; sections sit one step below.
    chapterish = [ln.size for ln in lines if re.match(r"^(chapter|appendix)\b", ln.text, re.I) and ln.size > size]
    top = max(chapterish) if chapterish else None
    below = [s for s in heading_sizes if top is None or s < top]
    section_size = below[0] if below else None
    for ln in lines:
        if ln.style or len(ln.text) > 150:
            continue
        if ln.size > size * 1.08:
            if top is not None and ln.size >= top:
                ln.style = "heading"
            elif section_size is not None and ln.size >= section_size:
                ln.style = "section"
            else:
                ln.style = "subsection"
        elif ln.bold and len(ln.text.split()) <= 14 and not re.match(r"^\d+\.", ln.text):
            ln.style = "subsection" if section_size else "section"
    return lines


def clean(lines: list[Line], fmt: str) -> tuple[list[Line], list[Line]]:
    """Cleaned body lines and the footnotes taken out of them."""
    for ln in lines:
        ln.text = normalise(ln.text)
    lines = [ln for ln in lines if ln.text]
    notes: list[Line] = []
    if fmt == "pdf":
        lines = drop_front_matter(lines)
        lines = drop_running_lines(lines)
        lines, notes = split_footnotes(lines)
        lines = label_headings(lines)
    for ln in lines:
        if not ln.style and BULLET.match(ln.text):
            ln.style = "bullet"
            ln.text = BULLET.sub("", ln.text)
    return lines, notes
