"""One dense scale point: exact FAISS against HNSW at a given corpus size.

Both indexes come from the production builder and are searched with the
production search function, one query per call as the app does, after a
save/load round trip; only the corpus is synthetic (see synthetic.py).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

import index

from .measure import latency_figures, load_rss_delta
from .neighbours import brute_force_neighbours, recall_at_k
from .synthetic import perturbed_queries, synthetic_vectors


def build_vector_index(vecs: np.ndarray, kind: str):
    """The production builder forced to ``exact`` or ``hnsw``."""
    if kind not in ("exact", "hnsw"):
        raise ValueError(kind)
    return index.build_vector_index(vecs, exact_search_max=len(vecs) if kind == "exact" else 0)


def search_ids(vector_index, queries: np.ndarray, k: int) -> np.ndarray:
    """Ids from one production vector search call per query (-1 where fewer than k)."""
    ids = np.full((len(queries), k), -1, dtype=np.int64)
    for i, q in enumerate(queries):
        res = index.search_vector_index(vector_index, q, k)
        ids[i, :len(res)] = [r for r, _ in res]
    return ids


@contextmanager
def faiss_threads(n: int | None):
    """Run with ``n`` OpenMP threads in FAISS (None: leave the default)."""
    import faiss

    before = faiss.omp_get_max_threads()
    if n:
        faiss.omp_set_num_threads(n)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def time_interleaved(indexes: dict, queries: np.ndarray, k: int, threads: Sequence[int | None] = (None,),
                     repeats: int = 1) -> dict:
    """Per query, ``repeats`` rounds of one production vector search call on
    every index (and thread setting) in turn, so a burst of load from other
    processes hits them alike. Returns ``{(name, threads): [[seconds per
    repeat], ...one list per query]}``."""
    times: dict = {(name, th): [] for th in threads for name in indexes}
    for q in queries:
        for key in times:
            times[key].append([])
        for _ in range(repeats):
            for th in threads:
                with faiss_threads(th):
                    for name, idx in indexes.items():
                        t = time.perf_counter()
                        index.search_vector_index(idx, q, k)
                        times[(name, th)][-1].append(time.perf_counter() - t)
    return times


def _saved_and_loaded(base: np.ndarray, kind: str, folder: Path, measure_memory: bool) -> tuple[object, dict]:
    """Build one index, save it and load it back (searched as the app would:
    loaded from disk); its build time, size and memory once loaded."""
    t = time.perf_counter()
    idx = build_vector_index(base, kind)
    build_s = time.perf_counter() - t
    path = folder / f"{kind}.faiss"
    index.save_vector_index(idx, path)
    loaded = index.load_vector_index(path)
    del idx
    n, dim = base.shape
    record = {"faiss_class": type(loaded).__name__, "build_s": round(build_s, 3),
              "bytes": path.stat().st_size, "vector_bytes": n * int(dim) * 4,
              "load_rss_delta_bytes": load_rss_delta("faiss", path) if measure_memory else None}
    if kind == "hnsw":
        h = loaded.hnsw
        record.update(M=int(h.nb_neighbors(1)), ef_search=int(h.efSearch), ef_construction=int(h.efConstruction))
    return loaded, record


def _time_both(out: dict, indexes: dict, qs: np.ndarray, k: int, single_thread: bool, repeats: int) -> None:
    """Latency of every index with the default FAISS threads and, for comparison, one."""
    threads = (None, 1) if single_thread and out["faiss_threads"] > 1 else (None,)
    time_interleaved(indexes, qs[:min(20, len(qs))], k, threads)  # warm up
    times = time_interleaved(indexes, qs, k, threads, repeats)
    for kind in indexes:
        out[kind]["latency_ms"], out[kind]["latency_ms_steady"] = latency_figures(times[(kind, None)])
        if (kind, 1) in times:
            out[kind]["latency_ms_1thread"], out[kind]["latency_ms_1thread_steady"] = latency_figures(times[(kind, 1)])


def _recalls(out: dict, indexes: dict, base: np.ndarray, qs: np.ndarray, src: np.ndarray, k: int) -> None:
    """HNSW against the exact index's answers, and the exact index against numpy."""
    truth = search_ids(indexes["exact"], qs, k)
    found = search_ids(indexes["hnsw"], qs, k)
    out["exact"]["recall@10_vs_numpy"] = round(recall_at_k(truth, brute_force_neighbours(base, qs, 10), 10), 4)
    out["hnsw"]["recall@10"] = round(recall_at_k(found, truth, 10), 4)
    out["hnsw"]["recall@50"] = round(recall_at_k(found, truth, k), 4)
    out["source_in_top10"] = round(float(np.mean([s in row[:10] for s, row in zip(src, truth)])), 4)


def vector_scale_point(n: int, queries: int = 300, seed: int = 0, k: int = 50, data: str = "structured",
                       noise: float = 0.75, tick: Callable[[], None] | None = None, measure_memory: bool = True,
                       single_thread: bool = True, repeats: int = 3) -> dict:
    """Exact vs HNSW at one corpus size: build time, size on disk, memory once
    loaded, search latency (no encoding; default FAISS threads and, for
    comparison, one thread) and recall of HNSW against the exact index's answers."""
    import faiss

    tick = tick or (lambda: None)
    base = synthetic_vectors(n, seed=seed, kind=data)
    qs, src = perturbed_queries(base, queries, noise=noise, seed=seed + 1)
    k = min(k, n)
    out: dict = {"n": n, "dim": int(base.shape[1]), "data": data, "queries": queries, "k": k,
                 "faiss_threads": faiss.omp_get_max_threads(), "repeats": repeats,
                 "query_source_cosine": round(float(np.mean(np.sum(qs * base[src], axis=1))), 3)}
    indexes = {}
    with tempfile.TemporaryDirectory(prefix="wtkb-bench-faiss-") as tmp:
        for kind in ("exact", "hnsw"):
            indexes[kind], out[kind] = _saved_and_loaded(base, kind, Path(tmp), measure_memory)
            tick()
    _time_both(out, indexes, qs, k, single_thread, repeats)
    _recalls(out, indexes, base, qs, src, k)
    tick()
    return out
