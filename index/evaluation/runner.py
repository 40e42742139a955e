"""``evaluate()``: every chosen system on every gold set, in one process, scored alike.

Order of work: open one index per gold set; tune the hybrid on the main set's
dev split; then per set build the systems, run them (timed on the scored
questions, untimed on dev for calibration), score them, score the answers as
shown, and write the TREC files; finally the recommendation, report.json,
latest.json, report.md and the charts.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import time
from pathlib import Path

from ingest.config import Settings, load_settings

from . import tuning
from .answers import evaluate_set
from .charts import write_charts
from .gold import GoldSet, default_gold, load_sets
from .indexes import OpenedSet, open_all, work_dir
from .machine import fingerprints, loadavg, machine
from .registry import BASELINE, Progress, SetContext, SystemSpec, choose
from .report import APP_SYSTEM, EvalReport, app_settings, write_report
from .runs import K, run_system
from .scoring import N_PERMUTATIONS, hit_at, ranx
from .scoreset import SetRun, score_set
from .setrun import calibrate_primary, run_systems
from .systems import KBSystem
from .trec import write_trec

METRICS_NOTE = (
    "Recall@k and MRR@10 count the chunks graded 2 (they answer the question; a question "
    "with none uses its grade-1 chunks); nDCG@10 uses the grades (linear gain). p-values: "
    f"two-sided paired Fisher randomisation test ({N_PERMUTATIONS:,} seeded sign-flip "
    f"permutations, the statistic of ranx's fisher_randomization_test) against {BASELINE}; "
    "report.json also holds ranx's paired t-test p-values. With few questions, p-values "
    "are large unless differences are consistent; no correction for multiple comparisons.")


def _command() -> str:
    argv = sys.argv
    prog = Path(argv[0]).name if argv else ""
    if prog == "wtkb":
        return " ".join(["wtkb", *argv[1:]])
    if argv and argv[0].endswith(os.path.join("evals", "run.py")):
        return " ".join([".venv/bin/python -m evals.run", *argv[1:]])
    return f"index.evaluate() called from {prog or 'python'}"


def _new_report(settings: Settings, sets: list[GoldSet], primary: GoldSet, specs: list[SystemSpec]) -> EvalReport:
    return EvalReport(
        generated_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"), command=_command(), machine=machine(),
        gold=[gs.describe() for gs in sets], primary=primary.name, systems={s.name: s.description for s in specs},
        k=K, answer_k=settings.k, abstain_below_default=settings.abstain_below, metrics_note=METRICS_NOTE,
        mapping_rule=next((s.mapping_rule for s in specs if s.mapping_rule), None),
        # The row the app's Evaluation page marks "(app)": built with these settings (registry._rerank).
        app_system=APP_SYSTEM if settings.rerank and any(s.name == APP_SYSTEM for s in specs) else "",
        app_settings=app_settings(settings))


def _choose_weights(specs: list[SystemSpec], primary: GoldSet, kb, progress: Progress,
                    report: EvalReport) -> tuning.Choice:
    """Tune when a chosen system uses the tuned weights and the main set has a dev split."""
    wants = any(s.tuned for s in specs)
    dev_in = [q for q in primary.split("dev") if not q.out_of_scope] if (wants and primary.has_dev) else []
    choice = tuning.choose(kb, dev_in, progress, primary.name)
    report.tuning = choice.tuning
    if wants and not dev_in:
        report.notes.append("No dev split with in-scope questions: hybrid uses the current default weights.")
    return choice


def _answers(sr: SetRun, specs: dict[str, SystemSpec], progress: Progress) -> dict:
    """The answer-level section: calibrate on dev, score, and compare the
    answer's ranking with the previous default (hybrid, current settings)."""
    kb = sr.kb
    previous = run_system(KBSystem("previous", kb, "hybrid"), sr.scored, kb.settings.k, timed=False).ranked
    sec = evaluate_set(kb, sr.scored, sr.dev, previous, progress, sr.gold.name)
    if sr.gold.kind == "labels":  # the user's document stays out of the report: no sentences from it
        for row in sec.get("per_question", {}).values():
            row.pop("first_key_point", None)
    for name, run in sr.results.items():
        if specs[name].mapping_rule:  # systems with their own units, on the same questions
            sec[f"{name}_hit@3"] = hit_at(sr.scored, run.ranked)
    return sec


def _sizes(sr: SetRun) -> dict:
    """Index size, and the unit sizes of systems with their own units."""
    kb, out = sr.kb, {}
    stats = {n: s.unit_stats() for n, s in sr.built.items() if s.unit_stats()}
    for name, st in stats.items():
        out[f"{name}_nodes"] = st
    out["chunks"] = {"chunks": len(kb.chunks)}
    if stats:
        out["chunks"]["mean_words"] = round(sum(len(c.text.split()) for c in kb.chunks) / max(len(kb.chunks), 1), 1)
    return out


def _trec_entry(sr: SetRun, is_primary: bool, out: Path) -> dict:
    prefix = "" if is_primary else f"{sr.gold.name}/"
    write_trec(out / prefix if prefix else out, sr.scored, {n: r.ranked for n, r in sr.results.items()})
    return {"qrels": f"{prefix}qrels.txt", "runs": {n: f"{prefix}run-{n}.txt" for n in sr.results}}


