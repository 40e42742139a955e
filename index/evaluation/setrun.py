"""Building and running the chosen systems on one gold set, and calibrating
their abstention thresholds on the main set's dev split."""

from __future__ import annotations

from ingest.config import Settings

from .abstention import abstention_scores, calibrate_threshold
from .registry import SetContext, SystemSpec
from .runs import run_system
from .scoreset import SetRun

CURVE_POINTS = (0.30, 0.35, 0.40, 0.45)


def run_systems(sr: SetRun, specs: dict[str, SystemSpec], ctx: SetContext) -> None:
    """Build every system, then run each: timed on the scored questions, and
    untimed on dev when it has a cosine and is not test-only (for calibration)."""
    prog, name_of_set, cosine_k = ctx.progress, sr.gold.name, sr.kb.settings.k
    prog(f"{name_of_set}: loading systems", 0, 1)
    sr.built = {name: spec.factory(ctx) for name, spec in specs.items()}
    prog(f"{name_of_set}: loading systems", 1, 1)
    for name, system in sr.built.items():
        system.warm()
        label = f"{name_of_set}: {name}"
        sr.results[name] = run_system(system, sr.scored, cosine_k, timed=True,
                                      tick=lambda i, lb=label, n=len(sr.scored): prog(lb, i, n))
        if sr.dev and system.has_cosine and not specs[name].test_only:
            sr.dev_results[name] = run_system(system, sr.dev, cosine_k, timed=False,
                                              tick=lambda i, lb=label + " (dev)", n=len(sr.dev): prog(lb, i, n))


def calibrate_primary(sr: SetRun, specs: dict[str, SystemSpec], best: str, calibration: dict,
                      settings: Settings) -> dict | None:
    """Fill ``calibration`` from the dev runs; return the threshold curve of the
    best hybrid around its calibrated value (dev and test), when it ran."""
    oos = {q.id: q.out_of_scope for q in sr.dev}
    for name, run in sr.dev_results.items():
        calibration[name] = calibrate_threshold(run.best, oos, settings.abstain_below)
    curve = None
    if best in sr.dev_results and best in sr.results:
        pts = sorted({*CURVE_POINTS, settings.abstain_below, calibration[best]["threshold"]})
        curve = {"system": best, **{
            split: [abstention_scores(run.best, {q.id: q.out_of_scope for q in qs}, t) for t in pts]
            for split, run, qs in (("dev", sr.dev_results[best], sr.dev), ("test", sr.results[best], sr.scored))}}
    for name, system in sr.built.items():
        if specs[name].test_only and system.has_cosine and best in calibration:
            calibration[name] = {**calibration[best], "from": best}
    return curve
