"""answer() with the real cross-encoder, index and embedder over the generated
fixture corpus: ranking, refusal, key points and the "no sentence answers" case."""

from __future__ import annotations

import shutil

import pytest

import index
from index.answer import NO_SENTENCE

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def kb(tmp_path_factory, sample_corpus, embedder):
    from ingest.config import PROJECT_ROOT, load_settings

    root = tmp_path_factory.mktemp("answer-model")
    corpus = root / "corpus"
    shutil.copytree(sample_corpus, corpus)
    settings = load_settings(index_dir=root / "index", corpus_dirs=(corpus,),
                             glossary_file=PROJECT_ROOT / "corpus" / "glossary.toml")
    index.build(settings, embedder=embedder)
    return index.load(settings)


def test_key_point_states_the_answer_and_passages_are_reranked(kb):
    result = index.answer(kb, "how many days does the authority have to tell the review panel?")
    assert not result.abstained and result.relevance is not None and result.relevance >= kb.settings.refuse_below
    assert "five working days" in result.key_points[0].text
    assert result.hits[0].chunk.chunk_id == "sample-guidance:p10-11"
    scores = [h.score for h in result.hits]
    assert scores == sorted(scores, reverse=True)  # cross-encoder order
    assert [kp.score for kp in result.key_points] == sorted((kp.score for kp in result.key_points), reverse=True)
    assert all(kp.score >= kb.settings.key_point_min for kp in result.key_points)
    assert "rerank_ms" in result.timings_ms and "key_points_ms" in result.timings_ms


def test_out_of_scope_question_is_refused_with_nothing_shown(kb):
    result = index.answer(kb, "what is the best recipe for lemon drizzle cake?")
    assert result.abstained and result.hits == [] and result.key_points == []
    assert result.relevance < kb.settings.refuse_below
    assert "Nothing in the indexed documents" in result.message


def test_relevant_passages_without_an_answering_sentence_say_so(kb):
    strict = kb.settings.replace(key_point_min=1e9, refuse_below=-1e9)
    kb2 = index.KnowledgeBase(strict, kb.version, kb.manifest, kb.chunks, kb.faiss_index, kb.keyword,
                              kb.embedder, kb.glossary)
    result = index.answer(kb2, "how many days does the authority have to tell the review panel?")
    assert not result.abstained and result.key_points == [] and result.hits
    assert NO_SENTENCE in result.message


def test_cosine_rules_still_work_with_the_cross_encoder_off(kb):
    off = kb.settings.replace(rerank=False)
    kb2 = index.KnowledgeBase(off, kb.version, kb.manifest, kb.chunks, kb.faiss_index, kb.keyword,
                              kb.embedder, kb.glossary)
    result = index.answer(kb2, "how many days does the authority have to tell the review panel?")
    assert not result.abstained and result.key_points and "rerank_ms" not in result.timings_ms
    assert index.answer(kb2, "what is the best recipe for lemon drizzle cake?").abstained


def test_hits_beyond_the_reranked_candidates_keep_valid_scores(kb):
    import json

    few = kb.settings.replace(rerank_candidates=3)
    kb2 = index.KnowledgeBase(few, kb.version, kb.manifest, kb.chunks, kb.faiss_index, kb.keyword,
                              kb.embedder, kb.glossary)
    result = index.answer(kb2, "how many days does the authority have to tell the review panel?", k=8)
    assert len(result.hits) > 3
    scores = [h.score for h in result.hits]
    assert scores == sorted(scores, reverse=True) and [h.rank for h in result.hits] == list(range(1, len(scores) + 1))
    json.dumps(result.to_dict(), allow_nan=False)  # no infinities in the JSON contract


def test_the_first_block_is_the_answering_paragraph_cited_by_its_own_label(kb):
    """Issue 18: chunk p10-11 holds two paragraphs; the block quotes paragraph 10 alone and cites it."""
    result = index.answer(kb, "how many days does the authority have to tell the review panel?")
    first = result.key_points[0]
    assert first.chunk_id == "sample-guidance:p10-11" and first.citation.paragraphs == ("10",)
    assert "para 10" in first.citation.label and "paras 10" not in first.citation.label
    assert first.text in next(h.chunk.text for h in result.hits if h.chunk.chunk_id == first.chunk_id)
    assert first.highlight == "" or first.highlight in first.text
    assert result.confidence in (index.ANSWERED, index.UNCERTAIN) and result.urgent is None
