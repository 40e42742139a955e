"""Text conservation: every word of a document's text layer is accounted for.

A parser that silently drops pages answers every question from what is left,
and nothing in the answers shows it: a late "Contents" bookmark once deleted
107 of 122 pages with a clean build. So every build counts the words of each
document's text layer and accounts for each one: it is in a chunk, a heading
or a footnote, or it was removed by a named furniture rule (cover, contents
list, running header or footer, page number). What is left is lost, and a
document that loses more than ``MIN_ACCOUNTED`` of its words gets one warning
line naming the pages that lost them.

Words are compared as a multiset of lower-case letter runs: numbers are left
out (page numbers, paragraph labels and footnote markers are printed again
elsewhere or are the page-number rule), and lines of a page are joined with
the structure finder's own hyphenation repair, so "safe-" + "guard" on the
text layer and "safeguard" in a chunk are the same word.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from .records import Line
from .structure import join_lines

MIN_ACCOUNTED = 0.99  # below this share of words accounted for, the build warns
HEADING_STYLES = ("chapter", "section", "subsection", "heading")
RULES = ("cover", "contents list", "running header or footer", "page number")
WORD = re.compile(r"[^\W\d_]+")


def word_counts(text: str) -> Counter:
    """The words of ``text`` as a multiset: lower-case letter runs, apostrophes dropped."""
    return Counter(WORD.findall(text.lower().replace("'", "").replace("\u2019", "")))


def joined(texts: list[str]) -> str:
    """Lines joined as the structure finder joins them (a word hyphenated across two lines made whole)."""
    out = ""
    for t in texts:
        out = join_lines(out, t.strip())
    return out


def page_words(lines: list[tuple[int | None, str]]) -> dict[int | None, Counter]:
    """Words per page of the text layer, each page's lines joined in reading order."""
    by_page: dict[int | None, list[str]] = {}
    for page, text in lines:
        by_page.setdefault(page, []).append(text)
    return {p: word_counts(joined(texts)) for p, texts in by_page.items()}


@dataclass
class Coverage:
    """How one document's words were accounted for."""

    words: int = 0  # words in the text layer
    kept: int = 0  # of those, in a chunk, a heading or a footnote
    removed: dict[str, int] = field(default_factory=dict)  # words removed by each named furniture rule
    lost: int = 0  # words neither kept nor removed by a rule
    lost_pages: dict[int, int] = field(default_factory=dict)  # page -> lost words on it
    lost_by: dict[str, int] = field(default_factory=dict)  # a stage that dropped lines no furniture rule explains

    @property
    def accounted(self) -> float:
        """Share of the text layer's words kept or removed by a named rule (1.0 for an empty layer)."""
        return 1.0 - self.lost / self.words if self.words else 1.0

    @property
    def share_kept(self) -> float:
        return self.kept / self.words if self.words else 1.0

    def to_dict(self) -> dict:
        return {"words": self.words, "kept": self.kept, "share_kept": round(self.share_kept, 4),
                "accounted": round(self.accounted, 4), "removed": dict(self.removed), "lost": self.lost,
                "lost_pages": {str(p): n for p, n in sorted(self.lost_pages.items())}, "lost_by": dict(self.lost_by)}

    def warning(self, name: str) -> str:
        """One line when too much is lost, naming the pages that lost it; "" otherwise."""
        if self.accounted >= MIN_ACCOUNTED:
            return ""
        where = page_ranges(sorted(p for p, n in self.lost_pages.items() if n))
        by = "; dropped by: " + ", ".join(self.lost_by) if self.lost_by else ""
        return (f"{name}: {1 - self.accounted:.1%} of its words ({self.lost:,}) are in no chunk, heading or "
                f"footnote and no furniture rule removed them{f' (pages {where})' if where else ''}{by}; "
                "check those pages with `wtkb outline` and report the file")


def page_ranges(pages: list[int], most: int = 6) -> str:
    """"3-8, 12" for pages [3, 4, 5, 6, 7, 8, 12]; at most ``most`` ranges, then "…"."""
    runs: list[list[int]] = []
    for p in pages:
        if runs and p == runs[-1][1] + 1:
            runs[-1][1] = p
        else:
            runs.append([p, p])
    shown = [f"{a}-{b}" if b > a else str(a) for a, b in runs[:most]]
    return ", ".join(shown) + (", …" if len(runs) > most else "")


def _placed(per_page: dict, removed: dict[str, list[Line]], kept: list) -> dict[int, int]:
    """Lost words per page: each page's words less what the rules removed on it
    and what the kept texts that name their pages hold, then the texts without
    pages taken from whichever pages still have their words."""
    left = {p: Counter(c) for p, c in per_page.items()}
    for rule, lines in removed.items():
        if rule in RULES:
            for ln in lines:
                if ln.page in left:
                    left[ln.page] -= word_counts(ln.text)
    loose = Counter()
    for item in kept:
        first, last, text = item if isinstance(item, tuple) else (None, None, item)
        words = word_counts(text)
        for p in range(first or 0, (last or first or 0) + 1) if first is not None else ():
            if p in left:
                take = left[p] & words
                left[p] -= take
                words -= take
        loose += words
    out: dict[int, int] = {}
    for p in sorted(left, key=lambda p: (p is None, p or 0)):
        take = left[p] & loose
        loose -= take
        n = sum((left[p] - take).values())
        if n and p is not None:
            out[p] = n
    return out


def measure(source: list[tuple[int | None, str]], removed: dict[str, list[Line]], kept: list) -> Coverage:
    """Account for every word of ``source`` (the text layer's (page, text) lines).

    ``removed`` holds the lines each stage took out, by rule name; only the
    furniture ``RULES`` account for words, any other name (a stage dropping
    lines no rule explains) is named as where words were lost. ``kept`` holds
    the texts of the chunks, headings and footnotes, each a string or
    (first page, last page, text). Counts are exact as a multiset over the
    document; the pages named as losing words are found page by page.
    """
    per_page = page_words(source)
    total = sum(per_page.values(), Counter())
    rule_words = {rule: word_counts(joined([ln.text for ln in lines])) for rule, lines in removed.items()
                  if rule in RULES}
    kept_words = word_counts("\n".join(k[2] if isinstance(k, tuple) else k for k in kept))
    left = total - kept_words
    taken: dict[str, int] = {}
    for rule, words in rule_words.items():
        before = sum(left.values())
        left = left - words
        taken[rule] = before - sum(left.values())
    lost = sum(left.values())
    return Coverage(words=sum(total.values()), kept=sum((total & kept_words).values()),
                    removed={r: n for r, n in taken.items() if n}, lost=lost,
                    lost_pages=_placed(per_page, removed, kept) if lost else {},
                    lost_by={r: sum(word_counts(joined([ln.text for ln in lines])).values())
                             for r, lines in removed.items() if r not in RULES and lines})


def kept_texts(lines: list[Line], chunks: list, footnotes: list[str]) -> list:
    """What the index holds of a document, with pages where known: its chunks,
    its headings and its footnotes."""
    return ([(c.pages[0], c.pages[-1], c.text) if c.pages else c.text for c in chunks]
            + [(ln.page, ln.page, ln.text) if ln.page else ln.text for ln in lines if ln.style in HEADING_STYLES]
            + [joined(footnotes)])
