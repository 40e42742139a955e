"""Answer-level evaluation: what a practitioner sees, not only the ranking.

``index.answer()`` is run on every question once, keeping the raw signals
(every candidate passage's cross-encoder logit, every scored sentence), so the
refusal threshold and the key-point bar can be calibrated on the dev split by
replaying the decision rule without re-running the model:

* **first key point states the answer**: the gold ``answer`` regex matches the
  first key point (an abstention or no key point counts as a miss);
* **some key point among the first three** states it;
* **refusal** precision and recall on out-of-scope questions, and the share of
  in-scope questions wrongly refused;
* **ranking**: nDCG@10 of the passages in the answer's order (reranked), with a
  paired randomisation test against the previous default (hybrid + acronyms,
  no reranking);
* for sets judged by paragraph label, **answer in top 3** (a top-3 passage
  cites a gold paragraph) and **right paragraph cited** (the first key point's,
  or with none the first passage's, citation holds a gold paragraph).

Calibration rules (dev split only; evals/README.md explains the choice):

* ``refuse_below``: among thresholds that keep in-scope dev questions wrongly
  refused at or below 2%, the one with the highest refusal F1 on dev.
* ``key_point_min``: the highest bar whose dev first-key-point rate is within
  0.01 of the best rate over all bars; a higher bar hides more weak sentences.
"""

from __future__ import annotations

import dataclasses
import re
import time

from .gold import Question, chunk_labels
from .scoring import hit_at, paired_p, percentile, score_runs
from .systems import clear_query_cache

MAX_WRONG_REFUSALS = 0.02
MAX_OOS_ANSWERED = 0.10  # out-of-scope questions answered outright (the rest uncertain or refused)
MIN_EXTRA_PRECISION = 0.5  # share of second and third blocks that must be on topic (by the gold grades)


@dataclasses.dataclass
class Record:
    """Everything the decision rules need for one question."""
    qid: str
    ranked: list[str]  # chunk ids in the answer's order
    paragraphs: list[list[str]]  # the labels each ranked passage answers to (gold.chunk_labels)
    relevance: float | None
    sentences: list[tuple[float, str, str, list[str]]]  # (score, text, chunk id, paragraphs), best first
    latency_ms: float | None
    cosine: float | None = None  # best cosine among the top k passages
    passage_logits: list[float] = dataclasses.field(default_factory=list)  # per sentence, its passage's logit


def _paras(hit) -> list[str]:
    return chunk_labels(hit.chunk)  # paragraph labels and the locator, as gold labels name passages


def collect(kb, questions: list[Question], tick=None, timed: bool = True) -> dict[str, Record]:
    """Run the answer steps once per question with the bar and threshold at
    their lowest, so every later decision can be replayed from the record; with
    ``timed``, also time one answer() at the shipped settings. ``sentences``
    holds the scored answer blocks (paragraphs), best first: the first few as
    answer() would show them (trimmed around their highlight), the rest whole."""
    from index.answer import answer, as_key_point, rerank_hits, rerank_question
    from index.paragraph_rank import scored_paragraphs
    from index.retrieve import prepare_query
    from index.answer import reranker_for

    s = kb.settings
    probe = kb.settings.replace(refuse_below=float("-inf"), key_point_min=float("-inf"))
    out: dict[str, Record] = {}
    for i, q in enumerate(questions, start=1):
        latency = None
        if timed:
            clear_query_cache(kb.embedder)
            t0 = time.perf_counter()
            answer(kb, q.question)  # timed at the shipped settings
            latency = (time.perf_counter() - t0) * 1000
        kb.settings = probe
        try:
            prepared = prepare_query(q.question, probe, kb.glossary)
            hits = kb.search(prepared, max(s.k, s.rerank_candidates))
            blocks = []
            if hits:
                question = rerank_question(prepared, probe)
                hits, logits = rerank_hits(kb, question, hits)
                for j, sp in enumerate(scored_paragraphs(reranker_for(kb), probe, question, hits)):
                    long = j < 4 and len(sp.para.text) > probe.answer_block_chars  # only then is it trimmed
                    text = as_key_point(kb, question, sp).text if long else sp.para.text
                    label = [sp.para.label] if sp.para.label else _paras(sp.hit)
                    blocks.append((sp.score, text, sp.hit.chunk.chunk_id, label, float(sp.hit.score)))
            else:
                logits = []
        finally:
            kb.settings = s
        cos = [h.dense for h in hits[:s.k] if h.dense is not None]
        out[q.id] = Record(q.id, [h.chunk.chunk_id for h in hits], [_paras(h) for h in hits],
                           float(logits[0]) if len(logits) else None,
                           [b[:4] for b in blocks], latency, max(cos) if cos else None, [b[4] for b in blocks])
        if tick:
            tick(i)
    return out


