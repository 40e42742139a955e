"""The matching steps of ``index.diff``: regions, fuzzy pairs, splits and joins.

Kept apart from the records and the classification so each step stays short
and can be read (and tuned) on its own. Everything here is pure: lists of
paragraphs and normalised texts in, index pairs out.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np

from ingest.config import Settings

from .diff_text import may_reach, normalise, title_ratio


def pair_regions(old_titles: dict[str, str], new_titles: dict[str, str], votes: dict[str, Counter],
                 size: Counter, title_min: float) -> dict[str, str]:
    """Greedy one-to-one pairing of regions by (share of paragraphs that went there + title similarity).

    Titles are compared only where they share words (``title_pairs``): an
    edition with hundreds of misread headings would otherwise cost a character
    ratio for every pair of them.
    """
    scored: list[tuple[float, str, str]] = []
    olds, news = list(old_titles), list(new_titles)
    alike = title_pairs([old_titles[o] for o in olds], [new_titles[n] for n in news], title_min)
    for b, n in enumerate(news):
        for a, o in enumerate(olds):
            share = votes.get(o, Counter()).get(n, 0) / max(size.get(o, 0), 1)
            t = alike.get((a, b), 0.0)
            if share or t:
                scored.append((share + t, o, n))
    scored.sort(key=lambda x: (-x[0], x[1], x[2]))
    out: dict[str, str] = {}
    used: set[str] = set()
    for _, o, n in scored:
        if o not in out and n not in used:
            out[o] = n
            used.add(n)
    return out


def title_pairs(a: Sequence[str], b: Sequence[str], floor: float) -> dict[tuple[int, int], float]:
    """Character ratio (at least ``floor``) of the headings of ``a`` and ``b`` that are alike,
    by position. Only pairs whose bag-of-words cosine is near a half or more are compared: two
    headings that alike always share words, and the screen is one matrix product."""
    na = [normalise(t)[:120] for t in a]
    nb = [normalise(t)[:120] for t in b]
    if not na or not nb:
        return {}
    cos = lexical_cosine(na, nb)
    out: dict[tuple[int, int], float] = {}
    for x, y in zip(*np.nonzero(cos >= 0.45)):
        r = title_ratio(na[x], nb[y], floor)
        if r >= floor:
            out[(int(x), int(y))] = r
    return out


def _bag(texts: Sequence[str], vocab: dict[str, int]) -> np.ndarray:
    rows = np.zeros((len(texts), max(len(vocab), 1)), dtype=np.float32)
    for r, t in enumerate(texts):
        for w in re.findall(r"[a-z0-9']+", t):
            rows[r, vocab[w]] += 1
    return rows


def lexical_cosine(a: Sequence[str], b: Sequence[str]) -> np.ndarray:
    """Bag-of-words cosine between every text of ``a`` and of ``b``: a cheap screen
    that needs no model, used beside the embedding to pick candidates."""
    vocab: dict[str, int] = {}
    for t in list(a) + list(b):
        for w in re.findall(r"[a-z0-9']+", t):
            vocab.setdefault(w, len(vocab))
    ma, mb = _bag(a, vocab), _bag(b, vocab)
    for m in (ma, mb):
        norms = np.linalg.norm(m, axis=1, keepdims=True)
        m /= np.where(norms == 0, 1.0, norms)
    return ma @ mb.T


class Fuzzy:
    """Pairs the paragraphs that found no identical partner.

    Candidates are the best few by the larger of embedding and bag-of-words
    cosine, in both directions; only those get the (slower) word ratio, and
    only when difflib's cheap upper bound says the pair could still reach
    ``diff_match_min``. The score is ``w * cosine + (1 - w) * ratio`` plus a
    bonus for sitting in the reading-order gap between the paragraphs' paired
    neighbours (label sequence, not section placement, which differs whenever
    the two editions' headings were read differently); pairs are accepted
    greedily from the best down.
    """

    def __init__(self, settings: Settings, ratio: Callable[[str, str], float]):
        self.s = settings
        self.ratio = ratio
        self.candidates_old: dict[int, list[int]] = {}
        self.candidates_new: dict[int, list[int]] = {}
        self.encoded = 0

    def match(self, old, new, on: list[str], nn: list[str], pairs: dict[int, int], encode) -> dict[int, int]:
        s = self.s
        taken = set(pairs.values())
        uo = [i for i in range(len(old)) if i not in pairs]
        un = [j for j in range(len(new)) if j not in taken]
        if not uo or not un:
            return {}
        lex = lexical_cosine([on[i] for i in uo], [nn[j] for j in un])
        if encode is not None:
            vecs = np.asarray(encode([old[i].text for i in uo] + [new[j].text for j in un]), dtype=np.float32)
            norms = np.linalg.norm(vecs, axis=1, keepdims=True)
            vecs = vecs / np.where(norms == 0, 1.0, norms)
            emb = vecs[:len(uo)] @ vecs[len(uo):].T
            self.encoded = len(vecs)
        else:
            emb = lex
        screen = np.maximum(emb, lex)
        k = max(1, s.diff_candidates)
        rows = np.argsort(-screen, axis=1)[:, :k]
        cols = np.argsort(-screen, axis=0)[:k, :].T
        todo = {(a, int(b)) for a in range(len(uo)) for b in rows[a]}
        todo |= {(int(a), b) for b in range(len(un)) for a in cols[b]}
        gap = _gaps(pairs, len(new))
        scored = []
        w = s.diff_cosine_weight
        for a, b in sorted(todo):
            i, j = uo[a], un[b]
            self.candidates_old.setdefault(i, []).append(j)
            self.candidates_new.setdefault(j, []).append(i)
            if screen[a, b] < s.diff_screen_min:
                continue
            bonus = s.diff_place_bonus if gap[i][0] < j < gap[i][1] else 0.0
            need = (s.diff_match_min - bonus - w * float(emb[a, b])) / max(1 - w, 1e-9)
            if not may_reach(on[i], nn[j], need):
                continue
            score = w * float(emb[a, b]) + (1 - w) * self.ratio(on[i], nn[j]) + bonus
            scored.append((score, i, j))
        scored.sort(key=lambda x: (-x[0], x[1], x[2]))
        out: dict[int, int] = {}
        used: set[int] = set()
        for score, i, j in scored:
            if score >= s.diff_match_min and i not in out and j not in used:
                out[i] = j
                used.add(j)
        return out


def in_order(pairs: dict[int, int]) -> set[int]:
    """Old indexes of the longest run of pairs whose new positions rise with the old ones
    (patience sorting, O(n log n)): the paragraphs that kept their place in the reading order."""
    items = sorted(pairs.items())
    tails: list[int] = []  # smallest new index ending a run of each length
    tail_at: list[int] = []  # position in items of that tail
    back = [-1] * len(items)
    for pos, (_, j) in enumerate(items):
        k = bisect.bisect_left(tails, j)
        back[pos] = tail_at[k - 1] if k else -1
        if k == len(tails):
            tails.append(j)
            tail_at.append(pos)
        else:
            tails[k], tail_at[k] = j, pos
    out: set[int] = set()
    pos = tail_at[-1] if tail_at else -1
    while pos >= 0:
        out.add(items[pos][0])
        pos = back[pos]
    return out


def _gaps(pairs: dict[int, int], n_new: int) -> "_GapLookup":
    """For every old index, the new positions of its nearest in-order paired neighbours
    before and after: where an unpaired paragraph's partner should be."""
    keep = sorted((i, pairs[i]) for i in in_order(pairs))
    return _GapLookup([i for i, _ in keep], [j for _, j in keep], n_new)


class _GapLookup(dict):
    """A lazy ``old index -> (low, high)`` map over the in-order anchors."""

    def __init__(self, olds: list[int], news: list[int], n_new: int):
        super().__init__()
        self.olds, self.news, self.n_new = olds, news, n_new

    def __missing__(self, i: int) -> tuple[int, int]:
        k = bisect.bisect_left(self.olds, i)
        low = self.news[k - 1] if k else -1
        high = self.news[k] if k < len(self.olds) else self.n_new
        if k < len(self.olds) and self.olds[k] == i:
            high = self.news[k + 1] if k + 1 < len(self.olds) else self.n_new
        return (low, high)


def _joins(src, dst, sn: list[str], dn: list[str], pairs: dict[int, int], candidates: dict[int, list[int]],
           ratio: Callable[[str, str], float], s: Settings, busy_src: set[int], busy_dst: set[int]) \
        -> dict[int, tuple[int, int]]:
    """Source paragraphs that match two adjacent destination paragraphs read
    together (a split when src is the old edition, a join when it is the new).

    The second half must be unpaired, both halves in one section, and the
    joined text must match clearly better than the single paired half.
    """
    inverse = {j: i for i, j in pairs.items()}
    out: dict[int, tuple[int, int]] = {}
    used: set[int] = set(busy_dst)
    for i in range(len(src)):
        if i in busy_src:
            continue
        if i in pairs and sn[i] == dn[pairs[i]]:
            continue  # an identical partner leaves nothing over for a second half
        starts = [pairs[i]] if i in pairs else candidates.get(i, [])
        best: tuple[float, tuple[int, int]] | None = None
        for j in starts:
            if i not in pairs and j in inverse:
                continue
            single = None
            for a, b in ((j - 1, j), (j, j + 1)):
                if a < 0 or b >= len(dst) or a in used or b in used:
                    continue
                other = b if a == j else a
                if other in inverse or (dst[a].chapter, dst[a].section) != (dst[b].chapter, dst[b].section):
                    continue
                joined = f"{dn[a]} {dn[b]}"
                if not may_reach(sn[i], joined, s.diff_split_min):
                    continue
                single = ratio(sn[i], dn[j]) if single is None else single
                both = ratio(sn[i], joined)
                if both >= s.diff_split_min and both - single >= s.diff_split_gain:
                    if best is None or both > best[0]:
                        best = (both, (a, b))
        if best:
            out[i] = best[1]
            used.update(best[1])
    return out


def split_joins(old, new, on, nn, pairs: dict[int, int], fuzzy: Fuzzy, s: Settings, ratio) \
        -> tuple[dict[int, tuple[int, int]], dict[int, tuple[int, int]]]:
    """Splits (old index -> two new) and merges (new index -> two old)."""
    splits = _joins(old, new, on, nn, pairs, fuzzy.candidates_old, ratio, s, set(), set())
    inverse = {j: i for i, j in pairs.items()}
    busy_new = {j for js in splits.values() for j in js}
    busy_old = set(splits)
    merges = _joins(new, old, nn, on, inverse, fuzzy.candidates_new, ratio, s, busy_new, busy_old)
    return splits, merges
