"""The matching steps of ``index.diff``: regions, fuzzy pairs, splits and joins.

Kept apart from the records and the classification so each step stays short
and can be read (and tuned) on its own. Everything here is pure: lists of
paragraphs and normalised texts in, index pairs out.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np

from ingest.config import Settings


def pair_regions(old_titles: dict[str, str], new_titles: dict[str, str], votes: dict[str, Counter],
                 size: Counter, title_min: float, ratio: Callable[[str, str], float]) -> dict[str, str]:
    """Greedy one-to-one pairing of regions by (share of paragraphs that went there + title similarity)."""
    scored: list[tuple[float, str, str]] = []
    for o, ot in old_titles.items():
        for n, nt in new_titles.items():
            share = votes.get(o, Counter()).get(n, 0) / max(size.get(o, 0), 1)
            t = ratio(ot, nt) if ot and nt else 0.0
            t = t if t >= title_min else 0.0
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
    cosine, in both directions; only those get the (slow) character ratio. The
    score is ``w * cosine + (1 - w) * ratio`` plus a bonus for staying in the
    paired chapter, and pairs are accepted greedily from the best down.
    """

    def __init__(self, settings: Settings, ratio: Callable[[str, str], float]):
        self.s = settings
        self.ratio = ratio
        self.candidates_old: dict[int, list[int]] = {}
        self.candidates_new: dict[int, list[int]] = {}
        self.encoded = 0

    def match(self, old, new, on: list[str], nn: list[str], pairs: dict[int, int], chapters: dict[str, str],
              encode) -> dict[int, int]:
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
        scored = []
        w = s.diff_cosine_weight
        for a, b in todo:
            i, j = uo[a], un[b]
            self.candidates_old.setdefault(i, []).append(j)
            self.candidates_new.setdefault(j, []).append(i)
            if screen[a, b] < s.diff_screen_min:
                continue
            score = w * float(emb[a, b]) + (1 - w) * self.ratio(on[i], nn[j])
            if chapters.get(old[i].chapter) == new[j].chapter:
                score += s.diff_place_bonus
            scored.append((score, i, j))
        scored.sort(key=lambda x: (-x[0], x[1], x[2]))
        out: dict[int, int] = {}
        used: set[int] = set()
        for score, i, j in scored:
            if score >= s.diff_match_min and i not in out and j not in used:
                out[i] = j
                used.add(j)
        return out


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
                single = ratio(sn[i], dn[j]) if single is None else single
                both = ratio(sn[i], f"{dn[a]} {dn[b]}")
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
