"""Answers: the top passages plus the few sentences in them that answer the question.

There is no text generation: every key point is a sentence that exists in a
cited passage, so nothing is said that the sources do not say.

Three decisions are made by a cross-encoder (ms-marco-MiniLM-L-12-v2, which
reads the question and a text together) rather than by the embedding cosine,
because the evaluation showed the cosine measures closeness in topic, not
whether a text answers: near-miss questions (adult safeguarding, Scottish
procedures) share the guidance's vocabulary and scored as high as real ones.

1. **Refusal**: when no candidate passage scores above ``refuse_below`` the
   answer abstains; nothing is shown as if it answered.
2. **Ranking**: the top ``rerank_candidates`` passages are re-ordered by the
   cross-encoder.
3. **Key points**: sentences from the best passages are scored against the
   question; only those above ``key_point_min`` are shown, best first, without
   near-duplicates. When passages are relevant but no sentence clears the bar,
   ``message`` says so and the passages are still shown.

With ``settings.rerank`` off (or no cross-encoder installed) the older cosine
rules apply: abstain below ``abstain_below``, key points by sentence cosine.
"""

from __future__ import annotations

import dataclasses
import re
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from .cite import Citation, citation
from .retrieve import Filters, Hit, KnowledgeBase, Query

SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(\d])|\n+")
MIN_SENTENCE_WORDS = 5
NO_SENTENCE = ("No single sentence in the passages clearly answers this question; read the passages below, "
               "which are the closest the guidance comes.")
_LOCK = threading.Lock()


# The three outcomes a practitioner sees (``Answer.confidence``).
ANSWERED, UNCERTAIN, REFUSED = "answered", "uncertain", "refused"


@dataclass
class KeyPoint:
    """One answer block: text quoted verbatim from a cited passage.

    ``highlight`` is the sentence inside ``text`` that answers the question
    (a substring of ``text``; "" when the whole block is the answer)."""

    text: str
    chunk_id: str
    citation: Citation
    score: float
    highlight: str = ""


@dataclass
class UrgentLine:
    """One line of the urgent-risk card, quoted from an indexed passage and cited."""

    text: str
    chunk_id: str
    citation: Citation


@dataclass
class UrgentCard:
    """Shown above the answer when a question signals immediate danger or blocked access."""

    lines: list[UrgentLine] = field(default_factory=list)
    cue: str = ""  # the words in the question that raised it


@dataclass
class Answer:
    query: str
    hits: list[Hit]
    key_points: list[KeyPoint] = field(default_factory=list)
    abstained: bool = False
    message: str = ""  # why it abstained, a notice such as a truncated question, or "no sentence answers"
    terms: list = field(default_factory=list)  # glossary terms mentioned in the question
    timings_ms: dict = field(default_factory=dict)
    relevance: float | None = None  # the refusal signal: best cross-encoder logit (or cosine when off)
    confidence: str = ANSWERED  # ANSWERED, UNCERTAIN or REFUSED; abstained is True only for REFUSED
    urgent: UrgentCard | None = None

    def to_dict(self) -> dict:
        """The JSON contract of ``wtkb ask --json``."""
        return {
            "query": self.query,
            "answer": {
                "key_points": [{"text": kp.text, "citation": kp.citation.to_dict(), "chunk_id": kp.chunk_id,
                                "highlight": kp.highlight} for kp in self.key_points],
                "abstained": self.abstained,
                "confidence": self.confidence,
                "urgent": None if self.urgent is None else {
                    "cue": self.urgent.cue,
                    "lines": [{"text": ln.text, "chunk_id": ln.chunk_id, "citation": ln.citation.to_dict()}
                              for ln in self.urgent.lines]},
                "message": self.message,
            },
            "hits": [{"chunk_id": h.chunk.chunk_id, "rank": h.rank, "score": round(h.score, 6),
                      "similarity": None if h.dense is None else round(h.dense, 4),
                      "text": h.chunk.text, "citation": citation(h.chunk)} for h in self.hits],
            "terms": [{"abbr": t.abbr, "expansion": t.expansion, "meaning": t.meaning} for t in self.terms],
            "timings_ms": self.timings_ms,
        }


