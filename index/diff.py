"""Align two editions of a document paragraph by paragraph (pure: no index, no model).

Practitioners moving from one edition of the guidance to the next want to know,
paragraph by paragraph, what is the same, what was reworded, what moved, what
is new and what went. Paragraph numbers cannot be trusted for this (an inserted
section renumbers everything after it), so paragraphs are matched by their text:

1. identical text (after normalising case, quotes, spacing, ligatures and
   line-break hyphens, and leaving digits out) pairs at once;
   most paragraphs of a revision are untouched, so this is most of the work;
2. chapters, then sections, are paired by their titles and by where their
   already-paired paragraphs went;
3. the rest are paired by a score mixing a cosine and difflib's ratio over
   words, with a small bonus for sitting in the reading-order gap the paired
   neighbours leave: first the bag-of-words cosine, then embedding cosine
   (from an injected encoder, so tests can use a tiny fake one) for what is
   still unpaired, so only heavily reworded, new and removed paragraphs are
   encoded, which keeps a 600-paragraph diff fast;
4. a paragraph cut in two (or two joined into one) is recognised when the old
   text matches the two new neighbours read together much better than either.

Every threshold is a ``diff_*`` field of ``ingest.config.Settings``, chosen by
``python -m evals.diff_eval``. Paragraph labels are strings ("12", "4.12").
"""

from __future__ import annotations

import difflib
import functools
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from ingest.config import Settings
from ingest.structure import label_prefix

from .diff_match import Fuzzy, in_order, pair_regions, split_joins, title_pairs
from .diff_text import normalise, number_change, skeleton, text_ratio

Encoder = Callable[[list[str]], np.ndarray]  # texts -> unit-length rows
KINDS = ("unchanged", "renumbered", "footnote", "reworded", "moved", "split", "merged", "new", "removed")
CHANGED = tuple(k for k in KINDS if k != "unchanged")


@dataclass(frozen=True)
class Para:
    """One paragraph of one edition, with what a citation needs."""

    index: int  # position in the edition, 0-based
    label: str  # the printed paragraph number as a string ("12", "4.12"); "" when unnumbered
    text: str
    chapter: str
    chapter_title: str
    section: str  # heading path joined with " > "
    pages: tuple[int, ...] = ()  # (first, last) of the passage holding it
    chunk_id: str = ""

    @property
    def where(self) -> str:
        """Short citation: "para 12 · p. 5" (or the section when unnumbered)."""
        parts = [f"para {self.label}" if self.label else (self.section or f"chapter {self.chapter}")]
        if self.pages:
            a, b = self.pages[0], self.pages[-1]
            parts.append(f"p. {a}" if a == b else f"pp. {a}\u2013{b}")
        return " \u00b7 ".join(parts)

    def to_dict(self) -> dict:
        return {"label": self.label, "chapter": self.chapter, "chapter_title": self.chapter_title,
                "section": self.section, "pages": list(self.pages), "chunk_id": self.chunk_id,
                "text": self.text, "cite": self.where}


@dataclass(frozen=True)
class Segment:
    """One piece of a word-level diff: op is "same", "del" or "ins"."""

    op: str
    text: str


@dataclass
class Change:
    kind: str  # one of KINDS
    old: tuple[Para, ...]
    new: tuple[Para, ...]
    similarity: float = 1.0
    diff: tuple[Segment, ...] = ()

    @property
    def chapter(self) -> str:
        """The chapter a change is listed under: the new edition's, else the old one's."""
        return (self.new or self.old)[0].chapter

    def to_dict(self) -> dict:
        return {"kind": self.kind, "similarity": round(self.similarity, 3),
                "old": [p.to_dict() for p in self.old], "new": [p.to_dict() for p in self.new],
                "diff": [[s.op, s.text] for s in self.diff]}