# ---------------------------------------------------------------- replaying the rules


def refused(r: Record, threshold: float) -> bool:
    return r.relevance is None or r.relevance < threshold


def key_points(r: Record, bar: float, n: int = 3, margin: float = float("inf")) -> list[tuple[str, list[str]]]:
    """The answer blocks answer() would show at this bar and margin: (text, paragraphs)
    (index.answer.pick_blocks: the first, then only those within ``margin`` of it)."""
    from index.answer import near_duplicate

    picked: list[tuple[str, list[str]]] = []
    first = None
    for score, text, cid, paras in r.sentences:
        if score < bar or len(picked) == n or (first is not None and score < first - margin):
            break
        if any(near_duplicate(text, t) for t, _ in picked):
            continue
        first = score if first is None else first
        picked.append((text, paras))
    return picked


def confidence(r: Record, threshold: float, above: float) -> str:
    if refused(r, threshold):
        return "refused"
    return "uncertain" if r.relevance < above else "answered"


def states(pattern: str, text: str) -> bool:
    return bool(pattern) and re.search(pattern, text, flags=re.IGNORECASE) is not None


def score_answers(questions: list[Question], recs: dict[str, Record], threshold: float, bar: float,
                  margin: float = float("inf"), above: float | None = None) -> dict:
    """Answer-block, refusal, confidence and citation rates at one threshold, bar, margin and
    ``answer_above`` (None: nothing is uncertain)."""
    above = threshold if above is None else above
    ins = [q for q in questions if not q.out_of_scope]
    oos = [q for q in questions if q.out_of_scope]
    with_answer = [q for q in ins if q.answer]
    first = top3 = 0
    for q in with_answer:
        r = recs[q.id]
        kps = [] if refused(r, threshold) else key_points(r, bar, 3, margin)
        first += bool(kps) and states(q.answer, kps[0][0])
        top3 += any(states(q.answer, t) for t, _ in kps[:3])
    wrong = sum(refused(recs[q.id], threshold) for q in ins)
    right = sum(refused(recs[q.id], threshold) for q in oos)
    prec = right / (right + wrong) if right + wrong else None
    rec = right / len(oos) if oos else None
    f1 = 2 * prec * rec / (prec + rec) if prec and rec else 0.0
    out = {"refuse_below": threshold, "key_point_min": bar, "in_scope": len(ins), "with_answer": len(with_answer),
           "out_of_scope": len(oos),
           "first_key_point": first / len(with_answer) if with_answer else None,
           "key_point_top3": top3 / len(with_answer) if with_answer else None,
           "refusal_precision": prec, "refusal_recall": rec, "refusal_f1": f1,
           "wrongly_refused": wrong / len(ins) if ins else None, "wrongly_refused_n": wrong,
           "no_key_point": sum(not key_points(recs[q.id], bar) and not refused(recs[q.id], threshold)
                               for q in ins),
           "answer_above": above, "answer_block_margin": margin,
           "in_scope_uncertain": _share(ins, recs, threshold, above, "uncertain"),
           "out_of_scope_answered": _share(oos, recs, threshold, above, "answered"),
           "blocks_shown": _mean_blocks(ins, recs, threshold, bar, margin)}
    labelled = [q for q in ins if q.labels]
    if labelled:
        out.update(_label_scores(labelled, recs, threshold, bar, margin))
    lat = [r.latency_ms for r in recs.values() if r.latency_ms is not None]
    out["latency_ms"] = {"p50": percentile(lat, 50), "p95": percentile(lat, 95), "n": len(lat)}
    return out


def _share(qs: list[Question], recs: dict[str, Record], threshold: float, above: float, outcome: str):
    return sum(confidence(recs[q.id], threshold, above) == outcome for q in qs) / len(qs) if qs else None


