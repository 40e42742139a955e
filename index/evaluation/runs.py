"""Running one system over a list of questions, keeping what scoring needs."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .gold import Question

K = 10  # results kept per question (Recall@10, nDCG@10)


@dataclass
class SystemRun:
    ranked: dict[str, list[str]] = field(default_factory=dict)  # qid -> chunk ids, best first
    top3: dict[str, list[str]] = field(default_factory=dict)  # qid -> texts of the first three results
    best: dict[str, float | None] = field(default_factory=dict)  # qid -> best cosine among the answer's top k
    latency: dict[str, float] = field(default_factory=dict)  # qid -> ms (timed runs only)


def run_system(system, questions: list[Question], cosine_k: int, timed: bool, k: int = K,
               tick: Callable[[int], None] | None = None) -> SystemRun:
    """Ranked ids, top-3 texts, best cosine (over the answer's top ``cosine_k``)
    and, when ``timed``, the latency of each question with its query vector
    cache cleared first."""
    out = SystemRun()
    for i, q in enumerate(questions, start=1):
        if timed:
            system.reset_cache()
        t0 = time.perf_counter()
        results = system.search(q.question, k)
        elapsed = (time.perf_counter() - t0) * 1000
        if timed:
            out.latency[q.id] = elapsed
        mapped = system.map_ids(results, q.relevant)
        out.ranked[q.id] = [r.doc_id for r in mapped]
        out.top3[q.id] = [r.text for r in mapped[:3]]
        cos = [r.cosine for r in mapped[:cosine_k] if r.cosine is not None]
        out.best[q.id] = max(cos) if (cos and system.has_cosine) else None
        if tick:
            tick(i)
    return out
