"""Which signal could tell "nothing here answers this" apart: ``python -m evals.signals``.

Issue #10 asks for refusal with precision >= 0.95 and recall >= 0.85 on the
out-of-scope questions, while wrongly refusing at most 2% of answerable ones.
The shipped rule refuses when the cross-encoder's best passage logit is below
``refuse_below``. This study asks whether any signal the installed models give,
alone or combined, could do better, so the gap is measured rather than guessed.

For every question of a gold set it records, with refusal switched off so that
nothing is hidden: the cross-encoder logits of the top passages, the dense
cosines, the BM25 scores, the scores of the best answering sentences, and the
question's length. Each signal (and a logistic regression over all of them) gets
its threshold on the dev split — the highest one that wrongly refuses at most 2%
of dev's answerable questions — and is then scored on the test split.

It also measures where key points go wrong: for answerable test questions, how
often the gold ``answer`` appears somewhere in the top three passages, against
how often the first key point states it (with the key-point bar off, so the
first key point is the best-scoring sentence even where the app would show none).

Writes ``signals.md`` and ``signals.json`` to ``--out`` (default evals/reports).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import numpy as np

import index

MAX_WRONGLY_REFUSED = 0.02
FEATURES = ("ce_top", "ce_second", "ce_mean3", "ce_margin", "dense_top", "dense_mean3", "bm25_top",
            "sentence_top", "sentence_second", "question_words")
NEVER = -1e9  # a threshold no score falls below: refusal and the key-point bar switched off


def _pad(xs: list[float], n: int, fill: float) -> list[float]:
    return list(xs[:n]) + [fill] * max(0, n - len(xs))


def features(result) -> list[float]:
    """The refusal signals of one answer computed with refusal off (see module docstring)."""
    ce = _pad([h.score for h in result.hits], 3, -12.0)
    dense = _pad([h.dense for h in result.hits if h.dense is not None], 3, 0.0)
    bm25 = [h.keyword for h in result.hits if h.keyword is not None] or [0.0]
    sent = _pad([k.score for k in result.key_points], 2, -12.0)
    return [ce[0], ce[1], float(np.mean(ce)), ce[0] - ce[1], dense[0], float(np.mean(dense)), max(bm25),
            sent[0], sent[1], float(len(result.query.split()))]


def collect(kb, questions) -> list[dict]:
    """One row per question: its split, whether it is out of scope, its signals and key-point checks."""
    rows = []
    for n, q in enumerate(questions, start=1):
        result = index.answer(kb, q.question)
        pattern = re.compile(q.answer, re.IGNORECASE) if q.answer else None
        rows.append({"id": q.id, "split": q.split, "out_of_scope": q.out_of_scope, "x": features(result),
                     "answer_in_top3": bool(pattern and any(pattern.search(h.chunk.text) for h in result.hits[:3])),
                     "first_key_point": bool(pattern and result.key_points
                                             and pattern.search(result.key_points[0].text))})
        if n % 25 == 0:
            print(f"  {n}/{len(questions)} questions", file=sys.stderr, flush=True)
    return rows


def _rates(refuse: np.ndarray, oos: np.ndarray) -> dict:
    caught = int((refuse & oos).sum())
    return {"precision": round(caught / max(int(refuse.sum()), 1), 3), "recall": round(caught / max(int(oos.sum()), 1), 3),
            "wrongly_refused": round(int((refuse & ~oos).sum()) / max(int((~oos).sum()), 1), 3)}


def calibrated(dev_scores: np.ndarray, dev_oos: np.ndarray, test_scores: np.ndarray, test_oos: np.ndarray) -> dict:
    """Refuse when a score is *above* the threshold (callers negate signals where high means relevant).
    The threshold is the dev quantile that leaves at most 2% of dev's answerable questions above it."""
    threshold = float(np.quantile(dev_scores[~dev_oos], 1 - MAX_WRONGLY_REFUSED))
    return {"dev": _rates(dev_scores > threshold, dev_oos), "test": _rates(test_scores > threshold, test_oos)}


