"""TREC files for anyone who wants to recompute the figures with trec_eval or ranx.

Written by ranx itself (``Qrels.save`` / ``Run.save`` with ``kind="trec"``), so
the files are exactly what ranx reads back: ``qrels.txt`` holds the graded
judgements (use ``-l 2`` in trec_eval for the Recall/MRR definition of the
report) and ``run-<system>.txt`` each system's ranking of the in-scope questions.
"""

from __future__ import annotations

from pathlib import Path

from .gold import Question
from .scoring import graded_qrels, ranked_run, ranx


def write_trec(folder: Path, scored: list[Question], ranked: dict[str, dict[str, list[str]]]) -> None:
    """qrels.txt and run-<system>.txt in ``folder`` for the in-scope questions of ``scored``."""
    rx = ranx()
    folder.mkdir(parents=True, exist_ok=True)
    in_scope = [q for q in scored if not q.out_of_scope]
    qrels = graded_qrels(in_scope)
    path = folder / "qrels.txt"
    if qrels:
        rx.Qrels.from_dict(qrels).save(str(path), kind="trec")
    else:
        path.write_text("", encoding="utf-8")
    ids = {q.id for q in in_scope}
    for name, per_question in ranked.items():
        run = ranked_run({q: v for q, v in sorted(per_question.items()) if q in ids})
        path = folder / f"run-{name}.txt"
        if run:
            rx.Run.from_dict(run, name=name).save(str(path), kind="trec")
        else:  # ranx cannot build a run with no results
            path.write_text("", encoding="utf-8")
