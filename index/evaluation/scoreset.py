"""One gold set's section of the report: every system's scores on the scored
questions, paired tests, abstention at its threshold, latency and per-tag nDCG."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ingest.config import Settings

from .abstention import abstention_scores, rounded
from .gold import GoldSet, Question
from .registry import BASELINE, SystemSpec
from .runs import SystemRun
from .scoring import METRICS, N_PERMUTATIONS, key_fact_hit, paired_p, percentile, score_runs


@dataclass
class SetRun:
    """Everything measured on one gold set, before it becomes report rows."""

    gold: GoldSet
    kb: object
    corpus: Path
    scored: list[Question]  # the test split of the main set, else every question
    dev: list[Question]  # the main set's dev split; empty for the others
    built: dict = field(default_factory=dict)  # system name -> System
    results: dict[str, SystemRun] = field(default_factory=dict)
    dev_results: dict[str, SystemRun] = field(default_factory=dict)


def _r(x):
    return None if x is None else round(x, 1)


def _abstention(row: dict, run: SystemRun, oos: dict, threshold: float, default: float) -> None:
    row["abstention"] = rounded(abstention_scores(run.best, oos, threshold))
    row["abstention_at_default"] = rounded(abstention_scores(run.best, oos, default))


def _system_row(name: str, sr: SetRun, sc: dict, baseline: str, calibration: dict, settings: Settings,
                dev_scores: dict) -> dict:
    run, system = sr.results[name], sr.built[name]
    with_fact = [q for q in sr.scored if not q.out_of_scope and q.key_fact]
    oos = {q.id: q.out_of_scope for q in sr.scored}
    row = {m: round(v, 4) for m, v in sc["means"].get(name, {}).items()}
    row["p_vs_" + baseline] = {m: round(p, 4) for m, p in sc["p_values"].get(name, {}).items()}
    row["t_test_p_vs_" + baseline] = {m: round(p, 4) for m, p in sc["t_test"].get(name, {}).items()}
    hits = [key_fact_hit(q.key_fact, run.top3[q.id]) for q in with_fact]
    row["key_fact_top3"] = round(sum(hits) / len(hits), 4) if hits else None
    if system.has_cosine and any(oos.values()):
        thr = calibration.get(name, {}).get("threshold", settings.abstain_below)
        _abstention(row, run, oos, thr, settings.abstain_below)
    else:
        row["abstention"] = None
    lat = list(run.latency.values())
    row["latency_ms"] = {"p50": _r(percentile(lat, 50)), "p95": _r(percentile(lat, 95)), "n": len(lat)}
    if system.has_cosine:  # for what-if thresholds
        row["best_cosine"] = {q: (None if v is None else round(v, 4)) for q, v in run.best.items()}
    if name in dev_scores:
        row["dev"] = {m: round(v, 4) for m, v in dev_scores[name].items()}
    return row


def _vs_base(systems: dict, sc: dict, specs: dict[str, SystemSpec], best_hybrid: str, baseline: str) -> None:
    """Systems built on the best hybrid are also compared with it (only the dense
    model or the reranking differs)."""
    if best_hybrid not in systems or best_hybrid == baseline:
        return
    for name in systems:
        if specs[name].built_on_best:
            systems[name]["p_vs_base"] = {"base": best_hybrid, **{
                m: round(paired_p(sc["per_query"], best_hybrid, name, m, N_PERMUTATIONS), 4) for m in METRICS}}


def _by_tag(in_scope: list[Question], systems: dict, sc: dict) -> dict:
    by_tag: dict[str, dict] = {}
    for tag in sorted({t for q in in_scope for t in q.tags}):
        qids = [q.id for q in in_scope if tag in q.tags]
        by_tag[tag] = {"n": len(qids), "systems": {
            n: {m: round(sum(sc["per_query"][n][m][q] for q in qids) / len(qids), 4) for m in ("recall@5", "ndcg@10")}
            for n in systems}}
    return by_tag


def score_set(sr: SetRun, specs: dict[str, SystemSpec], best_hybrid: str, calibration: dict,
              settings: Settings) -> dict:
    """The set's section of report.json (without the TREC and size entries)."""
    runs = {n: r.ranked for n, r in sr.results.items()}
    baseline = BASELINE if BASELINE in runs else next(iter(runs))
    sc = score_runs(sr.scored, runs, n_permutations=N_PERMUTATIONS, baseline=baseline)
    dev_scores = (score_runs(sr.dev, {n: r.ranked for n, r in sr.dev_results.items()})["means"]
                  if sr.dev else {})
    systems = {name: _system_row(name, sr, sc, baseline, calibration, settings, dev_scores) for name in sr.results}
    _vs_base(systems, sc, specs, best_hybrid, baseline)
    in_scope = [q for q in sr.scored if not q.out_of_scope]
    return {"questions": len(sr.scored), "in_scope": len(in_scope),
            "out_of_scope": sum(q.out_of_scope for q in sr.scored),
            "with_key_fact": sum(bool(q.key_fact) for q in in_scope), "baseline": baseline, "systems": systems,
            "by_tag": _by_tag(in_scope, systems, sc),
            "per_query": {n: {m: {q: round(v, 4) for q, v in pq.items()} for m, pq in d.items()}
                          for n, d in sc["per_query"].items()}}
