"""report.md: the evaluation report as Markdown, one short function per section.

``render(report)`` joins the sections in reading order; each section returns
its lines (empty when the run has nothing for it).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from .registry import BASELINE
from .scoring import LABELS, METRICS
from .tuning import RRF_GRID, WEIGHT_GRID

if TYPE_CHECKING:  # the record is only read here; report.py imports this module
    from .report import EvalReport


def fmt(v, digits=3):
    return "n/a" if v is None else f"{v:.{digits}f}"


def _p(v):
    if v is None:
        return ""
    return "<0.001" if v < 0.001 else f"{v:.3f}"


def _split_words(sr: dict) -> str:
    return "test split" if sr["scored_split"] == "test" else "all questions"


def _header(r: EvalReport) -> list[str]:
    m = r.machine
    start, end = m.get("loadavg_start") or ["?"], m.get("loadavg_end") or ["?"]
    return ["# wtkb retrieval evaluation", "",
            f"Generated {r.generated_at} in {r.seconds} s by `{r.command}`.", "",
            f"Machine: {m.get('nproc')} cores ({m.get('cpu_model')}), "
            + (f"{m['mem_gib']} GiB, " if m.get("mem_gib") else "") + "Python "
            f"{m.get('python')}, {m.get('os')}; 1-minute load average {start[0]} at start, {end[0]} at end. "
            "Latency is wall time per question, warm models, query-vector cache cleared, "
            "index build excluded; other processes may share the machine.", ""]


def _gold_sets(r: EvalReport) -> list[str]:
    L = ["## Gold sets", "", "| Set | File | Questions | In scope | Out of scope | Dev | Test | Corpus |",
         "|---|---|---|---|---|---|---|---|"]
    for g in r.gold:
        L.append(f"| {g['name']} | `{g['path']}` | {g['questions']} | {g['in_scope']} | {g['out_of_scope']} | "
                 f"{g['dev']} | {g['test']} | {g['corpus']} |")
    return L + [""]


def _app_config(r: EvalReport) -> list[str]:
    """The configuration the app runs, as measured here: the row built with it and its settings, and the
    fingerprints the app's Evaluation page compares to say whether this report is out of date."""
    if not r.app_settings:
        return []
    row = (f"The row `{r.app_system}` is exactly this configuration." if r.app_system else
           "No row of the systems table is exactly this configuration (reranking is off).")
    L = ["## The app's configuration", "", row + " Settings: "
         + ", ".join(f"`{k}` {v}" for k, v in r.app_settings.items()) + ".", ""]
    fp = r.fingerprints or {}
    if fp.get("code"):
        L += [f"Fingerprints (sha256, first 12 digits): corpus `{fp.get('corpus_dir')}` {str(fp.get('corpus'))[:12]}, "
              f"gold sets {str(fp.get('gold'))[:12]}, code (ingest/, index/) {str(fp.get('code'))[:12]}.", ""]
    return L


