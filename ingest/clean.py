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

from . import footnotes
from .outline import (contents_entries, contents_pages, depths_from_body, front_contents_bookmarks, front_limit,
                      place_headings)
from .records import Heading, Line

PAGE_NUMBER = re.compile(r"^\s*(page\s+)?\d{1,4}(\s*(of|/)\s*\d{1,4})?\s*$", re.I)
# Bullets, including the private-use glyphs of symbol fonts (Wingdings, Symbol) that Word-made PDFs carry.
BULLET = re.compile(r"^\s*[\u2022\u25cf\u25aa\u25e6\u2023\u2043\u00b7\u2013\u2014o\-\*\ue000-\uf8ff]\s+")
QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
                        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"',
                        "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u00ad": "", "\u200b": "",
                        "\ufeff": ""})
NUMBERED_START = re.compile(r"^\d{1,4}\.\s+\S")
LABEL_START = re.compile(r"^(\d{1,4}\.|(\d{1,3}|[A-Z])\.\d{1,3}\.?)\s+\S")
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


def front_matter_end(contents: set[int], first_page: int, page_count: int) -> int:
    """The last page of the front matter: the contents list and the cover
    before it; without a contents list, the pages before ``first_page`` (where
    the document's own map starts) while that is still the front.

    Only the front can be furniture: a page after the contents list that no
    bookmark names (a foreword, or pages 3-8 when bookmarks sit only at
    "Contents" and "Annex A" on page 9) is content.
    """
    if contents:
        return max(contents)
    return first_page - 1 if first_page - 1 <= front_limit(page_count) else 0


def drop_front_matter(lines: list[Line], contents: set[int], first_page: int = 1,
                      page_count: int = 0) -> list[Line]:
    """Drop the front matter (``front_matter_end``): cover and contents list."""
    last = front_matter_end(contents, first_page, page_count or max((ln.page or 0 for ln in lines), default=0))
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
    """Separate footnotes (smaller type at the foot of a page, opening with
    their number) from body text, and resolve the markers that cite them
    (ingest/footnotes.py): body lines lose only markers whose footnote exists,
    and know which footnotes they cite; the second list holds one line per
    footnote, its text without its number."""
    return footnotes.split(lines, body_size(lines))


def looks_like_heading(ln: Line, size: float) -> bool:
    """Set apart by type, short, and not a sentence: a bold line that ends with
    a full stop or starts in lower case is body text, not a heading."""
    numbered = re.match(r"^\d+(\.\d+)*\.?\s", ln.text) and not (ln.size > size * 1.08 and len(ln.text.split()) <= 12)
    if (len(ln.text) > 150 or numbered or ln.text[:1].islower()
            or BULLET.match(ln.text) or not re.search(r"[A-Za-z]{2}", ln.text)):
        return False
    if ln.text.rstrip().endswith((".", ",", ";", ":")) and not ln.text.rstrip().endswith("etc."):
        return False
    return ln.size > size * 1.08 or (ln.bold and len(ln.text.split()) <= 14)


def merge_wrapped_headings(lines: list[Line]) -> list[Line]:
    """A heading printed over two lines (same style and size, one after the
    other on a page) is one heading."""
    out: list[Line] = []
    for ln in lines:
        prev = out[-1] if out else None
        if (prev and ln.style and ln.style == prev.style and ln.style in ("heading", "section", "subsection")
                and ln.page == prev.page and abs(ln.size - prev.size) < 0.5 and ln.bold == prev.bold and ln.level == prev.level
                and not re.search(r"[.:;?!]$", prev.text) and (not ln.top or not prev.top or ln.top - prev.top < 0.06)):
            prev.text = f"{prev.text} {ln.text}"
            continue
        out.append(ln)
    return out


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
        if ln.style or not looks_like_heading(ln, size):
            continue
        if ln.size > size * 1.08:
            if top is not None and ln.size >= top:
                ln.style = "heading"
            elif section_size is not None and ln.size >= section_size:
                ln.style = "section"
            else:
                ln.style = "subsection"
        else:
            ln.style = "subsection" if section_size else "section"
    return unmark_sentences(merge_wrapped_headings(lines))


def demote_minor_headings(lines: list[Line]) -> list[Line]:
    """With the document's own map in hand, a heading-like line it does not
    list starts a paragraph of its own instead of becoming a section: run-in
    headings and bold sentences stay in the text without breaking citations."""
    size = body_size(lines)
    for ln in lines:
        if not ln.style and size and looks_like_heading(ln, size):
            ln.style = "para"
    return lines


NUMBERED_HEADING = re.compile(r"^\d{1,2}\.\s+[A-Z]")  # "2. Early help", set in bold at body size
BOX_LABEL_REPEATS = 3  # a heading title printed this often ("Case study") labels a box, not a section


def headings_below(lines: list[Line], depth: int) -> list[Line]:
    """Sections the contents page does not list, from typography.

    A contents page often lists only chapters, or chapters and their first
    level; headings deeper than that are still set apart by type. Each
    distinct heading size below the listed levels becomes one level deeper,
    largest first; bold at body size is the deepest. A short bold numbered
    line ("2. Early help") is a heading here (numbered paragraphs are not set
    in bold); a heading's last wrapped line that starts in lower case ("is
    made") is joined to it; a title repeated on many pages ("Case study") is
    a box label and stays in the text.
    """
    size = body_size(lines)
    found = [ln for ln in lines if not ln.style and size and (looks_like_heading(ln, size) or _numbered_heading(ln))]
    ranks = sorted({round(ln.size) for ln in found if ln.size > size * 1.08}, reverse=True)
    for ln in found:
        rank = ranks.index(round(ln.size)) if round(ln.size) in ranks and ln.size > size * 1.08 else len(ranks)
        ln.style, ln.level = "section", depth + 1 + rank
    repeated = Counter(ln.text for ln in found)
    for ln in found:
        if repeated[ln.text] >= BOX_LABEL_REPEATS:
            ln.style, ln.level = "para", -1
    return unmark_sentences(merge_wrapped_headings(_join_heading_tails(lines)), depth + 1)


