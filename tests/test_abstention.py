"""Answers and refusals without a model: the toy index (tests/conftest.py), the
hashed bag-of-words encoder and the word-overlap scorer standing in for the
cross-encoder (logit = -10 + 20 x share of the question's words found)."""

from __future__ import annotations

import numpy as np
import pytest

from index import Filters, OverlapScorer, answer
from index.answer import NO_SENTENCE

REFUSAL = "Nothing in the indexed documents"


class FixedScorer:
    """A cross-encoder that finds everything equally (ir)relevant."""

    def __init__(self, logit: float):
        self.logit = logit

    def score(self, query: str, passages: list[str]) -> np.ndarray:
        return np.full(len(passages), self.logit, dtype=np.float32)


def test_answers_when_a_passage_clears_the_threshold(toy_kb):
    kb = toy_kb(refuse_below=0.0, key_point_min=0.0)
    a = answer(kb, "Who manages allegations against staff?")
    assert not a.abstained and a.relevance == pytest.approx(10.0)  # every question word is in guide:0
    assert a.hits[0].chunk.chunk_id == "guide:0" and a.hits[0].score == pytest.approx(10.0)
    assert [kp.text for kp in a.key_points] == [
        "The designated officer manages allegations against staff who work with children."]
    assert a.key_points[0].chunk_id == "guide:0" and a.message == ""


def test_refuses_when_nothing_clears_the_threshold(toy_kb):
    kb = toy_kb(refuse_below=0.0)
    a = answer(kb, "Which garden furniture is on sale?")
    assert a.abstained and a.relevance == pytest.approx(-10.0)
    assert a.hits == [] and a.key_points == []  # nothing is shown as if it answered
    assert a.message.startswith(REFUSAL) and "with these filters" not in a.message


def test_refusal_is_the_scorers_decision_not_the_cosines(toy_kb):
    question = "Who manages allegations against staff?"
    assert toy_kb().search(question, 1)[0].dense > 0.5  # close in words ...
    refused = answer(toy_kb(scorer=FixedScorer(-20.0), refuse_below=-9.0), question)
    assert refused.abstained and refused.relevance == pytest.approx(-20.0)  # ... but the scorer says no
    kept = answer(toy_kb(scorer=FixedScorer(5.0), refuse_below=-9.0, key_point_min=0.0), "garden furniture sale")
    assert not kept.abstained and kept.hits  # and the other way round


def test_the_threshold_is_inclusive(toy_kb):
    question = "strategy discussion with the police today"  # 3 of 4 content words in guide:1: logit 5
    assert answer(toy_kb(refuse_below=5.0), question).abstained is False
    assert answer(toy_kb(refuse_below=5.01), question).abstained is True


def test_reranking_orders_the_hits_by_the_scorer(toy_kb):
    kb = toy_kb(refuse_below=-100.0)
    question = "conference families police"
    fused = [h.chunk.chunk_id for h in kb.search(question, 5)]
    a = answer(kb, question)
    logits = [h.score for h in a.hits]
    assert logits == sorted(logits, reverse=True) and [h.rank for h in a.hits] == list(range(1, len(a.hits) + 1))
    assert a.hits[0].chunk.chunk_id == "note:4" and a.relevance == pytest.approx(logits[0])
    assert set(fused) == {h.chunk.chunk_id for h in a.hits}


def test_relevant_passages_without_a_clear_sentence_are_shown_with_a_note(toy_kb):
    kb = toy_kb(refuse_below=0.0, key_point_min=12.5)  # passages clear the refusal bar; no paragraph (logit 10 + cue 1) clears this one
    a = answer(kb, "Who manages allegations against staff?")
    assert not a.abstained and a.hits and a.key_points == []
    assert a.message == NO_SENTENCE


def test_refusal_with_filters_says_so_and_keeps_the_notice(toy_kb):
    kb = toy_kb(refuse_below=0.0, max_query_chars=40)
    long_question = "Who manages allegations against staff " + "and volunteers " * 10
    a = answer(kb, long_question, filters=Filters(kind=("framework",)))
    assert a.abstained and "with these filters" in a.message
    assert a.message.startswith("Your question was")  # the truncation notice comes first
    none = answer(kb, "strategy", filters=Filters(doc=("no-such-doc",)))
    assert none.abstained and none.hits == [] and none.relevance is None


def test_without_the_cross_encoder_the_cosine_decides(toy_kb):
    kb = toy_kb(rerank=False, abstain_below=0.3, scorer=FixedScorer(100.0))  # the scorer must not be asked
    a = answer(kb, "Who manages allegations against staff?")
    assert not a.abstained and a.relevance == pytest.approx(a.hits[0].dense) and a.relevance >= 0.3
    assert a.key_points and a.key_points[0].chunk_id == "guide:0"
    refused = answer(kb, "Which garden furniture is on sale?")
    assert refused.abstained and refused.hits == [] and refused.relevance < 0.3


def test_answer_takes_a_prepared_query(toy_kb):
    kb = toy_kb(refuse_below=0.0, key_point_min=0.0)
    q = kb.prepare("Who manages allegations against staff?")
    assert answer(kb, q).to_dict()["answer"] == answer(kb, q.text).to_dict()["answer"]
    assert isinstance(kb.reranker, OverlapScorer)


def test_a_known_acronym_never_by_itself_causes_a_refusal():
    """Issue 18: "when is the ICPC due" was refused while the glossary expands ICPC. The cross-encoder
    now reads the question with the expansion; reading the bare question refuses the same question."""
    from index import HashEncoder, KnowledgeBase
    from ingest.config import PROJECT_ROOT, load_settings
    from ingest.records import Chunk, DocMeta

    meta = DocMeta(doc_id="g", title="Invented", kind="guidance", official=True, edition="2023")
    text = "The initial child protection conference is held within fifteen working days of the strategy discussion."
    chunk = Chunk(chunk_id="g:p1", meta=meta, chapter_number="3", chapter_title="Protection",
                  section=("Initial conferences",), paragraphs=("1",), pages=(2, 2), text=text, start=0,
                  end=len(text))

    def ask(expanded: bool):
        s = load_settings(glossary_file=PROJECT_ROOT / "corpus" / "glossary.toml", refuse_below=0.0,
                          rerank_expanded=expanded)
        return answer(KnowledgeBase.from_chunks([chunk], HashEncoder(), s, reranker=OverlapScorer()),
                      "when is the ICPC due")
    assert ask(False).confidence == "refused"  # the bare acronym matches nothing in the passage
    a = ask(True)
    assert a.confidence != "refused" and not a.abstained and a.key_points[0].citation.paragraphs == ("1",)


def test_three_outcomes_answered_uncertain_refused(toy_kb):
    from index import UNCERTAIN_NOTICE

    question = "strategy discussion with the police today"  # logit 5 for guide:1 (see above)
    sure = answer(toy_kb(refuse_below=0.0, answer_above=5.0, key_point_min=-100.0), question)
    assert sure.confidence == "answered" and UNCERTAIN_NOTICE not in sure.message
    weak = answer(toy_kb(refuse_below=0.0, answer_above=5.01, key_point_min=-100.0), question)
    assert weak.confidence == "uncertain" and not weak.abstained and weak.key_points and weak.hits
    assert UNCERTAIN_NOTICE in weak.message
    d = weak.to_dict()["answer"]
    assert d["confidence"] == "uncertain" and d["abstained"] is False and d["key_points"][0]["highlight"] is not None
    no = answer(toy_kb(refuse_below=5.01, answer_above=6.0), question)
    assert no.confidence == "refused" and no.abstained and no.to_dict()["answer"]["confidence"] == "refused"