@dataclass
class ChapterSummary:
    old_chapter: str
    new_chapter: str
    title: str
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class Alignment:
    old_doc: str
    new_doc: str
    changes: list[Change]
    chapter_map: dict[str, str]  # old chapter -> new chapter
    seconds: float = 0.0

    def counts(self) -> dict[str, int]:
        c = Counter(ch.kind for ch in self.changes)
        return {k: c.get(k, 0) for k in KINDS}

    def select(self, kinds: Sequence[str] = (), chapter: str | None = None) -> list[Change]:
        """Changes of the given kinds (all when empty), optionally in one chapter of the
        new edition (removed paragraphs count in the chapter their old chapter became)."""
        return [ch for ch in self.changes
                if (not kinds or ch.kind in kinds) and (chapter is None or self.in_chapter(ch, str(chapter)))]

    def in_chapter(self, change: Change, chapter: str) -> bool:
        if change.new:
            return any(p.chapter == chapter for p in change.new)
        old = change.old[0].chapter
        return self.chapter_map.get(old, f"old {old}") in (chapter, f"old {chapter}")

    def summary(self) -> list[ChapterSummary]:
        """Counts by kind for each chapter, in the new edition's order (removed-only chapters last)."""
        back = {n: o for o, n in self.chapter_map.items()}
        rows: dict[str, ChapterSummary] = {}
        for ch in self.changes:
            p = (ch.new or ch.old)[0]
            key = p.chapter if ch.new else self.chapter_map.get(p.chapter, f"old {p.chapter}")
            if key not in rows:
                old = back.get(key, "") if ch.new else p.chapter
                rows[key] = ChapterSummary(old, "" if key.startswith("old ") else key, p.chapter_title,
                                           {k: 0 for k in KINDS})
            rows[key].counts[ch.kind] += 1
        return list(rows.values())

    def to_dict(self) -> dict:
        return {"old_doc": self.old_doc, "new_doc": self.new_doc, "seconds": round(self.seconds, 3),
                "counts": self.counts(), "chapter_map": self.chapter_map,
                "summary": [vars(s) for s in self.summary()],
                "changes": [c.to_dict() for c in self.changes]}


# ---------------------------------------------------------------- paragraphs from an index

def paragraphs_from_chunks(chunks: Sequence) -> list[Para]:
    """Recover one document's paragraphs from its index chunks, in order.

    A chunk joins whole paragraphs with a blank line and lists the numbers of
    the numbered ones; unnumbered paragraphs (a section's lead-in) come first in
    a section, so spare pieces are given no label. A paragraph too long for one
    chunk is spread over consecutive chunks with the same single number; those
    parts are joined again.
    """
    out: list[Para] = []
    prev: tuple = ()
    for c in chunks:
        labels = [str(n) for n in c.paragraphs]
        pieces = [p.strip() for p in c.text.split("\n\n") if p.strip()]
        section = " > ".join(c.section)
        pages = tuple(c.pages)
        here = (tuple(labels), c.chapter_number, section)
        if len(labels) == 1 and len(pieces) == 1 and out and here == prev:
            last = out[-1]
            span = tuple(p for p in (last.pages[:1] + pages[-1:]) if p is not None)
            out[-1] = replace(last, text=f"{last.text} {pieces[0]}", pages=span)
            continue
        prev = here
        if len(pieces) < len(labels):  # cannot tell which is which: keep the chunk whole
            pieces, labels = [c.text.strip()], [f"{labels[0]}\u2013{labels[-1]}"]
        labels = [""] * (len(pieces) - len(labels)) + labels
        for lab, text in zip(labels, pieces):
            text = text.removeprefix(label_prefix(lab))  # the passage prints "62. "; the diff compares words
            out.append(Para(len(out), lab, text, str(c.chapter_number), c.chapter_title, section, pages,
                            c.chunk_id))
    return out


# ---------------------------------------------------------------- text helpers

def word_diff(old: str, new: str) -> tuple[Segment, ...]:
    """A word-level diff, whitespace kept with the words so the pieces rejoin into the texts."""
    a, b = re.findall(r"\S+\s*", old), re.findall(r"\S+\s*", new)
    sm = difflib.SequenceMatcher(None, [w.strip() for w in a], [w.strip() for w in b], autojunk=False)
    out: list[Segment] = []
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "equal":
            out.append(Segment("same", "".join(b[j1:j2])))
            continue
        if i2 > i1:
            out.append(Segment("del", "".join(a[i1:i2])))
        if j2 > j1:
            out.append(Segment("ins", "".join(b[j1:j2])))
    return tuple(out)


# ---------------------------------------------------------------- regions (chapters, sections)

def map_regions(old: Sequence[Para], new: Sequence[Para], pairs: dict[int, int], key: Callable[[Para], str],
                title: Callable[[Para], str], settings: Settings) -> dict[str, str]:
    """Pair old regions (chapters or sections) with new ones, one to one.

    A region's score for a partner is the share of its paired paragraphs that
    went there plus the similarity of the titles, so a renamed chapter still
    pairs by content and an emptied one can still pair by title.
    """
    votes: dict[str, Counter] = defaultdict(Counter)
    size = Counter(key(p) for p in old)
    for i, j in pairs.items():
        votes[key(old[i])][key(new[j])] += 1
    old_titles = {key(p): title(p) for p in old}
    new_titles = {key(p): title(p) for p in new}
    return pair_regions(old_titles, new_titles, votes, size, settings.diff_title_min)


# ---------------------------------------------------------------- alignment

