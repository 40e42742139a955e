"""Retrieval evaluation: ``python -m evals.run`` or ``wtkb eval``.

Runs every system side by side in one process on the same gold questions:

    bm25             keyword only (bm25s), no acronym expansion
    dense            dense only (MiniLM + FAISS), no acronym expansion
    hybrid           RRF fusion; weights and rrf_k tuned on the dev split
    hybrid+acronyms  tuned hybrid with glossary expansion of the question
    hybrid+rerank    best hybrid's top 20 re-ordered by a cross-encoder
    bge-small        hybrid fusion with bge-small-en-v1.5 as the dense model
    llamaindex       plain LlamaIndex pipeline on the same corpus folder

Scores (ranx): Recall@1/3/5/10 and MRR@10 on the chunks that answer each
question (grade 2), nDCG@10 on graded relevance; paired Fisher randomisation
tests against ``hybrid``; key-fact hit rate in the top 3; abstention precision
and recall on out-of-scope questions with the threshold calibrated on dev;
warm per-query latency. Tuning and calibration use the dev split of the main
gold set (evals/gold/notes.jsonl); its test split is what the main table
reports. Other gold sets (the fixture PDF) are scored on all their questions.

Writes report.md, report.json, latest.json (read by the app), metrics.png,
latency.png, qrels.txt and run-<system>.txt (TREC) to ``evals/reports/``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import math
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from evals.metrics import (LABELS, METRICS, Question, abstention_scores, calibrate_threshold,
                           graded_qrels, key_fact_hit, load_gold, percentile, score_runs, write_trec_qrels,
                           write_trec_run)
from ingest.config import PROJECT_ROOT, Settings, load_settings

ALL_SYSTEMS = ["bm25", "dense", "hybrid", "hybrid+acronyms", "hybrid+rerank", "bge-small", "llamaindex"]
FAST_SYSTEMS = ["bm25", "dense", "hybrid"]
HYBRID_FAMILY = {"hybrid", "hybrid+acronyms", "hybrid+rerank", "bge-small"}
BASELINE = "hybrid"
GOLD_DIR = PROJECT_ROOT / "evals" / "gold"
K = 10  # results kept per question (Recall@10, nDCG@10)
TUNE_METRIC = "ndcg@10"
# Grid for RRF: only the ratio of the weights changes the ranking, so the
# pairs keep dense + keyword = 2 (the default 1/1 is in it).
WEIGHT_GRID = [(0.4, 1.6), (0.6, 1.4), (0.8, 1.2), (1.0, 1.0), (1.2, 0.8), (1.4, 0.6), (1.6, 0.4)]
RRF_GRID = [10, 30, 60, 100]
N_PERMUTATIONS = 10_000

DESCRIPTIONS = {
    "bm25": "bm25s keyword search only (stemmed, stopwords removed), no acronym expansion",
    "dense": "all-MiniLM-L6-v2 + exact FAISS only, no acronym expansion",
    "hybrid": "RRF fusion of dense and keyword, weights and rrf_k tuned on dev, no acronym expansion",
    "hybrid+acronyms": "tuned hybrid with glossary expansion of acronyms in the question",
    "hybrid+rerank": "best hybrid's top 20 re-ordered by ms-marco-MiniLM-L-12-v2 (int8 ONNX cross-encoder)",
    "bge-small": "best hybrid configuration with bge-small-en-v1.5 (int8 ONNX) as the dense model",
    "llamaindex": "LlamaIndex defaults: SimpleDirectoryReader, SentenceSplitter, VectorStoreIndex, same MiniLM",
}

log = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]


# ---------------------------------------------------------------- gold sets


class GoldSet:
    def __init__(self, path: Path, questions: list[Question]):
        self.path = Path(path)
        self.name = self.path.stem
        self.questions = questions
        self.kind = ("fixture" if self.name.startswith("fixture")
                     else "labels" if any(q.labels for q in questions) else "notes")

    def split(self, name: str) -> list[Question]:
        return [q for q in self.questions if q.split == name]

    @property
    def has_dev(self) -> bool:
        dev = self.split("dev")
        return any(not q.out_of_scope for q in dev) and any(not q.out_of_scope for q in self.split("test"))

    def describe(self) -> dict:
        qs = self.questions
        digest = hashlib.sha256(self.path.read_bytes()).hexdigest()
        return {"name": self.name, "path": _display(self.path), "sha256": digest,
                "questions": len(qs), "in_scope": sum(not q.out_of_scope for q in qs),
                "out_of_scope": sum(q.out_of_scope for q in qs),
                "dev": len(self.split("dev")), "test": len(self.split("test")), "corpus": self.kind}


def _display(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def default_gold(corpus: Path | None = None) -> list[Path]:
    """Every evals/gold/*.jsonl; sets judged by paragraph label over a document
    the user supplies (kcsie2025.jsonl) only when ``corpus`` is given."""
    files = sorted(GOLD_DIR.glob("*.jsonl"), key=lambda p: (p.stem.startswith("fixture"), p.name))
    if corpus is None:
        files = [f for f in files if not _labelled(f)]
    if not files:
        raise ValueError(f"{_display(GOLD_DIR)}: no gold sets (*.jsonl) found; pass --gold FILE")
    return files


def _labelled(path: Path) -> bool:
    try:
        return '"labels"' in path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False


def _labels_to_chunks(gs: GoldSet, kb) -> list[str]:
    """Judge a labelled set by paragraph: every chunk whose citation holds a
    gold label (compared as strings) answers the question (grade 2)."""
    warnings = []
    for q in gs.questions:
        if not q.labels:
            continue
        gold = {str(x) for x in q.labels}
        rel = {c.chunk_id: 2 for c in kb.chunks if gold & {str(p) for p in c.paragraphs}}
        if not rel:
            warnings.append(f"{gs.name}: {q.id}: no chunk cites paragraph(s) {', '.join(sorted(gold))}")
            rel = {f"missing-paragraph:{'+'.join(sorted(gold))}": 2}
        q.relevant = rel
    return warnings


# ---------------------------------------------------------------- progress


@contextmanager
def _progress_bar(progress: Progress | None):
    """The caller's progress callback, or a rich progress bar on stderr."""
    if progress is not None:
        yield progress
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as RichProgress

    console = Console(stderr=True)
    bar = RichProgress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                       console=console, disable=not console.is_terminal and not os.environ.get("WTKB_PROGRESS"))
    tasks: dict[str, int] = {}

    def update(stage: str, done: int, total: int):
        if stage not in tasks:
            tasks[stage] = bar.add_task(stage, total=total)
        bar.update(tasks[stage], completed=done, total=total)

    with bar:
        yield update


# ---------------------------------------------------------------- indexes


def _work_dir(settings: Settings) -> Path:
    return Path(settings.index_dir).parent / "eval"


def _corpus_for(gs: GoldSet, settings: Settings, work: Path, corpus: Path | None = None) -> Path:
    if gs.kind == "labels":
        if corpus is None or not Path(corpus).is_dir():
            raise ValueError(f"{gs.path}: this set is judged by paragraph label over a document you supply; "
                             "pass --corpus FOLDER holding it (e.g. the KCSIE 2025 PDF)")
        return Path(corpus)
    if gs.kind == "fixture":
        from evals.fixture_pdf import build_fixture

        folder = work / "fixture-corpus"
        folder.mkdir(parents=True, exist_ok=True)
        build_fixture(folder / "sample-guidance.pdf")
        return folder
    notes = [Path(d) for d in settings.corpus_dirs if Path(d).exists() and Path(d) != Path(settings.official_dir)]
    return notes[0] if notes else PROJECT_ROOT / "corpus" / "notes"


def _open_index(gs: GoldSet, settings: Settings, work: Path, progress: Progress, user_corpus: Path | None = None):
    """Build (reusing unchanged vectors) and load the index for a gold set."""
    import index

    corpus = _corpus_for(gs, settings, work, user_corpus)
    s = settings.replace(index_dir=work / f"{gs.name}-index", corpus_dirs=(corpus,))

    def tick(stage, done, total):
        progress(f"{gs.name}: {'reading' if stage == 'read' else 'embedding'} corpus", done, total)

    report = index.build(s, corpus_dirs=[corpus], progress=tick)
    return index.load(s), corpus, report


def _check_ids(gs: GoldSet, kb) -> list[str]:
    known = set(kb.by_id)
    cited = {c for q in gs.questions for c in q.relevant}
    missing = sorted(cited - known)
    if cited and len(missing) > len(cited) / 2:
        raise ValueError(f"{gs.path}: {len(missing)} of {len(cited)} relevant chunk ids are not in the index "
                         f"(e.g. {missing[0]}); the gold set does not match this corpus or chunker")
    return [f"{gs.name}: chunk id {c} is not in the index (counted as never retrieved)" for c in missing]


# ---------------------------------------------------------------- running systems


def _run_system(system, questions: list[Question], k: int, cosine_k: int, timed: bool,
                tick: Callable[[int], None] | None = None) -> dict:
    """Ranked ids, top-3 texts, best cosine (over the answer's top ``cosine_k``)
    and latency for each question."""
    ranked, top3, best, latency = {}, {}, {}, {}
    for i, q in enumerate(questions, start=1):
        if timed:
            system.reset_cache()
        t0 = time.perf_counter()
        results = system.search(q.question, k)
        elapsed = (time.perf_counter() - t0) * 1000
        if timed:
            latency[q.id] = elapsed
        mapped = system.map_ids(results, q.relevant)
        ranked[q.id] = [r.doc_id for r in mapped]
        top3[q.id] = [r.text for r in mapped[:3]]
        cos = [r.cosine for r in mapped[:cosine_k] if r.cosine is not None]
        best[q.id] = max(cos) if (cos and system.has_cosine) else None
        if tick:
            tick(i)
    return {"ranked": ranked, "top3": top3, "best": best, "latency": latency}


def _tune(kb, dev: list[Question], progress: Progress, label: str, expand: bool = False) -> dict:
    """Grid search of dense/keyword weights and rrf_k on dev by nDCG@10."""
    from evals.metrics import score_runs as _score
    from evals.systems import CachedQueries, KBSystem

    cached = CachedQueries(kb.embedder)
    base = KBSystem("tune", kb)
    base.kb.embedder = cached
    grid = []
    points = [(d, kw, r) for d, kw in WEIGHT_GRID for r in RRF_GRID]
    runs = {}
    for i, (d, kw, r) in enumerate(points, start=1):
        sys_ = KBSystem("tune", base.kb, "hybrid", dense_weight=d, keyword_weight=kw, rrf_k=r, expand_acronyms=expand)
        runs[(d, kw, r)] = _run_system(sys_, dev, K, kb.settings.k, timed=False)["ranked"]
        progress(f"{label}: tuning hybrid{'+acronyms' if expand else ''} on dev", i, len(points))
    scored = _score(dev, {f"{d}/{kw}/{r}": runs[(d, kw, r)] for d, kw, r in points})["means"]
    for d, kw, r in points:
        m = scored[f"{d}/{kw}/{r}"]
        grid.append({"dense_weight": d, "keyword_weight": kw, "rrf_k": r, **{x: round(m[x], 4) for x in METRICS}})
    s = kb.settings

    def pref(g):  # best nDCG, then MRR, then closest to the current defaults
        ratio = abs(math.log(g["dense_weight"] / g["keyword_weight"]) - math.log(s.dense_weight / s.keyword_weight))
        return (g[TUNE_METRIC], g["mrr@10"], -ratio, -abs(g["rrf_k"] - s.rrf_k))

    best = max(grid, key=pref)
    default = next((g for g in grid if g["dense_weight"] == g["keyword_weight"] and g["rrf_k"] == s.rrf_k), None)
    return {"metric": TUNE_METRIC, "split": "dev", "questions": len(dev), "grid": grid,
            "best": {k: best[k] for k in ("dense_weight", "keyword_weight", "rrf_k")},
            "best_dev": {m: best[m] for m in METRICS}, "default_dev": default}


def _make_systems(names: list[str], kb, tuned: dict, expand_best: bool, corpus: Path, gold_text: dict,
                  bge_kb, reranker):
    from evals.systems import KBSystem, LlamaIndexSystem, RerankSystem

    out = {}
    for name in names:
        if name == "bm25":
            out[name] = KBSystem(name, kb, "keyword", expand_acronyms=False)
        elif name == "dense":
            out[name] = KBSystem(name, kb, "dense", expand_acronyms=False)
        elif name == "hybrid":
            out[name] = KBSystem(name, kb, "hybrid", expand_acronyms=False, **tuned)
        elif name == "hybrid+acronyms":
            out[name] = KBSystem(name, kb, "hybrid", expand_acronyms=True, **tuned)
        elif name == "hybrid+rerank":
            base = KBSystem("best-hybrid", kb, "hybrid", expand_acronyms=expand_best, **tuned)
            out[name] = RerankSystem(name, base, reranker)
        elif name == "bge-small":
            out[name] = KBSystem(name, bge_kb, "hybrid", expand_acronyms=expand_best, **tuned)
        elif name == "llamaindex":
            out[name] = LlamaIndexSystem(corpus, gold_text)
        out[name].description = DESCRIPTIONS[name]
    return out


def _gold_text(kb, questions: list[Question]) -> dict[str, tuple[str, str]]:
    """chunk id -> (source file stem, text) for every gold chunk, for the LlamaIndex mapping."""
    paths = {s["doc_id"]: Path(s["path"]).stem for s in kb.manifest.get("sources", [])}
    out = {}
    for q in questions:
        for cid in q.relevant:
            row = kb.by_id.get(cid)
            if row is not None:
                c = kb.chunks[row]
                out[cid] = (paths.get(c.meta.doc_id, c.meta.doc_id), c.text)
    return out


# ---------------------------------------------------------------- main


def main(settings: Settings | None = None, gold: list[Path] | None = None, out_dir: Path | None = None,
         systems: list[str] | None = None, progress: Progress | None = None, corpus: Path | None = None) -> dict:
    """Run the evaluation, write the reports, and return the report dict."""
    t_start = time.perf_counter()
    settings = settings or load_settings()
    names = list(dict.fromkeys(systems)) if systems else list(ALL_SYSTEMS)
    unknown = [n for n in names if n not in ALL_SYSTEMS]
    if unknown:
        raise ValueError(f"unknown system {unknown[0]!r}; choose from {', '.join(ALL_SYSTEMS)}")
    names = [n for n in ALL_SYSTEMS if n in names]
    paths = [Path(p) for p in gold] if gold else default_gold(corpus)
    sets = [GoldSet(p, load_gold(p)) for p in paths]
    seen_names = set()
    for gs in sets:
        if gs.name in seen_names:
            raise ValueError(f"{gs.path}: two gold sets are named '{gs.name}'; rename one")
        seen_names.add(gs.name)
    out = Path(out_dir or settings.reports_dir)
    out.mkdir(parents=True, exist_ok=True)
    work = _work_dir(settings)
    work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    logging.getLogger("bm25s").setLevel(logging.ERROR)

    primary = next((gs for gs in sets if gs.has_dev), sets[0])
    report: dict = {
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "command": _command(),
        "machine": _machine(),
        "gold": [gs.describe() for gs in sets],
        "primary": primary.name,
        "systems": {n: DESCRIPTIONS[n] for n in names},
        "k": K,
        "answer_k": settings.k,
        "abstain_below_default": settings.abstain_below,
        "metrics_note": ("Recall@k and MRR@10 count the chunks graded 2 (they answer the question; a question "
                         "with none uses its grade-1 chunks); nDCG@10 uses the grades (linear gain). p-values: "
                         f"two-sided paired Fisher randomisation test ({N_PERMUTATIONS:,} seeded sign-flip "
                         f"permutations, the statistic of ranx's fisher_randomization_test) against {BASELINE}; "
                         "report.json also holds ranx's paired t-test p-values. With few questions, p-values "
                         "are large unless differences are consistent; no correction for multiple comparisons."),
        "warnings": [],
        "notes": [],
        "sets": {},
    }
    from evals.systems import MAPPING_RULE

    if "llamaindex" in names:
        report["mapping_rule"] = MAPPING_RULE

    reranker = None
    if "hybrid+rerank" in names:
        from index.rerank import Reranker

        reranker = Reranker()

    with _progress_bar(progress) as prog, tempfile.TemporaryDirectory(prefix="wtkb-eval-") as tmp:
        opened = {}
        for gs in sets:
            kb, folder, build_report = _open_index(gs, settings, work, prog, corpus)
            if gs.kind == "labels":
                report["warnings"] += _labels_to_chunks(gs, kb)
            report["warnings"] += _check_ids(gs, kb) + [f"{gs.name}: build skipped {w}" for w in build_report.warnings]
            opened[gs.name] = (kb, folder)

        # Tuning and the choice of acronym expansion, on the primary set's dev split.
        answer_sections: dict[str, dict] = {}
        kb0 = opened[primary.name][0]
        s0 = kb0.settings
        tuned = {"dense_weight": s0.dense_weight, "keyword_weight": s0.keyword_weight, "rrf_k": s0.rrf_k}
        expand_best = s0.expand_acronyms
        dev_in = [q for q in primary.split("dev") if not q.out_of_scope] if primary.has_dev else []
        if HYBRID_FAMILY & set(names) and dev_in:
            tuning = _tune(kb0, dev_in, prog, primary.name)
            tuned = tuning["best"]
            from evals.systems import CachedQueries, KBSystem

            acr = KBSystem("acr", kb0, "hybrid", expand_acronyms=True, **tuned)
            acr.kb.embedder = CachedQueries(kb0.embedder)
            acr_dev = score_runs(dev_in, {"a": _run_system(acr, dev_in, K, s0.k, False)["ranked"]})["means"]["a"]
            tuning["acronyms_dev"] = {m: round(v, 4) for m, v in acr_dev.items()}
            # Expansion stays on unless it lowers dev nDCG@10: it is the app's default and it explains terms.
            expand_best = acr_dev[TUNE_METRIC] >= tuning["best_dev"][TUNE_METRIC] - 1e-9
            tuning["expand_acronyms"] = expand_best
            # A check, not used for the systems: would the grid pick other weights with expansion on?
            acr_grid = _tune(kb0, dev_in, prog, primary.name, expand=True)
            tuning["with_acronyms"] = {k: acr_grid[k] for k in ("best", "best_dev", "default_dev")}
            report["tuning"] = tuning
        elif HYBRID_FAMILY & set(names):
            report["notes"].append("No dev split with in-scope questions: hybrid uses the current default weights.")
        best_hybrid = "hybrid+acronyms" if expand_best else "hybrid"

        calibration: dict[str, dict] = {}
        for gs in sets:
            kb, gs_corpus = opened[gs.name]
            is_primary = gs is primary
            scored = gs.split("test") if (is_primary and gs.has_dev) else list(gs.questions)
            dev = gs.split("dev") if (is_primary and gs.has_dev) else []
            bge_kb = None
            if "bge-small" in names:
                from evals.systems import build_bge_kb

                bge_kb = build_bge_kb(kb.settings, [gs_corpus], Path(tmp) / f"{gs.name}-bge",
                                      chunk_counter=kb.embedder.token_counter,
                                      progress=lambda st, d, t, n=gs.name: prog(f"{n}: bge-small index", d, t))
                if set(bge_kb.by_id) != set(kb.by_id):
                    report["warnings"].append(f"{gs.name}: the bge-small index has different chunks")
            prog(f"{gs.name}: loading systems", 0, 1)
            built = _make_systems(names, kb, tuned, expand_best, gs_corpus, _gold_text(kb, gs.questions), bge_kb,
                                  reranker)
            prog(f"{gs.name}: loading systems", 1, 1)
            results, dev_results = {}, {}
            for name, system in built.items():
                system.warm()
                label = f"{gs.name}: {name}"
                results[name] = _run_system(system, scored, K, settings.k, timed=True,
                                            tick=lambda i, lb=label, n=len(scored): prog(lb, i, n))
                if dev and system.has_cosine and name != "hybrid+rerank":
                    dev_results[name] = _run_system(system, dev, K, settings.k, timed=False,
                                                    tick=lambda i, lb=label + " (dev)", n=len(dev): prog(lb, i, n))
            if is_primary:
                for name, r in dev_results.items():
                    oos = {q.id: q.out_of_scope for q in dev}
                    calibration[name] = calibrate_threshold(r["best"], oos, settings.abstain_below)
                if best_hybrid in dev_results and best_hybrid in results:
                    # How abstention trades off around the calibrated value, on dev and on test.
                    pts = sorted({0.30, 0.35, 0.40, 0.45, settings.abstain_below,
                                  calibration[best_hybrid]["threshold"]})
                    report["threshold_curve"] = {"system": best_hybrid, **{
                        split: [abstention_scores(r["best"], {q.id: q.out_of_scope for q in qs_}, t) for t in pts]
                        for split, r, qs_ in (("dev", dev_results[best_hybrid], dev),
                                              ("test", results[best_hybrid], scored))}}
                if "hybrid+rerank" in built and best_hybrid in calibration:
                    calibration["hybrid+rerank"] = {**calibration[best_hybrid], "from": best_hybrid}
            report["sets"][gs.name] = _score_set(gs, scored, dev, results, dev_results, calibration, settings,
                                                 built)
            if gs.kind != "fixture" or len(sets) == 1:
                answer_sections[gs.name] = _answers(kb, gs, scored, dev, results, prog)
            report["sets"][gs.name]["scored_split"] = "test" if dev else "all"
            if is_primary and report.get("tuning") and best_hybrid in results:
                # The app's current configuration on the same test questions, to show what tuning changed.
                from evals.metrics import paired_randomization
                from evals.systems import KBSystem

                cur = _run_system(KBSystem("current", kb, "hybrid"), scored, K, settings.k, timed=False)
                both = score_runs(scored, {"current": cur["ranked"], best_hybrid: results[best_hybrid]["ranked"]})
                ids = sorted(both["per_query"]["current"]["ndcg@10"])
                report["tuning"]["current_defaults_test"] = {
                    "settings": {"dense_weight": kb.settings.dense_weight, "keyword_weight": kb.settings.keyword_weight,
                                 "rrf_k": kb.settings.rrf_k, "expand_acronyms": kb.settings.expand_acronyms},
                    **{m: round(v, 4) for m, v in both["means"]["current"].items()},
                    "recommended": {m: round(v, 4) for m, v in both["means"][best_hybrid].items()},
                    "p_ndcg@10": round(paired_randomization(
                        [both["per_query"]["current"]["ndcg@10"][q] for q in ids],
                        [both["per_query"][best_hybrid]["ndcg@10"][q] for q in ids], N_PERMUTATIONS), 4)}
            if is_primary:
                report["sets"][gs.name]["trec"] = {"qrels": "qrels.txt",
                                                   "runs": {n: f"run-{n}.txt" for n in results}}
            _write_trec(out if is_primary else out / gs.name, scored, results)
            if gs.name != primary.name:
                report["sets"][gs.name]["trec"] = {"qrels": f"{gs.name}/qrels.txt",
                                                   "runs": {n: f"{gs.name}/run-{n}.txt" for n in results}}
            if "llamaindex" in built:
                li = built["llamaindex"]
                report["sets"][gs.name]["llamaindex_nodes"] = {"nodes": li.nodes, "mean_words": round(li.node_words, 1)}
                report["sets"][gs.name]["chunks"] = {"chunks": len(kb.chunks), "mean_words": round(
                    sum(len(c.text.split()) for c in kb.chunks) / max(len(kb.chunks), 1), 1)}
            else:
                report["sets"][gs.name]["chunks"] = {"chunks": len(kb.chunks)}

        report["calibration"] = calibration
        report["answers"] = answer_sections
        report["recommended"] = _recommend(settings, tuned, expand_best, best_hybrid, calibration, report)
    report["seconds"] = round(time.perf_counter() - t_start, 1)
    try:
        report["machine"]["load_avg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        pass
    loads = [x[0] for x in (report["machine"].get("load_avg_at_start"), report["machine"].get("load_avg_at_end")) if x]
    if loads and max(loads) > (os.cpu_count() or 1) + 1:  # the run itself keeps about one core busy
        report["warnings"].append(f"the machine was busy (1-minute load average up to {max(loads)} on "
                                  f"{os.cpu_count()} cores): latencies are inflated; rerun on a quiet machine")
    if "hybrid+rerank" in names and primary.has_dev:
        report["notes"].append("hybrid+rerank is run on the test split only (the cross-encoder needs no tuning "
                               f"and costs ~{_p50(report, primary.name, 'hybrid+rerank')} ms a question); "
                               f"its abstention threshold is {best_hybrid}'s.")
    _write_outputs(report, out, primary.name)
    return report


def _answers(kb, gs: GoldSet, scored: list[Question], dev: list[Question], results: dict, prog) -> dict:
    """The answer-level section (evals/answers.py): calibrate on dev, score,
    and compare the answer's ranking with the previous default."""
    from evals.answers import evaluate_set
    from evals.systems import KBSystem

    previous = _run_system(KBSystem("previous", kb, "hybrid"), scored, K, kb.settings.k, timed=False)["ranked"]
    sec = evaluate_set(kb, scored, dev, previous, prog, gs.name)
    if gs.kind == "labels":  # the user's document stays out of the report: no sentences from it
        for row in sec.get("per_question", {}).values():
            row.pop("first_key_point", None)
    if "llamaindex" in results:
        from evals.answers import hit_at

        sec["llamaindex_hit@3"] = hit_at(scored, results["llamaindex"]["ranked"])
    return sec


def _p50(report, set_name, system):
    lat = report["sets"].get(set_name, {}).get("systems", {}).get(system, {}).get("latency_ms", {})
    return round(lat.get("p50") or 0)


def _score_set(gs: GoldSet, scored: list[Question], dev: list[Question], results: dict, dev_results: dict,
               calibration: dict, settings: Settings, built: dict) -> dict:
    runs = {n: r["ranked"] for n, r in results.items()}
    baseline = BASELINE if BASELINE in runs else next(iter(runs))
    sc = score_runs(scored, runs, n_permutations=N_PERMUTATIONS, baseline=baseline)
    dev_scores = score_runs(dev, {n: r["ranked"] for n, r in dev_results.items()})["means"] if dev else {}
    in_scope = [q for q in scored if not q.out_of_scope]
    with_fact = [q for q in in_scope if q.key_fact]
    oos = {q.id: q.out_of_scope for q in scored}
    systems = {}
    for name, r in results.items():
        row = {m: round(v, 4) for m, v in sc["means"].get(name, {}).items()}
        row["p_vs_" + baseline] = {m: round(p, 4) for m, p in sc["p_values"].get(name, {}).items()}
        row["t_test_p_vs_" + baseline] = {m: round(p, 4) for m, p in sc["t_test"].get(name, {}).items()}
        hits = [key_fact_hit(q.key_fact, r["top3"][q.id]) for q in with_fact]
        row["key_fact_top3"] = round(sum(hits) / len(hits), 4) if hits else None
        if built[name].has_cosine and any(oos.values()):
            thr = calibration.get(name, {}).get("threshold", settings.abstain_below)
            row["abstention"] = {k: (round(v, 4) if isinstance(v, float) else v)
                                 for k, v in abstention_scores(r["best"], oos, thr).items()}
            row["abstention_at_default"] = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in
                                            abstention_scores(r["best"], oos, settings.abstain_below).items()}
        else:
            row["abstention"] = None
        lat = list(r["latency"].values())
        row["latency_ms"] = {"p50": _r(percentile(lat, 50)), "p95": _r(percentile(lat, 95)), "n": len(lat)}
        if built[name].has_cosine:  # for what-if thresholds
            row["best_cosine"] = {q: (None if v is None else round(v, 4)) for q, v in r["best"].items()}
        if name in dev_scores:
            row["dev"] = {m: round(v, 4) for m, v in dev_scores[name].items()}
        systems[name] = row
    from evals.metrics import paired_randomization

    base_of = {}  # systems built on the best hybrid: compare them with it too
    for name in ("hybrid+rerank", "bge-small"):
        if name in built:
            st = built[name].base.settings if name == "hybrid+rerank" else built[name].settings
            base_of[name] = "hybrid+acronyms" if st.expand_acronyms else "hybrid"
    for name, base in base_of.items():
        if base in systems and base != baseline:
            ids = sorted(sc["per_query"][name]["ndcg@10"])
            systems[name]["p_vs_base"] = {"base": base, **{m: round(paired_randomization(
                [sc["per_query"][base][m][q] for q in ids], [sc["per_query"][name][m][q] for q in ids],
                N_PERMUTATIONS), 4) for m in METRICS}}
    by_tag: dict[str, dict] = {}
    for tag in sorted({t for q in in_scope for t in q.tags}):
        qids = [q.id for q in in_scope if tag in q.tags]
        by_tag[tag] = {"n": len(qids), "systems": {
            n: {m: round(sum(sc["per_query"][n][m][q] for q in qids) / len(qids), 4) for m in ("recall@5", "ndcg@10")}
            for n in systems}}
    return {"questions": len(scored), "in_scope": len(in_scope), "out_of_scope": sum(oos.values()),
            "with_key_fact": len(with_fact), "baseline": baseline, "systems": systems, "by_tag": by_tag,
            "per_query": {n: {m: {q: round(v, 4) for q, v in pq.items()} for m, pq in d.items()}
                          for n, d in sc["per_query"].items()}}


def _r(x):
    return None if x is None else round(x, 1)


def _recommend(settings, tuned, expand_best, best_hybrid, calibration, report) -> dict:
    rec = {**tuned, "expand_acronyms": expand_best, "system": best_hybrid,
           "abstain_below": settings.abstain_below, "abstain_calibrated": False}
    cal = calibration.get(best_hybrid)
    if cal and cal.get("calibrated"):
        rec["abstain_below"] = cal["threshold"]
        rec["abstain_calibrated"] = True
    primary = report["sets"].get(report["primary"], {}).get("systems", {})
    if "hybrid+rerank" in primary and best_hybrid in primary:
        gain = primary["hybrid+rerank"].get("ndcg@10", 0) - primary[best_hybrid].get("ndcg@10", 0)
        p = primary["hybrid+rerank"].get(f"p_vs_{BASELINE}", {}).get("ndcg@10")
        rec["rerank"] = {"ndcg@10_gain_vs_" + best_hybrid: round(gain, 4), "p_vs_hybrid": p,
                         "p50_ms": primary["hybrid+rerank"]["latency_ms"]["p50"]}
    return rec


# ---------------------------------------------------------------- outputs


def _command() -> str:
    argv = sys.argv
    prog = Path(argv[0]).name if argv else ""
    if prog == "wtkb":
        return " ".join(["wtkb", *argv[1:]])
    if argv and argv[0].endswith(os.path.join("evals", "run.py")):
        return " ".join([".venv/bin/python -m evals.run", *argv[1:]])
    return f"evals.run.main() called from {prog or 'python'}"


def _machine() -> dict:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None
    return {"cores": os.cpu_count(), "cpu": cpu, "python": platform.python_version(), "platform": platform.platform(),
            "load_avg_at_start": load}


def _write_trec(folder: Path, scored: list[Question], results: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    in_scope = [q for q in scored if not q.out_of_scope]
    write_trec_qrels(folder / "qrels.txt", graded_qrels(in_scope))
    ids = {q.id for q in in_scope}
    for name, r in results.items():
        write_trec_run(folder / f"run-{name}.txt", {q: v for q, v in r["ranked"].items() if q in ids}, name)


def _fmt(v, digits=3):
    if v is None:
        return "n/a"
    return f"{v:.{digits}f}"


def _p(v):
    if v is None:
        return ""
    return "<0.001" if v < 0.001 else f"{v:.3f}"


def _main_table(set_report: dict) -> list[str]:
    base = set_report["baseline"]
    head = ["System"] + [LABELS[m] for m in METRICS] + [f"p nDCG vs {base}", "Key fact top-3",
                                                         "Abstain P / R", "p50 ms", "p95 ms"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, row in set_report["systems"].items():
        ab = row.get("abstention")
        ab_s = "n/a" if not ab else f"{_fmt(ab['precision'], 2)} / {_fmt(ab['recall'], 2)}"
        p = row.get(f"p_vs_{base}", {}).get("ndcg@10")
        cells = [f"`{name}`"] + [_fmt(row.get(m)) for m in METRICS] + [
            "—" if name == base else _p(p), _fmt(row.get("key_fact_top3"), 2), ab_s,
            _fmt(row["latency_ms"]["p50"], 1), _fmt(row["latency_ms"]["p95"], 1)]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _markdown(report: dict) -> str:
    m = report["machine"]
    prim = report["primary"]
    L = ["# wtkb retrieval evaluation", "",
         f"Generated {report['generated_at']} in {report['seconds']} s by `{report['command']}`.", "",
         f"Machine: {m['cores']} cores ({m['cpu']}), Python {m['python']}, {m['platform']}; 1-minute load average "
         f"{(m.get('load_avg_at_start') or ['?'])[0]} at start, {(m.get('load_avg_at_end') or ['?'])[0]} at end. "
         "Latency is wall time per question, warm models, query-vector cache cleared, "
         "index build excluded; other processes may share the machine.", ""]
    L += ["## Gold sets", "", "| Set | File | Questions | In scope | Out of scope | Dev | Test | Corpus |",
          "|---|---|---|---|---|---|---|---|"]
    for g in report["gold"]:
        L.append(f"| {g['name']} | `{g['path']}` | {g['questions']} | {g['in_scope']} | {g['out_of_scope']} | "
                 f"{g['dev']} | {g['test']} | {g['corpus']} |")
    L.append("")
    for name, sr in report["sets"].items():
        split = "test split" if sr["scored_split"] == "test" else "all questions"
        title = "Main table" if name == prim else "Second set"
        L += [f"## {title}: `{name}`, {split}", "",
              f"{sr['in_scope']} in-scope questions scored ({sr['with_key_fact']} with a key fact), "
              f"{sr['out_of_scope']} out-of-scope questions for abstention; top {report['k']} per question. "
              f"Index: {sr['chunks']['chunks']} chunks.", ""]
        L += _main_table(sr)
        L.append("")
    from evals.answers import markdown as answers_md

    for name, sec in (report.get("answers") or {}).items():
        sr = report["sets"][name]
        L += answers_md(name, sec, "test split" if sr["scored_split"] == "test" else "all questions",
                        sec.get("llamaindex_hit@3"))
    L += ["### How to read it", "", report["metrics_note"],
          "Key fact top-3: share of questions with a key fact whose text (case-insensitive) appears in the "
          "top 3 results. Abstain P / R: precision and recall of abstaining on out-of-scope questions, with the "
          "rule answer() uses (best cosine among the top "
          f"{report['answer_k']} below the threshold) and each system's threshold calibrated on dev; bm25 has no "
          "cosine (n/a).", ""]
    prim_sr = report["sets"].get(prim, {})
    ab_rows = [(n, r["abstention"]) for n, r in prim_sr.get("systems", {}).items() if r.get("abstention")]
    if ab_rows:
        L += [f"### Abstention on out-of-scope questions ({prim}, {prim_sr['scored_split']} split)", "",
              "| System | Threshold (dev) | Precision | Recall | F1 | In-scope wrongly abstained | "
              f"At current default {report['abstain_below_default']}: P / R / F1 / wrongly abstained |",
              "|---|---|---|---|---|---|---|"]
        for n, a in ab_rows:
            d = prim_sr["systems"][n].get("abstention_at_default") or {}
            L.append(f"| `{n}` | {a['threshold']:.3f} | {_fmt(a['precision'])} | {_fmt(a['recall'])} | "
                     f"{_fmt(a['f1'])} | {_fmt(a['false_abstention_rate'])} ({a['fp']}) | "
                     f"{_fmt(d.get('precision'), 2)} / {_fmt(d.get('recall'), 2)} / {_fmt(d.get('f1'), 2)} / "
                     f"{_fmt(d.get('false_abstention_rate'), 2)} ({d.get('fp')}) |")
        L.append("")
    if prim_sr.get("by_tag"):
        names = list(prim_sr["systems"])
        L += [f"### nDCG@10 by question type ({prim}, {prim_sr['scored_split']} split)", "",
              "| Tag | n | " + " | ".join(f"`{n}`" for n in names) + " |", "|" + "---|" * (len(names) + 2)]
        for tag, row in prim_sr["by_tag"].items():
            L.append(f"| {tag} | {row['n']} | " + " | ".join(_fmt(row["systems"][n]["ndcg@10"]) for n in names) + " |")
        L.append("")
    sig = []
    base = prim_sr.get("baseline", BASELINE)
    for name, row in prim_sr.get("systems", {}).items():
        if name == base:
            continue
        ps = row.get(f"p_vs_{base}", {})
        sig.append(f"| `{name}` | " + " | ".join(_p(ps.get(mm)) for mm in METRICS) + " |")
    if sig:
        L += [f"### Paired significance vs `{base}` ({prim}, p-values)", "",
              "| System | " + " | ".join(LABELS[mm] for mm in METRICS) + " |", "|" + "---|" * (len(METRICS) + 1)]
        L += sig + [""]
    vs_base = [(n, r["p_vs_base"]) for n, r in prim_sr.get("systems", {}).items() if r.get("p_vs_base")]
    if vs_base:
        L += ["Against the configuration each is built on (same fusion and expansion; only the dense model or "
              "the reranking differs):", "",
              "| System | vs | " + " | ".join(LABELS[mm] for mm in METRICS) + " |", "|" + "---|" * (len(METRICS) + 2)]
        for n, pv in vs_base:
            L.append(f"| `{n}` | `{pv['base']}` | " + " | ".join(
                f"{prim_sr['systems'][n][mm] - prim_sr['systems'][pv['base']][mm]:+.3f} (p {_p(pv[mm])})"
                for mm in METRICS) + " |")
        L.append("")
    t = report.get("tuning")
    if t:
        b = t["best"]
        L += ["## Tuning (hybrid, dev split)", "",
              f"Grid: dense/keyword weights {', '.join(f'{d}/{k}' for d, k in WEIGHT_GRID)} × rrf_k "
              f"{', '.join(map(str, RRF_GRID))}, scored by {t['metric']} on {t['questions']} in-scope dev "
              "questions (ties: MRR@10, then closest to the current defaults).", "",
              f"Best: dense_weight **{b['dense_weight']}**, keyword_weight **{b['keyword_weight']}**, rrf_k "
              f"**{b['rrf_k']}**: dev nDCG@10 {t['best_dev']['ndcg@10']:.3f} "
              f"(current defaults: {t['default_dev']['ndcg@10']:.3f})." if t.get("default_dev") else "",
              f"With acronym expansion on the tuned weights: dev nDCG@10 {t['acronyms_dev']['ndcg@10']:.3f} → "
              f"expansion {'kept on' if t['expand_acronyms'] else 'turned off'}."]
        wa = t.get("with_acronyms")
        if wa:
            wb = wa["best"]
            same = wb == b
            L += ["", f"Check: the same grid with expansion on picks dense {wb['dense_weight']} / keyword "
                  f"{wb['keyword_weight']} / rrf_k {wb['rrf_k']} (dev nDCG@10 {wa['best_dev']['ndcg@10']:.3f})"
                  + (", the same point." if same else "; the systems above use the hybrid-tuned point.")]
        top = sorted(t["grid"], key=lambda g: (-g["ndcg@10"], -g["mrr@10"]))[:8]
        cd = t.get("current_defaults_test")
        if cd:
            cs = cd["settings"]
            L += ["", f"On the test split, the current defaults ({cs['dense_weight']}/{cs['keyword_weight']}/"
                  f"{cs['rrf_k']}, expansion {'on' if cs['expand_acronyms'] else 'off'}) score nDCG@10 "
                  f"{cd['ndcg@10']:.3f}, R@5 {cd['recall@5']:.3f}, MRR@10 {cd['mrr@10']:.3f}; the recommended "
                  f"configuration {cd['recommended']['ndcg@10']:.3f}, {cd['recommended']['recall@5']:.3f}, "
                  f"{cd['recommended']['mrr@10']:.3f} (paired p for nDCG@10: {_p(cd['p_ndcg@10'])})."]
        L += ["", "| dense | keyword | rrf_k | nDCG@10 | MRR@10 | R@5 |", "|---|---|---|---|---|---|"]
        L += [f"| {g['dense_weight']} | {g['keyword_weight']} | {g['rrf_k']} | {g['ndcg@10']:.3f} | "
              f"{g['mrr@10']:.3f} | {g['recall@5']:.3f} |" for g in top]
        L.append("")
    cal = report.get("calibration") or {}
    if cal:
        L += ["## Abstention threshold calibration (dev split)", "",
              "Chosen to maximise F1 of abstaining on out-of-scope dev questions (ties: balanced accuracy, then "
              "the middle of the tied range).", "",
              "| System | Threshold | F1 | Precision | Recall | Balanced acc. | F1 at current default |",
              "|---|---|---|---|---|---|---|"]
        for name, c in cal.items():
            at_def = c.get("at_default", {}).get("f1") if c.get("at_default") else None
            src = f" (from {c['from']})" if c.get("from") else ""
            L.append(f"| `{name}`{src} | {c['threshold']:.3f} | {_fmt(c.get('f1'))} | {_fmt(c.get('precision'))} | "
                     f"{_fmt(c.get('recall'))} | {_fmt(c.get('balanced_accuracy'))} | {_fmt(at_def)} |")
        L.append("")
    curve = report.get("threshold_curve")
    if curve:
        L += [f"Around the calibrated value (`{curve['system']}`; P / R / F1 of abstaining on out-of-scope, and "
              "in-scope questions wrongly abstained):", "",
              "| Threshold | Dev | Test |", "|---|---|---|"]
        for d, t_ in zip(curve["dev"], curve["test"]):
            cell = lambda a: (f"{_fmt(a['precision'], 2)} / {_fmt(a['recall'], 2)} / {_fmt(a['f1'], 2)}; "  # noqa: E731
                              f"{a['fp']} wrongly abstained")
            L.append(f"| {d['threshold']:.3f} | {cell(d)} | {cell(t_)} |")
        L.append("")
    rec = report["recommended"]
    L += ["## Recommended defaults", "", "```json", json.dumps(rec, indent=2), "```", ""]
    if report.get("mapping_rule"):
        li = {n: s.get("llamaindex_nodes") for n, s in report["sets"].items() if s.get("llamaindex_nodes")}
        sizes = "; ".join(f"{n}: {v['nodes']} nodes of {v['mean_words']} words on average against "
                          f"{report['sets'][n]['chunks']['chunks']} chunks of "
                          f"{report['sets'][n]['chunks'].get('mean_words')} words" for n, v in li.items())
        L += ["## LlamaIndex mapping", "", report["mapping_rule"], "",
              f"Unit sizes differ ({sizes}): a bigger unit covers more gold text per result, which favours "
              "LlamaIndex on Recall and the key-fact check; MiniLM reads only the first 256 word pieces of each "
              "node. Without llama-index-readers-file (not installed), SimpleDirectoryReader reads Markdown as "
              "plain text and the evaluation supplies a one-document-per-page pypdf reader for PDFs, as that "
              "package's PDFReader does.", ""]
    L += ["## Systems", ""] + [f"- `{n}`: {d}" for n, d in report["systems"].items()] + [""]
    if report["notes"] or report["warnings"]:
        L += ["## Notes", ""] + [f"- {n}" for n in report["notes"]] + [f"- warning: {w}" for w in report["warnings"]]
        L.append("")
    L += ["## Files", "",
          "`report.json` (everything here plus per-question scores), `latest.json` (what the app reads), "
          "`metrics.png`, `latency.png`, and TREC files: `qrels.txt` (graded; use `-l 2` in trec_eval for the "
          "Recall/MRR definition above) with `run-<system>.txt` for the main set, and `<set>/` for the others.", ""]
    return "\n".join(L)


def _charts(report: dict, out: Path) -> list[str]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        report["notes"].append("matplotlib is not installed: charts skipped.")
        return []
    sr = report["sets"][report["primary"]]
    names = list(sr["systems"])
    fig, ax = plt.subplots(figsize=(11, 4.8))
    width = 0.8 / max(len(names), 1)
    for i, n in enumerate(names):
        vals = [sr["systems"][n].get(m) or 0 for m in METRICS]
        ax.bar([j + i * width for j in range(len(METRICS))], vals, width, label=n)
    ax.set_xticks([j + width * (len(names) - 1) / 2 for j in range(len(METRICS))], [LABELS[m] for m in METRICS])
    ax.set_ylim(0, 1)
    ax.set_ylabel("score")
    ax.set_title(f"Retrieval quality, {report['primary']} ({sr['scored_split']} split, {sr['in_scope']} questions)")
    ax.legend(fontsize=8, ncol=len(names), loc="upper center", bbox_to_anchor=(0.5, -0.07), frameon=False)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(out / "metrics.png", dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(9, 4.2))
    p50 = [sr["systems"][n]["latency_ms"]["p50"] or 0 for n in names]
    p95 = [sr["systems"][n]["latency_ms"]["p95"] or 0 for n in names]
    xs = range(len(names))
    ax.bar([x - 0.2 for x in xs], p50, 0.4, label="p50")
    ax.bar([x + 0.2 for x in xs], p95, 0.4, label="p95")
    ax.set_xticks(list(xs), names, rotation=20)
    ax.set_yscale("log")
    ax.set_ylabel("ms per question (log scale)")
    ax.set_title(f"Warm query latency, {report['machine']['cores']} cores")
    ax.legend()
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(out / "latency.png", dpi=110)
    plt.close(fig)
    return ["metrics.png", "latency.png"]


def _write_outputs(report: dict, out: Path, primary: str) -> None:
    report["charts"] = _charts(report, out)
    sr = report["sets"][primary]
    latest = {
        "generated_at": report["generated_at"],
        "gold": next(g["path"] for g in report["gold"] if g["name"] == primary),
        "split": sr["scored_split"],
        "systems": {n: {**{m: row.get(m) for m in METRICS}, "key_fact_top3": row.get("key_fact_top3"),
                        "abstention_f1": (row.get("abstention") or {}).get("f1"),
                        "latency_p50_ms": row["latency_ms"]["p50"], "latency_p95_ms": row["latency_ms"]["p95"]}
                    for n, row in sr["systems"].items()},
        "recommended": report["recommended"],
        "answers": _answers_summary(report),
        "report": "report.md",
    }
    _atomic(out / "report.json", json.dumps(report, indent=2, default=str) + "\n")
    _atomic(out / "latest.json", json.dumps(latest, indent=2, default=str) + "\n")
    _atomic(out / "report.md", _markdown(report))


def _answers_summary(report: dict) -> dict:
    """Per set, the answer-level figures at the shipped settings (for the app)."""
    keep = ("first_key_point", "key_point_top3", "refusal_precision", "refusal_recall", "wrongly_refused",
            "answer_top3", "right_paragraph_cited")
    out = {}
    for name, sec in (report.get("answers") or {}).items():
        a = sec.get("at_shipped") or {}
        row = {k: a[k] for k in keep if k in a}
        if sec.get("ranking"):
            row["ndcg@10"] = sec["ranking"]["answer"]["ndcg@10"]
            row["ndcg@10_previous"] = sec["ranking"]["previous"]["ndcg@10"]
        if "llamaindex_hit@3" in sec:
            row["llamaindex_answer_top3"] = sec["llamaindex_hit@3"]
        out[name] = row
    return out


def _atomic(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def cli(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evals.run", description=__doc__.split("\n\n")[0])
    ap.add_argument("--gold", action="append", type=Path, help="gold set (JSON Lines); repeatable. "
                    "Default: evals/gold/*.jsonl")
    ap.add_argument("--out", type=Path, help="report folder (default evals/reports)")
    ap.add_argument("--system", action="append", choices=ALL_SYSTEMS, help="only this system; repeatable")
    ap.add_argument("--fast", action="store_true", help=f"only {', '.join(FAST_SYSTEMS)}")
    ap.add_argument("--corpus", type=Path, help="folder with the document a label-judged gold set is about")
    args = ap.parse_args(argv)
    try:
        report = main(load_settings(), gold=args.gold, out_dir=args.out,
                      systems=FAST_SYSTEMS if args.fast else args.system, corpus=args.corpus)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    out = args.out or load_settings().reports_dir
    print(f"Report written to {_display(out)}/report.md in {report['seconds']} s")
    rec = report["recommended"]
    print("Recommended: " + ", ".join(f"{k}={v}" for k, v in rec.items() if not isinstance(v, dict)))
    return 0


if __name__ == "__main__":
    sys.exit(cli())