def _numbered_heading(ln: Line) -> bool:
    return (ln.bold and bool(NUMBERED_HEADING.match(ln.text)) and len(ln.text.split()) <= 12
            and not re.search(r"[.:;,]$", ln.text))


def _join_heading_tails(lines: list[Line]) -> list[Line]:
    """A heading whose wrapped lines start in lower case ("Initial considerations when the report" /
    "is made") is one heading: those lines are typeset like it, right under it. A bold sentence
    wrapped the same way is joined too, and ``unmark_sentences`` then returns it to the text."""
    out: list[Line] = []
    for ln in lines:
        prev = out[-1] if out else None
        if (prev and prev.style == "section" and not ln.style and ln.text[:1].islower() and ln.page == prev.page
                and ln.bold == prev.bold and abs(ln.size - prev.size) < 0.5 and len(ln.text.split()) <= 20
                and not re.search(r"[.:;?!]$", prev.text) and (not ln.top or not prev.top or ln.top - prev.top < 0.06)):
            prev.text = f"{prev.text} {ln.text}"
            continue
        out.append(ln)
    return out


def unmark_sentences(lines: list[Line], min_level: int = -1) -> list[Line]:
    """A bold run of several lines that reads as a sentence once joined (it ends
    with a full stop, or runs past 20 words) is a call-out, not a heading."""
    for ln in lines:
        if ln.style in ("section", "subsection") and ln.level >= min_level and (
                re.search(r"[.;,]$", ln.text) or len(ln.text.split()) > 20):
            ln.style, ln.level = "para", -1
    return lines


def _note_removed(removed: dict[str, list[Line]] | None, before: list[Line], after: list[Line], rule) -> None:
    """Record the lines a stage took out under the furniture rule ``rule(line)`` names (for coverage)."""
    if removed is None:
        return
    still = {id(ln) for ln in after}
    for ln in before:
        if id(ln) not in still:
            removed.setdefault(rule(ln), []).append(ln)


def _front_rule(ln: Line, contents: set[int], page_count: int) -> str:
    """The furniture rule that explains dropping a front line: "contents list" on a contents page,
    "cover" before it; a page past the front is no furniture, and is named as such."""
    if ln.page in contents:
        return "contents list"
    if ln.page is not None and ln.page <= front_limit(page_count) and ln.page < min(contents, default=ln.page + 1):
        return "cover"
    return "front matter past the cover and contents"


def navigate(lines: list[Line], outline: list[Heading], page_count: int,
             removed: dict[str, list[Line]] | None = None) -> tuple[list[Line], bool]:
    """Drop the cover and contents pages and mark headings from the document's
    own map: the PDF outline, else the contents page. Returns the lines and
    whether a map was used (when not, typography decides later). The lines
    dropped are recorded in ``removed`` under "cover" and "contents list"."""
    contents = contents_pages(lines, outline, page_count)
    front = set(front_contents_bookmarks(outline, page_count))
    headings = [h for h in outline if h not in front]
    if not headings and contents:
        headings = contents_entries(lines, contents)
    first = min((h.page for h in headings if h.source == "outline"), default=1)
    before, lines = lines, drop_front_matter(lines, contents, first, page_count)
    _note_removed(removed, before, lines, lambda ln: _front_rule(ln, contents, page_count))
    if headings and headings[0].source == "contents":
        headings = depths_from_body(lines, headings, body_size(lines))
    if len(headings) < 2:
        return lines, False
    lines = place_headings(lines, headings, body_size(lines))
    if headings[0].source == "contents":
        lines = headings_below(lines, max(h.depth for h in headings))
    return lines, True


def clean(lines: list[Line], fmt: str, outline: list[Heading] | None = None,
          page_count: int = 0, removed: dict[str, list[Line]] | None = None) -> tuple[list[Line], list[Line]]:
    """Cleaned body lines and the footnotes taken out of them.

    ``removed``, when given, receives the lines each furniture rule dropped,
    by rule name, so the build can account for every word (ingest.coverage).
    """
    for ln in lines:
        ln.text = normalise(ln.text)
    lines = [ln for ln in lines if ln.text]
    notes: list[Line] = []
    if fmt == "pdf":
        before, lines = lines, drop_running_lines(lines)
        _note_removed(removed, before, lines,
                      lambda ln: "page number" if PAGE_NUMBER.match(ln.text) else "running header or footer")
        lines, notes = split_footnotes(lines)
        lines, mapped = navigate(lines, outline or [], page_count or max((ln.page or 0 for ln in lines), default=0),
                                 removed)
        lines = demote_minor_headings(lines) if mapped else label_headings(lines)
    for ln in lines:
        if not ln.style and BULLET.match(ln.text):
            ln.style = "bullet"
            ln.text = BULLET.sub("", ln.text)
    return lines, notes