def align(old: Sequence[Para], new: Sequence[Para], encode: Encoder | None = None,
          settings: Settings | None = None, old_doc: str = "", new_doc: str = "") -> Alignment:
    """Classify every paragraph of two editions. ``encode`` maps texts to unit vectors."""
    s = settings or Settings()
    t0 = time.perf_counter()
    on = [normalise(p.text) for p in old]
    nn = [normalise(p.text) for p in new]
    pairs = _exact_pairs([skeleton(t) for t in on], [skeleton(t) for t in nn])

    def chapter_key(p):
        return p.chapter

    chapters = map_regions(old, new, pairs, chapter_key, lambda p: p.chapter_title, s)
    ratio = functools.lru_cache(maxsize=None)(text_ratio)  # each pair's ratio is computed once
    fuzzy = Fuzzy(s, ratio)
    pairs.update(fuzzy.match(old, new, on, nn, pairs, None))  # words first: most pairs need no model
    if encode is not None:  # the model only for what the words left unpaired (heavy rewordings)
        pairs.update(fuzzy.match(old, new, on, nn, pairs, encode))
    chapters = map_regions(old, new, pairs, chapter_key, lambda p: p.chapter_title, s)
    sections = map_regions(old, new, pairs, _section_key, lambda p: p.section or p.chapter_title, s)
    splits, merges = split_joins(old, new, on, nn, pairs, fuzzy, s, ratio)
    place = Placement(old, new, pairs, chapters, sections, s)
    changes = _regroup(_classify(old, new, on, nn, pairs, place, splits, merges, ratio), ratio, s)
    return Alignment(old_doc, new_doc, changes, chapters, time.perf_counter() - t0)


class Placement:
    """Whether a paired paragraph moved.

    Section placement is evidence only when both editions' sections are
    trustworthy: most paragraphs of each edition sit under a heading path the
    other edition also has (an edition whose headings were misread, say from a
    tagged PDF's structure tree, fails this) and few headings are junk
    ("Figure", a bullet, a number). Then a paragraph moved when its section is not the one its old
    section became and either its chapter changed too or it left the reading
    order. Otherwise only the reading order counts: a paragraph moved when it
    is not on the longest run of pairs that keep their order.
    """

    def __init__(self, old, new, pairs: dict[int, int], chapters: dict[str, str], sections: dict[str, str],
                 s: Settings):
        self.old, self.new, self.chapters, self.sections = old, new, chapters, sections
        self.ordered = in_order(pairs)
        self.shares = (_title_share(old, new, s.diff_title_min), _title_share(new, old, s.diff_title_min))
        self.trusted = (min(self.shares) >= s.diff_section_trust
                        and max(_junk_share(old), _junk_share(new)) <= 1 - s.diff_section_trust)

    def moved(self, i: int, j: int) -> bool:
        out_of_order = i not in self.ordered
        if not self.trusted:
            return out_of_order
        o, n = self.old[i], self.new[j]
        if self.sections.get(_section_key(o)) == _section_key(n):
            return False
        return out_of_order or self.chapters.get(o.chapter) != n.chapter


_JUNK_HEADING = re.compile(r"^(?:figure|table|image|contents?|structure bookmarks|[\W\d_]*)(?:\s*\d+)?$", re.I)


def _title_share(a: Sequence[Para], b: Sequence[Para], title_min: float) -> float:
    """Share of ``a``'s paragraphs whose heading path ``b`` also has (titles this alike or more)."""
    if not a:
        return 1.0
    size = Counter(normalise(p.section) for p in a)
    ours, theirs = list(size), sorted({normalise(p.section) for p in b})
    known = set(theirs) | {ours[x] for x, _ in title_pairs(ours, theirs, title_min)}
    found = sum(n for title, n in size.items() if title in known)
    return found / len(a)


def _junk_share(paras: Sequence[Para]) -> float:
    """Share of paragraphs whose innermost heading is not a heading: "Figure", "•", "12", blank."""
    if not paras:
        return 0.0
    junk = sum(1 for p in paras if p.section and _JUNK_HEADING.match(p.section.split(" > ")[-1].strip()))
    return junk / len(paras)


def _section_key(p: Para) -> str:
    return f"{p.chapter}\u241f{p.section}"


def _exact_pairs(on: list[str], nn: list[str]) -> dict[int, int]:
    """Identical texts pair in order of appearance (repeated boilerplate pairs first-to-first)."""
    where: dict[str, list[int]] = defaultdict(list)
    for j, t in enumerate(nn):
        where[t].append(j)
    pairs: dict[int, int] = {}
    for i, t in enumerate(on):
        if t and where.get(t):
            pairs[i] = where[t].pop(0)
    return pairs


