"""Answers: the top passages plus the few sentences in them that answer the question.

There is no text generation: every key point is a sentence that exists in a
cited passage, so nothing is said that the sources do not say. When the best
passage is not similar enough to the question, the answer abstains rather than
presenting unrelated guidance as if it answered.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

import numpy as np

from .cite import citation
from .retrieve import Filters, Hit, KnowledgeBase, prepare_query

SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])|\n+")
MIN_SENTENCE_WORDS = 5


@dataclass
class KeyPoint:
    text: str
    chunk_id: str
    citation: dict
    score: float


@dataclass
class Answer:
    query: str
    hits: list[Hit]
    key_points: list[KeyPoint] = field(default_factory=list)
    abstained: bool = False
    message: str = ""  # why it abstained, or a notice such as a truncated question
    terms: list = field(default_factory=list)  # glossary terms mentioned in the question
    timings_ms: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """The JSON contract of ``wtkb ask --json``."""
        return {
            "query": self.query,
            "answer": {
                "key_points": [{"text": kp.text, "citation": kp.citation, "chunk_id": kp.chunk_id}
                               for kp in self.key_points],
                "abstained": self.abstained,
                "message": self.message,
            },
            "hits": [{"chunk_id": h.chunk.chunk_id, "rank": h.rank, "score": round(h.score, 6),
                      "similarity": None if h.dense is None else round(h.dense, 4),
                      "text": h.chunk.text, "citation": citation(h.chunk)} for h in self.hits],
            "terms": [{"abbr": t.abbr, "expansion": t.expansion, "meaning": t.meaning} for t in self.terms],
            "timings_ms": self.timings_ms,
        }


def sentences(text: str) -> list[str]:
    """Candidate key points. A sentence that introduces a list keeps its list,
    so a key point never ends on a dangling colon."""
    text = re.sub(r"([:;,])\n\u2022 ", r"\1 ", text)
    out = []
    for s in SENTENCE.split(text):
        s = s.strip().lstrip("\u2022").strip()
        if len(s.split()) >= MIN_SENTENCE_WORDS:
            out.append(s)
    return out


def key_points(kb: KnowledgeBase, query_vec: np.ndarray, hits: list[Hit], n: int) -> list[KeyPoint]:
    """The sentences from the top hits closest in meaning to the question.

    Sentences are scored by cosine similarity to the question, with a small
    preference for higher-ranked passages; at most two come from one passage
    so the key points show the breadth of what was found.
    """
    pool: list[tuple[str, Hit]] = []
    for h in hits[:3]:
        pool.extend((s, h) for s in sentences(h.chunk.text)[:8])
    if not pool:
        return []
    vecs = kb.embedder.encode([s for s, _ in pool])
    sims = vecs @ query_vec
    scored = sorted(((float(sim) - 0.02 * (h.rank - 1), s, h) for sim, (s, h) in zip(sims, pool)),
                    key=lambda x: -x[0])
    picked: list[KeyPoint] = []
    per_chunk: dict[str, int] = {}
    for score, s, h in scored:
        cid = h.chunk.chunk_id
        if per_chunk.get(cid, 0) >= 2:
            continue
        per_chunk[cid] = per_chunk.get(cid, 0) + 1
        picked.append(KeyPoint(text=s, chunk_id=cid, citation=citation(h.chunk), score=round(score, 4)))
        if len(picked) == n:
            break
    return picked


def answer(kb: KnowledgeBase, query: str, k: int | None = None, filters: Filters | None = None) -> Answer:
    t0 = time.perf_counter()
    s = kb.settings
    q = prepare_query(query, s, kb.glossary)
    timings: dict = {}
    hits = kb.search(q, k or s.k, filters, timings=timings)
    t1 = time.perf_counter()
    best = max((h.dense for h in hits if h.dense is not None), default=None)
    result = Answer(query=q.text, hits=hits, message=q.notice, terms=q.terms)
    if not hits or best is None or best < s.abstain_below:
        result.abstained = True
        result.hits = []
        where = " with these filters" if filters and filters.active() else ""
        result.message = " ".join(filter(None, [q.notice, (
            f"Nothing in the indexed documents{where} answers this closely enough. Try rephrasing with the "
            "words the guidance uses, spell out acronyms, or check the glossary.")]))
    else:
        result.key_points = key_points(kb, kb.embedder.encode_query(q.dense_text), hits, s.key_points)
    timings.update(search_ms=round((t1 - t0) * 1000, 2), total_ms=round((time.perf_counter() - t0) * 1000, 2))
    result.timings_ms = timings
    return result
