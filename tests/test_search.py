"""Search without a model: the toy index (tests/conftest.py) through the real
FAISS, bm25s and fusion code, with the hashed bag-of-words encoder."""

from __future__ import annotations

import numpy as np
import pytest

import index
from index import Filters, HashEncoder, KnowledgeBase, Query, QueryError


class CountingEncoder(HashEncoder):
    """The fake encoder, counting how often a question is encoded."""

    def __init__(self):
        super().__init__()
        self.queries: list[str] = []

    def encode_query(self, text: str) -> np.ndarray:
        self.queries.append(text)
        return super().encode_query(text)


def ids(hits) -> list[str]:
    return [h.chunk.chunk_id for h in hits]


# ---------------------------------------------------------------- ranking


@pytest.mark.parametrize("mode", ["hybrid", "dense", "keyword"])
def test_the_passage_sharing_the_question_words_ranks_first(toy_kb, mode):
    kb = toy_kb()
    assert ids(kb.search("designated officer allegations", 3, mode=mode))[0] == "guide:0"
    assert ids(kb.search("yearly reports from local partners", 3, mode=mode))[0] == "frame:3"
    hits = kb.search("strategy discussion police", 3, mode=mode)
    assert len(hits) >= 2 and [h.rank for h in hits] == list(range(1, len(hits) + 1))


def test_each_mode_reports_the_scores_of_the_retrievers_it_ran(toy_kb):
    kb = toy_kb()
    dense = kb.search("strategy discussion police", 10, mode="dense")
    keyword = kb.search("strategy discussion police", 10, mode="keyword")
    assert len(dense) == len(kb.chunks)  # FAISS ranks every passage
    assert ids(keyword) == ["guide:1", "guide-old:2"]  # bm25s only those sharing a word
    assert all(h.keyword is None and h.dense is not None for h in dense)
    assert all(h.dense is None and h.keyword > 0 for h in keyword)
    hybrid = kb.search("strategy discussion police", 10)
    assert all(h.dense is not None for h in hybrid)  # cosine filled in for every hit, as abstention needs
    assert {h.chunk.chunk_id for h in hybrid if h.keyword is not None} == set(ids(keyword))
    # A passage only the keyword retriever found still gets its cosine: here
    # the dense side sees one candidate (frame:3), the keyword side wins.
    narrow = toy_kb(candidates=1, keyword_weight=2.0)
    vec = HashEncoder().encode_query("yearly reports partners police")
    q = Query("q", "q", "strategy meeting police social workers", vector=vec)
    assert ids(narrow.search(q, 1, mode="dense")) == ["frame:3"]
    [hit] = narrow.search(q, 1)
    assert hit.chunk.chunk_id == "guide-old:2" and hit.dense is not None
    assert hit.dense == pytest.approx(float(narrow.embedder.encode([hit.chunk.text])[0] @ vec)) and hit.dense > 0


def test_hybrid_scores_are_the_weighted_fusion_of_both_rankings(toy_kb):
    kb = toy_kb(rrf_k=5, dense_weight=1.0, keyword_weight=3.0)
    q = "strategy meeting police social workers"
    dense = {cid: r for r, cid in enumerate(ids(kb.search(q, 10, mode="dense")), start=1)}
    keyword = {cid: r for r, cid in enumerate(ids(kb.search(q, 10, mode="keyword")), start=1)}
    hybrid = kb.search(q, 10)
    for h in hybrid:
        cid = h.chunk.chunk_id
        expected = 1.0 / (5 + dense[cid]) + (3.0 / (5 + keyword[cid]) if cid in keyword else 0.0)
        assert h.score == pytest.approx(expected)
    assert [h.score for h in hybrid] == sorted((h.score for h in hybrid), reverse=True)
    assert len(kb.search(q, 2)) == 2


def test_acronyms_are_expanded_for_both_retrievers(toy_kb):
    kb = toy_kb()
    q = kb.prepare("What does a LADO do?")
    assert [t.abbr for t in q.terms] == ["LADO"] and "designated officer" in q.keyword_text
    assert ids(kb.search(q, 1, mode="keyword")) == ids(kb.search(q, 1, mode="dense")) == ["guide:0"]
    assert kb.search("LADO", 3, mode="keyword") != []
    plain = toy_kb(expand_acronyms=False)
    assert plain.search("LADO", 3, mode="keyword") == []  # no passage spells the acronym out


# ---------------------------------------------------------------- prepare once, encode once