def _logistic(x_dev: np.ndarray, y_dev: np.ndarray, x_test: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    try:
        from sklearn.linear_model import LogisticRegression
        from sklearn.preprocessing import StandardScaler
    except ImportError:  # scikit-learn comes with sentence-transformers; skip the row if it is absent
        return None
    scale = StandardScaler().fit(x_dev)
    model = LogisticRegression(max_iter=1000).fit(scale.transform(x_dev), y_dev)
    return model.decision_function(scale.transform(x_dev)), model.decision_function(scale.transform(x_test))


def study(rows: list[dict]) -> dict:
    split = {s: [r for r in rows if r["split"] == s] for s in ("dev", "test")}
    x = {s: np.array([r["x"] for r in split[s]]) for s in split}
    y = {s: np.array([r["out_of_scope"] for r in split[s]], dtype=bool) for s in split}
    signals = {}
    for i, name in enumerate(FEATURES[:-1]):  # high values mean "relevant", so refuse on the negated score
        signals[name] = calibrated(-x["dev"][:, i], y["dev"], -x["test"][:, i], y["test"])
    combined = _logistic(x["dev"], y["dev"], x["test"])
    if combined is not None:
        signals["logistic regression, all signals"] = calibrated(combined[0], y["dev"], combined[1], y["test"])
    answerable = [r for r in split["test"] if not r["out_of_scope"]]
    return {"signals": signals, "questions": {s: len(split[s]) for s in split},
            "key_points": {"answerable_test_questions": len(answerable),
                           "answer_in_top3_passages": round(np.mean([r["answer_in_top3"] for r in answerable]), 3),
                           "first_key_point_states_it": round(np.mean([r["first_key_point"] for r in answerable]), 3)}}


def markdown(result: dict, command: str, gold: Path) -> str:
    lines = ["# Refusal signals and key points", "", f"Made by `{command}` on `{gold}` "
             f"({result['questions']['dev']} dev, {result['questions']['test']} test questions). Each threshold is "
             f"chosen on dev (at most {MAX_WRONGLY_REFUSED:.0%} of answerable dev questions refused) and scored on test.",
             "", "| Signal | Test precision | Test recall | Test wrongly refused | Dev recall |", "|---|---|---|---|---|"]
    for name, r in result["signals"].items():
        t = r["test"]
        lines.append(f"| {name} | {t['precision']:.3f} | {t['recall']:.3f} | {t['wrongly_refused']:.3f} | "
                     f"{r['dev']['recall']:.3f} |")
    k = result["key_points"]
    lines += ["", "Target (issue #10): precision >= 0.95 and recall >= 0.85, wrongly refused <= 0.02.", "",
              f"Key points, {k['answerable_test_questions']} answerable test questions: the gold answer is in the top "
              f"three passages for {k['answer_in_top3_passages']:.3f}; the first key point states it for "
              f"{k['first_key_point_states_it']:.3f}.", ""]
    return "\n".join(lines)


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(index.PROJECT_ROOT))
    except ValueError:
        return str(path)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evals.signals", description=__doc__.split("\n\n")[0])
    ap.add_argument("--gold", type=Path, default=index.PROJECT_ROOT / "evals" / "gold" / "notes.jsonl")
    ap.add_argument("--out", type=Path, default=index.PROJECT_ROOT / "evals" / "reports")
    args = ap.parse_args(argv)
    try:
        questions = index.load_gold(args.gold)
        settings = index.load_settings()
        kb = index.load(settings)
    except (ValueError, index.IndexError_, index.ModelError) as e:  # bad gold file, settings, no index
        print(f"error: {e}", file=sys.stderr)
        return 2
    kb.settings = settings.replace(refuse_below=NEVER, key_point_min=NEVER)
    result = study(collect(kb, questions))
    command = " ".join(["python -m evals.signals", *(argv if argv is not None else sys.argv[1:])])
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "signals.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    text = markdown(result, command, _shown(args.gold))
    (args.out / "signals.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
