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
MAX_ENTRY_CHARS = 300  # a contents entry is one short line; longer lines are body text (and never regex-scanned)
CONTENTS_TITLE = re.compile(r"^(table of )?contents$", re.I)
FIGURE_ENTRY = re.compile(r"^(figure|table|diagram|box|chart)\s+\d", re.I)
# A list at the front that is part of the contents: "Table of figures", "List of tables".
LIST_TITLE = re.compile(r"^(table of |list of )?(contents|figures|tables|illustrations|diagrams|boxes)$", re.I)
MAX_WRAP = 3  # a title printed over more lines than this is not a heading

# When bookmarks are navigation. A tagged PDF may carry a dump of its structure
# tree as bookmarks (one root "Structure Bookmarks", thousands of entries such
# as "Figure", "•", " " or "Contents 2" with the contents page's number stuck
# on); trusting those makes every bullet a section. These parsing rules decide
# when the outline is ignored in favour of the contents page and typography.
NAV_MAX_PER_PAGE = 5.0  # a table of contents has a few headings a page, not dozens
NAV_MIN_ENTRIES = 30  # below this many bookmarks the per-page rule does not apply (a 2-page note with 8 headings)
NAV_MAX_JUNK = 0.2  # share of titles that are not headings ("Figure", blanks, bullets, body text)
NAV_MAX_REPEATED = 0.3  # share of titles that repeat an earlier title ("•" a thousand times)
NAV_MIN_RISING = 0.8  # share of consecutive bookmarks whose page does not go back
NAV_MAX_TITLE_WORDS = 25  # a title longer than this is body text
# Tag names a structure tree uses for its elements; a heading is never just one of these.
TAG_TITLE = re.compile(r"^(figure|table|image|picture|graphic|artifact|link|span|document|sect|div|p|l|li|lbl|"
                       r"lbody|toc|toci|caption|form|note|reference|structure bookmarks)$", re.I)
TRAILING_NUMBER = re.compile(r"[A-Za-z)]\s+(\d{1,4})$")