def _mean_blocks(qs: list[Question], recs: dict[str, Record], threshold: float, bar: float, margin: float):
    shown = [len(key_points(recs[q.id], bar, 3, margin)) for q in qs if not refused(recs[q.id], threshold)]
    return sum(shown) / len(shown) if shown else None


def _label_scores(qs: list[Question], recs: dict[str, Record], threshold: float, bar: float,
                  margin: float = float("inf")) -> dict:
    """Judged by paragraph label (compared as strings); ``paragraph_top3``: one of the
    first three scored paragraphs is a gold one (the blocks answer() can show)."""
    top3 = cited = fact = para3 = 0
    for q in qs:
        r = recs[q.id]
        gold = {str(x) for x in q.labels}
        top3 += any(gold & set(p) for p in r.paragraphs[:3])
        para3 += any(gold & set(p) for *_, p in r.sentences[:3])
        if refused(r, threshold):
            continue
        kps = key_points(r, bar, 3, margin)
        where = kps[0][1] if kps else (r.paragraphs[0] if r.paragraphs else [])
        cited += bool(gold & set(where))
        fact += any(states(q.answer, t) for t, _ in kps[:3])
    n = len(qs)
    return {"label_questions": n, "answer_top3": top3 / n, "right_paragraph_cited": cited / n,
            "paragraph_top3": para3 / n,
            "key_fact_in_key_points": fact / n}


# ---------------------------------------------------------------- calibration


def _candidates(values: list[float]) -> list[float]:
    v = sorted(set(round(x, 3) for x in values))
    if not v:
        return [0.0]
    return [v[0] - 0.01] + [(a + b) / 2 for a, b in zip(v, v[1:])] + [v[-1] + 0.01]


def calibrate(dev: list[Question], recs: dict[str, Record], default_threshold: float, default_bar: float) -> dict:
    """refuse_below and key_point_min from the dev split (rules in the module docstring)."""
    ins = [q for q in dev if not q.out_of_scope]
    oos = [q for q in dev if q.out_of_scope]
    result = {"questions": len(dev), "in_scope": len(ins), "out_of_scope": len(oos)}
    threshold = default_threshold
    if ins and oos:
        rel = [recs[q.id].relevance for q in dev if recs[q.id].relevance is not None]
        best = None
        for t in _candidates(rel):
            sc = score_answers(dev, recs, t, default_bar)
            if sc["wrongly_refused"] <= MAX_WRONG_REFUSALS:
                key = (sc["refusal_f1"], sc["refusal_recall"] or 0.0, -t)
                if best is None or key > best[0]:
                    best = (key, t)
        if best:
            threshold = round(best[1], 2)
    result["refuse_below"] = threshold
    bar = default_bar
    scores = [s for q in ins for s, *_ in recs[q.id].sentences[:12]]
    if ins and scores:
        grid = [round(x, 2) for x in sorted(set(round(v, 1) for v in scores))]
        rates = [(b, score_answers(dev, recs, threshold, b)["first_key_point"] or 0.0) for b in grid]
        top = max(r for _, r in rates)
        bar = max(b for b, r in rates if r >= top - 0.01)
        result["first_key_point_best"] = top
    result["key_point_min"] = bar
    result["answer_above"] = above = _calibrate_above(dev, recs, threshold)
    result["answer_block_margin"] = margin = _calibrate_margin(ins, recs, threshold, bar)
    result["dev"] = score_answers(dev, recs, threshold, bar, margin, above)
    return result


def _calibrate_above(dev: list[Question], recs: dict[str, Record], threshold: float) -> float:
    """The lowest ``answer_above`` at which at most MAX_OOS_ANSWERED of out-of-scope dev questions are
    answered outright (the rest are uncertain or refused); a lower one would sound sure more often."""
    rel = [recs[q.id].relevance for q in dev if recs[q.id].relevance is not None]
    for t in [c for c in _candidates(rel) if c >= threshold]:
        if (score_answers(dev, recs, threshold, float("-inf"), above=t)["out_of_scope_answered"] or 0) \
                <= MAX_OOS_ANSWERED:
            return round(t, 2)
    return round(max(rel, default=threshold) + 0.01, 2)


def block_relevant(q: Question, cid: str, paras: list[str]) -> bool:
    """A block is on topic when its chunk is graded (1 or 2) or it cites a gold paragraph."""
    return q.relevant.get(cid, 0) > 0 or bool({str(x) for x in q.labels} & set(paras))


