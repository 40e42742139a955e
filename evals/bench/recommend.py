"""The recommended ``exact_search_max``: where exact search stops being fast
enough and HNSW is accurate enough to take over.

Pure functions over the scale points, so the rule is tested on hand-made
figures (tests/test_bench.py) and re-derived whenever the benchmark re-runs.
"""

from __future__ import annotations

import math

from .common import TARGETS

LATENCY_LABELS = {"latency_ms": "as-measured", "latency_ms_steady": "steady",
                  "latency_ms_1thread": "one-thread as-measured", "latency_ms_1thread_steady": "one-thread steady"}


def nice_floor(n: float) -> int:
    """Round down to a number a config file would hold: 2 significant figures,
    and multiples of 5,000 from 10,000 up."""
    if n <= 0:
        return 0
    if n >= 10_000:
        return int(n // 5_000 * 5_000)
    step = 10 ** max(int(math.log10(n)) - 1, 0)
    return int(n // step * step)


def _crossing(pts: list[tuple], budget_ms: float) -> tuple[float, bool]:
    """Corpus size at which the latency reaches ``budget_ms`` (interpolated between
    measured sizes, else extrapolated along the last segment), and whether it was
    extrapolated. ``pts`` holds (n, latency, recall) sorted by n."""
    ns = [p[0] for p in pts]
    lat = [p[1] for p in pts]
    for (n0, l0, _), (n1, l1, _) in zip(pts, pts[1:]):
        if l0 <= budget_ms < l1:
            return n0 + (budget_ms - l0) * (n1 - n0) / (l1 - l0), False
    if lat[0] > budget_ms:
        return 0.0, False  # already over budget at the smallest size measured
    if len(pts) >= 2:
        slope = (lat[-1] - lat[-2]) / (ns[-1] - ns[-2])
        return (ns[-1] + (budget_ms - lat[-1]) / slope if slope > 0 else math.inf), True
    return math.inf, True


def _advice(out: dict, pts: list[tuple], crossing: float, worst_recall: float) -> None:
    """The recommended value and the sentence that explains it."""
    budget_ms, min_recall, stat = out["budget_ms"], out["min_recall"], out["stat"]
    ns = [p[0] for p in pts]
    if out["recall_ok"] and not math.isinf(crossing):
        out["recommended"] = nice_floor(crossing)
        out["why"] = (f"exact {LATENCY_LABELS.get(out['latency'], out['latency'])} {stat} reaches {budget_ms:g} ms "
                      f"at about {round(crossing):,} vectors"
                      f"{' (extrapolated past the largest size measured)' if out['extrapolated'] else ''}; HNSW "
                      f"recall@10 is >= {worst_recall:.3f} above that, so switch there.")
    elif not out["recall_ok"]:
        # HNSW is not accurate enough: keep exact search while it still meets the hard target.
        hard = TARGETS["scale_p95_ms_100k"]
        ok = [n for n, l, _ in pts if l <= hard]
        out["recommended"] = max(ok) if ok else ns[0]
        out["why"] = (f"HNSW recall@10 is only {worst_recall:.3f} (< {min_recall}) above the {budget_ms:g} ms "
                      f"crossing, so keep exact search while its p95 stays under {hard:g} ms, and raise "
                      "HNSW_EF_SEARCH before relying on HNSW.")
    else:
        out["recommended"] = ns[-1]
        out["why"] = f"exact {stat} never reached {budget_ms:g} ms; exact search is fine up to {ns[-1]:,} at least."


def recommend_exact_search_max(points: list[dict], budget_ms: float = TARGETS["switch_budget_ms"],
                               min_recall: float = TARGETS["switch_min_recall"], current: int | None = None,
                               latency: str = "latency_ms", stat: str = "p95") -> dict:
    """Where exact search stops meeting ``budget_ms`` at ``stat`` (linear
    interpolation between measured sizes, linear extrapolation past the largest),
    provided HNSW reaches ``min_recall`` recall@10 at every measured size above
    that point. ``latency`` picks the figures: "latency_ms" (default FAISS
    threads, as the app runs) or "latency_ms_1thread"."""
    pts = sorted(((p["n"], p["exact"][latency][stat], p["hnsw"]["recall@10"]) for p in points),
                 key=lambda x: x[0])
    if not pts:
        raise ValueError("no scale points")
    crossing, extrapolated = _crossing(pts, budget_ms)
    above = [r for n, _, r in pts if n > crossing] or [pts[-1][2]]
    out = {"budget_ms": budget_ms, "min_recall": min_recall, "current": current, "latency": latency, "stat": stat,
           "crossing_estimate": None if math.isinf(crossing) else int(round(crossing)),
           "extrapolated": extrapolated, "hnsw_recall@10_above": round(min(above), 4),
           "recall_ok": min(above) >= min_recall}
    _advice(out, pts, crossing, min(above))
    return out
