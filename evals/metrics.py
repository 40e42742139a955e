"""Pure scoring helpers for the evaluation: gold loading, qrels, ranx scoring,
abstention calibration, key-fact checks, percentiles and TREC files.

Nothing here loads a model, so tests/test_eval.py can check it quickly.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
import warnings
from dataclasses import dataclass, field
from pathlib import Path

RECALL_KS = (1, 3, 5, 10)
BINARY_METRICS = [f"recall@{k}" for k in RECALL_KS] + ["mrr@10"]
GRADED_METRICS = ["ndcg@10"]
METRICS = BINARY_METRICS + GRADED_METRICS
LABELS = {"recall@1": "R@1", "recall@3": "R@3", "recall@5": "R@5", "recall@10": "R@10", "mrr@10": "MRR@10",
          "ndcg@10": "nDCG@10"}
ANSWER_GRADE = 2
SPLITS = ("dev", "test")


@dataclass
class Question:
    id: str
    question: str
    relevant: dict[str, int]
    key_fact: str = ""
    out_of_scope: bool = False
    split: str = "test"
    tags: list[str] = field(default_factory=list)
    answer: str = ""  # regex (case-insensitive) a correct first key point must match
    labels: list[str] = field(default_factory=list)  # paragraph labels that answer it (label-judged sets)


def load_gold(path: Path) -> list[Question]:
    """Read and check a gold set; any problem is a ValueError naming the file."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: gold file not found; expected JSON Lines with one question per line")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise ValueError(f"{path}: cannot read the gold file ({type(e).__name__})") from e
    out: list[Question] = []
    seen: set[str] = set()
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}: line {n}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            raise ValueError(f"{where}: not valid JSON ({e.msg})") from e
        if not isinstance(row, dict):
            raise ValueError(f"{where}: expected a JSON object")
        qid, question = row.get("id"), row.get("question")
        if not isinstance(qid, (str, int)) or not str(qid).strip() or re.search(r"\s", str(qid)):
            raise ValueError(f"{where}: 'id' must be a non-empty string without spaces")
        qid = str(qid)
        if qid in seen:
            raise ValueError(f"{where}: duplicate id '{qid}'")
        seen.add(qid)
        if not isinstance(question, str) or not question.strip():
            raise ValueError(f"{where}: 'question' must be a non-empty string")
        relevant = row.get("relevant", {})
        labels = row.get("labels") or []
        if not isinstance(labels, list) or not all(isinstance(x, (str, int)) for x in labels):
            raise ValueError(f"{where}: 'labels' must be a list of paragraph labels such as [\"67\"]")
        labels = [str(x) for x in labels]
        if not isinstance(relevant, dict) or not all(
                isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and v in (0, 1, 2)
                for k, v in relevant.items()):
            raise ValueError(f"{where}: 'relevant' must map chunk ids to grades 1 or 2")
        relevant = {k: v for k, v in relevant.items() if v > 0}
        oos = row.get("out_of_scope", False)
        if not isinstance(oos, bool):
            raise ValueError(f"{where}: 'out_of_scope' must be true or false")
        if oos and relevant:
            raise ValueError(f"{where}: an out-of-scope question cannot have relevant chunks")
        if oos and labels:
            raise ValueError(f"{where}: an out-of-scope question cannot have paragraph labels")
        if not oos and not relevant and not labels:
            raise ValueError(f"{where}: an in-scope question needs at least one relevant chunk or label")
        split = row.get("split", "test")
        if split not in SPLITS:
            raise ValueError(f"{where}: 'split' must be 'dev' or 'test', not {split!r}")
        key_fact = row.get("key_fact") or ""
        if not isinstance(key_fact, str):
            raise ValueError(f"{where}: 'key_fact' must be a string")
        answer = row.get("answer") or ""
        if not isinstance(answer, str):
            raise ValueError(f"{where}: 'answer' must be a string (a regular expression)")
        try:
            re.compile(answer)
        except re.error as e:
            raise ValueError(f"{where}: 'answer' is not a valid regular expression ({e})") from e
        tags = row.get("tags") or []
        if not isinstance(tags, list):
            raise ValueError(f"{where}: 'tags' must be a list")
        out.append(Question(qid, question.strip(), relevant, key_fact.strip(), oos, split, [str(t) for t in tags],
                            answer.strip(), labels))
    if not out:
        raise ValueError(f"{path}: the gold file holds no questions")
    return out


# ---------------------------------------------------------------- qrels and runs


def graded_qrels(questions: list[Question]) -> dict[str, dict[str, int]]:
    return {q.id: dict(q.relevant) for q in questions if not q.out_of_scope}


def answer_qrels(questions: list[Question]) -> dict[str, dict[str, int]]:
    """Binary qrels for Recall and MRR: the chunks that answer (grade 2); a
    question with no grade-2 chunk uses its related chunks instead."""
    out = {}
    for q in questions:
        if q.out_of_scope:
            continue
        answers = {c: 1 for c, g in q.relevant.items() if g >= ANSWER_GRADE}
        out[q.id] = answers or {c: 1 for c in q.relevant}
    return out


def ranked_run(ranked: dict[str, list[str]]) -> dict[str, dict[str, float]]:
    """{qid: [doc ids best first]} -> ranx run with scores that keep that order
    (duplicates keep their first rank); queries with no results are left out."""
    out = {}
    for qid, ids in ranked.items():
        scores: dict[str, float] = {}
        for rank, d in enumerate(ids, start=1):
            scores.setdefault(d, float(len(ids) - rank + 1))
        if scores:
            out[qid] = scores
    return out


def _quiet():
    ctx = warnings.catch_warnings()
    ctx.__enter__()
    warnings.simplefilter("ignore")
    return ctx


