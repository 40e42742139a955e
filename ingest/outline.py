"""The document's own map: PDF bookmarks first, the printed contents page second.

Citations must name the chapter and section a passage sits in, exactly as the
document names them. Publishers already say where every chapter and section
starts — in the PDF outline (bookmarks) and on the contents page — so those are
read before any guess from font sizes. Typography only decides when a document
has neither (``ingest.clean.label_headings``).

Three jobs live here:

- ``read_outline``: bookmarks → ``Heading`` records with their pages;
- ``contents_pages`` / ``contents_entries``: find the printed contents pages
  (with or without dot leaders, entries wrapped over two lines) and read them;
- ``place_headings``: find each heading's own line in the body, so a chapter or
  section that starts mid-page splits exactly there.
"""

from __future__ import annotations

import logging
import re
from collections import Counter

from .records import Heading, Line

log = logging.getLogger(__name__)

# A contents entry: text, then an optional leader (dots, ellipsis, tab), then a page number.
ENTRY = re.compile(r"^(?P<title>.*?[A-Za-z)\]'\"?].*?)\s*(?:\.{2,}|…+|\t)?\s*(?P<page>\d{1,4})$")
CONTENTS_TITLE = re.compile(r"^(table of )?contents$", re.I)
MAX_WRAP = 3  # a title printed over more lines than this is not a heading


