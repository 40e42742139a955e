"""Build → persist → reload → ask with the real model, FAISS and bm25s."""

from __future__ import annotations

import json
import shutil
import sys

import numpy as np
import pytest

import index
from index import store
from index.embed import ModelError

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built(tmp_path_factory, sample_corpus, embedder):
    from ingest.config import PROJECT_ROOT, load_settings

    root = tmp_path_factory.mktemp("built")
    corpus = root / "corpus"
    shutil.copytree(sample_corpus, corpus)
    settings = load_settings(index_dir=root / "index", corpus_dirs=(corpus,),
                             glossary_file=PROJECT_ROOT / "corpus" / "glossary.toml")
    report = index.build(settings, embedder=embedder)
    return settings, report, corpus, embedder


def test_build_persists_a_complete_index(built):
    settings, report, _, _ = built
    assert report.warnings == []
    assert report.embedded == report.chunks > 10
    version, manifest = store.read_manifest(settings.index_dir)
    assert manifest["model"] == {"name": "all-MiniLM-L6-v2", "identity": "sentence-transformers/all-MiniLM-L6-v2",
                                 "dim": 384}
    assert manifest["chunk_count"] == report.chunks
    assert {s["doc_id"] for s in manifest["sources"]} == {"sample-guidance", "sample-html", "note-sample"}
    assert all(len(s["sha256"]) == 64 for s in manifest["sources"])
    assert {"faiss-cpu", "sentence-transformers", "bm25s"} <= set(manifest["versions"])
    vecs = np.load(version / "vectors.npy")
    assert vecs.shape == (report.chunks, 384)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)


def test_reload_and_answer_with_citation(built):
    settings = built[0]
    kb = index.load(settings)
    result = index.answer(kb, "how many days does the authority have to tell the review panel?")
    assert not result.abstained
    top = result.hits[0]
    assert top.chunk.chunk_id == "sample-guidance:p10-11"
    assert top.chunk.paragraphs == ("10", "11") and top.chunk.pages == (6, 6)
    assert "five working days" in result.key_points[0].text
    # The answer block cites its own paragraph (issue 18), the passage both of its paragraphs.
    assert result.key_points[0].citation.label.endswith("Notifying an incident \u00b7 para 10 \u00b7 p. 6")
    assert index.citation(top.chunk)["label"].endswith("Notifying an incident \u00b7 paras 10\u201311 \u00b7 p. 6")
    d = result.to_dict()
    assert set(d) >= {"query", "answer", "hits", "timings_ms"}
    assert set(d["answer"]) >= {"key_points", "abstained"}
    assert set(d["hits"][0]["citation"]) >= {"doc_id", "title", "edition", "kind", "official", "chapter",
                                             "chapter_title", "section", "paragraphs", "pages", "url"}
    json.dumps(d)


def test_unrelated_question_abstains(built):
    kb = index.load(built[0])
    result = index.answer(kb, "what is the best recipe for lemon drizzle cake?")
    assert result.abstained and result.hits == [] and result.key_points == []
    assert "Nothing in the indexed documents" in result.message


def test_filters_restrict_hits(built):
    kb = index.load(built[0])
    hits = kb.search("review", k=10, filters=index.Filters(chapter=("3",)))
    assert hits and all(h.chunk.chapter_number == "3" for h in hits)
    hits = kb.search("strategy discussion", k=10, filters=index.Filters(kind=("notes",)))
    assert hits and all(h.chunk.meta.kind == "notes" for h in hits)
    assert kb.search("anything", filters=index.Filters(doc=("no-such-doc",))) == []


def test_no_change_rebuild_embeds_nothing(built):
    settings, first, _, embedder = built
    again = index.build(settings, embedder=embedder)
    assert again.embedded == 0 and again.reused == first.chunks
    assert index.staleness(settings) == ""


def test_index_from_an_older_parser_is_stale(built, monkeypatch):
    settings, _, _, _ = built
    # as if this index came from an older wtkb (index.build the module, not the re-exported function)
    monkeypatch.setattr(sys.modules["index.build"], "PARSER_VERSION", -1)
    assert "reads documents differently" in index.staleness(settings)


def test_changed_file_reembeds_only_its_chunks(built, tmp_path):
    settings, _, corpus, embedder = built
    note = corpus / "note-sample.md"
    note.write_text(note.read_text() + "\n## A new section\n\nA brand new paragraph about consent and records.\n")
    assert "changed" in index.staleness(settings)
    report = index.build(settings, embedder=embedder)
    assert report.embedded == 1 and report.reused == report.chunks - 1


def test_querying_with_another_model_is_refused(built, tmp_path):
    settings, _, _, embedder = built
    other = tmp_path / "other-model"
    shutil.copytree(embedder.spec.location, other)  # a different model folder
    with pytest.raises(ModelError) as e:
        index.load(settings, model=str(other))
    assert "built with 'sentence-transformers/all-MiniLM-L6-v2'" in str(e.value)
    assert "rebuild" in str(e.value)
    index.load(settings, model="all-MiniLM-L6-v2")  # the same model under its short name is fine


def test_chunks_fit_the_model(built):
    kb = index.load(built[0])
    count = kb.embedder.token_counter()
    assert max(count(c.embed_text) for c in kb.chunks) <= kb.embedder.max_seq_length


def test_empty_corpus_keeps_existing_index(built, tmp_path):
    settings = built[0]
    before = store.current_version(settings.index_dir)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(index.IndexError_) as e:
        index.build(settings.replace(corpus_dirs=(empty,)), embedder=built[3])
    assert "no readable documents" in str(e.value) and "not changed" in str(e.value)
    assert store.current_version(settings.index_dir) == before
    index.load(settings)


def test_onnx_query_encoder_matches_sentence_transformers(built):
    """The fast query path is checked against the reference implementation."""
    settings, _, _, embedder = built
    kb = index.load(settings)
    assert kb.embedder.backend == "onnxruntime"
    texts = [c.embed_text for c in kb.chunks[:16]] + ["what is a LADO?", "s47"]
    fast = kb.embedder.encode(texts)
    reference = embedder.sentence_transformer().encode(texts, normalize_embeddings=True)
    assert np.min(np.sum(fast * reference, axis=1)) > 0.9999


def test_damaged_index_is_refused(built, tmp_path):
    settings = built[0]
    copy = tmp_path / "copy"
    shutil.copytree(settings.index_dir, copy)
    s2 = settings.replace(index_dir=copy)
    version = store.current_version(copy)
    with open(version / "chunks.jsonl", "a") as f:
        f.write("\n")
    with pytest.raises(index.IndexError_) as e:
        index.load(s2)
    assert "checksum" in str(e.value) and "wtkb build" in str(e.value)
