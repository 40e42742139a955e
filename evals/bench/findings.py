"""Plain-language conclusions drawn from the figures, one function per section.

They are computed, not written by hand, so a re-run that changes a figure also
changes (or drops) the sentence that depends on it.
"""

from __future__ import annotations

from .common import TARGETS


def _build_findings(b: dict) -> list[str]:
    met = b["overhead_pct"] <= TARGETS["build_overhead_pct"]
    text = (f"Build overhead is {b['overhead_pct']:+.1f}% ({'within' if met else 'over'} the "
            f"{TARGETS['build_overhead_pct']:g}% target); the embed stage takes {b['embed_s']:.1f} s vs "
            f"{b['raw_encode_s']:.1f} s for the raw encode and the rest of the pipeline {b['non_embed_s']:.2f} s.")
    if b["batching_overhead_pct"] > TARGETS["build_overhead_pct"]:
        text += (" Encoding batch by batch in chunk order, as `Embedder.encode` does, is by itself "
                 f"{b['batching_overhead_pct']:+.1f}% slower than one encode call "
                 f"({b['batched_encode_s']:.1f} s vs {b['raw_encode_s']:.1f} s), because sentence-transformers "
                 "sorts texts by length only within a call. Handing the whole list to one `encode` call (or sorting by length before batching "
                 "and restoring the order) in index/embed.py should recover most of that.")
    return [text]


def _query_findings(q: dict) -> list[str]:
    on = q["backends"].get("onnxruntime")
    if not on:
        return []
    kc = q.get("keyword_threads_check")
    extra = on["search_ms"]["p50"] - on["encode_ms"]["p50"]
    kw = on["search_parts_p50_ms"]["keyword_ms"]
    text = (f"Search costs ×{on['search_over_encode_p50']:.2f} the bare encoding (p50, ONNX), "
            f"{extra:.1f} ms more; the keyword retriever takes {kw:.1f} ms of it (p50).")
    if kc:
        a, z = kc["n_threads=1 (as now)"], kc["n_threads=0"]
        if a["p50"] > 1.5 * z["p50"]:
            text += (f" bm25s starts a thread pool on every call because index/keyword.py passes "
                     f"`n_threads=1`: {a['p50']:.2f} ms vs {z['p50']:.2f} ms p50 with `n_threads=0` in "
                     "the interleaved diagnostic.")
    return [text,
            f"`index.answer` p50 is {on['answer_ms']['p50']:.0f} ms vs {on['search_ms']['p50']:.0f} ms for search "
            "(ONNX): the key points encode up to 36 candidate sentences per answer. Sentence vectors computed at "
            "build time would remove that cost, if answer latency matters."]


def _cold_findings(c: dict) -> list[str]:
    lib = c["runs"].get("library (onnxruntime)", {})
    st = c["runs"].get("library (sentence-transformers, no ONNX)", {})
    if lib.get("first_answer_s") and st.get("first_answer_s"):
        return [f"The ONNX query encoder is what keeps cold start in budget: {lib['first_answer_s']:.1f} s to "
                f"the first answer with it, {st['first_answer_s']:.1f} s without."]
    return []


def _threads_finding(big: dict) -> list[str]:
    e = big["exact"]
    one = e.get("latency_ms_1thread_steady")
    if one and one["p50"] < 0.9 * e["latency_ms_steady"]["p50"]:
        return [f"FAISS's OpenMP threads slow single-query exact search on this shared machine: at {big['n']:,} "
                f"vectors p50 {e['latency_ms_steady']['p50']:.1f} ms with the default {big['faiss_threads']} "
                f"threads vs {one['p50']:.1f} ms with one (interleaved). `faiss.omp_set_num_threads(1)` at query "
                "time would move the switch-over up (see the sensitivity line above)."]
    return []


def _footprint_finding(s: dict) -> list[str]:
    fp = [r for r in s.get("footprint", []) if r.get("version_folder_mb_est")]
    if not fp:
        return []
    r = max(fp, key=lambda r: r["n"])
    return [f"At {r['n']:,} chunks the search indexes take {r['search_index_mb']:.0f} MB (target "
            f"{TARGETS['index_mb_100k']:g} MB), but a whole index version is about "
            f"{r['version_folder_mb_est']:.0f} MB: vectors.npy ({r['vectors_npy_mb']:.0f} MB) duplicates the "
            "vectors FAISS already holds, the chunk records and document texts add about "
            f"{r['chunks_docs_manifest_mb_est']:.0f} MB and the ONNX encoder {r['encoder_onnx_mb']:.0f} MB."]


def _scale_findings(s: dict) -> list[str]:
    big = max(s["structured"], key=lambda p: p["n"])
    out = _threads_finding(big)
    iso = max(s.get("isotropic", []), key=lambda p: p["n"], default=None)
    if iso:
        out.append(
            f"HNSW (M={big['hnsw']['M']}, efSearch={big['hnsw']['ef_search']}) keeps recall@10 "
            f"{big['hnsw']['recall@10']:.3f} at {big['n']:,} structured vectors but only "
            f"{iso['hnsw']['recall@10']:.3f} on isotropic ones, so its quality depends on the embedding "
            "distribution: check recall on the real corpus (vectors.npy of a large build) before relying on it.")
    return out + _footprint_finding(s)


def findings(results: dict) -> list[str]:
    """Plain-language conclusions drawn from the figures (so a re-run updates them)."""
    out = []
    b = results.get("build")
    if b and "overhead_pct" in b:
        out += _build_findings(b)
    if results.get("query"):
        out += _query_findings(results["query"])
    if results.get("cold"):
        out += _cold_findings(results["cold"])
    s = results.get("scale")
    if s and s.get("structured"):
        out += _scale_findings(s)
    return out
