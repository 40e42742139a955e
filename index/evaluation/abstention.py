"""Abstention on out-of-scope questions: scoring a cosine threshold, and choosing one on dev.

The rule replayed here is ``answer()``'s with the cross-encoder off: abstain
when the best cosine among the top hits is below the threshold. Positive class:
the question is out of scope.
"""

from __future__ import annotations


def abstention_scores(best: dict[str, float | None], oos: dict[str, bool], threshold: float) -> dict:
    """Abstain when the best cosine is below the threshold (no hits or no cosine
    also abstains); precision, recall, F1 and the confusion counts."""
    tp = fp = fn = tn = 0
    for qid, is_oos in oos.items():
        b = best.get(qid)
        abstain = b is None or b < threshold
        if abstain and is_oos:
            tp += 1
        elif abstain:
            fp += 1
        elif is_oos:
            fn += 1
        else:
            tn += 1
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    f1 = (2 * precision * recall / (precision + recall)) if precision and recall else 0.0
    tnr = tn / (tn + fp) if tn + fp else None
    bal = (recall + tnr) / 2 if recall is not None and tnr is not None else None
    return {"threshold": threshold, "precision": precision, "recall": recall, "f1": f1,
            "false_abstention_rate": (fp / (fp + tn)) if fp + tn else None, "balanced_accuracy": bal,
            "tp": tp, "fp": fp, "fn": fn, "tn": tn}


def calibrate_threshold(best: dict[str, float | None], oos: dict[str, bool], default: float) -> dict:
    """The threshold that maximises abstention F1 (ties: balanced accuracy,
    then the middle of the tied range), chosen among midpoints between the
    observed best-cosine values."""
    values = sorted({round(v, 4) for v in best.values() if v is not None})
    if not any(oos.values()) or all(oos.values()) or not values:
        return {"threshold": default, "calibrated": False,
                "reason": "needs both in-scope and out-of-scope dev questions", **{
                    k: v for k, v in abstention_scores(best, oos, default).items() if k != "threshold"}}
    cands = [values[0] - 0.01] + [(a + b) / 2 for a, b in zip(values, values[1:])] + [values[-1] + 0.01]
    scored = [(abstention_scores(best, oos, t), t) for t in cands]
    top = max((s["f1"], s["balanced_accuracy"] or 0.0) for s, _ in scored)
    tied = [t for s, t in scored if (s["f1"], s["balanced_accuracy"] or 0.0) == top]
    chosen = round(tied[len(tied) // 2], 3)
    result = abstention_scores(best, oos, chosen)
    result.update(calibrated=True, tied_range=[round(min(tied), 3), round(max(tied), 3)],
                  at_default=abstention_scores(best, oos, default))
    return result


def rounded(scores: dict) -> dict:
    """Floats to four places, as the report stores them."""
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in scores.items()}
