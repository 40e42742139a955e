"""The answer's decision rules as pure logic: fragments, near-duplicates, the
key-point bar and order, and the evaluation's replay and calibration of them.
No model is loaded; tests/test_answer_model.py runs the real cross-encoder."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from index.evaluation import answers as ev
from index.evaluation.gold import Question, load_gold
from index.answer import near_duplicate, pick_key_points, sentences
from ingest.records import DocMeta


def _hit(cid: str, paras=()):
    chunk = SimpleNamespace(chunk_id=cid, paragraphs=paras, text="", meta=DocMeta(
        doc_id="d", title="t", short_title="Doc", kind="official", official=True), chapter_number="1", chapter_title="One",
        section=("S",), pages=(1,), chapter_kind="chapter")
    return SimpleNamespace(chunk=chunk, score=0.0, rank=1)


def test_sentences_drop_fragments_and_keep_lists_whole():
    text = ("The conference must meet within 15 working days.\nand then some trailing words here\n"
            "Short one.\nThe plan should cover:\n\u2022 who does what\n\u2022 by when")
    out = sentences(text)
    assert out[0] == "The conference must meet within 15 working days."
    assert not any(s.startswith("and then") for s in out)  # starts mid-sentence: a fragment
    assert "Short one." not in out  # under five words
    assert any(s.startswith("The plan should cover: who does what") for s in out)


def test_near_duplicates_are_detected_but_different_facts_are_not():
    a = "The local authority must notify the Panel within five working days."
    assert near_duplicate(a, "Within five working days the local authority must notify the Panel.")
    assert not near_duplicate(a, "Police protection cannot last longer than 72 hours.")


def test_key_points_clear_the_bar_in_score_order_without_duplicates():
    h1, h2 = _hit("c1"), _hit("c2")
    scored = [(5.0, "The conference is held within 15 working days of the strategy discussion.", h1),
              (4.0, "Within 15 working days of the strategy discussion the conference is held.", h2),
              (3.0, "Review conferences follow within three months of the first.", h2),
              (-6.0, "Schools should know where a child is during school hours.", h1)]
    kps = pick_key_points(scored, 3, bar=0.0)
    assert [k.chunk_id for k in kps] == ["c1", "c2"]
    assert kps[0].score == 5.0 and "15 working days" in kps[0].text
    assert "three months" in kps[1].text  # the near-duplicate was skipped
    assert pick_key_points(scored, 3, bar=10.0) == []  # nothing clears a high bar


def _rec(qid, rel, sents, ranked=("c1",), paras=(("7",),)):
    return ev.Record(qid, list(ranked), [list(p) for p in paras], rel,
                     [(s, t, c, list(p)) for s, t, c, p in sents], latency_ms=100.0)


def test_replay_scores_first_key_point_refusal_and_labels():
    qs = [Question("a", "q", {"c1": 2}, answer=r"15 working days", labels=["7"]),
          Question("b", "q", {"c2": 2}, answer=r"72 hours"),
          Question("o", "q", {}, out_of_scope=True)]
    recs = {"a": _rec("a", 3.0, [(2.0, "Meet within 15 working days.", "c1", ("7",))]),
            "b": _rec("b", 1.0, [(1.5, "Something else entirely here.", "c2", ()),
                                 (1.0, "It cannot last beyond 72 hours.", "c2", ())]),
            "o": _rec("o", -8.0, [])}
    sc = ev.score_answers(qs, recs, threshold=0.0, bar=0.0)
    assert sc["first_key_point"] == 0.5 and sc["key_point_top3"] == 1.0
    assert sc["refusal_precision"] == 1.0 and sc["refusal_recall"] == 1.0 and sc["wrongly_refused"] == 0.0
    assert sc["answer_top3"] == 1.0 and sc["right_paragraph_cited"] == 1.0
    high = ev.score_answers(qs, recs, threshold=2.0, bar=0.0)  # now "b" is refused wrongly
    assert high["wrongly_refused_n"] == 1 and high["refusal_precision"] == 0.5


def test_calibration_keeps_wrong_refusals_within_two_percent():
    qs, recs = [], {}
    for i in range(60):  # in scope: relevance 0..5.9
        qs.append(Question(f"i{i}", "q", {"c": 2}, split="dev", answer="yes"))
        recs[f"i{i}"] = _rec(f"i{i}", i / 10, [(1.0, "yes it is so here", "c", ())])
    for i in range(20):  # out of scope: relevance -5..-1.2 plus one confusable at 2.0
        qs.append(Question(f"o{i}", "q", {}, out_of_scope=True, split="dev"))
        recs[f"o{i}"] = _rec(f"o{i}", 2.0 if i == 0 else -5 + i / 5, [])
    cal = ev.calibrate(qs, recs, default_threshold=-4.0, default_bar=0.0)
    assert cal["dev"]["wrongly_refused"] <= ev.MAX_WRONG_REFUSALS
    assert cal["dev"]["refusal_recall"] >= 0.95 - 1e-9  # all but the confusable one
    assert -1.2 < cal["refuse_below"] <= 0.0  # between the last out-of-scope and the first in-scope score


def test_gold_loader_reads_answer_and_labels_and_rejects_bad_regex(tmp_path):
    f = tmp_path / "g.jsonl"
    f.write_text(json.dumps({"id": "k1", "question": "q?", "labels": [67, "4.12"], "answer": "one (working )?day"})
                 + "\n", encoding="utf-8")
    q = load_gold(f)[0]
    assert q.labels == ["67", "4.12"] and q.answer == "one (working )?day" and q.relevant == {}
    f.write_text(json.dumps({"id": "k1", "question": "q?", "labels": ["1"], "answer": "(unclosed"}) + "\n",
                 encoding="utf-8")
    with pytest.raises(ValueError, match="line 1: 'answer' is not a valid regular expression"):
        load_gold(f)


def test_labels_become_the_chunks_that_cite_them():
    from index.evaluation.gold import GoldSet, labels_to_chunks

    qs = [Question("k1", "q", {}, labels=["11"]), Question("k2", "q", {}, labels=["99"])]
    gs = GoldSet.__new__(GoldSet)
    gs.name, gs.questions = "set", qs
    kb = SimpleNamespace(chunks=[SimpleNamespace(chunk_id="a:p10-11", paragraphs=(10, 11)),
                                 SimpleNamespace(chunk_id="a:p12", paragraphs=("12",))])
    warnings = labels_to_chunks(gs, kb)
    assert qs[0].relevant == {"a:p10-11": 2}
    assert list(qs[1].relevant) == ["missing-paragraph:99"] and "k2" in warnings[0]


def test_shipped_gold_sets_meet_the_issue_counts():
    from ingest.config import PROJECT_ROOT

    notes = load_gold(PROJECT_ROOT / "evals" / "gold" / "notes.jsonl")
    oos = [q for q in notes if q.out_of_scope]
    assert len(oos) >= 60 and sum("near_miss" in q.tags for q in oos) >= len(oos) / 2
    assert all(q.answer for q in notes if not q.out_of_scope)
    kcsie = load_gold(PROJECT_ROOT / "evals" / "gold" / "kcsie2025.jsonl")
    assert len(kcsie) >= 40 and all(q.labels and q.answer for q in kcsie)


def test_label_sets_need_a_corpus(tmp_path):
    from index.evaluation.gold import GoldSet, default_gold
    from index.evaluation.indexes import corpus_for
    from ingest.config import load_settings

    assert not any(p.stem == "kcsie2025" for p in default_gold())  # skipped without --corpus
    (tmp_path / "KCSIE_2025.pdf").write_bytes(b"%PDF-1.4\n")  # the set's document, by its file name
    assert any(p.stem == "kcsie2025" for p in default_gold(tmp_path))
    path = tmp_path / "k.jsonl"
    path.write_text('{"id": "k1", "question": "q", "labels": ["5"], "answer": "x"}\n', encoding="utf-8")
    gs = GoldSet(path, load_gold(path))
    assert gs.kind == "labels"
    with pytest.raises(ValueError, match="pass --corpus FOLDER"):
        corpus_for(gs, load_settings(), tmp_path)
    assert corpus_for(gs, load_settings(), tmp_path, tmp_path) == tmp_path


# ---------------------------------------------------------------- answer blocks (issue 18)

def _chunk(text: str, labels=(), section=("S",)):
    from ingest.records import Chunk
    meta = DocMeta(doc_id="d", title="Invented", kind="guidance", official=True, edition="2023")
    return Chunk(chunk_id="d:p1", meta=meta, chapter_number="1", chapter_title="One", section=section,
                 paragraphs=tuple(labels), pages=(4, 5), text=text, start=0, end=len(text))


def test_each_paragraph_of_a_chunk_gets_its_own_printed_label():
    from index.blocks import paragraph_chunk, paragraphs_of
    from index.cite import Citation

    c = _chunk("61. The panel meets monthly. It keeps minutes.\n\n62. A review is due within 15 working days.",
               labels=("61", "62"))
    paras = paragraphs_of(c)
    assert [(p.label, p.text[:3]) for p in paras] == [("61", "61."), ("62", "62.")]
    cited = Citation.of(paragraph_chunk(c, paras[1]))
    assert cited.paragraphs == ("62",) and "para 62" in cited.label and "paras" not in cited.label
    # Without printed labels, position decides when the counts agree; otherwise the chunk's range is kept.
    assert [p.label for p in paragraphs_of(_chunk("First one here.\n\nSecond one here.", ("3", "4")))] == ["3", "4"]
    odd = paragraphs_of(_chunk("Heading words\n\nFirst.\n\nSecond.", ("3", "4")))
    assert [p.label for p in odd] == [None, None, None]
    assert Citation.of(paragraph_chunk(_chunk("x\n\ny\n\nz", ("3", "4")), odd[0])).paragraphs == ("3", "4")


def test_a_leading_label_is_part_of_the_first_sentence_and_list_items_stay_items():
    from index.blocks import sentences_in, units

    text = "62. Anyone may refer a child. The referral should be clear:\n\u2022 what the worry is\n\u2022 who said it"
    spans = [text[a:b] for a, b in units(text)]
    assert spans == ["62. Anyone may refer a child.", "The referral should be clear:", "\u2022 what the worry is",
                     "\u2022 who said it"]
    assert sentences_in(text)[0].startswith("62. Anyone")  # never "62." on its own


def test_a_long_paragraph_is_trimmed_around_the_highlight_between_sentences():
    from index.blocks import ELLIPSIS, trim

    sents = [f"Sentence number {i} says something different from the others." for i in range(12)]
    text = "7. " + " ".join(sents)
    out = trim(text, sents[6], 200)
    assert sents[6] in out and len(out) <= 200 + 10
    assert out.startswith("7. " + ELLIPSIS) and out.endswith(ELLIPSIS)
    body = out.removeprefix("7. " + ELLIPSIS + " ").removesuffix(" " + ELLIPSIS)
    assert body in text and body.startswith("Sentence") and body.endswith(".")  # whole sentences, verbatim
    assert trim("Short. Text.", "Text.", 200) == "Short. Text."
    listy = "A plan covers:\n\u2022 " + "\n\u2022 ".join(f"item {i} of the list" for i in range(30))
    cut = trim(listy, "\u2022 item 20 of the list", 120)
    assert "\n\u2022 item 20 of the list" in cut and cut.count("\n") >= 3  # still one item a line


def test_blocks_after_the_first_only_within_the_margin():
    from index.blocks import Para
    from index.answer import pick_blocks
    from index.paragraph_rank import ScoredPara

    def sp(score, text):
        return ScoredPara(score, Para(text, None, 0), None)
    scored = [sp(5.0, "The first answer says one thing."), sp(4.5, "A close second says another thing."),
              sp(1.0, "A far third is about something unrelated.")]
    assert [b.score for b in pick_blocks(scored, 3, bar=-100, margin=1.0)] == [5.0, 4.5]
    assert [b.score for b in pick_blocks(scored, 3, bar=-100, margin=0.1)] == [5.0]  # never filler
    assert pick_blocks(scored, 3, bar=6.0, margin=10) == []


def test_question_type_cues():
    from index.blocks import Para
    from index.paragraph_rank import cue_bonus

    timed, untimed = Para("It is held within 15 working days.", None, 0), Para("It is a meeting.", None, 0)
    assert cue_bonus("when is it held", timed, ()) > cue_bonus("when is it held", untimed, ())
    assert cue_bonus("what is it", timed, ()) == cue_bonus("what is it", untimed, ())
    q = "when is the initial conference"
    assert cue_bonus(q, untimed, ("Initial conferences",)) > cue_bonus(q, untimed, ("Review conferences",))


def test_replay_grades_confidence_and_calibrates_answer_above():
    qs, recs = [], {}
    for i in range(20):
        qs.append(Question(f"i{i}", "q", {"c": 2}, split="dev", answer="yes"))
        recs[f"i{i}"] = _rec(f"i{i}", 1.0 + i / 4, [(1.0, "yes it is so here", "c", ())])
    for i in range(10):  # out of scope: -5 .. 0.4
        qs.append(Question(f"o{i}", "q", {}, out_of_scope=True, split="dev"))
        recs[f"o{i}"] = _rec(f"o{i}", -5 + i * 0.6, [])
    assert ev.confidence(recs["i0"], -6.0, 2.0) == "uncertain" and ev.confidence(recs["i19"], -6.0, 2.0) == "answered"
    assert ev.confidence(recs["o0"], -4.0, 2.0) == "refused"
    cal = ev.calibrate(qs, recs, default_threshold=-10.0, default_bar=-100.0)
    assert cal["dev"]["out_of_scope_answered"] <= ev.MAX_OOS_ANSWERED
    assert cal["refuse_below"] <= cal["answer_above"] <= 1.0  # no higher than it must be


def test_bullets_printed_inside_one_line_are_items_too():
    from index.blocks import units

    text = "Help may be needed when a child: \u2022 is a young carer \u2022 has returned home from care"
    assert [text[a:b] for a, b in units(text)] == ["Help may be needed when a child:", "\u2022 is a young carer",
                                                   "\u2022 has returned home from care"]