def key(text: str) -> str:
    """Letters and digits only, lower case: how a title is compared with a printed line."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


# ---------------------------------------------------------------- PDF bookmarks

def read_outline(reader) -> list[Heading]:
    """Every bookmark with its depth and 1-based page, in reading order.

    Bookmarks without a resolvable page (external links, broken destinations)
    are skipped; a broken outline yields an empty list rather than an error,
    because the contents page and typography can still stand in for it.
    """
    out: list[Heading] = []

    def walk(items, depth: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
                continue
            try:
                page = reader.get_destination_page_number(item)
                title = " ".join(str(item.title).split())
            except Exception:  # noqa: BLE001 - malformed outline entries come in many shapes
                continue
            if page is not None and page >= 0 and title:
                out.append(Heading(depth, title, page + 1))

    try:
        walk(reader.outline, 0)
    except Exception as e:  # noqa: BLE001
        log.warning("the PDF outline could not be read (%s); using the contents page instead", type(e).__name__)
        return []
    # Bookmarks are usually in reading order; a stable sort by page keeps the
    # order of several headings on one page.
    return sorted(out, key=lambda h: h.page)


# ---------------------------------------------------------------- printed contents

def _entry_lines(lines: list[Line]) -> list[Line]:
    return [ln for ln in lines if ENTRY.match(ln.text) and not re.fullmatch(r"[\d\s]+", ln.text)]


def contents_pages(lines: list[Line], outline: list[Heading], page_count: int) -> set[int]:
    """Pages that hold the document's contents list.

    From the outline when it has a "Contents" bookmark (running until the next
    bookmark's page); otherwise the early pages where most lines end in a page
    number — with or without dot leaders — or that are titled "Contents".
    Only the front of the document is searched, so a table inside an annex
    that lists page numbers is not mistaken for the contents.
    """
    named = [h for h in outline if CONTENTS_TITLE.match(h.title.strip())]
    if named:
        first = min(h.page for h in named)
        later = [h.page for h in outline if h.page > first and not CONTENTS_TITLE.match(h.title.strip())]
        return set(range(first, (min(later) if later else first + 1)))
    limit = max(4, min(15, page_count // 3 or 4))
    by_page: dict[int, list[Line]] = {}
    for ln in lines:
        if ln.page is not None and ln.page <= limit:
            by_page.setdefault(ln.page, []).append(ln)
    found: set[int] = set()
    for page in sorted(by_page):
        texts = [ln for ln in by_page[page] if not re.fullmatch(r"[\d\s]+", ln.text)]
        entries = _entry_lines(texts)
        titled = any(CONTENTS_TITLE.match(ln.text.strip()) for ln in texts[:3])
        numbers = [int(ENTRY.match(ln.text).group("page")) for ln in entries]
        rising = sum(1 for a, b in zip(numbers, numbers[1:]) if b >= a) >= 0.8 * max(1, len(numbers) - 1)
        plausible = all(n <= page_count + 5 for n in numbers)
        if (titled and len(entries) >= 2) or (len(entries) >= 4 and len(entries) >= 0.5 * len(texts)
                                               and rising and plausible):
            found.add(page)
        elif found:
            break  # contents pages run together; the first page after them ends the search
    return found


def contents_entries(lines: list[Line], pages: set[int]) -> list[Heading]:
    """Read the contents pages into headings (depth decided later from the body).

    An entry wrapped onto a second line is joined: lines are gathered until
    one ends in a page number.
    """
    out: list[Heading] = []
    buf: list[str] = []
    for ln in lines:
        if ln.page not in pages:
            continue
        text = ln.text.strip()
        if CONTENTS_TITLE.match(text) or re.fullmatch(r"[\d\s]+", text):
            continue
        m = ENTRY.match(text)
        if not m:
            buf.append(text)
            if len(buf) > MAX_WRAP:
                buf = buf[1:]
            continue
        title = " ".join(buf + [re.sub(r"[.\s…]+$", "", m.group("title"))]).strip()
        buf = []
        if title:
            out.append(Heading(0, title, int(m.group("page")), source="contents"))
    return out


# ---------------------------------------------------------------- placing headings in the body

def _match_at(lines: list[Line], i: int, target: str) -> int:
    """How many lines from ``i`` spell the heading ``target`` (0 if they do not).

    A printed heading may wrap over several lines and may carry a footnote
    number at its end, so the lines' letters and digits are joined and compared
    with the title's.
    """
    joined = ""
    for n in range(MAX_WRAP):
        j = i + n
        if j >= len(lines) or lines[j].page != lines[i].page:
            return 0
        joined += key(lines[j].text)
        if joined == target or (joined.startswith(target) and joined[len(target):].isdigit()
                                and len(joined) - len(target) <= 3):
            return n + 1
        if not target.startswith(joined):
            return 0
    return 0


def _fuzzy_at(line: Line, title: str, body: float) -> bool:
    """A heading-styled line that shares most of its words with the title.

    Bookmark titles are sometimes edited after the page is typeset ("Annex F:
    Table of changes from KCSIE …" against a printed "Annex F: Table of changes
    from …"), so an exact match is not always there.
    """
    if not (line.bold or (body and line.size > body * 1.05)):
        return False
    a, b = words(line.text), words(title)
    if not a or not b:
        return False
    common = len(a & b)
    return common / len(b) >= 0.7 and common / len(a) >= 0.7


def _find(lines: list[Line], start: int, h: Heading, body: float, window: int) -> tuple[int, int]:
    """(index, line count) of heading ``h`` at or after ``start``, or (-1, 0).

    Outline headings are looked for on their own page (and the next, for a
    destination that points just above the heading); contents-page headings
    anywhere ahead, since printed page numbers can differ from PDF pages.
    """
    target = key(h.title)
    if not target:
        return -1, 0
    lo, hi = (h.page, h.page + 1) if h.source == "outline" else (h.page - window, h.page + window)
    candidates = [i for i in range(start, len(lines)) if lines[i].page is not None and lo <= lines[i].page <= hi]
    for i in candidates:
        n = _match_at(lines, i, target)
        if n:
            return i, n
    for i in candidates:
        if _fuzzy_at(lines[i], h.title, body):
            return i, 1
    return -1, 0


def place_headings(lines: list[Line], headings: list[Heading], body: float, window: int = 40) -> list[Line]:
    """Mark each heading's printed line(s) as a chapter (depth 0) or section.

    The first line of a heading takes the navigation's title and depth; the
    lines it wraps onto are dropped. A heading whose line cannot be found is
    inserted before the first line of its page, so its page still starts it.
    Heading-like lines the navigation does not list keep no heading style: a
    bold sentence in the body is not a heading.
    """
    out = list(lines)
    cursor = 0
    for h in headings:
        i, n = _find(out, cursor, h, body, window)
        style = "chapter" if h.depth == 0 else "section"
        if i < 0:
            if h.source != "outline":
                continue  # a contents line we cannot see in the body is not evidence enough
            i = next((j for j in range(cursor, len(out)) if out[j].page is not None and out[j].page >= h.page),
                     len(out))
            out.insert(i, Line(h.title, page=h.page, style=style, level=h.depth))
            cursor = i + 1
            continue
        first = out[i]
        out[i] = Line(h.title, page=first.page, style=style, size=first.size, bold=first.bold, top=first.top,
                      left=first.left, level=h.depth, footnotes=tuple(f for ln in out[i:i + n] for f in ln.footnotes))
        del out[i + 1:i + n]
        cursor = i + 1
    return out


def depths_from_body(lines: list[Line], entries: list[Heading], body: float) -> list[Heading]:
    """Give contents entries their depth from how the body prints them.

    A contents page rarely shows levels reliably (DfE pages set every entry in
    the same type), but the headings themselves do: the largest heading size
    is the top level. Entries whose heading is not found in the body are
    dropped.
    """
    found: list[tuple[Heading, float]] = []
    cursor = 0
    for h in entries:
        i, n = _find(lines, cursor, h, body, window=40)
        if i < 0:
            continue
        found.append((h, lines[i].size))
        cursor = i + n
    if not found:
        return []
    sizes = sorted({round(s) for _, s in found}, reverse=True)
    counts = Counter(round(s) for _, s in found)
    top = sizes[0] if counts[sizes[0]] >= 2 or len(sizes) == 1 else sizes[0]
    rank = {s: i for i, s in enumerate(sizes)}
    return [Heading(0 if round(s) >= top else rank[round(s)], h.title, h.page, "contents") for h, s in found]
