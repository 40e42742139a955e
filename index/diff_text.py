"""How two paragraph texts are compared: what counts as no change, what is only
a renumbered reference or a footnote number, and what is a real rewording.

Two editions of the same guidance differ in ways a reader does not care about:
a PDF writes "ﬁ" as one ligature, breaks "safe-guarding" across a line,
prints curly or straight quotes, and (most often) renumbers: a paragraph
inserted early on shifts every later "see paragraph 235" to "236" and every
footnote marker by one. Treating those as rewordings buries the few real
changes under hundreds of false ones, so:

- ``normalise`` removes what is never a change (case, quotes, dashes, bullets,
  ligatures, soft and line-break hyphens, spacing);
- ``skeleton`` also removes every digit, so paragraphs that differ only in
  numbers still pair by identity, cheaply and before any fuzzy matching;
- ``number_change`` decides, for a pair whose skeletons are equal, whether the
  numbers that differ are paragraph references (the word before is
  "paragraph", "paras", "and", ...; or the old number is a paragraph label
  that became the new one), footnote markers (digits glued to a word or
  punctuation, or a marker present on one side only), or neither, in which
  case it is a real rewording ("3 days" became "5 days").
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from collections.abc import Mapping

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-",
                         "\u2014": "-", "\u2022": " ", "\u00a0": " ", "\u00ad": "", "\u2010": "-",
                         "\u2011": "-", "\u25cf": " ", "\u25aa": " ", "\uf0b7": " "})
# A word broken at a line end ("safe- guarding"): a hyphen between letters with only space after it.
_LINE_HYPHEN = re.compile(r"(?<=[a-z])- +(?=[a-z])")
# The words that introduce a cross-reference number: "paragraph 235", "paras 12 to 14", "Part 2".
REFERENCE_WORDS = frozenset(
    "paragraph paragraphs para paras and to or - , section sections part parts annex chapter chapters "
    "page pages figure table see".split())


def normalise(text: str) -> str:
    """Text as compared: case, quotes, dashes, bullets, ligatures, line-break hyphens and
    spacing do not count as change."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES).lower()
    text = re.sub(r"\s+", " ", text).strip()
    return _LINE_HYPHEN.sub("", text)


@functools.lru_cache(maxsize=65536)
def words(text: str) -> tuple[str, ...]:
    """A text's words and punctuation marks, the units the paragraph ratio compares."""
    return tuple(re.findall(r"\w+|[^\w\s]", text))


def text_ratio(a: str, b: str) -> float:
    """difflib's ratio over words (autojunk off: every word of prose is "popular"). Words,
    not characters: a 150-word paragraph is ~900 characters, and difflib's cost grows with
    the square of the length, which made a 600-paragraph diff take minutes."""
    return difflib.SequenceMatcher(None, words(a), words(b), autojunk=False).ratio()


def may_reach(a: str, b: str, floor: float) -> bool:
    """difflib's cheap upper bounds on ``text_ratio``: False when it cannot reach ``floor``."""
    sm = difflib.SequenceMatcher(None, words(a), words(b), autojunk=False)
    return sm.real_quick_ratio() >= floor and sm.quick_ratio() >= floor


def title_ratio(a: str, b: str, floor: float) -> float:
    """Character ratio of two headings (0 when the cheap bounds say it is below ``floor``). A
    "heading" over 120 characters is body text misread as one and is compared by its start."""
    sm = difflib.SequenceMatcher(None, a[:120], b[:120], autojunk=False)
    if sm.real_quick_ratio() < floor or sm.quick_ratio() < floor:
        return 0.0
    return sm.ratio()


def skeleton(normalised: str) -> str:
    """A normalised text's words without digits, punctuation or spacing: equal skeletons differ
    at most in numbers and in how punctuation sits around them ("videos.can" and "videos8 can"
    are one text whose footnote marker was lost, with its space, in one edition)."""
    return " ".join(re.findall(r"[^\W\d_]+", normalised))


def _tokens(text: str) -> list[str]:
    """Words and numbers, digit runs split off the word they are glued to (punctuation left out:
    where a marker was lost, the full stop or space beside it often went with it)."""
    return re.findall(r"\d+|[^\W\d_]+", text)


def number_change(old: str, new: str, label_map: Mapping[str, str] | None = None) -> str | None:
    """For two normalised texts with equal skeletons: "renumbered" when every number that
    differs is a cross-reference, "footnote" when every one is a footnote marker (a mix of
    the two is "renumbered"), None when some other number changed (a real rewording)."""
    a, b = _tokens(old), _tokens(new)
    if [t for t in a if not t.isdigit()] != [t for t in b if not t.isdigit()] or a == b:
        return None
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    kinds: set[str] = set()
    labels = label_map or {}
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "equal":
            continue
        olds, news = a[i1:i2], b[j1:j2]
        before = a[i1 - 1] if i1 > 0 else ""
        glued = _glued(old, olds) or _glued(new, news) or _after_year(olds, news)
        if op == "replace" and len(olds) == len(news) and (
                before in REFERENCE_WORDS or all(labels.get(x) == y for x, y in zip(olds, news))):
            kinds.add("renumbered")
        elif glued or op in ("insert", "delete") and len(olds + news) == 1:
            kinds.add("footnote")
        else:
            return None
    if not kinds:
        return None
    return "renumbered" if "renumbered" in kinds else "footnote"


def _after_year(olds: list[str], news: list[str]) -> bool:
    """A marker glued to a year ("Act 199823" -> "Act 199824"): the same year, a different tail."""
    if not len(olds) == len(news) == 1 or max(len(olds[0]), len(news[0])) <= 4:
        return False
    return olds[0][:4] == news[0][:4] and re.fullmatch(r"(?:19|20)\d\d", olds[0][:4]) is not None


def _glued(text: str, numbers: list[str]) -> bool:
    """True when each number is written straight after a letter or punctuation mark
    ("colleges85", "Act 199823", "abuse.12"): how a superscript marker reads in a text layer."""
    return bool(numbers) and all(re.search(rf"[^\W\d_][.,;:)'\"]?{n}(?!\d)|[^\W\d_]\d*{n}(?!\d)", text)
                                 for n in numbers)
