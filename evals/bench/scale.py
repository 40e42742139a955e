"""Section 4, scale: dense and keyword search over synthetic corpora of growing
size, the recommended switch-over from exact to HNSW search, and the index
footprint each size would have with the current setting.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from .common import FULL_SCALES, PY, Update, mb, stepper
from .keyword_scale import keyword_scale_point
from .neighbours import neighbour_profile
from .recommend import recommend_exact_search_max
from .synthetic import synthetic_vectors
from .vector_scale import vector_scale_point

SEARCH_NOTE = ("index.vectors.search, one query per call, k = settings.candidates (50); recall@10 from the same "
               "calls; encoding excluded")


def _recommendations(out: dict, current_max: int) -> None:
    """The rule applied to the structured points, to the worst case, and to other latency readings."""
    rec = functools.partial(recommend_exact_search_max, current=current_max)
    out["recommendation"] = rec(out["structured"], latency="latency_ms_steady")
    # exact latency does not depend on the data; the worst case changes only HNSW's recall
    worst = [{"n": p["n"], "exact": p["exact"], "hnsw": {"recall@10": i["hnsw"]["recall@10"]}}
             for p, i in zip(out["structured"], out["isotropic"])]
    out["recommendation_isotropic"] = rec(worst, latency="latency_ms_steady")
    sens = {"p95 as measured (with load spikes)": rec(out["structured"], latency="latency_ms"),
            "p50 steady": rec(out["structured"], latency="latency_ms_steady", stat="p50")}
    if all("latency_ms_1thread_steady" in p["exact"] for p in out["structured"]):
        sens["p95 steady, one FAISS thread"] = rec(out["structured"], latency="latency_ms_1thread_steady")
    out["recommendation_sensitivity"] = sens


def bench_scale(scales: Sequence[int], keyword_scales: Sequence[int], queries: int, seed: int, update: Update,
                current_max: int, per_chunk: dict | None = None) -> dict:
    out = {"command": f"{PY} -m evals.bench --only scale" +
           (f" --scales {','.join(str(s) for s in scales)}" if tuple(scales) != FULL_SCALES else ""),
           "queries": queries, "seed": seed, "k": 50, "search": SEARCH_NOTE,
           "structured": [], "isotropic": [], "keyword": []}
    for n in scales:
        step = stepper(update, f"scale: vectors n={n:,}", 6)
        out["structured"].append(vector_scale_point(n, queries, seed, data="structured", tick=step))
        out["isotropic"].append(vector_scale_point(n, queries, seed, data="isotropic", single_thread=False,
                                                   repeats=1, measure_memory=False, tick=step))
    for n in keyword_scales:
        out["keyword"].append(keyword_scale_point(n, queries, seed, tick=stepper(update, f"scale: bm25s n={n:,}", 2)))
    out["synthetic_neighbour_profile"] = neighbour_profile(synthetic_vectors(min(scales[-1], 10_000), seed=seed))
    _recommendations(out, current_max)
    out["footprint"] = footprint(out, per_chunk, current_max)
    return out


def _version_folder(row: dict, n: int, per_chunk: dict | None) -> None:
    """Add the estimated size of a whole index version folder to a footprint row."""
    if per_chunk:
        per = per_chunk["chunks.jsonl"] + per_chunk["docs"] + per_chunk["manifest"]
        row["chunks_docs_manifest_mb_est"] = mb(n * per)
        row["encoder_onnx_mb"] = mb(per_chunk["encoder.onnx_total"])
    row["search_index_mb"] = round(row["faiss_mb"] + row.get("bm25_mb", 0.0), 1)
    parts = ("faiss_mb", "bm25_mb", "vectors_npy_mb", "chunks_docs_manifest_mb_est", "encoder_onnx_mb")
    row["version_folder_mb_est"] = round(sum(row[k] for k in parts), 1) \
        if all(row.get(k) is not None for k in parts) else None


def footprint(scale: dict, per_chunk: dict | None, exact_max: int) -> list[dict]:
    """Index size at each measured size with the configured switch-over: the FAISS
    file (the figure the 400 MB target is about), plus what else a version folder holds."""
    rows = []
    kw = {p["n"]: p for p in scale.get("keyword", [])}
    for p in scale.get("structured", []):
        n = p["n"]
        kind = "exact" if n <= exact_max else "hnsw"
        row = {"n": n, "vector_index": kind, "faiss_mb": mb(p[kind]["bytes"]),
               "faiss_rss_mb": mb(p[kind]["load_rss_delta_bytes"]),
               "vectors_npy_mb": mb(n * p["dim"] * 4 + 128)}
        if n in kw:
            row["bm25_mb"] = mb(kw[n]["bytes"])
            row["bm25_rss_mb"] = mb(kw[n]["load_rss_delta_bytes"])
        _version_folder(row, n, per_chunk)
        rows.append(row)
    return rows
