"""The evaluation runner: gold checks, scoring parity with ranx, the node
mapping, abstention calibration, the reranker, and an end-to-end run on the
fixture PDF with the real model, FAISS and bm25s."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from evals.systems import map_nodes_to_gold
from index.evaluation.abstention import abstention_scores, calibrate_threshold
from index.evaluation.gold import Question, load_gold
from index.evaluation.scoring import key_fact_hit, paired_randomization, percentile, score_runs
from index.evaluation.systems import Retrieved
from ingest.config import PROJECT_ROOT

FIXTURE_GOLD = PROJECT_ROOT / "evals" / "gold" / "fixture.jsonl"
FAST = ["bm25", "dense", "hybrid"]


# ---------------------------------------------------------------- gold files


def _write(path: Path, rows) -> Path:
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


GOOD = {"id": "q1", "question": "what is a LADO?", "relevant": {"doc:a#1": 2}, "key_fact": "allegations",
        "out_of_scope": False, "split": "dev", "tags": ["acronym"]}


def test_gold_loads_and_checks(tmp_path):
    qs = load_gold(_write(tmp_path / "g.jsonl", [GOOD, {**GOOD, "id": "q2", "relevant": {}, "out_of_scope": True,
                                                        "key_fact": "", "split": "test"}]))
    assert [q.id for q in qs] == ["q1", "q2"] and qs[0].relevant == {"doc:a#1": 2} and qs[1].out_of_scope


@pytest.mark.parametrize("row, message", [
    ("{not json", "line 1: not valid JSON"),
    ({**GOOD, "question": " "}, "'question'"),
    ({**GOOD, "relevant": {"doc:a#1": 5}}, "'relevant'"),
    ({**GOOD, "relevant": {}}, "needs at least one relevant chunk"),
    ({**GOOD, "out_of_scope": True}, "cannot have relevant chunks"),
    ({**GOOD, "split": "train"}, "'split'"),
])
def test_gold_errors_name_the_file_and_line(tmp_path, row, message):
    path = _write(tmp_path / "bad.jsonl", [row])
    with pytest.raises(ValueError) as e:
        load_gold(path)
    assert str(path) in str(e.value) and message in str(e.value) and "\n" not in str(e.value)


def test_duplicate_ids_and_empty_and_missing_files(tmp_path):
    with pytest.raises(ValueError, match="duplicate id 'q1'"):
        load_gold(_write(tmp_path / "dup.jsonl", [GOOD, GOOD]))
    with pytest.raises(ValueError, match="holds no questions"):
        load_gold(_write(tmp_path / "empty.jsonl", [""]))
    with pytest.raises(ValueError, match="gold file not found"):
        load_gold(tmp_path / "missing.jsonl")


def test_main_rejects_a_missing_gold_file_before_any_work(tmp_path, settings_for):
    from index import evaluate as main

    missing = tmp_path / "nope.jsonl"
    with pytest.raises(ValueError, match=str(missing)):
        main(settings_for(tmp_path), gold=[missing], out_dir=tmp_path / "out")
    with pytest.raises(ValueError, match="unknown system 'bm26'"):
        main(settings_for(tmp_path), gold=[missing], out_dir=tmp_path / "out", systems=["bm26"])
    assert not (tmp_path / "out" / "report.md").exists()


# ---------------------------------------------------------------- pure scoring


def test_key_fact_and_percentile():
    assert key_fact_hit("Five Working Days", ["tells the panel within five\nworking days."])
    assert key_fact_hit("child\u2019s words", ["in the child's words"])
    assert not key_fact_hit("", ["anything"]) and not key_fact_hit("ten days", ["five days"])
    assert percentile([], 50) is None
    assert percentile([1, 2, 3, 4], 50) == 2.5 and percentile([10.0], 95) == 10.0


def test_calibration_separates_clean_scores():
    best = {"a": 0.71, "b": 0.64, "c": 0.58, "x": 0.21, "y": 0.29, "z": None}
    oos = {"a": False, "b": False, "c": False, "x": True, "y": True, "z": True}
    cal = calibrate_threshold(best, oos, default=0.30)
    assert cal["calibrated"] and 0.29 < cal["threshold"] < 0.58
    assert cal["f1"] == 1.0 and cal["precision"] == 1.0 and cal["recall"] == 1.0
    at_default = abstention_scores(best, oos, 0.30)
    assert (at_default["tp"], at_default["fp"], at_default["fn"], at_default["tn"]) == (3, 0, 0, 3)
    assert calibrate_threshold(best, {k: False for k in oos}, 0.3)["calibrated"] is False


def test_randomization_test_matches_exact_enumeration():
    a = [0.9, 0.8, 1.0, 0.7, 0.6, 1.0, 0.5, 0.9, 0.8, 0.95]
    b = [0.5, 0.7, 0.4, 0.7, 0.3, 0.8, 0.6, 0.2, 0.4, 0.6]
    d = [x - y for x, y in zip(a, b)]
    obs = abs(sum(d) / len(d))
    exact = sum(abs(sum(s * x for s, x in zip(signs, d)) / len(d)) >= obs - 1e-12
                for signs in itertools.product((1, -1), repeat=len(d))) / 2 ** len(d)
    p = paired_randomization(a, b, 20_000, seed=1)
    assert abs(p - exact) < 0.01
    assert p == paired_randomization(a, b, 20_000, seed=1)  # seeded: the same every run
    assert paired_randomization(a, a) == 1.0


def test_node_mapping_credits_overlap_once():
    chunk = ("The local authority designated officer manages allegations against adults who work with "
             "children and gives advice to employers.")
    gold_text = {"doc-a:x#1": ("doc-a", chunk), "doc-a:y#1": ("doc-a", "Completely different words about "
                                                                       "child death review partners meeting.")}
    relevant = {"doc-a:x#1": 2, "doc-a:y#1": 1}
    big = "## Heading\n\nSome intro text. " + chunk.replace("officer", "**officer**") + " More text follows here."
    nodes = [Retrieved("li:1", 0.9, big, 0.9, "doc-a"),
             Retrieved("li:2", 0.8, big, 0.8, "doc-a"),  # covers the same chunk: no second credit
             Retrieved("li:3", 0.7, chunk, 0.7, "doc-b")]  # same text, other file: no credit
    mapped = map_nodes_to_gold(nodes, relevant, gold_text)
    assert [m.doc_id for m in mapped] == ["doc-a:x#1", "li:2", "li:3"]


# ---------------------------------------------------------------- ranx parity (numba)


@pytest.mark.slow
def test_ranx_scores_match_a_hand_computation():
    import math

    from ranx import Qrels, Run, evaluate

    qs = [Question("q1", "?", {"d1": 2, "d2": 1}), Question("q2", "?", {"d3": 2}),
          Question("q3", "?", {}, out_of_scope=True)]
    runs = {"sys": {"q1": ["x", "d2", "d1"], "q2": ["y", "z", "w", "v", "d3"], "q3": ["d1"]}}
    got = score_runs(qs, runs)["means"]["sys"]
    # q1: answers {d1} at rank 3; q2: answer d3 at rank 5.
    assert got["recall@1"] == 0.0 and got["recall@3"] == 0.5 and got["recall@5"] == 1.0
    assert got["mrr@10"] == pytest.approx((1 / 3 + 1 / 5) / 2)
    # nDCG@10 with linear gains: q1 DCG = 1/log2(3) + 2/log2(4); IDCG = 2 + 1/log2(3). q2 = (2/log2(6)) / 2.
    q1 = (1 / math.log2(3) + 2 / 2) / (2 + 1 / math.log2(3))
    q2 = (2 / math.log2(6)) / 2
    assert got["ndcg@10"] == pytest.approx((q1 + q2) / 2, abs=1e-9)
    direct = evaluate(Qrels.from_dict({"q1": {"d1": 2, "d2": 1}, "q2": {"d3": 2}}),
                      Run.from_dict({"q1": {"x": 3, "d2": 2, "d1": 1},
                                     "q2": {"y": 5, "z": 4, "w": 3, "v": 2, "d3": 1}}),
                      "ndcg@10")
    assert got["ndcg@10"] == pytest.approx(float(direct))


@pytest.mark.slow
def test_our_randomization_agrees_with_ranx_fisher():
    import numpy as np
    from ranx.statistical_tests import fisher_randomization_test

    rng = np.random.default_rng(3)
    a = rng.random(40)
    b = a - 0.08 + rng.normal(0, 0.2, 40)
    ours = paired_randomization(a, b, 20_000)
    theirs, _ = fisher_randomization_test(a, b, 20_000, 0.05, 42)
    assert abs(ours - theirs) < 0.03


# ---------------------------------------------------------------- reranker (real model)


@pytest.mark.slow
def test_reranker_puts_the_relevant_passage_first():
    from index.rerank import Reranker
    from index.retrieve import Hit
    from ingest.records import Chunk, DocMeta

    meta = DocMeta(doc_id="d", title="t")

    def hit(cid, text, rank, dense):
        return Hit(Chunk(cid, meta, "1", "c", (), (), (), text, 0, len(text)), score=1.0 / rank, dense=dense, rank=rank)

    irrelevant = hit("d:1", "Safeguarding partners publish a yearly report describing what they learned.", 1, 0.41)
    relevant = hit("d:2", "The local authority designated officer (LADO) manages allegations that an adult who "
                          "works with children has harmed a child, and advises employers.", 2, 0.52)
    q = "Who deals with an allegation that a teacher hurt a pupil?"
    out = Reranker().rerank(q, [irrelevant, relevant])
    assert [h.chunk.chunk_id for h in out] == ["d:2", "d:1"]
    assert [h.rank for h in out] == [1, 2] and out[0].score > out[1].score and 0 < out[1].score < 1
    assert out[0].dense == 0.52 and irrelevant.rank == 1  # cosine kept; inputs not mutated
    assert Reranker().rerank(q, []) == []


# ---------------------------------------------------------------- end to end (real model)


@pytest.mark.slow
def test_eval_runs_on_the_fixture(tmp_path, settings_for):
    if not FIXTURE_GOLD.exists():
        pytest.skip(f"{FIXTURE_GOLD} has not been written yet")
    from ranx import Qrels, Run, evaluate

    import index
    from index import evaluate as main

    settings = settings_for(tmp_path / "unused-corpus", onnx_query_encoder=False)
    out = tmp_path / "reports"
    steps = []
    report = main(settings, gold=[FIXTURE_GOLD], out_dir=out, systems=FAST,
                  progress=lambda stage, done, total: steps.append(stage))
    assert steps
    for name in ["report.md", "report.json", "latest.json", "qrels.txt", *[f"run-{s}.txt" for s in FAST]]:
        assert (out / name).stat().st_size > 0, name
    try:
        import matplotlib  # noqa: F401
        assert (out / "metrics.png").exists() and (out / "latency.png").exists()
    except ImportError:
        pass

    sr = report.sets["fixture"]
    assert set(sr["systems"]) == set(FAST)
    for name, row in sr["systems"].items():
        for m in ["recall@1", "recall@3", "recall@5", "recall@10", "mrr@10", "ndcg@10", "key_fact_top3"]:
            assert 0.0 <= row[m] <= 1.0, (name, m)
        assert row["latency_ms"]["p50"] > 0 and row["latency_ms"]["p95"] >= row["latency_ms"]["p50"]
        for p in row[f"p_vs_{sr['baseline']}"].values():
            assert 0.0 <= p <= 1.0
    assert sr["systems"]["hybrid"]["recall@5"] >= 0.8
    assert sr["systems"]["bm25"]["abstention"] is None and sr["systems"]["dense"]["abstention"] is not None

    # The TREC files parse and score to the numbers in the report.
    qrels = Qrels.from_file(str(out / "qrels.txt"), kind="trec")
    for s in FAST:
        run = Run.from_file(str(out / f"run-{s}.txt"), kind="trec")
        assert set(run.keys()) <= set(qrels.keys())
        assert float(evaluate(qrels, run, "ndcg@10", make_comparable=True)) == pytest.approx(
            sr["systems"][s]["ndcg@10"], abs=1e-3)

    latest = json.loads((out / "latest.json").read_text())
    rec = latest["recommended"]
    assert set(latest["systems"]) == set(FAST)
    assert {"dense_weight", "keyword_weight", "rrf_k", "abstain_below", "expand_acronyms"} <= set(rec)
    assert 0.0 < rec["abstain_below"] < 1.0
    assert "2 cores" in (out / "report.md").read_text() or "cores" in (out / "report.md").read_text()

    # The runner's cosine abstention rule is answer()'s rule with the cross-encoder off...
    kb = index.load(settings.replace(index_dir=tmp_path / "eval" / "fixture-index"))
    kb.settings = kb.settings.replace(abstain_below=rec["abstain_below"], rerank=False)
    for q in load_gold(FIXTURE_GOLD)[:6]:
        hits = kb.search(q.question, kb.settings.k)
        best = max((h.dense for h in hits if h.dense is not None), default=None)
        expect = best is None or best < rec["abstain_below"]
        assert index.answer(kb, q.question).abstained == expect
    # ...and the answer-level section replays answer()'s cross-encoder rules exactly.
    kb.settings = kb.settings.replace(rerank=True)
    sec = report.answers["fixture"]
    assert 0.0 <= sec["at_shipped"]["first_key_point"] <= 1.0
    replayed = [q for q in load_gold(FIXTURE_GOLD) if q.id in sec["per_question"]]
    assert len(replayed) >= 6
    for q in replayed[:6]:
        shown = index.answer(kb, q.question)
        replay = sec["per_question"][q.id]
        assert shown.abstained == replay["refused"]
        assert (shown.key_points[0].text if shown.key_points else "") == replay["first_key_point"]


# ---------------------------------------------------------------- library API: ranx optional, plugins, the record


def test_missing_ranx_is_one_line_naming_the_fix(tmp_path, settings_for, monkeypatch):
    import index

    monkeypatch.setitem(__import__("sys").modules, "ranx", None)  # as if ranx were not installed
    with pytest.raises(ValueError) as e:
        index.evaluate(settings_for(tmp_path), gold=[FIXTURE_GOLD], out_dir=tmp_path / "out", systems=FAST)
    assert "pip install -e '.[eval]'" in str(e.value) and "\n" not in str(e.value)
    assert not (tmp_path / "out").exists()


def test_systems_come_from_the_table_and_the_plugin_entry_point():
    from index.evaluation.registry import choose, corpus_builders, registry

    names = list(registry())
    assert names[:6] == ["bm25", "dense", "hybrid", "hybrid+acronyms", "hybrid+rerank", "bge-small"]
    assert "llamaindex" in names and registry()["llamaindex"].mapping_rule  # registered by evals/plugin.py
    assert "fixture" in corpus_builders()
    rerank = registry()["hybrid+rerank"]
    assert rerank.test_only and rerank.reranks and rerank.built_on_best and not registry()["bm25"].tuned
    assert [s.name for s in choose(["hybrid", "bm25", "hybrid"])] == ["bm25", "hybrid"]  # report order, once each
    with pytest.raises(ValueError, match="unknown system 'x'"):
        choose(["x"])


def test_report_round_trips_and_a_summary_only_folder_reads(tmp_path):
    import index
    from index.evaluation.report import EvalReport

    row = {"recall@5": 0.8, "ndcg@10": 0.7, "key_fact_top3": 0.5, "abstention": {"f1": 0.4},
           "latency_ms": {"p50": 3.0, "p95": 9.0}}
    rep = EvalReport(generated_at="2026-12-01T10:00:00+0000", primary="notes", recommended={"system": "hybrid"},
                     gold=[{"name": "notes", "path": "evals/gold/notes.jsonl"}],
                     sets={"notes": {"scored_split": "test", "systems": {"hybrid": row}}})
    assert EvalReport.from_json(rep.to_json()) == rep
    assert "tuning" not in rep.to_dict()  # optional sections are left out when the run has none
    s = rep.summary
    assert s.systems["hybrid"]["abstention_f1"] == 0.4 and s.systems["hybrid"]["latency_p95_ms"] == 9.0
    assert (s.gold, s.split) == ("evals/gold/notes.jsonl", "test")
    (tmp_path / "latest.json").write_text(json.dumps(s.to_dict()), encoding="utf-8")
    back = index.read_report(tmp_path)  # latest.json alone: the summary only
    assert back.summary == s and back.sets == {}
    assert index.read_report(tmp_path / "nothing") is None
    with pytest.raises(ValueError, match="'systems'"):
        (tmp_path / "latest.json").write_text('{"systems": {}}', encoding="utf-8")
        index.read_report(tmp_path)


def test_a_report_written_before_the_shared_machine_record_still_names_its_machine():
    """Reports in evals/reports/ from earlier runs used other keys for the machine; the app and
    `report.md` re-rendering read them under today's names instead of printing None."""
    import json

    import index

    old = {"sets": {}, "machine": {"cores": 2, "cpu": "Test CPU", "load_avg_at_start": [1.5]}}
    text = index.EvalReport.from_json(json.dumps(old)).to_markdown()
    assert "Machine: 2 cores (Test CPU)" in text and "load average 1.5 at start" in text
    assert "None cores" not in text and "None GiB" not in text


def test_the_report_states_the_three_outcomes_when_the_run_measured_them():
    """report.md says how often in-scope questions came back uncertain or refused and how often
    out-of-scope ones were answered outright (issue 18's targets); a report from before graded
    confidence has no such line rather than a line of None."""
    from index.evaluation.report_md import _answer_extras

    shipped = {"answer_above": 1.11, "in_scope_uncertain": 0.15, "wrongly_refused": 0.0,
               "out_of_scope_answered": 1 / 7, "blocks_shown": 0.97, "paragraph_top3": 0.8667}
    line = " ".join(_answer_extras({"at_shipped": shipped}))
    assert "uncertain **0.150**" in line and "refused **0.000**" in line
    assert "answered outright **0.143**" in line and "right paragraph among the top 3 0.867" in line
    older = {"at_shipped": {"refuse_below": -9.69, "key_point_min": -6.6}}
    assert not any("Graded confidence" in x for x in _answer_extras(older))