def test_a_question_is_encoded_once_and_only_when_needed(toy_kb):
    enc = CountingEncoder()
    kb = toy_kb(encoder=enc)
    q = kb.prepare("strategy discussion police")
    assert enc.queries == ["strategy discussion police"] and q.vector is not None
    assert kb.prepare(q) is q  # a ready query is left as it is
    first = kb.search(q, 3)
    kb.search(q, 3, mode="dense")
    assert len(enc.queries) == 1  # searches reuse the prepared vector
    assert ids(kb.search("strategy discussion police", 3)) == ids(first)
    assert len(enc.queries) == 2  # a string is prepared once inside search
    kb.search("strategy discussion police", 3, mode="keyword")
    assert kb.prepare("strategy", mode="keyword").vector is None
    assert len(enc.queries) == 2  # keyword search never encodes
    index.answer(kb, "strategy discussion police")
    assert len(enc.queries) == 3  # one answer, one encoding (retrieval and reranking share it)
    index.answer(kb.__class__.from_chunks(kb.chunks, enc, kb.settings.replace(rerank=False)), "strategy police")
    assert len(enc.queries) == 4  # the cosine key points reuse it too


def test_search_uses_the_vector_it_is_given(toy_kb):
    kb = toy_kb()
    q = kb.prepare("strategy discussion police")
    steered = Query(q.text, q.dense_text, q.keyword_text, vector=HashEncoder().encode_query("yearly reports"))
    assert ids(kb.search(steered, 1, mode="dense")) == ["frame:3"]
    assert ids(kb.search(steered, 1, mode="keyword")) == ["guide:1"]  # keywords still read the text


def test_questions_are_normalised_and_empty_ones_refused(toy_kb):
    kb = toy_kb(max_query_chars=20)
    q = kb.prepare("  strategy\u00a0\tdiscussion\x00 police work today ")
    assert q.text == "strategy discussion"  # NFKC, controls as spaces, capped at a word boundary
    assert "only the first 20" in q.notice
    for empty in ("", "   ", "\x00\x01"):
        with pytest.raises(QueryError):
            kb.search(empty)
    timings: dict = {}
    kb.search("strategy", timings=timings)
    assert set(timings) == {"encode_ms", "dense_ms", "keyword_ms", "fuse_ms"}


# ---------------------------------------------------------------- filters


@pytest.mark.parametrize("filters, expected", [
    (Filters(doc=("guide",)), {"guide:0", "guide:1", "note:4"}),  # a note counts as part of what it covers
    (Filters(doc=("frame", "guide-old")), {"frame:3", "guide-old:2"}),
    (Filters(chapter=("3",)), {"guide:1", "guide-old:2", "note:4"}),  # the note's own chapter is 1; it covers 3
    (Filters(chapter=("1",)), {"guide:0"}),
    (Filters(kind=("notes",)), {"note:4"}),
    (Filters(kind=("guidance", "framework")), {"guide:0", "guide:1", "guide-old:2", "frame:3"}),
    (Filters(edition=("2018",)), {"guide-old:2"}),  # a year matches the full date
    (Filters(edition=("frame",)), {"frame:3"}),  # so does a document id
    (Filters(doc=("guide",), chapter=("3",), kind=("guidance",)), {"guide:1"}),  # all must hold
])
@pytest.mark.parametrize("mode", ["hybrid", "dense", "keyword"])
def test_every_filter_keeps_exactly_the_passages_it_names(toy_kb, filters, expected, mode):
    kb = toy_kb()
    assert {c.chunk_id for c in kb.chunks if filters.allows(c)} == expected
    question = "officer strategy police partners reports conference plan meeting"  # a word from every passage
    assert set(ids(kb.search(question, 10, filters, mode=mode))) == expected


def test_a_filter_still_returns_k_hits_when_the_best_match_is_excluded(toy_kb):
    kb = toy_kb()
    assert ids(kb.search("designated officer allegations", 1))[0] == "guide:0"
    hits = kb.search("designated officer allegations", 2, Filters(chapter=("3",)))
    assert len(hits) == 2 and "guide:0" not in ids(hits)


def test_a_filter_that_matches_nothing_finds_nothing(toy_kb):
    kb = toy_kb()
    assert kb.search("strategy", 5, Filters(doc=("no-such-doc",))) == []
    assert not Filters().active() and Filters(edition=("2018",)).active()


# ---------------------------------------------------------------- in memory = on disk


def test_an_index_in_memory_searches_like_the_same_index_built_on_disk(sample_corpus, settings_for):
    enc = HashEncoder()
    settings = settings_for(sample_corpus, onnx_query_encoder=False)
    index.build(settings, embedder=enc)
    disk = KnowledgeBase.load(settings, embedder=enc)
    memory = KnowledgeBase.from_chunks(disk.chunks, enc, settings)
    assert memory.version is None and memory.manifest["model"]["identity"] == disk.manifest["model"]["identity"]
    for question in ("strategy discussion outcome", "consent recorded", "review what helped", "section 47"):
        for mode in ("hybrid", "dense", "keyword"):
            a, b = disk.search(question, 5, mode=mode), memory.search(question, 5, mode=mode)
            assert a and [(h.chunk.chunk_id, h.score, h.dense, h.keyword) for h in a] == \
                [(h.chunk.chunk_id, h.score, h.dense, h.keyword) for h in b]