def key(text: str) -> str:
    """Letters and digits only, lower case: how a title is compared with a printed line."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


# ---------------------------------------------------------------- PDF bookmarks

def _junk_title(h: Heading, page_count: int) -> bool:
    """A bookmark title that is not a heading: no word in it, a structure tag,
    body text, or a contents line with its page number stuck on ("Summary 4"
    pointing at the contents page: the number is at or after its own page)."""
    t = h.title.strip()
    if not re.search(r"[A-Za-z]{2}", t) or TAG_TITLE.match(t) or len(t.split()) > NAV_MAX_TITLE_WORDS:
        return True
    if t.endswith(".") and not t.endswith("etc."):
        return True
    m = TRAILING_NUMBER.search(t)
    return bool(m) and h.page <= int(m.group(1)) <= page_count


def navigation_problem(headings: list[Heading], page_count: int) -> str:
    """Why bookmarks (in reading order) are not a table of contents, or "" when they are.

    Bookmarks are the publisher's map only when they look like one: headings
    for titles, pages that mostly rise, and a plausible number of entries for
    the page count. Anything else (typically a tagged PDF's structure tree)
    would put bullets and figure captions in every citation, so the caller
    falls back to the printed contents page, then typography.
    """
    if not headings:
        return ""
    n = len(headings)
    if n >= NAV_MIN_ENTRIES and n > NAV_MAX_PER_PAGE * max(1, page_count):
        return f"{n} bookmarks for {page_count} pages"
    junk = sum(_junk_title(h, page_count) for h in headings) / n
    if junk > NAV_MAX_JUNK:
        return f"{junk:.0%} of bookmark titles are not headings"
    repeated = (n - len({h.title for h in headings})) / n
    if repeated > NAV_MAX_REPEATED:
        return f"{repeated:.0%} of bookmark titles repeat"
    rising = sum(b.page >= a.page for a, b in zip(headings, headings[1:])) / max(1, n - 1)
    if n > 2 and rising < NAV_MIN_RISING:
        return f"bookmark pages go back {1 - rising:.0%} of the time"
    return ""


def read_outline(reader) -> list[Heading]:
    """Every bookmark with its depth and 1-based page, in page order, when the
    bookmarks are navigation (``navigation_problem``); else an empty list.

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
    problem = navigation_problem(out, len(reader.pages))
    if problem:
        log.info("the PDF bookmarks are not a table of contents (%s); using the contents page instead", problem)
        return []
    # Bookmarks are usually in reading order; a stable sort by page keeps the
    # order of several headings on one page.
    return sorted(out, key=lambda h: h.page)


# ---------------------------------------------------------------- printed contents

def entry(text: str) -> re.Match | None:
    """``ENTRY``'s match for a contents line, or None.

    Only short lines that end in a digit are tried: the pattern's two lazy
    runs backtrack quadratically, and a 400,000-character line with no page
    number at its end once held a build for minutes in this one match.
    """
    if len(text) > MAX_ENTRY_CHARS or not text.rstrip()[-1:].isdigit():
        return None
    return ENTRY.match(text)


def _entry_lines(lines: list[Line]) -> list[Line]:
    return [ln for ln in lines if entry(ln.text) and not re.fullmatch(r"[\d\s]+", ln.text)]


def front_limit(page_count: int) -> int:
    """The last page a document's own contents list can be on.

    A contents list sits at the front; "CONTENTS" further in (an appendix
    reprinting a statutory instrument, an annex with its own list) is content,
    and taking it for the front contents would drop every page before it.
    """
    return max(4, min(15, page_count // 3 or 4))


def _is_contents_page(texts: list[Line], page_count: int) -> bool:
    """Most lines are entries ending in a page number that rises and stays in range, or it is titled "Contents"."""
    entries = _entry_lines(texts)
    titled = any(LIST_TITLE.match(ln.text.strip()) for ln in texts[:3])
    numbers = [int(entry(ln.text).group("page")) for ln in entries]
    rising = sum(1 for a, b in zip(numbers, numbers[1:]) if b >= a) >= 0.8 * max(1, len(numbers) - 1)
    plausible = all(n <= page_count + 5 for n in numbers)
    return (titled and len(entries) >= 2) or (len(entries) >= 4 and len(entries) >= 0.5 * len(texts)
                                              and rising and plausible)


def front_contents_bookmarks(outline: list[Heading], page_count: int) -> list[Heading]:
    """The outline's "Contents" bookmarks that can point at the front contents list."""
    return [h for h in outline if CONTENTS_TITLE.match(h.title.strip()) and h.page <= front_limit(page_count)]


def contents_pages(lines: list[Line], outline: list[Heading], page_count: int) -> set[int]:
    """Pages that hold the document's contents list.

    Only the front of the document is searched (``front_limit``), so a table
    inside an annex that lists page numbers, or an appendix's own "Contents"
    bookmark, is not mistaken for the contents. A front "Contents" bookmark
    names the first page; the pages after it count only while they still read
    as a contents list (a "Contents" bookmark followed by the next bookmark
    seven pages on does not make the six pages between a contents list).
    Without one, the early pages where most lines end in a page number — with
    or without dot leaders — or that are titled "Contents".
    """
    limit = front_limit(page_count)
    by_page: dict[int, list[Line]] = {}
    for ln in lines:
        if ln.page is not None and ln.page <= limit + 3:
            by_page.setdefault(ln.page, []).append(ln)
    named = front_contents_bookmarks(outline, page_count)
    texts = {p: [ln for ln in by_page[p] if not re.fullmatch(r"[\d\s]+", ln.text)] for p in by_page}
    if named:
        first = min(h.page for h in named)
        found = {first}
        page = first + 1
        while page in texts and _is_contents_page(texts[page], page_count):
            found.add(page)
            page += 1
        return found
    found: set[int] = set()
    for page in sorted(p for p in texts if p <= limit):
        if _is_contents_page(texts[page], page_count):
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
        if LIST_TITLE.match(text) or re.fullmatch(r"[\d\s]+", text):
            continue
        m = entry(text)
        if not m:
            buf.append(text)
            if len(buf) > MAX_WRAP:
                buf = buf[1:]
            continue
        title = " ".join(buf + [re.sub(r"[.\s…]+$", "", m.group("title"))]).strip()
        buf = []
        if title and not FIGURE_ENTRY.match(title):  # a list of figures names captions, not headings
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
