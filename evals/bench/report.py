"""The Markdown report (bench.md), one renderer per part, from the results dict
(bench.json) alone, so ``--render`` can rewrite the report without measuring.

The scale section, the longest, is in report_scale.py.
"""

from __future__ import annotations

from .cells import fmt
from .figures import key_figures, ok_mark
from .findings import findings
from .report_scale import render_scale


def render_header(results: dict) -> list[str]:
    m = results["machine"]
    return [f"# wtkb speed and scale benchmark{' (quick)' if results.get('quick') else ''}", "",
            f"Run {results['started']} · {results['total_seconds']:.0f} s · command: `{results['command']}`", "",
            f"**Machine:** {m['nproc']} CPUs ({m['cpu_model']}), {m['mem_gib']} GiB RAM, {m['os']}, "
            f"Python {m['python']}; " + ", ".join(f"{k} {v}" for k, v in m["versions"].items()) + ".", "",
            f"**Load:** load average (1/5/15 min) {m['loadavg_start']} at the start, {m.get('loadavg_end')} at the "
            "end. Other processes (tests, evals) shared this machine, so figures are medians/percentiles and "
            "absolute times are pessimistic; each section records its own load below.", "",
            "## Key figures", "", "| figure | value | target | met | reproduce |", "|---|---|---|---|---|"]


def render_key_figures(results: dict) -> list[str]:
    return [f"| {f} | {v} | {t} | {ok} | `{cmd}` |" for f, v, t, ok, cmd in key_figures(results)]


def render_build(b: dict) -> list[str]:
    return ["", "## 1. Build", "",
            f"Reproduce: `{b['command']}` · load {b['loadavg_start']} → {b['loadavg_end']}", "",
            f"Full builds of `corpus/notes` ({b['chunks']} chunks) into a fresh temporary index with the model "
            f"already loaded (loading it took {b['model_load_s']:.1f} s, which `wtkb build` also pays), "
            f"`onnx_query_encoder=False`, against `SentenceTransformer.encode` on the same {b['chunks']} texts "
            f"in one call, batch size {b['batch_size']}, torch threads {b['torch_threads']}; interleaved, "
            f"median of {b['repetitions']}.", "",
            "| | seconds (median) | runs | chunks/s |", "|---|---|---|---|",
            f"| raw encode, one call | {b['raw_encode_s']:.2f} | {b['raw_encode_s_runs']} | "
            f"{b['raw_chunks_per_s']:.2f} |",
            f"| raw encode, one call per batch in chunk order (as `Embedder.encode`) | {b['batched_encode_s']:.2f} | "
            f"{b['batched_encode_s_runs']} | {b['chunks'] / b['batched_encode_s']:.2f} |",
            f"| build: embed stage | {b['embed_s']:.2f} | {b['embed_s_runs']} | {b['chunks'] / b['embed_s']:.2f} |",
            "| build: everything else (read, chunk, FAISS, bm25s, write, fsync) | "
            f"{b['non_embed_s']:.2f} | – | – |",
            f"| **build total (no ONNX)** | {b['build_s']:.2f} | {b['build_s_runs']} | "
            f"{b['pipeline_chunks_per_s']:.2f} |",
            f"| first build with default settings (exports ONNX) | {b['first_build_onnx_s']:.2f} | "
            f"{b['first_build_onnx_s_runs']} | {b['chunks'] / b['first_build_onnx_s']:.2f} |",
            f"| ONNX export + parity check, timed alone | {b['onnx_export_s']:.2f} | 1 run | – |",
            f"| no-change rebuild | {b['rebuild_s']:.3f} | {b['rebuild_s_runs']} | – |", "",
            f"Pipeline overhead (median of the paired build/raw ratios {b['overhead_pct_runs']}): "
            f"**{b['overhead_pct']:+.1f}%** without the export. The embed stage alone is "
            f"{b['embed_stage_overhead_pct']:+.1f}% and encoding batch by batch in chunk order costs "
            f"{b['batching_overhead_pct']:+.1f}% by itself (sentence-transformers sorts texts by length only "
            "within a call, so per-batch calls pad more), the rest of the pipeline adds "
            f"{b['non_embed_s']:.2f} s. A first build also exports the ONNX query encoder: "
            f"+{b['onnx_in_build_s']:.1f} s (median over rounds of its non-embed time minus that of the build "
            f"without it), and such a first build is **{b['first_build_onnx_overhead_pct']:+.1f}%** over raw "
            f"encode (paired ratios {b['first_build_onnx_overhead_pct_runs']}). Later builds "
            "with the same model hard-link the live encoder instead of exporting.", ""]