def extra_precision(qs: list[Question], recs: dict[str, Record], threshold: float, bar: float,
                    margin: float) -> tuple[float | None, int]:
    """Of the second and third blocks shown at this margin, the share that is on topic (and how many)."""
    good = shown = 0
    for q in qs:
        r = recs[q.id]
        if refused(r, threshold):
            continue
        n = len(key_points(r, bar, 3, margin))
        picked = [b for b in r.sentences][:n]  # key_points keeps score order; near-duplicates are rare
        for _, _, cid, paras in picked[1:]:
            shown += 1
            good += block_relevant(q, cid, paras)
    return (good / shown if shown else None), shown


def _calibrate_margin(ins: list[Question], recs: dict[str, Record], threshold: float, bar: float) -> float:
    """The widest margin whose extra blocks are on topic at least MIN_EXTRA_PRECISION of the time on dev."""
    best = 0.0
    for m in (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0):
        prec, shown = extra_precision(ins, recs, threshold, bar, m)
        if shown and prec is not None and prec >= MIN_EXTRA_PRECISION:
            best = m
    return best


# ---------------------------------------------------------------- ranking


def ranking(questions: list[Question], recs: dict[str, Record], baseline: dict[str, list[str]],
            n_permutations: int = 10_000) -> dict:
    """nDCG@10 and friends for the answer's order, with a paired test against
    ``baseline`` (ranked ids per question, the previous default)."""
    runs = {"answer": {q: r.ranked[:10] for q, r in recs.items()}, "previous": baseline}
    sc = score_runs(questions, runs)
    out = {"answer": {m: round(v, 4) for m, v in sc["means"]["answer"].items()},
           "previous": {m: round(v, 4) for m, v in sc["means"]["previous"].items()}}
    out["p_ndcg@10"] = round(paired_p(sc["per_query"], "previous", "answer", "ndcg@10", n_permutations), 4)
    return out


# ---------------------------------------------------------------- one gold set


def evaluate_set(kb, scored: list[Question], dev: list[Question], previous: dict[str, list[str]],
                 progress, label: str) -> dict:
    """The answer-level section of the report for one gold set: calibrate on
    ``dev`` (when given), score ``scored`` at the calibrated values and at the
    shipped ones, and compare the ranking with ``previous``."""
    s = kb.settings
    out: dict = {"shipped": {"refuse_below": s.refuse_below, "key_point_min": s.key_point_min,
                             "answer_above": s.answer_above, "answer_block_margin": s.answer_block_margin,
                             "rerank_candidates": s.rerank_candidates, "key_point_passages": s.key_point_passages}}
    if not s.rerank:
        out["note"] = "settings.rerank is off: the answer rules are the cosine ones; nothing to calibrate."
        return out
    if dev:
        drec = collect(kb, dev, tick=lambda i: progress(f"{label}: answers (dev)", i, len(dev)), timed=False)
        out["calibration"] = calibrate(dev, drec, s.refuse_below, s.key_point_min)
    recs = collect(kb, scored, tick=lambda i: progress(f"{label}: answers", i, len(scored)))
    out["at_shipped"] = score_answers(scored, recs, s.refuse_below, s.key_point_min, s.answer_block_margin,
                                      s.answer_above)
    if dev:
        cal = out["calibration"]
        out["at_calibrated"] = score_answers(scored, recs, cal["refuse_below"], cal["key_point_min"],
                                             cal["answer_block_margin"], cal["answer_above"])
    if any(not q.out_of_scope for q in scored):
        out["ranking"] = ranking(scored, recs, previous)
        out["ranking"]["answer"]["hit@3"] = hit_at(scored, {q: r.ranked for q, r in recs.items()})
        out["ranking"]["previous"]["hit@3"] = hit_at(scored, previous)
    out["per_question"] = {}
    for q in scored:
        r = recs[q.id]
        no = refused(r, s.refuse_below)
        kps = [] if no else key_points(r, s.key_point_min, s.key_points, s.answer_block_margin)
        out["per_question"][q.id] = {"relevance": r.relevance, "refused": no,
                                     "confidence": confidence(r, s.refuse_below, s.answer_above),
                                     "first_key_point": kps[0][0] if kps else "",
                                     "states_answer": bool(kps) and states(q.answer, kps[0][0])}
    return out