def _classify(old, new, on, nn, pairs, place: Placement, splits, merges, ratio=None) -> list[Change]:
    """Turn pairs into changes, listed in the new edition's order (removed ones where they stood)."""
    ratio = ratio or text_ratio
    placed: list[tuple[float, Change]] = []
    taken_old = {i for i in splits} | {i for group in merges.values() for i in group}
    taken_new = {j for group in splits.values() for j in group} | set(merges)
    for i, js in splits.items():
        joined = " ".join(new[j].text for j in js)
        ch = Change("split", (old[i],), tuple(new[j] for j in js), ratio(on[i], normalise(joined)),
                    word_diff(old[i].text, joined))
        placed.append((js[0], ch))
    for j, is_ in merges.items():
        joined = " ".join(old[i].text for i in is_)
        ch = Change("merged", tuple(old[i] for i in is_), (new[j],), ratio(normalise(joined), nn[j]),
                    word_diff(joined, new[j].text))
        placed.append((j, ch))
    labels = {old[i].label: new[j].label for i, j in pairs.items() if old[i].label and new[j].label}
    for i, j in pairs.items():
        if i in taken_old or j in taken_new:
            continue
        o, n = old[i], new[j]
        same = on[i] == nn[j]
        if place.moved(i, j):
            kind = "moved"
        elif same:
            kind = "unchanged"
        else:
            kind = (skeleton(on[i]) == skeleton(nn[j]) and number_change(on[i], nn[j], labels)) or "reworded"
        placed.append((j, Change(kind, (o,), (n,), 1.0 if same else ratio(on[i], nn[j]),
                                 () if same else word_diff(o.text, n.text))))
    done_new = taken_new | set(pairs.values())
    for j, n in enumerate(new):
        if j not in done_new:
            placed.append((j, Change("new", (), (n,), 0.0)))
    done_old = taken_old | set(pairs)
    anchor = -1.0
    for i, o in enumerate(old):
        if i in pairs:
            anchor = float(pairs[i])
        elif i in splits:
            anchor = float(splits[i][-1])
        if i not in done_old:
            placed.append((anchor + 0.5, Change("removed", (o,), (), 0.0)))
    placed.sort(key=lambda t: t[0])
    return [c for _, c in placed]


_LOOSE = ("reworded", "new", "removed")


def _letters(paras: Sequence[Para]) -> str:
    return " ".join(re.findall(r"[^\W\d_]+", normalise(" ".join(p.text for p in paras))))


def _regroup(changes: list[Change], ratio, s: Settings) -> list[Change]:
    """Read each run of neighbouring rewordings, insertions and removals as one stretch of text.

    Two editions read with different paragraph breaks (a line misread as a heading cuts a
    paragraph in two; bullets become paragraphs of their own) give runs such as "para 17
    removed, an unnumbered paragraph reworded into para 17". When a run's old and new
    paragraphs, each joined, have the same words, that stretch is unchanged; a rewording next to
    a removal or an insertion that reads clearly better joined with it is one rewording.
    """
    out: list[Change] = []
    run: list[Change] = []

    def flush():
        out.extend(_one_stretch(run, ratio, s) if len(run) > 1 else run)
        run.clear()

    for ch in changes:
        if ch.kind in _LOOSE:
            run.append(ch)
        else:
            flush()
            out.append(ch)
    flush()
    return out


def _one_stretch(run: list[Change], ratio, s: Settings) -> list[Change]:
    """The run with each stretch of it whose two sides have the same words made one unchanged
    change, and each pair (a rewording beside a removal or insertion) that reads clearly
    better joined made one rewording."""
    whole = _stretch(run, ratio, s, pair_only=False) if len(run) <= s.diff_stretch_max else None
    if whole is not None:
        return [whole]
    out: list[Change] = []
    k = 0
    while k < len(run):
        for end in range(min(len(run), k + s.diff_stretch_max), k + 1, -1):
            got = _stretch(run[k:end], ratio, s)
            if got is not None:
                out.append(got)
                k = end
                break
        else:
            out.append(run[k])
            k += 1
    return out


def _stretch(part: list[Change], ratio, s: Settings, pair_only: bool = True) -> Change | None:
    olds = sorted({p.index: p for ch in part for p in ch.old}.values(), key=lambda p: p.index)
    news = sorted({p.index: p for ch in part for p in ch.new}.values(), key=lambda p: p.index)
    contiguous = all(b.index - a.index == 1 for side in (olds, news) for a, b in zip(side, side[1:]))
    if not olds or not news or not contiguous:
        return None
    if _letters(olds) == _letters(news):
        return Change("unchanged", tuple(olds), tuple(news))
    if pair_only and (len(part) != 2 or "reworded" not in {c.kind for c in part}):
        return None
    alone = max((c.similarity for c in part if c.kind == "reworded"), default=0.0)
    a, b = " ".join(p.text for p in olds), " ".join(p.text for p in news)
    r = ratio(normalise(a), normalise(b))
    if r < max(s.diff_split_min, alone + s.diff_split_gain):
        return None
    return Change("reworded", tuple(olds), tuple(news), r, word_diff(a, b))