def _one_set(o: OpenedSet, is_primary: bool, ctx: SetContext, specs: dict[str, SystemSpec],
             choice: tuning.Choice, calibration: dict, report: EvalReport, out: Path, with_answers: bool):
    gs, settings = o.gold, ctx.kb.settings
    scored = gs.split("test") if (is_primary and gs.has_dev) else list(gs.questions)
    dev = gs.split("dev") if (is_primary and gs.has_dev) else []
    sr = SetRun(gs, o.kb, o.corpus, scored, dev)
    run_systems(sr, specs, ctx)
    if is_primary:
        curve = calibrate_primary(sr, specs, choice.best_hybrid, calibration, settings)
        if curve:
            report.threshold_curve = curve
    section = score_set(sr, specs, choice.best_hybrid, calibration, settings)
    answers = _answers(sr, specs, ctx.progress) if with_answers else None
    section["scored_split"] = "test" if dev else "all"
    if is_primary and report.tuning and choice.best_hybrid in sr.results:
        report.tuning["current_defaults_test"] = tuning.current_defaults(
            o.kb, scored, sr.results[choice.best_hybrid].ranked, choice.best_hybrid)
    section["trec"] = _trec_entry(sr, is_primary, out)
    section.update(_sizes(sr))
    report.sets[gs.name] = section
    return answers


def _recommend(settings: Settings, choice: tuning.Choice, calibration: dict, report: EvalReport,
               specs: dict[str, SystemSpec]) -> dict:
    best = choice.best_hybrid
    rec = {**choice.tuned, "expand_acronyms": choice.expand_best, "system": best,
           "abstain_below": settings.abstain_below, "abstain_calibrated": False}
    cal = calibration.get(best)
    if cal and cal.get("calibrated"):
        rec["abstain_below"] = cal["threshold"]
        rec["abstain_calibrated"] = True
    primary = report.sets.get(report.primary, {}).get("systems", {})
    reranker = next((n for n in primary if specs[n].reranks), None)
    if reranker and best in primary:
        gain = primary[reranker].get("ndcg@10", 0) - primary[best].get("ndcg@10", 0)
        p = primary[reranker].get(f"p_vs_{BASELINE}", {}).get("ndcg@10")
        rec["rerank"] = {"ndcg@10_gain_vs_" + best: round(gain, 4), "p_vs_hybrid": p,
                         "p50_ms": primary[reranker]["latency_ms"]["p50"]}
    return rec


def _finish(report: EvalReport, t_start: float, specs: list[SystemSpec], primary: GoldSet, best: str) -> None:
    """Run time, the load at the end, and notes that depend on the whole run."""
    report.seconds = round(time.perf_counter() - t_start, 1)
    report.machine["loadavg_end"] = loadavg()
    loads = [x[0] for x in (report.machine.get("loadavg_start"), report.machine.get("loadavg_end")) if x]
    cores = report.machine.get("nproc") or 1
    if loads and max(loads) > cores + 1:  # the run itself keeps about one core busy
        report.warnings.append(f"the machine was busy (1-minute load average up to {max(loads)} on "
                               f"{cores} cores): latencies are inflated; rerun on a quiet machine")
    for spec in specs:
        if spec.test_only and primary.has_dev:
            lat = report.sets.get(primary.name, {}).get("systems", {}).get(spec.name, {}).get("latency_ms", {})
            report.notes.append(f"{spec.name} is run on the test split only ({spec.test_only} and costs "
                                f"~{round(lat.get('p50') or 0)} ms a question); its abstention threshold is "
                                f"{best}'s.")


def evaluate(settings: Settings | None = None, gold: list[Path] | None = None, out_dir: Path | None = None,
             systems: list[str] | None = None, corpus: Path | None = None,
             progress: Progress | None = None) -> EvalReport:
    """Run the evaluation, write the reports to ``out_dir`` (default
    ``settings.reports_dir``) and return the report. A bad gold file or an
    unknown system is a ValueError raised before any work starts."""
    t_start = time.perf_counter()
    ranx()  # an optional dependency: say how to install it before any work
    settings = settings or load_settings()
    specs = choose(systems)
    skipped: list[str] = []
    sets = load_sets([Path(p) for p in gold] if gold else default_gold(corpus, skipped))
    out = Path(out_dir or settings.reports_dir)
    out.mkdir(parents=True, exist_ok=True)
    work = work_dir(settings)
    work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    logging.getLogger("bm25s").setLevel(logging.ERROR)
    prog = progress or (lambda stage, done, total: None)
    primary = next((gs for gs in sets if gs.has_dev), sets[0])
    report = _new_report(settings, sets, primary, specs)
    report.notes += skipped
    by_name = {s.name: s for s in specs}
    with tempfile.TemporaryDirectory(prefix="wtkb-eval-") as tmp:
        opened = open_all(sets, settings, work, prog, corpus, report.warnings)
        report.fingerprints = fingerprints(opened[primary.name].corpus, [gs.path for gs in sets])
        choice = _choose_weights(specs, primary, opened[primary.name].kb, prog, report)
        calibration: dict[str, dict] = {}
        shared: dict = {}
        for gs in sets:
            o = opened[gs.name]
            ctx = SetContext(gs.name, o.kb, o.corpus, gs.questions, choice.tuned, choice.expand_best, Path(tmp),
                             prog, report.warnings, shared)
            sec = _one_set(o, gs is primary, ctx, by_name, choice, calibration, report, out,
                           gs.kind != "fixture" or len(sets) == 1)
            if sec is not None:
                report.answers[gs.name] = sec
        report.calibration = calibration
        report.recommended = _recommend(settings, choice, calibration, report, by_name)
    _finish(report, t_start, specs, primary, choice.best_hybrid)
    report.charts = write_charts(report, out)
    write_report(report, out)
    return report
