"""Scoring ranked lists against gold questions: qrels, ranx metrics, paired tests,
the key-fact check and percentiles.

Plain functions over dicts (ranx's own shape: ``{qid: {doc_id: score}}``), so
tests check them without a model. ranx is an optional dependency (the ``eval``
extra): it is imported inside the functions that need it, through ``ranx()``,
so ``import index`` works without it and a missing ranx is a one-line error.
"""

from __future__ import annotations

import math
import re
import unicodedata
import warnings

from .gold import Question

RECALL_KS = (1, 3, 5, 10)
BINARY_METRICS = [f"recall@{k}" for k in RECALL_KS] + ["mrr@10"]
GRADED_METRICS = ["ndcg@10"]
METRICS = BINARY_METRICS + GRADED_METRICS
LABELS = {"recall@1": "R@1", "recall@3": "R@3", "recall@5": "R@5", "recall@10": "R@10", "mrr@10": "MRR@10",
          "ndcg@10": "nDCG@10"}
ANSWER_GRADE = 2
N_PERMUTATIONS = 10_000


class MissingDependency(ValueError):
    """An optional package the evaluation needs is not installed; the message names the fix."""


def ranx():
    """The ranx module, or a one-line error saying how to install it."""
    try:
        import ranx as module
    except ImportError as e:
        raise MissingDependency("the evaluation needs ranx, which is not installed; install the eval extra: "
                                "pip install -e '.[eval]'") from e
    return module


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


def paired_randomization(a, b, n_permutations: int = N_PERMUTATIONS, seed: int = 42) -> float:
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

    ranx()
    from ranx.statistical_tests import paired_student_t_test

    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.size < 2 or np.allclose(a, b):
        return 1.0
    p, _ = paired_student_t_test(a, b, 0.05)
    return 1.0 if p != p else float(p)


def _per_query(questions: list[Question], runs: dict[str, dict[str, list[str]]]) -> dict:
    """{system: {metric: {qid: score}}} over the in-scope questions, by ranx."""
    rx = ranx()
    in_scope = [q for q in questions if not q.out_of_scope]
    qrels = {"binary": rx.Qrels.from_dict(answer_qrels(in_scope)),
             "graded": rx.Qrels.from_dict(graded_qrels(in_scope))}
    metric_sets = {"binary": BINARY_METRICS, "graded": GRADED_METRICS}
    ids = sorted(q.id for q in in_scope)
    per_query: dict[str, dict[str, dict[str, float]]] = {name: {} for name in runs}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for kind, metrics in metric_sets.items():
            for name, ranked in runs.items():
                d = ranked_run({qid: r for qid, r in ranked.items() if qid in set(ids)})
                run = rx.Run.from_dict(d or {ids[0]: {"__none__": 0.0}}, name=name)
                run = run.make_comparable(qrels[kind])  # empty results for questions with no hits
                rx.evaluate(qrels[kind], run, metrics, save_results_in_run=True)
                for m in metrics:
                    per_query[name][m] = {qid: float(run.scores[m].get(qid, 0.0)) for qid in ids}
    return per_query


def paired_p(per_query: dict, base: str, other: str, metric: str, n_permutations: int = N_PERMUTATIONS) -> float:
    """Randomisation p-value of ``other`` against ``base`` on one metric, question by question."""
    ids = sorted(per_query[other][metric])
    return paired_randomization([per_query[base][metric][q] for q in ids],
                                [per_query[other][metric][q] for q in ids], n_permutations)


def score_runs(questions: list[Question], runs: dict[str, dict[str, list[str]]],
               n_permutations: int = N_PERMUTATIONS, baseline: str | None = None, seed: int = 42) -> dict:
    """Mean metrics per system (ranx), per-query scores, and paired p-values
    against ``baseline`` (Fisher randomisation, and ranx's paired t-test).

    Recall@k and MRR@10 use ``answer_qrels`` (grade-2 chunks); nDCG@10 uses
    the grades.
    """
    in_scope = [q for q in questions if not q.out_of_scope]
    if not in_scope or not runs:
        return {"means": {}, "per_query": {}, "p_values": {}, "t_test": {}}
    per_query = _per_query(questions, runs)
    ids = sorted(q.id for q in in_scope)
    means = {name: {m: float(sum(v.values()) / len(v)) for m, v in pq.items()} for name, pq in per_query.items()}
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


def percentile(values: list[float], p: float) -> float | None:
    """Linear-interpolated percentile (numpy's default method)."""
    if not values:
        return None
    v = sorted(values)
    pos = (len(v) - 1) * p / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)


def hit_at(questions: list[Question], ranked: dict[str, list[str]], n: int = 3) -> float | None:
    """Share of in-scope questions with a relevant chunk in the top n."""
    ins = [q for q in questions if not q.out_of_scope]
    if not ins:
        return None
    return sum(bool(set(ranked.get(q.id, [])[:n]) & set(q.relevant)) for q in ins) / len(ins)
