"""Retrieval over a loaded index: dense (FAISS), keyword (bm25s), and their fusion.

A question is prepared once into a ``Query`` (normalised text, acronym
expansions, and its vector) by ``KnowledgeBase.prepare``; ``search`` and
``index.answer`` use that one query, so a question is encoded once however
many steps look at it. ``KnowledgeBase.from_chunks`` builds the same indexes
in memory from any ``Encoder``, which is how the fast tests run real FAISS
and bm25s code without a model.

``KnowledgeBase`` is read-only once loaded and safe to share between threads
(the app serves every session from one instance): FAISS and bm25s searches
only read, and the query encoder is guarded by a lock.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ingest.records import Chunk
from ingest.config import Settings

from . import store, vectors
from .browse import topic_label
from .embed import Embedder, ModelError, resolve_model
from .encoder import Encoder, Scorer
from .glossary import Glossary, Term, load_glossary
from .keyword import KeywordIndex
from .manifest import IndexInfo


class QueryError(ValueError):
    """A question that cannot be searched (empty, say); the message is for the user."""


@dataclass
class Hit:
    chunk: Chunk
    score: float  # the fused score that ranks hits
    dense: float | None = None  # cosine similarity to the question, when the dense retriever saw it
    keyword: float | None = None  # BM25 score, when the keyword retriever found it
    rank: int = 0


def fuse(runs: dict[str, list[tuple[int, float]]], weights: dict[str, float],
         rrf_k: int) -> list[tuple[int, float, dict[str, float]]]:
    """Weighted reciprocal rank fusion of ranked lists of (row, score).

    Each list adds ``weight / (rrf_k + rank)`` to a row, so agreement between
    retrievers counts and their incomparable raw scores never do. Returns
    (row, fused score, {run name: its raw score}) best first; ties keep the
    order in which rows were first met (runs in the order given). Pure, so
    fusion is tested without a model or an index.
    """
    fused: dict[int, list] = {}
    for name, results in runs.items():
        weight = weights.get(name, 1.0)
        for rank, (row, score) in enumerate(results, start=1):
            entry = fused.setdefault(row, [0.0, {}])
            entry[0] += weight / (rrf_k + rank)
            entry[1][name] = score
    ordered = sorted(fused.items(), key=lambda kv: -kv[1][0])
    return [(row, total, parts) for row, (total, parts) in ordered]


@dataclass
class Filters:
    doc: tuple[str, ...] = ()
    chapter: tuple[str, ...] = ()
    kind: tuple[str, ...] = ()
    edition: tuple[str, ...] = ()  # "2018" matches edition "2018-07-04"; a document id also matches

    def active(self) -> bool:
        return bool(self.doc or self.chapter or self.kind or self.edition)

    def allows(self, c: Chunk) -> bool:
        chapter = c.topic_chapter[0]
        # A chapter is given by number ("3", the CLI's --chapter) or by its label (the app's filter options).
        return ((not self.doc or c.meta.doc_id in self.doc or c.meta.covers_doc in self.doc)
                and (not self.chapter or chapter in self.chapter or topic_label(c) in self.chapter)
                and (not self.kind or c.meta.kind in self.kind)
                and (not self.edition or any(c.meta.edition.startswith(e) or c.meta.doc_id == e
                                             for e in self.edition)))


@dataclass(frozen=True)
class Query:
    """A question made ready for retrieval, once.

    ``vector`` is the encoding of ``dense_text``, set by
    ``KnowledgeBase.prepare`` for hybrid and dense search and reused by every
    step after; a query prepared for keyword search alone has none, so it
    never pays for an encoding.
    """

    text: str  # what the user asked, normalised and capped
    dense_text: str  # what the encoder reads (acronyms expanded)
    keyword_text: str  # what bm25s reads (acronyms expanded)
    notice: str = ""  # said to the user alongside the answer, e.g. that the question was cut
    terms: tuple[Term, ...] = ()  # glossary terms found in the question
    vector: np.ndarray | None = dataclasses.field(default=None, compare=False, repr=False)


def prepare_query(raw: str, settings: Settings, glossary: Glossary) -> Query:
    """The text side of a ``Query`` (no vector): normalised, capped, expanded.
    Raises ``QueryError`` for a question with nothing to search."""
    text = unicodedata.normalize("NFKC", str(raw if raw is not None else ""))
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    text = re.sub(r"\s+", " ", text).strip()
    if not any(ch.isalnum() for ch in text):  # empty, or only spaces, emoji, punctuation, marks
        raise QueryError("Please type a question: the query was empty.")
    notice = ""
    if len(text) > settings.max_query_chars:
        notice = (f"Your question was {len(text):,} characters long; only the first "
                  f"{settings.max_query_chars:,} were used. Ask a shorter question for better results.")
        text = text[:settings.max_query_chars].rsplit(" ", 1)[0]
    terms = glossary.find(text) if settings.expand_acronyms else []
    expanded = glossary.expand(text) if settings.expand_acronyms else text
    return Query(text=text, dense_text=expanded, keyword_text=expanded, notice=notice, terms=tuple(terms))


class KnowledgeBase:
    def __init__(self, settings: Settings, version: Path | None, manifest: dict, chunks: list[Chunk], faiss_index,
                 keyword: KeywordIndex, embedder: Encoder, glossary: Glossary, reranker: Scorer | None = None):
        self.settings = settings
        self.version = version  # the index folder; None for one built in memory
        self.manifest = manifest
        self.chunks = chunks
        self.faiss_index = faiss_index
        self.keyword = keyword
        self.embedder = embedder
        self.glossary = glossary
        self.reranker = reranker  # the cross-encoder; index.answer creates the bundled one on first use
        self.by_id = {c.chunk_id: i for i, c in enumerate(chunks)}

    # ------------------------------------------------------------ loading

    @classmethod
    def load(cls, settings: Settings, model: str | None = None, verify: bool = True,
             embedder: Encoder | None = None) -> "KnowledgeBase":
        """Open the live index. ``model``, when given, must be the model that built it.
        ``embedder`` supplies a ready encoder (any ``Encoder``, as the
        evaluation's alternative models are); its identity must match too."""
        version, manifest = store.read_manifest(settings.index_dir)
        if verify:
            store.verify(version, manifest)
        built_with = manifest["model"]["identity"]
        if model is not None and resolve_model(model).identity != built_with:
            raise ModelError(f"this index was built with '{built_with}' but the query asked for "
                             f"'{resolve_model(model).identity}'; query without --model or rebuild with "
                             f"`wtkb build --model {model}`")
        if embedder is None:
            onnx = version / "encoder.onnx" if manifest.get("query_encoder") == "onnxruntime" else None
            embedder = Embedder(model or manifest["model"]["name"], settings.embed_batch_size, onnx_path=onnx,
                                dim=manifest["model"]["dim"])
        if embedder.identity != built_with:
            raise ModelError(f"this index was built with '{built_with}', which resolves differently here "
                             f"('{embedder.identity}'); rebuild with `wtkb build`")
        chunks = store.read_chunks(version)
        faiss_index = vectors.load(version / "vectors.faiss", threads=settings.search_threads)
        if faiss_index.ntotal != len(chunks):
            raise store.IndexError_(f"{version}: vectors and chunks disagree; run `wtkb build` to rebuild")
        return cls(settings, version, manifest, chunks, faiss_index, KeywordIndex.load(version / "bm25"),
                   embedder, load_glossary(settings.glossary_file))

    @classmethod
    def from_chunks(cls, chunks: list[Chunk], encoder: Encoder, settings: Settings | None = None,
                    reranker: Scorer | None = None) -> "KnowledgeBase":
        """An index held in memory: ``chunks`` encoded by ``encoder`` into the
        same FAISS and bm25s indexes a build writes, with nothing read from or
        written to disk. With ``HashEncoder`` (and ``OverlapScorer`` for
        answers) it needs no model, which is what the fast tests use. It
        searches and answers like a built index but has no source list or
        document texts, which only a build records."""
        settings = settings or Settings()
        texts = [c.embed_text if settings.header_in_embedding else c.text for c in chunks]
        vecs = np.asarray(encoder.encode(texts), dtype=np.float32).reshape(len(chunks), encoder.dim)
        manifest = {"model": {"name": encoder.identity, "identity": encoder.identity, "dim": encoder.dim},
                    "sources": [], "chunk_count": len(chunks)}
        keyword = KeywordIndex.build([c.keyword_text(t) for c, t in zip(chunks, texts)])
        return cls(settings, None, manifest, list(chunks), vectors.build(vecs, settings.exact_search_max),
                   keyword, encoder, load_glossary(settings.glossary_file), reranker)

    # ------------------------------------------------------------ searching

    def prepare(self, query: str | Query, mode: str = "hybrid", timings: dict | None = None) -> Query:
        """The question ready for ``search`` in ``mode``: a string is
        normalised and expanded, and its vector is computed when the mode
        needs one (timed as ``encode_ms``). A ``Query`` that already has what
        the mode needs comes back unchanged; one without a vector comes back
        as a copy with it. Raises ``QueryError`` for an empty question."""
        q = query if isinstance(query, Query) else prepare_query(query, self.settings, self.glossary)
        if mode == "keyword" or q.vector is not None:
            return q
        t = time.perf_counter()
        vec = self.embedder.encode_query(q.dense_text)
        if timings is not None:
            timings["encode_ms"] = round((time.perf_counter() - t) * 1000, 2)
        return dataclasses.replace(q, vector=vec)

    def _allowed(self, filters: Filters | None) -> np.ndarray | None:
        if not filters or not filters.active():
            return None
        return np.array([i for i, c in enumerate(self.chunks) if filters.allows(c)], dtype=np.int64)

    def keyword_search(self, q: Query, n: int, allowed: np.ndarray | None) -> list[tuple[int, float]]:
        mask = None
        if allowed is not None:
            mask = np.zeros(len(self.chunks), dtype=np.float32)
            mask[allowed] = 1.0
        return self.keyword.search(q.keyword_text, n, mask)

    def search(self, query: str | Query, k: int | None = None, filters: Filters | None = None,
               mode: str = "hybrid", timings: dict | None = None) -> list[Hit]:
        """Top-k chunks for the question. ``mode``: hybrid, dense or keyword.

        Pass a ``Query`` from ``prepare`` to reuse its vector; a string is
        prepared here, once. ``timings`` receives encode, dense, keyword and
        fuse times in milliseconds (encode is 0 when the vector was ready)."""
        s = self.settings
        k = k or s.k
        q = query if isinstance(query, Query) else prepare_query(query, s, self.glossary)
        allowed = self._allowed(filters)
        if allowed is not None and len(allowed) == 0:
            return []
        n = max(s.candidates, k)
        t = time.perf_counter()
        q = self.prepare(q, mode, timings)
        vec = q.vector if mode in ("hybrid", "dense") else None
        t_enc = time.perf_counter()
        dense = vectors.search(self.faiss_index, vec, n, allowed) if vec is not None else []
        t_dense = time.perf_counter()
        keyword = self.keyword_search(q, n, allowed) if mode in ("hybrid", "keyword") else []
        t_kw = time.perf_counter()
        ranked = fuse({"dense": dense, "keyword": keyword}, {"dense": s.dense_weight, "keyword": s.keyword_weight},
                      s.rrf_k)
        hits = [Hit(self.chunks[row], score, parts.get("dense"), parts.get("keyword"))
                for row, score, parts in ranked[:k]]
        if vec is not None:
            self._fill_dense(vec, hits)
        for i, h in enumerate(hits, start=1):
            h.rank = i
        if timings is not None:
            timings.setdefault("encode_ms", round((t_enc - t) * 1000, 2))
            timings.update(dense_ms=round((t_dense - t_enc) * 1000, 2), keyword_ms=round((t_kw - t_dense) * 1000, 2),
                           fuse_ms=round((time.perf_counter() - t_kw) * 1000, 2))
        return hits

    def _fill_dense(self, vec: np.ndarray, hits: list[Hit]) -> None:
        """Cosine for hits only the keyword retriever found, so abstention and
        display can use one similarity scale for every hit."""
        for h in hits:
            if h.dense is None:
                row = self.by_id[h.chunk.chunk_id]
                h.dense = float(np.dot(self.faiss_index.reconstruct(row), vec))

    # ------------------------------------------------------------ describing

    @functools.cached_property
    def info(self) -> IndexInfo:
        """What this index holds, typed; built once, since the app reads it on every rerun (sidebar,
        filters, provenance notice) and the manifest of a loaded index never changes."""
        return IndexInfo.from_manifest(self.version, self.manifest)

    def documents(self) -> list[dict]:
        return list(self.manifest.get("sources", []))

    def chapters(self) -> list[tuple[str, str]]:
        seen: dict[str, str] = {}
        for c in self.chunks:
            num, title = c.topic_chapter
            seen.setdefault(num, title)
        return sorted(seen.items(), key=lambda kv: (not kv[0].isdigit(), int(kv[0]) if kv[0].isdigit() else 0, kv[0]))

    def document_text(self, doc_id: str) -> str:
        return (self.version / "docs" / f"{doc_id}.txt").read_text(encoding="utf-8")
