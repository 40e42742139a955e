"""One keyword scale point: the production bm25s index over synthetic chunk texts.

Build time, size on disk, memory once loaded and search latency at a given
corpus size, measured the way the dense points are (save, load, then time).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

import index

from .common import dir_bytes
from .measure import latency_figures, load_rss_delta
from .synthetic import keyword_queries, synthetic_texts


def _timed_searches(kw, qs: list[str], k: int, repeats: int) -> tuple[list[list[float]], int]:
    """Seconds per repeat for every query (after a short warm-up), and how many found anything."""
    for q in qs[:20]:
        kw.search(q, k)
    times, found = [], 0
    for q in qs:
        times.append([])
        for _ in range(repeats):
            t = time.perf_counter()
            res = kw.search(q, k)
            times[-1].append(time.perf_counter() - t)
        found += bool(res)
    return times, found


def keyword_scale_point(n: int, queries: int = 300, seed: int = 0, k: int = 50,
                        tick: Callable[[], None] | None = None, measure_memory: bool = True, repeats: int = 3) -> dict:
    """bm25s (the production KeywordIndex) at one corpus size: build time, size on
    disk, memory and search latency."""
    tick = tick or (lambda: None)
    texts = synthetic_texts(n, seed=seed)
    qs = keyword_queries(texts, queries, seed=seed + 2)
    t = time.perf_counter()
    kw = index.KeywordIndex.build(texts)
    build_s = time.perf_counter() - t
    tick()
    with tempfile.TemporaryDirectory(prefix="wtkb-bench-bm25-") as tmp:
        kw.save(Path(tmp) / "bm25")
        size = dir_bytes(Path(tmp) / "bm25")
        rss = load_rss_delta("bm25", Path(tmp) / "bm25") if measure_memory else None
        kw = index.KeywordIndex.load(Path(tmp) / "bm25")  # searched as the app would: loaded from disk
    times, found = _timed_searches(kw, qs, k, repeats)
    tick()
    measured, steady = latency_figures(times)
    return {"n": n, "queries": queries, "k": k, "mean_words": round(float(np.mean([len(x.split()) for x in texts])), 1),
            "vocab": len(kw.vocab), "build_s": round(build_s, 3), "bytes": size, "load_rss_delta_bytes": rss,
            "repeats": repeats, "latency_ms": measured, "latency_ms_steady": steady,
            "queries_with_hits": round(found / max(len(qs), 1), 4)}
