"""The retrieval systems the evaluation runs side by side, as small classes.

Every system answers ``search(question, k) -> list[Retrieved]`` over the same
corpus, so the runner scores them all the same way:

* ``KBSystem``     wtkb's own index in keyword, dense or hybrid mode, with any
                   settings override (weights, acronym expansion).
* ``RerankSystem`` a KBSystem's top ``depth`` re-ordered by the int8 ONNX
                   cross-encoder in ``index/rerank.py``, the rest kept in fused
                   order: what ``index.answer`` does with ``rerank_candidates``.

Which systems exist, and how each is built, is the name -> factory table in
``registry.py``; a system that needs another package (the LlamaIndex baseline)
lives outside the library and registers itself as a plugin.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from ingest.config import Settings

RERANK_DEPTH = 20
WARM_QUESTION = "warm-up question about safeguarding children"


@dataclass
class Retrieved:
    doc_id: str  # our chunk id, or an id of the system's own unit
    score: float
    text: str
    cosine: float | None = None  # cosine similarity to the question, where the system has one
    source: str = ""  # file name the unit came from (for mapping a foreign unit to our chunks)


def clear_query_cache(embedder) -> None:
    """Forget an encoder's cached query vectors, so a timed query pays its encoding."""
    cache = getattr(embedder, "_query_cache", None)
    if isinstance(cache, dict):
        cache.clear()


class CachedQueries:
    """Wraps an encoder so repeated questions (a tuning grid) are encoded once."""

    def __init__(self, inner):
        self.inner = inner
        self.cache: dict[str, np.ndarray] = {}

    def encode_query(self, text: str) -> np.ndarray:
        vec = self.cache.get(text)
        if vec is None:
            vec = self.cache[text] = self.inner.encode_query(text)
        return vec

    def __getattr__(self, name):
        return getattr(self.inner, name)


class System:
    """What the runner needs from a system; subclasses override ``search``."""

    name: str = ""
    description: str = ""
    has_cosine: bool = True

    def search(self, question: str, k: int) -> list[Retrieved]:
        raise NotImplementedError

    def warm(self) -> None:
        """Load models so timed queries are warm."""
        self.search(WARM_QUESTION, 3)

    def reset_cache(self) -> None:
        """Forget cached query vectors so every timed query pays its encoding."""

    def map_ids(self, results: list[Retrieved], relevant: dict[str, int]) -> list[Retrieved]:
        """Our chunk ids for the results (systems with their own units override this)."""
        return results

    def unit_stats(self) -> dict | None:
        """For systems with their own units: how many, and how long on average."""
        return None


class KBSystem(System):
    """wtkb's KnowledgeBase with its own settings (a shallow copy shares the index)."""

    def __init__(self, name: str, kb, mode: str = "hybrid", description: str = "", **overrides):
        self.name = name
        self.mode = mode
        self.kb = copy.copy(kb)
        self.kb.settings = kb.settings.replace(**overrides)
        self.description = description
        self.has_cosine = mode in ("hybrid", "dense")

    @property
    def settings(self) -> Settings:
        return self.kb.settings

    def hits(self, question: str, k: int):
        return self.kb.search(question, k, mode=self.mode)

    def search(self, question: str, k: int) -> list[Retrieved]:
        return [Retrieved(h.chunk.chunk_id, h.score, h.chunk.text, h.dense if self.has_cosine else None,
                          h.chunk.meta.doc_id) for h in self.hits(question, k)]

    def reset_cache(self) -> None:
        clear_query_cache(self.kb.embedder)


class RerankSystem(System):
    """The base system's top ``depth`` hits re-ordered by the cross-encoder."""

    def __init__(self, name: str, base: KBSystem, reranker=None, depth: int = RERANK_DEPTH, description: str = ""):
        from index.rerank import Reranker  # lazy: onnxruntime session only when used

        self.name = name
        self.base = base
        self.reranker = reranker or Reranker()
        self.depth = depth
        self.description = description
        self.has_cosine = True

    def search(self, question: str, k: int) -> list[Retrieved]:
        # Only the head is re-ordered, as index.answer.rerank_hits does; the tail keeps its fused order.
        found = self.base.hits(question, max(k, self.depth))
        hits = (self.reranker.rerank(question, found[:self.depth]) + found[self.depth:])[:k]
        return [Retrieved(h.chunk.chunk_id, h.score, h.chunk.text, h.dense, h.chunk.meta.doc_id) for h in hits]

    def reset_cache(self) -> None:
        self.base.reset_cache()
