"""Answers: the paragraph that answers, verbatim and cited, above the passages it comes from.

There is no text generation: every answer block is a paragraph that exists in
a cited passage (trimmed around its answering sentence only when long), so
nothing is said that the sources do not say.

The decisions are made by a cross-encoder (ms-marco-MiniLM-L-12-v2, which
reads the question and a text together) rather than by the embedding cosine,
because the evaluation showed the cosine measures closeness in topic, not
whether a text answers. The cross-encoder reads the question with its glossary
acronyms spelled out (``rerank_expanded``), so "ICPC" alone never makes the
guidance look irrelevant.

1. **Ranking**: the top ``rerank_candidates`` passages are re-ordered.
2. **Confidence**: the best passage's logit grades the answer: ``refused``
   below ``refuse_below`` (nothing is shown as if it answered), ``uncertain``
   below ``answer_above`` (shown under "These passages may not answer your
   question"), else ``answered``.
3. **Answer blocks**: each paragraph of the best ``answer_passages`` passages
   is scored (index/paragraph_rank.py); the best is the first block, a second
   or third only within ``answer_block_margin`` of it. Each block cites its
   own paragraph label and highlights its best sentence (index/blocks.py).
4. **Urgent card**: a question that signals immediate danger gets the cited
   lines of index/urgent.py above the answer.

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

from .blocks import paragraph_chunk, sentences_in, trim
from .cite import Citation, citation
from .paragraph_rank import ScoredPara, scored_paragraphs
from .retrieve import Filters, Hit, KnowledgeBase, Query
from .urgent import urgent_cue, urgent_lines

SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(\d])|\n+")
MIN_SENTENCE_WORDS = 5
NO_SENTENCE = ("No single paragraph in the passages clearly answers this question; read the passages below, "
               "which are the closest the guidance comes.")
UNCERTAIN_NOTICE = "These passages may not answer your question."
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
    """(score, sentence, hit) for sentences of the best passages, best first: the
    older sentence key points, kept for the evaluation's comparison. A
    sentence's score is its own cross-encoder logit plus a share of its
    passage's (``key_point_passage_weight``)."""
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


def pick_blocks(scored: list[ScoredPara], n: int, bar: float, margin: float) -> list[ScoredPara]:
    """The best paragraph, then others only while their score is within ``margin`` of
    the first (never as filler), all at or above ``bar``, no near-duplicates."""
    picked: list[ScoredPara] = []
    for sp in scored:
        if sp.score < bar or len(picked) == n or (picked and sp.score < picked[0].score - margin):
            break
        if any(near_duplicate(sp.para.text, p.para.text) for p in picked):
            continue
        picked.append(sp)
    return picked


def as_key_point(kb: KnowledgeBase, question: str, sp: ScoredPara) -> KeyPoint:
    """An answer block: the paragraph, verbatim (trimmed around its highlight when
    long), cited by its own label; the highlight is its best-scoring sentence."""
    cands = sentences_in(sp.para.text)
    highlight = ""
    if len(cands) > 1:
        logits = reranker_for(kb).score(question, cands)
        highlight = cands[int(np.argmax(logits))]
    text = trim(sp.para.text, highlight, kb.settings.answer_block_chars)
    return KeyPoint(text=text, chunk_id=sp.hit.chunk.chunk_id, citation=Citation.of(paragraph_chunk(sp.hit.chunk, sp.para)),
                    score=round(sp.score, 4), highlight=highlight)


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


def urgent_card(kb: KnowledgeBase, question: str) -> UrgentCard | None:
    """The urgent card when the question signals immediate danger: only lines the index can cite."""
    cue = urgent_cue(question)
    if not cue:
        return None
    lines = [UrgentLine(text=sent, chunk_id=chunk.chunk_id, citation=Citation.of(chunk))
             for _, sent, chunk in urgent_lines(kb)]
    return UrgentCard(lines=lines, cue=cue) if lines else None


def confidence_of(relevance: float | None, settings) -> str:
    """REFUSED below ``refuse_below``, UNCERTAIN below ``answer_above``, else ANSWERED."""
    if relevance is None or relevance < settings.refuse_below:
        return REFUSED
    return UNCERTAIN if relevance < settings.answer_above else ANSWERED


def rerank_question(q: Query, settings) -> str:
    """What the cross-encoder reads: the question with its glossary acronyms spelled
    out (``rerank_expanded``), so "ICPC" alone never makes a passage look irrelevant."""
    return q.dense_text if settings.rerank_expanded else q.text


def answer_blocks(kb: KnowledgeBase, question: str, hits: list[Hit]) -> list[KeyPoint]:
    """The answer blocks for reranked hits: best paragraphs, within the margin of the first."""
    s = kb.settings
    scored = scored_paragraphs(reranker_for(kb), s, question, hits)
    picked = pick_blocks(scored, s.key_points, s.key_point_min, s.answer_block_margin)
    return [as_key_point(kb, question, sp) for sp in picked]


def _reranked(kb: KnowledgeBase, result: Answer, q: Query, hits: list[Hit], k: int,
              filters: Filters | None, timings: dict) -> None:
    s = kb.settings
    t1 = time.perf_counter()
    question = rerank_question(q, s)
    hits, logits = rerank_hits(kb, question, hits)
    t2 = time.perf_counter()
    result.relevance = float(logits[0]) if len(logits) else None
    result.hits = hits[:k]
    result.confidence = confidence_of(result.relevance, s)
    if result.confidence == REFUSED:
        _abstain(result, q.notice, filters)
    else:
        result.key_points = answer_blocks(kb, question, hits)
        notes = [q.notice, UNCERTAIN_NOTICE if result.confidence == UNCERTAIN else ""]
        if not result.key_points:
            notes.append(NO_SENTENCE)
        result.message = " ".join(filter(None, notes))
    timings.update(rerank_ms=round((t2 - t1) * 1000, 2),
                   key_points_ms=round((time.perf_counter() - t2) * 1000, 2))


def answer(kb: KnowledgeBase, query: str | Query, k: int | None = None, filters: Filters | None = None) -> Answer:
    """Answer blocks and passages for the question, or a refusal; an urgent card
    when the question signals immediate danger (index/urgent.py).

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
        _reranked(kb, result, q, hits, k, filters, timings)
    else:
        best = max((h.dense for h in hits[:k] if h.dense is not None), default=None)
        result.relevance = best
        if not hits or best is None or best < s.abstain_below:
            _abstain(result, q.notice, filters)
        else:
            result.key_points = key_points(kb, q.vector, result.hits, s.key_points)
    result.urgent = urgent_card(kb, q.text)
    timings.update(search_ms=round((t1 - t0) * 1000, 2), total_ms=round((time.perf_counter() - t0) * 1000, 2))
    result.timings_ms = timings
    return result
