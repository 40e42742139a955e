"""Section 2, query: warm latency of ``kb.search`` and ``index.answer`` against
the bare query encoding, for the ONNX and the sentence-transformers backends.

The three calls are interleaved per question, so a change of load during the
section hits all three alike and their ratio stays meaningful.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Sequence
from pathlib import Path

import index
from index import median, percentiles

from .common import PY, QUESTIONS, TARGETS, Update, notes_settings, stepper

CACHE_NOTE = ("Embedder._query_cache cleared before every timed call (answer() still reuses the vector "
              "it computed for retrieval, as in production)")


def _timed_calls(kb, count: int, step) -> tuple[list, list, list, list, int]:
    """``count`` questions in turn: bare encode, search, answer (seconds each),
    the search's own timing parts, and how many answers abstained."""
    enc, srch, ans, parts, abstained = [], [], [], [], 0
    for i in range(count):
        q = QUESTIONS[i % len(QUESTIONS)]
        dense_text = index.prepare_query(q, kb.settings, kb.glossary).dense_text
        kb.embedder._query_cache.clear()
        t = time.perf_counter()
        kb.embedder.encode_query(dense_text)
        enc.append(time.perf_counter() - t)
        kb.embedder._query_cache.clear()
        timings: dict = {}
        t = time.perf_counter()
        kb.search(q, timings=timings)
        srch.append(time.perf_counter() - t)
        parts.append(timings)
        kb.embedder._query_cache.clear()
        t = time.perf_counter()
        a = index.answer(kb, q)
        ans.append(time.perf_counter() - t)
        abstained += a.abstained
        step()
    return enc, srch, ans, parts, abstained


def _backend_figures(kb, backend: str, count: int, update: Update) -> dict:
    """Percentiles of the three calls on one backend, after a short warm-up."""
    for q in QUESTIONS[:5]:
        index.answer(kb, q)
    enc, srch, ans, parts, abstained = _timed_calls(kb, count, stepper(update, f"query: {backend}", count))
    e, s_, a_ = percentiles(enc), percentiles(srch), percentiles(ans)
    return {
        "encode_ms": e, "search_ms": s_, "answer_ms": a_,
        "search_parts_p50_ms": {k: round(median([p[k] for p in parts]), 3)
                                for k in ("encode_ms", "dense_ms", "keyword_ms", "fuse_ms")},
        "search_over_encode_p50": round(s_["p50"] / e["p50"], 2),
        "meets_target": s_["p50"] <= TARGETS["search_vs_encode"] * e["p50"],
        "abstained": abstained,
    }


def bench_query(dirs: dict[str, Path], count: int, update: Update) -> dict:
    """Warm latency of kb.search and index.answer against the bare query encoding,
    interleaved per question so load changes hit all three alike."""
    out = {"command": f"{PY} -m evals.bench --only query", "questions": len(QUESTIONS), "timed_queries": count,
           "cache": CACHE_NOTE, "backends": {}}
    for backend, key in (("onnxruntime", "onnx"), ("sentence-transformers", "st")):
        kb = index.load(notes_settings(dirs[key]))
        if kb.embedder.backend != backend:
            raise RuntimeError(f"expected the {backend} backend, got {kb.embedder.backend}")
        out["backends"][backend] = _backend_figures(kb, backend, count, update)
        if backend == "onnxruntime":
            out["keyword_threads_check"] = keyword_threads_check(kb, QUESTIONS, rounds=max(2, count // len(QUESTIONS)))
        del kb
        gc.collect()
    out["target_ratio"] = TARGETS["search_vs_encode"]
    return out


def keyword_threads_check(kb, questions: Sequence[str], rounds: int = 3) -> dict:
    """bm25s ``retrieve`` as index/keyword.py calls it (n_threads=1, which in bm25s
    0.3 starts a one-thread pool on every call) against n_threads=0 (runs in the
    calling thread), interleaved on the same tokens. A diagnostic for the lead."""
    ret = kb.keyword.retriever
    n = ret.scores["num_docs"] if isinstance(getattr(ret, "scores", None), dict) else len(kb.chunks)
    toks = [kb.keyword.tokens(index.prepare_query(q, kb.settings, kb.glossary).keyword_text) for q in questions]
    toks = [t for t in toks if t]
    times: dict = {1: [], 0: []}
    for _ in range(rounds):
        for t_ in toks:
            for nt in (1, 0):
                t = time.perf_counter()
                ret.retrieve([t_], k=min(kb.settings.candidates, n), show_progress=False, n_threads=nt)
                times[nt].append(time.perf_counter() - t)
    return {"n_threads=1 (as now)": percentiles(times[1]), "n_threads=0": percentiles(times[0])}