def _query_row(backend: str, d: dict, timed: int) -> str:
    e, s_, a = d["encode_ms"], d["search_ms"], d["answer_ms"]
    pp = d["search_parts_p50_ms"]
    return (f"| {backend} | {e['p50']:.1f} / {e['p95']:.1f} / {e['p99']:.1f} | {s_['p50']:.1f} / "
            f"{s_['p95']:.1f} / {s_['p99']:.1f} | ×{d['search_over_encode_p50']:.2f} "
            f"{ok_mark(d['meets_target'])} | {a['p50']:.1f} / {a['p95']:.1f} / {a['p99']:.1f} | "
            f"{pp['encode_ms']:.1f} / {pp['dense_ms']:.2f} / "
            f"{pp['keyword_ms']:.1f} / {pp['fuse_ms']:.2f} | {d['abstained']}/{timed} |")


def render_query(q: dict) -> list[str]:
    lines = ["## 2. Query (warm)", "",
             f"Reproduce: `{q['command']}` · load {q['loadavg_start']} → {q['loadavg_end']}", "",
             f"{q['timed_queries']} timed calls cycling {q['questions']} safeguarding questions, against an index of "
             f"`corpus/notes`. Per question: bare `kb.embedder.encode_query`, then `kb.search` (hybrid, k=5), "
             f"then `index.answer`. {q['cache']}.", "",
             "| backend | encode p50/p95/p99 ms | search p50/p95/p99 ms | search/encode p50 | answer p50/p95/p99 ms | "
             "search parts p50 ms (encode/dense/keyword/fuse) | abstained |", "|---|---|---|---|---|---|---|"]
    lines += [_query_row(backend, d, q["timed_queries"]) for backend, d in q["backends"].items()]
    lines += ["", "`index.answer` = search + encoding up to 36 candidate sentences for the key points, which is "
              "why it costs several encodings.", ""]
    kc = q.get("keyword_threads_check")
    if kc:
        a, b2 = kc["n_threads=1 (as now)"], kc["n_threads=0"]
        lines += [f"Keyword diagnostic: bm25s `retrieve` over this index as `index/keyword.py` calls it "
                  "(`n_threads=1`, "
                  f"which starts a one-thread pool on every call) p50/p95 {a['p50']:.2f} / {a['p95']:.2f} ms, "
                  f"against `n_threads=0` (runs in the calling thread) {b2['p50']:.2f} / {b2['p95']:.2f} ms, "
                  f"interleaved, {a['n']} calls each.", ""]
    return lines


def _cold_row(name: str, d: dict, target_s: float) -> str:
    ph = d.get("phases_median_s")
    phs = f"{ph['import']:.2f} / {ph['load']:.2f} / {ph['answer']:.2f}" if ph else "–"
    return (f"| {name} | {fmt(d.get('first_answer_s'), nd=2)} | {d.get('first_answer_s_runs', '–')} "
            f"| {d['exit_s']:.2f} | {d['exit_s_runs']} | {phs} | ≤ {target_s:g} s "
            f"{ok_mark(d['meets_target'])} |")


def render_cold(c: dict) -> list[str]:
    note = c["note"][0].upper() + c["note"][1:]
    lines = ["## 3. Cold start", "", f"load {c['loadavg_start']} → {c['loadavg_end']}. {note}. "
             f"{c['index']}.", "",
             f"Reproduce all: `{c['command']}`.", "",
             "| case | first answer s (median) | runs | to exit s (median) | runs | "
             "phases: import / load / answer s | "
             "target |", "|---|---|---|---|---|---|---|"]
    lines += [_cold_row(name, d, c["target_s"]) for name, d in c["runs"].items()]
    lines += ["", "Standalone commands (each prints its own wall time):", "", "```sh"]
    lines += [f"{d['command']}   # {name}" for name, d in c["runs"].items()]
    lines += ["```", "", "For the CLI only the time to exit can be seen from outside (it includes printing the JSON "
              "and interpreter teardown); its target is judged on that.", ""]
    return lines


def render_closing(results: dict) -> list[str]:
    """Findings (if any) and the notes that end every report."""
    found = findings(results)
    lines = ["## Findings for the lead", ""] + [f"- {f}" for f in found] + [""] if found else []
    return lines + ["## Notes", "",
                    "- Every figure above comes from `bench.json` next to this file, which also holds the raw runs.",
                    "- Timings on a shared 2-CPU machine: treat p95/p99 as upper bounds; ratios (search/encode, "
                    "pipeline/raw) were measured interleaved so that load affects both sides alike.", ""]


def render_markdown(results: dict) -> str:
    """bench.md from bench.json: header, key figures, each section that ran, findings, notes."""
    lines = render_header(results) + render_key_figures(results)
    if results.get("build"):
        lines += render_build(results["build"])
    if results.get("query"):
        lines += render_query(results["query"])
    if results.get("cold"):
        lines += render_cold(results["cold"])
    if results.get("scale"):
        lines += render_scale(results["scale"], results.get("build", {}).get("real_neighbour_profile"))
    return "\n".join(lines + render_closing(results))
