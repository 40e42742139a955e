"""The summary table's rows ("key figures") from the results, one small
function per section, each row judged against its target.

Findings, the plain-language conclusions, live in findings.py.
"""

from __future__ import annotations

from .common import TARGETS, mb

Row = tuple[str, str, str, str, str]  # (figure, value, target, met, command)


def ok_mark(flag: bool | None) -> str:
    return "–" if flag is None else ("✅" if flag else "❌")


def _build_rows(b: dict) -> list[Row]:
    return [
        ("Build: pipeline vs raw encode (sentence-transformers)",
         f"{b['pipeline_chunks_per_s']:.2f} vs {b['raw_chunks_per_s']:.2f} chunks/s → "
         f"overhead {b['overhead_pct']:+.1f}%", f"≤ {TARGETS['build_overhead_pct']:g}%",
         ok_mark(b["meets_target"]), b["command"]),
        ("Build: first build with ONNX export", f"{b['first_build_onnx_s']:.1f} s "
         f"(export alone {b['onnx_export_s']:.1f} s; overhead incl. export "
         f"{b['first_build_onnx_overhead_pct']:+.1f}%)", "reported", "–", b["command"]),
        ("Build: no-change rebuild (median of 3)", f"{b['rebuild_s']:.2f} s", "–", "–", b["command"]),
    ]


def _query_rows(q: dict) -> list[Row]:
    rows = []
    for backend, d in q["backends"].items():
        rows.append((f"Query ({backend}): search p50/p95/p99",
                     f"{d['search_ms']['p50']:.1f} / {d['search_ms']['p95']:.1f} / {d['search_ms']['p99']:.1f} ms "
                     f"(encode p50 {d['encode_ms']['p50']:.1f} ms → ×{d['search_over_encode_p50']:.2f})",
                     f"≤ {TARGETS['search_vs_encode']:g}× encode", ok_mark(d["meets_target"]), q["command"]))
        rows.append((f"Query ({backend}): answer p50/p95/p99",
                     f"{d['answer_ms']['p50']:.1f} / {d['answer_ms']['p95']:.1f} / {d['answer_ms']['p99']:.1f} ms",
                     "–", "–", q["command"]))
    return rows


def _cold_rows(c: dict) -> list[Row]:
    rows = []
    for name, d in c["runs"].items():
        val = d.get("first_answer_s", d["exit_s"])
        what = "to first answer" if "first_answer_s" in d else "to exit"
        rows.append((f"Cold start: {name}", f"{val:.2f} s {what} (median of {c['repetitions']})",
                     f"≤ {TARGETS['cold_start_s']:g} s", ok_mark(d["meets_target"]),
                     f"{c['command']}` or `{d['command']}"))
    return rows


def _dense_row(s: dict, big: dict, kind: str) -> Row:
    """Exact or HNSW at the largest size measured."""
    n = big["n"]
    lat, raw = big[kind]["latency_ms_steady"], big[kind]["latency_ms"]
    within = lat["p95"] <= TARGETS["scale_p95_ms_100k"] and mb(big[kind]["bytes"]) <= TARGETS["index_mb_100k"]
    extra = f", recall@10 {big['hnsw']['recall@10']:.3f}" if kind == "hnsw" else ""
    one = big[kind].get("latency_ms_1thread_steady")
    one = f"; 1 FAISS thread {one['p50']:.2f} / {one['p95']:.2f}" if one else ""
    return (f"Scale {n:,}: {kind} dense search p50/p95 (steady)",
            f"{lat['p50']:.2f} / {lat['p95']:.2f} ms (as measured p95 {raw['p95']:.1f}{one}), "
            f"{mb(big[kind]['bytes']):.0f} MB{extra}", f"p95 ≤ {TARGETS['scale_p95_ms_100k']:g} ms, "
            f"≤ {TARGETS['index_mb_100k']:g} MB", ok_mark(within) if n >= 100_000 else "–", s["command"])


def _scale_rows(s: dict) -> list[Row]:
    big = max(s["structured"], key=lambda p: p["n"])
    rows = [_dense_row(s, big, kind) for kind in ("exact", "hnsw")]
    kw = max(s["keyword"], key=lambda p: p["n"]) if s["keyword"] else None
    if kw:
        lat = kw["latency_ms_steady"]
        rows.append((f"Scale {kw['n']:,}: bm25s search p50/p95 (steady)",
                     f"{lat['p50']:.2f} / {lat['p95']:.2f} ms (as measured p95 {kw['latency_ms']['p95']:.1f}), "
                     f"{mb(kw['bytes']):.0f} MB", "–", "–", s["command"]))
    r = s["recommendation"]
    rows.append(("Recommended exact_search_max", f"**{r['recommended']:,}** (now {r['current']:,})",
                 f"exact p95 ≤ {r['budget_ms']:g} ms, HNSW recall@10 ≥ {r['min_recall']}", "–", s["command"]))
    return rows


def key_figures(results: dict) -> list[Row]:
    """(figure, value, target, met, command) rows for the summary table."""
    rows: list[Row] = []
    b = results.get("build")
    if b and "overhead_pct" in b:
        rows += _build_rows(b)
    if results.get("query"):
        rows += _query_rows(results["query"])
    if results.get("cold"):
        rows += _cold_rows(results["cold"])
    if results.get("scale"):
        rows += _scale_rows(results["scale"])
    return rows