# ---------------------------------------------------------------- sentences


def sentences(text: str) -> list[str]:
    """Candidate key points. A sentence that introduces a list keeps its list,
    so a key point never ends on a dangling colon; fragments (too short, or
    starting mid-sentence in lower case) are dropped."""
    text = re.sub(r"([:;,])\n\u2022 ", r"\1 ", text)
    out = []
    for s in SENTENCE.split(text):
        s = s.strip().lstrip("\u2022").strip()
        if len(s.split()) >= MIN_SENTENCE_WORDS and not s[0].islower() and not s.endswith(":"):
            out.append(s)
    return out


def _words(s: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", s.lower()))


def near_duplicate(a: str, b: str, overlap: float = 0.7) -> bool:
    """Two sentences saying the same thing: most of the shorter one's words are
    in the other (the notes repeat facts across chapter and summary notes)."""
    wa, wb = _words(a), _words(b)
    if not wa or not wb:
        return False
    return len(wa & wb) / min(len(wa), len(wb)) >= overlap


# ---------------------------------------------------------------- cross-encoder


def reranker_for(kb: KnowledgeBase):
    """The knowledge base's cross-encoder (any ``index.encoder.Scorer``): the
    one it was given, or the bundled one, created on first use (its files are
    found, not loaded, here; the ONNX session loads on the first score)."""
    rr = kb.reranker
    if rr is None:
        with _LOCK:
            rr = kb.reranker
            if rr is None:
                from .rerank import Reranker

                rr = kb.reranker = Reranker(max_length=kb.settings.rerank_max_tokens)
    return rr


def rerank_hits(kb: KnowledgeBase, question: str, hits: list[Hit]) -> tuple[list[Hit], np.ndarray]:
    """The top ``rerank_candidates`` hits re-ordered by cross-encoder logit
    (``score`` becomes the logit), then the rest in their fused order."""
    n = kb.settings.rerank_candidates
    head, tail = hits[:n], hits[n:]
    logits = reranker_for(kb).score(question, [h.chunk.embed_text for h in head])
    order = sorted(range(len(head)), key=lambda i: (-logits[i], i))
    out = [dataclasses.replace(head[i], score=float(logits[i])) for i in order]
    floor = float(logits.min()) - 1.0 if len(head) else 0.0  # unscored hits rank below every scored one
    out += [dataclasses.replace(h, score=floor - 0.01 * j) for j, h in enumerate(tail)]
    for rank, h in enumerate(out, start=1):
        h.rank = rank
    return out, logits[order] if len(head) else np.zeros(0)


def scored_sentences(kb: KnowledgeBase, question: str, hits: list[Hit]) -> list[tuple[float, str, Hit]]:
    """(score, sentence, hit) for sentences of the best passages, best first.

    A sentence's score is its own cross-encoder logit plus a share of its
    passage's, so that a sentence that sounds relevant on its own but sits in
    a passage that does not answer the question loses to one from a passage
    that does. With ``key_point_context`` the sentence is scored with its
    section heading in front, since a lone sentence ("It must be made within
    one month") often does not say what it is about."""
    s = kb.settings
    pool: list[tuple[str, Hit]] = []
    seen: set[str] = set()
    for h in hits[:s.key_point_passages]:
        for sent in sentences(h.chunk.text)[:s.key_point_sentences]:
            key = sent.lower()
            if key not in seen:
                seen.add(key)
                pool.append((sent, h))
    if not pool:
        return []
    texts = [f"{h.chunk.section[-1]}: {sent}" if s.key_point_context and h.chunk.section else sent
             for sent, h in pool]
    logits = reranker_for(kb).score(question, texts)
    scored = [(float(lg) + s.key_point_passage_weight * h.score, sent, h) for lg, (sent, h) in zip(logits, pool)]
    return sorted(scored, key=lambda x: -x[0])


def pick_key_points(scored: list[tuple[float, str, Hit]], n: int, bar: float) -> list[KeyPoint]:
    """The best sentences above the bar, at most two a passage, no near-duplicates."""
    picked: list[KeyPoint] = []
    per_chunk: dict[str, int] = {}
    for score, sent, h in scored:
        if score < bar or len(picked) == n:
            break
        cid = h.chunk.chunk_id
        if per_chunk.get(cid, 0) >= 2 or any(near_duplicate(sent, kp.text) for kp in picked):
            continue
        per_chunk[cid] = per_chunk.get(cid, 0) + 1
        picked.append(KeyPoint(text=sent, chunk_id=cid, citation=Citation.of(h.chunk), score=round(score, 4)))
    return picked


# ---------------------------------------------------------------- cosine fallback


def key_points(kb: KnowledgeBase, query_vec: np.ndarray, hits: list[Hit], n: int) -> list[KeyPoint]:
    """Without the cross-encoder: the sentences closest in meaning to the
    question (cosine), at most two a passage, no near-duplicates."""
    pool: list[tuple[str, Hit]] = []
    for h in hits[:3]:
        pool.extend((s, h) for s in sentences(h.chunk.text)[:8])
    if not pool:
        return []
    sims = kb.embedder.encode([s for s, _ in pool]) @ query_vec
    scored = sorted(((float(sim) - 0.02 * (h.rank - 1), s, h) for sim, (s, h) in zip(sims, pool)),
                    key=lambda x: -x[0])
    return pick_key_points(scored, n, float("-inf"))


# ---------------------------------------------------------------- the answer


def _abstain(result: Answer, notice: str, filters: Filters | None) -> Answer:
    result.abstained = True
    result.confidence = REFUSED
    result.hits = []
    result.key_points = []
    where = " with these filters" if filters and filters.active() else ""
    result.message = " ".join(filter(None, [notice, (
        f"Nothing in the indexed documents{where} answers this closely enough. Try rephrasing with the "
        "words the guidance uses, spell out acronyms, or check the glossary.")]))
    return result


def answer(kb: KnowledgeBase, query: str | Query, k: int | None = None, filters: Filters | None = None) -> Answer:
    """Key points and passages for the question, or an abstention.

    The question is prepared (and encoded) once; retrieval, the cross-encoder
    and the cosine fallback all use that one ``Query``."""
    t0 = time.perf_counter()
    s = kb.settings
    k = k or s.k
    timings: dict = {}
    q = kb.prepare(query, timings=timings)
    hits = kb.search(q, max(k, s.rerank_candidates if s.rerank else k), filters, timings=timings)
    t1 = time.perf_counter()
    result = Answer(query=q.text, hits=hits[:k], message=q.notice, terms=list(q.terms))
    if s.rerank and hits:
        hits, logits = rerank_hits(kb, q.text, hits)
        t2 = time.perf_counter()
        result.relevance = float(logits[0]) if len(logits) else None
        result.hits = hits[:k]
        if result.relevance is None or result.relevance < s.refuse_below:
            _abstain(result, q.notice, filters)
        else:
            scored = scored_sentences(kb, q.text, hits)
            result.key_points = pick_key_points(scored, s.key_points, s.key_point_min)
            if not result.key_points:
                result.message = " ".join(filter(None, [q.notice, NO_SENTENCE]))
        timings.update(rerank_ms=round((t2 - t1) * 1000, 2),
                       key_points_ms=round((time.perf_counter() - t2) * 1000, 2))
    else:
        best = max((h.dense for h in hits[:k] if h.dense is not None), default=None)
        result.relevance = best
        if not hits or best is None or best < s.abstain_below:
            _abstain(result, q.notice, filters)
        else:
            result.key_points = key_points(kb, q.vector, result.hits, s.key_points)
    timings.update(search_ms=round((t1 - t0) * 1000, 2), total_ms=round((time.perf_counter() - t0) * 1000, 2))
    result.timings_ms = timings
    return result