def paired_randomization(a, b, n_permutations: int = 10_000, seed: int = 42) -> float:
    """Two-sided paired randomisation (Fisher) test of mean(a) = mean(b).

    Swapping the two systems' scores on a question flips the sign of its
    difference; the p-value is the share of random sign assignments whose mean
    difference is at least as large in size as the observed one (the statistic
    ranx's fisher_randomization_test uses). Seeded numpy, so a rerun gives the
    same p-value: ranx's numba version draws in parallel threads and does not
    repeat under a fixed seed.
    """
    import numpy as np

    d = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    if d.size == 0:
        return 1.0
    observed = abs(d.mean())
    rng = np.random.default_rng(seed)
    signs = rng.integers(0, 2, size=(n_permutations, d.size), dtype=np.int8) * 2 - 1
    perm = np.abs((signs * d).mean(axis=1))
    return float(np.mean(perm >= observed - 1e-12))


def paired_t(a, b) -> float:
    """Two-sided paired Student's t-test p-value via ranx (1.0 when nothing differs)."""
    import numpy as np
    from ranx.statistical_tests import paired_student_t_test

    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.size < 2 or np.allclose(a, b):
        return 1.0
    p, _ = paired_student_t_test(a, b, 0.05)
    return 1.0 if p != p else float(p)


def score_runs(questions: list[Question], runs: dict[str, dict[str, list[str]]], n_permutations: int = 10_000,
               baseline: str | None = None, seed: int = 42) -> dict:
    """Mean metrics per system (ranx), per-query scores, and paired p-values
    against ``baseline`` (Fisher randomisation, and ranx's paired t-test).

    Recall@k and MRR@10 use ``answer_qrels`` (grade-2 chunks); nDCG@10 uses
    the grades.
    """
    from ranx import Qrels, Run, evaluate

    in_scope = [q for q in questions if not q.out_of_scope]
    if not in_scope or not runs:
        return {"means": {}, "per_query": {}, "p_values": {}, "t_test": {}}
    qrels = {"binary": Qrels.from_dict(answer_qrels(in_scope)), "graded": Qrels.from_dict(graded_qrels(in_scope))}
    metric_sets = {"binary": BINARY_METRICS, "graded": GRADED_METRICS}
    ids = sorted(q.id for q in in_scope)
    means: dict[str, dict[str, float]] = {name: {} for name in runs}
    per_query: dict[str, dict[str, dict[str, float]]] = {name: {} for name in runs}
    ctx = _quiet()
    try:
        for kind, metrics in metric_sets.items():
            for name, ranked in runs.items():
                d = ranked_run({qid: r for qid, r in ranked.items() if qid in set(ids)})
                run = Run.from_dict(d or {ids[0]: {"__none__": 0.0}}, name=name)
                run = run.make_comparable(qrels[kind])  # empty results for questions with no hits
                evaluate(qrels[kind], run, metrics, save_results_in_run=True)
                for m in metrics:
                    vals = {qid: float(run.scores[m].get(qid, 0.0)) for qid in ids}
                    means[name][m] = float(sum(vals.values()) / len(vals))
                    per_query[name][m] = vals
    finally:
        ctx.__exit__(None, None, None)
    p_values: dict[str, dict[str, float]] = {}
    t_test: dict[str, dict[str, float]] = {}
    if baseline in runs:
        for name in runs:
            if name == baseline:
                continue
            for m in METRICS:
                a = [per_query[baseline][m][q] for q in ids]
                b = [per_query[name][m][q] for q in ids]
                p_values.setdefault(name, {})[m] = paired_randomization(a, b, n_permutations, seed)
                t_test.setdefault(name, {})[m] = paired_t(a, b)
    return {"means": means, "per_query": per_query, "p_values": p_values, "t_test": t_test}


# ---------------------------------------------------------------- key facts


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    text = re.sub(r"[\u2010-\u2015]", "-", text)
    text = re.sub(r"[*_`#>]", " ", text)  # markdown emphasis in raw files
    return re.sub(r"\s+", " ", text).strip()


def key_fact_hit(key_fact: str, texts: list[str]) -> bool:
    """Case-insensitive substring of the key fact in any of the texts."""
    needle = normalise(key_fact)
    return bool(needle) and any(needle in normalise(t) for t in texts)


# ---------------------------------------------------------------- abstention


def abstention_scores(best: dict[str, float | None], oos: dict[str, bool], threshold: float) -> dict:
    """Abstain when the best cosine is below the threshold (answer()'s rule; no
    hits or no cosine also abstains). Positive class: out-of-scope."""
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


# ---------------------------------------------------------------- latency


def percentile(values: list[float], p: float) -> float | None:
    """Linear-interpolated percentile (numpy's default method)."""
    if not values:
        return None
    v = sorted(values)
    pos = (len(v) - 1) * p / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)


# ---------------------------------------------------------------- TREC files


def write_trec_qrels(path: Path, qrels: dict[str, dict[str, int]]) -> None:
    lines = [f"{qid} 0 {doc} {grade}" for qid in sorted(qrels) for doc, grade in sorted(qrels[qid].items())]
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_trec_run(path: Path, ranked: dict[str, list[str]], tag: str) -> None:
    lines = []
    tag = re.sub(r"\s+", "_", tag)
    for qid in sorted(ranked):
        ordered = sorted(ranked_run({qid: ranked[qid]}).get(qid, {}).items(), key=lambda x: -x[1])
        for rank, (doc, score) in enumerate(ordered, start=1):
            lines.append(f"{qid} Q0 {doc} {rank} {score:.1f} {tag}")
    Path(path).write_text("\n".join(lines) + ("\n" if lines else ""), encoding="utf-8")
