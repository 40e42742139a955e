"""Dense search with FAISS over unit vectors (inner product = cosine).

Exact search (IndexFlatIP) up to ``exact_search_max`` vectors; above that an
HNSW graph, whose recall against exact search is measured by ``make bench``.
Filters (document, chapter, kind) are applied inside FAISS with an ID selector,
so a filtered search still returns k results when k exist.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

HNSW_M = 32
HNSW_EF_SEARCH = 128
HNSW_EF_CONSTRUCTION = 80


def build(vectors: np.ndarray, exact_search_max: int):
    import faiss

    dim = vectors.shape[1]
    if len(vectors) <= exact_search_max:
        index = faiss.IndexFlatIP(dim)
    else:
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def save(index, path: Path) -> None:
    import faiss

    faiss.write_index(index, str(path))


def load(path: Path, threads: int = 0):
    import faiss

    if threads:
        faiss.omp_set_num_threads(threads)
    index = faiss.read_index(str(path))
    if hasattr(index, "hnsw"):
        index.hnsw.efSearch = HNSW_EF_SEARCH
    return index


def search(index, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
    """(row, cosine) pairs, best first. ``allowed`` is an array of permitted rows."""
    import faiss

    if index.ntotal == 0 or k <= 0:
        return []
    k = min(k, index.ntotal if allowed is None else len(allowed))
    if k == 0:
        return []
    q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
    params = None
    if allowed is not None:
        selector = faiss.IDSelectorBatch(np.ascontiguousarray(allowed, dtype=np.int64))
        params = faiss.SearchParametersHNSW(sel=selector, efSearch=HNSW_EF_SEARCH) if hasattr(index, "hnsw") \
            else faiss.SearchParameters(sel=selector)
    scores, ids = index.search(q, k, params=params) if params is not None else index.search(q, k)
    return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]