def _main_table(sr: dict) -> list[str]:
    base = sr["baseline"]
    head = ["System"] + [LABELS[m] for m in METRICS] + [f"p nDCG vs {base}", "Key fact top-3",
                                                         "Abstain P / R", "p50 ms", "p95 ms"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, row in sr["systems"].items():
        ab = row.get("abstention")
        ab_s = "n/a" if not ab else f"{fmt(ab['precision'], 2)} / {fmt(ab['recall'], 2)}"
        p = row.get(f"p_vs_{base}", {}).get("ndcg@10")
        cells = [f"`{name}`"] + [fmt(row.get(m)) for m in METRICS] + [
            "—" if name == base else _p(p), fmt(row.get("key_fact_top3"), 2), ab_s,
            fmt(row["latency_ms"]["p50"], 1), fmt(row["latency_ms"]["p95"], 1)]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _set_tables(r: EvalReport) -> list[str]:
    L = []
    for name, sr in r.sets.items():
        title = "Main table" if name == r.primary else "Second set"
        L += [f"## {title}: `{name}`, {_split_words(sr)}", "",
              f"{sr['in_scope']} in-scope questions scored ({sr['with_key_fact']} with a key fact), "
              f"{sr['out_of_scope']} out-of-scope questions for abstention; top {r.k} per question. "
              f"Index: {sr['chunks']['chunks']} chunks.", ""]
        L += _main_table(sr) + [""]
    return L


def _answer_rows(sec: dict) -> list[str]:
    L = ["| Settings | First key point states the answer | Some key point of first 3 | Refusal P / R | "
         "In-scope wrongly refused | Passages, no key point | p50 / p95 ms |", "|---|---|---|---|---|---|---|"]
    for key, title in (("at_shipped", "shipped"), ("at_calibrated", "calibrated on dev")):
        a = sec.get(key)
        if a:
            L.append(f"| {title} ({a['refuse_below']}, {a['key_point_min']}) | {fmt(a['first_key_point'])} | "
                     f"{fmt(a['key_point_top3'])} | {fmt(a['refusal_precision'], 2)} / "
                     f"{fmt(a['refusal_recall'], 2)} | {fmt(a['wrongly_refused'])} ({a['wrongly_refused_n']}) | "
                     f"{a['no_key_point']} | {fmt(a['latency_ms']['p50'], 0)} / {fmt(a['latency_ms']['p95'], 0)} |")
    return L


def _answer_extras(sec: dict) -> list[str]:
    L = []
    a, llama = sec.get("at_shipped", {}), sec.get("llamaindex_hit@3")
    if a.get("label_questions"):
        L += ["", f"Judged by paragraph label ({a['label_questions']} questions, shipped settings): answer in the "
              f"top 3 **{fmt(a['answer_top3'])}**, right paragraph cited **{fmt(a['right_paragraph_cited'])}**, "
              f"key fact in the key points {fmt(a['key_fact_in_key_points'])}"
              + (f"; plain LlamaIndex, answer in its top 3: **{fmt(llama)}**." if llama is not None else ".")]
    if "in_scope_uncertain" in a:
        L += ["", _confidence_line(a)]
    r = sec.get("ranking")
    if r:
        L += ["", f"Ranking of the answer's passages (cross-encoder over the top "
              f"{sec['shipped']['rerank_candidates']}) against the previous default (hybrid + acronyms, no "
              f"reranking): nDCG@10 {fmt(r['answer']['ndcg@10'])} vs {fmt(r['previous']['ndcg@10'])} "
              f"(paired randomisation p {fmt(r['p_ndcg@10'], 4)}); MRR@10 {fmt(r['answer']['mrr@10'])} vs "
              f"{fmt(r['previous']['mrr@10'])}; answer in top 3 {fmt(r['answer']['hit@3'])} vs "
              f"{fmt(r['previous']['hit@3'])}."]
    return L


def _confidence_line(a: dict) -> str:
    """The three outcomes a practitioner sees, at the shipped settings: what share of
    in-scope questions came back uncertain or refused, and of out-of-scope ones answered."""
    para = (f"; right paragraph among the top 3 {fmt(a['paragraph_top3'])}" if a.get("paragraph_top3") is not None
            else "")
    return (f"Graded confidence (shipped settings, answered above {a['answer_above']}): in-scope questions "
            f"uncertain **{fmt(a['in_scope_uncertain'])}**, refused **{fmt(a['wrongly_refused'])}**; "
            f"out-of-scope questions answered outright **{fmt(a['out_of_scope_answered'])}**; answer blocks shown "
            f"per in-scope question {fmt(a['blocks_shown'], 2)}{para}.")


def _answers(r: EvalReport) -> list[str]:
    L = []
    for name, sec in (r.answers or {}).items():
        L += [f"## Answers as shown (`{name}`, {_split_words(r.sets[name])})", ""]
        if sec.get("note"):
            L += [sec["note"], ""]
            continue
        cal = sec.get("calibration")
        if cal:
            L += [f"Calibrated on the dev split ({cal['in_scope']} in scope, {cal['out_of_scope']} out of scope): "
                  f"refuse_below **{cal['refuse_below']}**, key_point_min **{cal['key_point_min']}**; shipped "
                  f"{sec['shipped']['refuse_below']} and {sec['shipped']['key_point_min']}.", ""]
        L += _answer_rows(sec) + _answer_extras(sec) + [""]
    return L


def _how_to_read(r: EvalReport) -> list[str]:
    return ["### How to read it", "", r.metrics_note,
            "Key fact top-3: share of questions with a key fact whose text (case-insensitive) appears in the "
            "top 3 results. Abstain P / R: precision and recall of abstaining on out-of-scope questions, with the "
            "rule answer() uses (best cosine among the top "
            f"{r.answer_k} below the threshold) and each system's threshold calibrated on dev; bm25 has no "
            "cosine (n/a).", ""]


def _abstention(r: EvalReport, sr: dict) -> list[str]:
    rows = [(n, row["abstention"]) for n, row in sr.get("systems", {}).items() if row.get("abstention")]
    if not rows:
        return []
    L = [f"### Abstention on out-of-scope questions ({r.primary}, {sr['scored_split']} split)", "",
         "| System | Threshold (dev) | Precision | Recall | F1 | In-scope wrongly abstained | "
         f"At current default {r.abstain_below_default}: P / R / F1 / wrongly abstained |",
         "|---|---|---|---|---|---|---|"]
    for n, a in rows:
        d = sr["systems"][n].get("abstention_at_default") or {}
        L.append(f"| `{n}` | {a['threshold']:.3f} | {fmt(a['precision'])} | {fmt(a['recall'])} | "
                 f"{fmt(a['f1'])} | {fmt(a['false_abstention_rate'])} ({a['fp']}) | "
                 f"{fmt(d.get('precision'), 2)} / {fmt(d.get('recall'), 2)} / {fmt(d.get('f1'), 2)} / "
                 f"{fmt(d.get('false_abstention_rate'), 2)} ({d.get('fp')}) |")
    return L + [""]


def _by_tag(r: EvalReport, sr: dict) -> list[str]:
    if not sr.get("by_tag"):
        return []
    names = list(sr["systems"])
    L = [f"### nDCG@10 by question type ({r.primary}, {sr['scored_split']} split)", "",
         "| Tag | n | " + " | ".join(f"`{n}`" for n in names) + " |", "|" + "---|" * (len(names) + 2)]
    for tag, row in sr["by_tag"].items():
        L.append(f"| {tag} | {row['n']} | " + " | ".join(fmt(row["systems"][n]["ndcg@10"]) for n in names) + " |")
    return L + [""]


def _significance(r: EvalReport, sr: dict) -> list[str]:
    base = sr.get("baseline", BASELINE)
    sig = [f"| `{name}` | " + " | ".join(_p(row.get(f"p_vs_{base}", {}).get(mm)) for mm in METRICS) + " |"
           for name, row in sr.get("systems", {}).items() if name != base]
    L = []
    if sig:
        L += [f"### Paired significance vs `{base}` ({r.primary}, p-values)", "",
              "| System | " + " | ".join(LABELS[mm] for mm in METRICS) + " |", "|" + "---|" * (len(METRICS) + 1)]
        L += sig + [""]
    vs_base = [(n, row["p_vs_base"]) for n, row in sr.get("systems", {}).items() if row.get("p_vs_base")]
    if vs_base:
        L += ["Against the configuration each is built on (same fusion and expansion; only the dense model or "
              "the reranking differs):", "",
              "| System | vs | " + " | ".join(LABELS[mm] for mm in METRICS) + " |", "|" + "---|" * (len(METRICS) + 2)]
        for n, pv in vs_base:
            L.append(f"| `{n}` | `{pv['base']}` | " + " | ".join(
                f"{sr['systems'][n][mm] - sr['systems'][pv['base']][mm]:+.3f} (p {_p(pv[mm])})"
                for mm in METRICS) + " |")
        L.append("")
    return L


def _tuning_choice(t: dict) -> list[str]:
    b = t["best"]
    L = [f"Best: dense_weight **{b['dense_weight']}**, keyword_weight **{b['keyword_weight']}**, rrf_k "
         f"**{b['rrf_k']}**: dev nDCG@10 {t['best_dev']['ndcg@10']:.3f} "
         f"(current defaults: {t['default_dev']['ndcg@10']:.3f})." if t.get("default_dev") else "",
         f"With acronym expansion on the tuned weights: dev nDCG@10 {t['acronyms_dev']['ndcg@10']:.3f} → "
         f"expansion {'kept on' if t['expand_acronyms'] else 'turned off'}."]
    wa = t.get("with_acronyms")
    if wa:
        wb = wa["best"]
        L += ["", f"Check: the same grid with expansion on picks dense {wb['dense_weight']} / keyword "
              f"{wb['keyword_weight']} / rrf_k {wb['rrf_k']} (dev nDCG@10 {wa['best_dev']['ndcg@10']:.3f})"
              + (", the same point." if wb == b else "; the systems above use the hybrid-tuned point.")]
    cd = t.get("current_defaults_test")
    if cd:
        cs = cd["settings"]
        L += ["", f"On the test split, the current defaults ({cs['dense_weight']}/{cs['keyword_weight']}/"
              f"{cs['rrf_k']}, expansion {'on' if cs['expand_acronyms'] else 'off'}) score nDCG@10 "
              f"{cd['ndcg@10']:.3f}, R@5 {cd['recall@5']:.3f}, MRR@10 {cd['mrr@10']:.3f}; the recommended "
              f"configuration {cd['recommended']['ndcg@10']:.3f}, {cd['recommended']['recall@5']:.3f}, "
              f"{cd['recommended']['mrr@10']:.3f} (paired p for nDCG@10: {_p(cd['p_ndcg@10'])})."]
    return L


def _tuning(r: EvalReport) -> list[str]:
    t = r.tuning
    if not t:
        return []
    L = ["## Tuning (hybrid, dev split)", "",
         f"Grid: dense/keyword weights {', '.join(f'{d}/{k}' for d, k in WEIGHT_GRID)} × rrf_k "
         f"{', '.join(map(str, RRF_GRID))}, scored by {t['metric']} on {t['questions']} in-scope dev "
         "questions (ties: MRR@10, then closest to the current defaults).", ""]
    L += _tuning_choice(t)
    top = sorted(t["grid"], key=lambda g: (-g["ndcg@10"], -g["mrr@10"]))[:8]
    L += ["", "| dense | keyword | rrf_k | nDCG@10 | MRR@10 | R@5 |", "|---|---|---|---|---|---|"]
    L += [f"| {g['dense_weight']} | {g['keyword_weight']} | {g['rrf_k']} | {g['ndcg@10']:.3f} | "
          f"{g['mrr@10']:.3f} | {g['recall@5']:.3f} |" for g in top]
    return L + [""]


def _calibration(r: EvalReport) -> list[str]:
    if not r.calibration:
        return []
    L = ["## Abstention threshold calibration (dev split)", "",
         "Chosen to maximise F1 of abstaining on out-of-scope dev questions (ties: balanced accuracy, then "
         "the middle of the tied range).", "",
         "| System | Threshold | F1 | Precision | Recall | Balanced acc. | F1 at current default |",
         "|---|---|---|---|---|---|---|"]
    for name, c in r.calibration.items():
        at_def = c.get("at_default", {}).get("f1") if c.get("at_default") else None
        src = f" (from {c['from']})" if c.get("from") else ""
        L.append(f"| `{name}`{src} | {c['threshold']:.3f} | {fmt(c.get('f1'))} | {fmt(c.get('precision'))} | "
                 f"{fmt(c.get('recall'))} | {fmt(c.get('balanced_accuracy'))} | {fmt(at_def)} |")
    return L + [""]


def _threshold_curve(r: EvalReport) -> list[str]:
    curve = r.threshold_curve
    if not curve:
        return []
    L = [f"Around the calibrated value (`{curve['system']}`; P / R / F1 of abstaining on out-of-scope, and "
         "in-scope questions wrongly abstained):", "", "| Threshold | Dev | Test |", "|---|---|---|"]

    def cell(a):
        return f"{fmt(a['precision'], 2)} / {fmt(a['recall'], 2)} / {fmt(a['f1'], 2)}; {a['fp']} wrongly abstained"

    for d, t in zip(curve["dev"], curve["test"]):
        L.append(f"| {d['threshold']:.3f} | {cell(d)} | {cell(t)} |")
    return L + [""]


def _mapping(r: EvalReport) -> list[str]:
    if not r.mapping_rule:
        return []
    li = {n: s.get("llamaindex_nodes") for n, s in r.sets.items() if s.get("llamaindex_nodes")}
    sizes = "; ".join(f"{n}: {v['nodes']} nodes of {v['mean_words']} words on average against "
                      f"{r.sets[n]['chunks']['chunks']} chunks of "
                      f"{r.sets[n]['chunks'].get('mean_words')} words" for n, v in li.items())
    return ["## LlamaIndex mapping", "", r.mapping_rule, "",
            f"Unit sizes differ ({sizes}): a bigger unit covers more gold text per result, which favours "
            "LlamaIndex on Recall and the key-fact check; MiniLM reads only the first 256 word pieces of each "
            "node. Without llama-index-readers-file (not installed), SimpleDirectoryReader reads Markdown as "
            "plain text and the evaluation supplies a one-document-per-page pypdf reader for PDFs, as that "
            "package's PDFReader does.", ""]


def _closing(r: EvalReport) -> list[str]:
    L = ["## Recommended defaults", "", "```json", json.dumps(r.recommended, indent=2), "```", ""]
    L += _mapping(r)
    L += ["## Systems", ""] + [f"- `{n}`: {d}" for n, d in r.systems.items()] + [""]
    if r.notes or r.warnings:
        L += ["## Notes", ""] + [f"- {n}" for n in r.notes] + [f"- warning: {w}" for w in r.warnings] + [""]
    L += ["## Files", "",
          "`report.json` (everything here plus per-question scores), `latest.json` (what the app reads), "
          "`metrics.png`, `latency.png`, and TREC files: `qrels.txt` (graded; use `-l 2` in trec_eval for the "
          "Recall/MRR definition above) with `run-<system>.txt` for the main set, and `<set>/` for the others.", ""]
    return L


def render(r: EvalReport) -> str:
    prim = r.sets.get(r.primary, {})
    L = _header(r) + _gold_sets(r) + _app_config(r) + _set_tables(r) + _answers(r) + _how_to_read(r)
    L += _abstention(r, prim) + _by_tag(r, prim) + _significance(r, prim)
    L += _tuning(r) + _calibration(r) + _threshold_curve(r) + _closing(r)
    return "\n".join(L)
