"""Tuning the hybrid on the main set's dev split, and choosing acronym expansion.

A grid of dense/keyword weights and rrf_k is scored by nDCG@10 on the in-scope
dev questions. Only the ratio of the two weights changes an RRF ranking, so the
pairs keep dense + keyword = 2 (the default 1/1 is in the grid). Ties go to
MRR@10, then to the point closest to the current defaults, so a flat grid does
not move the settings for nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .gold import Question
from .registry import Progress
from .runs import run_system
from .scoring import METRICS, N_PERMUTATIONS, paired_p, score_runs
from .systems import CachedQueries, KBSystem

TUNE_METRIC = "ndcg@10"
WEIGHT_GRID = [(0.4, 1.6), (0.6, 1.4), (0.8, 1.2), (1.0, 1.0), (1.2, 0.8), (1.4, 0.6), (1.6, 0.4)]
RRF_GRID = [10, 30, 60, 100]


@dataclass
class Choice:
    """What the hybrid-family systems are built with."""

    tuned: dict  # dense_weight, keyword_weight, rrf_k
    expand_best: bool  # acronym expansion on the best hybrid
    tuning: dict | None = None  # the report's tuning section, when a dev split was used

    @property
    def best_hybrid(self) -> str:
        return "hybrid+acronyms" if self.expand_best else "hybrid"


def _preference(s):
    """Sort key: best nDCG, then MRR, then closest to the current defaults."""
    def pref(g):
        ratio = abs(math.log(g["dense_weight"] / g["keyword_weight"]) - math.log(s.dense_weight / s.keyword_weight))
        return (g[TUNE_METRIC], g["mrr@10"], -ratio, -abs(g["rrf_k"] - s.rrf_k))
    return pref


def tune(kb, dev: list[Question], progress: Progress, label: str, expand: bool = False) -> dict:
    """Grid search of dense/keyword weights and rrf_k on dev by nDCG@10."""
    base = KBSystem("tune", kb)
    base.kb.embedder = CachedQueries(kb.embedder)
    points = [(d, kw, r) for d, kw in WEIGHT_GRID for r in RRF_GRID]
    runs = {}
    for i, (d, kw, r) in enumerate(points, start=1):
        sys_ = KBSystem("tune", base.kb, "hybrid", dense_weight=d, keyword_weight=kw, rrf_k=r, expand_acronyms=expand)
        runs[f"{d}/{kw}/{r}"] = run_system(sys_, dev, kb.settings.k, timed=False).ranked
        progress(f"{label}: tuning hybrid{'+acronyms' if expand else ''} on dev", i, len(points))
    scored = score_runs(dev, runs)["means"]
    grid = [{"dense_weight": d, "keyword_weight": kw, "rrf_k": r,
             **{x: round(scored[f"{d}/{kw}/{r}"][x], 4) for x in METRICS}} for d, kw, r in points]
    s = kb.settings
    best = max(grid, key=_preference(s))
    default = next((g for g in grid if g["dense_weight"] == g["keyword_weight"] and g["rrf_k"] == s.rrf_k), None)
    return {"metric": TUNE_METRIC, "split": "dev", "questions": len(dev), "grid": grid,
            "best": {k: best[k] for k in ("dense_weight", "keyword_weight", "rrf_k")},
            "best_dev": {m: best[m] for m in METRICS}, "default_dev": default}


def choose(kb, dev_in: list[Question], progress: Progress, label: str) -> Choice:
    """Tune on dev, then keep acronym expansion unless it lowers dev nDCG@10 (it is
    the app's default and it explains terms). Without dev questions: the defaults."""
    s0 = kb.settings
    if not dev_in:
        return Choice({"dense_weight": s0.dense_weight, "keyword_weight": s0.keyword_weight, "rrf_k": s0.rrf_k},
                      s0.expand_acronyms)
    tuning = tune(kb, dev_in, progress, label)
    tuned = tuning["best"]
    acr = KBSystem("acr", kb, "hybrid", expand_acronyms=True, **tuned)
    acr.kb.embedder = CachedQueries(kb.embedder)
    acr_dev = score_runs(dev_in, {"a": run_system(acr, dev_in, s0.k, False).ranked})["means"]["a"]
    tuning["acronyms_dev"] = {m: round(v, 4) for m, v in acr_dev.items()}
    expand_best = acr_dev[TUNE_METRIC] >= tuning["best_dev"][TUNE_METRIC] - 1e-9
    tuning["expand_acronyms"] = expand_best
    # A check, not used for the systems: would the grid pick other weights with expansion on?
    acr_grid = tune(kb, dev_in, progress, label, expand=True)
    tuning["with_acronyms"] = {k: acr_grid[k] for k in ("best", "best_dev", "default_dev")}
    return Choice(tuned, expand_best, tuning)


def current_defaults(kb, scored: list[Question], best_ranked: dict[str, list[str]], best_name: str) -> dict:
    """The app's current configuration on the same test questions, to show what tuning changed."""
    cur = run_system(KBSystem("current", kb, "hybrid"), scored, kb.settings.k, timed=False)
    both = score_runs(scored, {"current": cur.ranked, best_name: best_ranked})
    s = kb.settings
    return {"settings": {"dense_weight": s.dense_weight, "keyword_weight": s.keyword_weight, "rrf_k": s.rrf_k,
                         "expand_acronyms": s.expand_acronyms},
            **{m: round(v, 4) for m, v in both["means"]["current"].items()},
            "recommended": {m: round(v, 4) for m, v in both["means"][best_name].items()},
            "p_ndcg@10": round(paired_p(both["per_query"], "current", best_name, "ndcg@10", N_PERMUTATIONS), 4)}
