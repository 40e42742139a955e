"""Label-judged gold sets: labels that are locators of unnumbered passages, the
'document' words that pick a set's file out of a folder holding several, and the
shape of the shipped Working Together 2023 set. No model is loaded and no real
document is read: the folders hold empty stand-in files, named as a user's would be."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import pytest

from index.evaluation.gold import GoldSet, default_gold, document_for, labels_to_chunks, load_gold
from index.evaluation.indexes import corpus_for
from index.evaluation.machine import files_fingerprint
from ingest.config import PROJECT_ROOT, load_settings

GOLD = PROJECT_ROOT / "evals" / "gold"


def _set(tmp_path, rows, name="g"):
    path = tmp_path / f"{name}.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return GoldSet(path, load_gold(path))


def _row(qid="w1", labels=("5",), document=None):
    row = {"id": qid, "question": "q", "labels": list(labels), "answer": "x"}
    if document is not None:
        row["document"] = document
    return row


def test_a_label_can_be_the_locator_of_an_unnumbered_passage(tmp_path):
    gs = _set(tmp_path, [_row("w1", ["app-a/intro#3"]), _row("w2", ["intro#3"]), _row("w3", ["7", "ch3/x#1"])])
    kb = SimpleNamespace(chunks=[SimpleNamespace(chunk_id="doc:app-a/intro#3", paragraphs=()),
                                 SimpleNamespace(chunk_id="doc:ch3/x#1", paragraphs=()),
                                 SimpleNamespace(chunk_id="doc:p7", paragraphs=("7",))])
    warnings = labels_to_chunks(gs, kb)
    w1, w2, w3 = gs.questions
    assert w1.relevant == {"doc:app-a/intro#3": 2}
    assert list(w2.relevant) == ["missing-paragraph:intro#3"] and "w2" in warnings[0]  # whole locators only
    assert w3.relevant == {"doc:p7": 2, "doc:ch3/x#1": 2}


def test_the_document_words_pick_the_sets_file_out_of_a_shared_folder(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    wt = folder / "Working_together_to_safeguard_children_2023_-_statutory_guidance.pdf"
    kcsie = folder / "KCSIE_2025.pdf"
    for f in (wt, kcsie):
        f.write_bytes(b"%PDF-1.4\n")
    wt_set = _set(tmp_path, [_row(document=["working together 2023"])], "wt")
    k_set = _set(tmp_path, [_row(document=["keeping children safe 2025", "kcsie 2025"])], "k")
    assert document_for(wt_set, folder) == wt and document_for(k_set, folder) == kcsie
    assert corpus_for(wt_set, load_settings(), tmp_path, folder) == wt
    assert document_for(wt_set, kcsie) == kcsie  # a file named on the command line is used as it is
    assert document_for(_set(tmp_path, [_row()], "any"), folder) == folder  # no document: the whole folder
    other = _set(tmp_path, [_row(document="working together 2018")], "old")
    with pytest.raises(ValueError, match="no file whose name holds the words 'working together 2018'"):
        document_for(other, folder)
    (folder / "working-together-2023-copy.pdf").write_bytes(b"%PDF-1.4\n")
    with pytest.raises(ValueError, match="2 files are named with 'working together 2023'"):
        document_for(wt_set, folder)


def test_a_set_must_name_one_document_and_name_it_in_words(tmp_path):
    with pytest.raises(ValueError, match="the same 'document'"):
        _set(tmp_path, [_row("w1", document="working together 2023"), _row("w2", document="kcsie 2025")])
    with pytest.raises(ValueError, match="line 1: 'document' must be words"):
        _set(tmp_path, [_row(document=["--"])])


def test_default_run_takes_the_label_sets_whose_document_the_folder_holds(tmp_path):
    (tmp_path / "hmg_working_together_2023.pdf").write_bytes(b"%PDF-1.4\n")
    notes: list[str] = []
    stems = {p.stem for p in default_gold(tmp_path, notes)}
    assert "wt2023" in stems and "kcsie2025" not in stems and "notes" in stems
    assert any(n.startswith("kcsie2025 skipped") for n in notes)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match="holds none of the documents"):
        default_gold(empty)


def test_a_single_document_corpus_has_a_fingerprint_that_follows_its_bytes(tmp_path):
    f = tmp_path / "doc.pdf"
    f.write_bytes(b"one")
    first = files_fingerprint(f)
    f.write_bytes(b"two")
    assert first and files_fingerprint(f) not in ("", first)


def test_shipped_wt2023_set_meets_the_issue_counts():
    qs = load_gold(GOLD / "wt2023.jsonl")
    gs = GoldSet(GOLD / "wt2023.jsonl", qs)
    inside = [q for q in qs if not q.out_of_scope]
    oos = [q for q in qs if q.out_of_scope]
    assert gs.kind == "labels" and gs.document == ("working together 2023",)
    assert len(inside) >= 80 and len(oos) >= 40 and sum("near_miss" in q.tags for q in oos) >= 25
    assert all(q.labels and q.answer for q in inside) and all(not q.answer and "out_of_scope" in q.tags for q in oos)
    for group in (inside, oos):  # roughly half and half
        dev = sum(q.split == "dev" for q in group)
        assert 0.4 <= dev / len(group) <= 0.6
    for tag in ("acronym", "scenario", "misspelling", "timescale", "keyword", "definition", "role"):
        assert {q.split for q in inside if tag in q.tags} == {"dev", "test"}, tag


@pytest.mark.parametrize("name", ["wt2023", "kcsie2025"])
def test_answer_regexes_are_short_and_keep_no_run_of_the_documents_words(name):
    """An answer states a fact in a few words; five plain words in a row would be a
    phrase of the guidance kept verbatim, which the project never stores."""
    for q in load_gold(GOLD / f"{name}.jsonl"):
        for alternative in q.answer.split("|"):
            assert not re.search(r"(?:[\w'-]+ ){4}[\w'-]+", alternative), (q.id, alternative)


def test_answer_scores_find_a_passage_labelled_by_its_locator():
    """'Answer in top 3' and 'right paragraph cited' count a gold locator the way
    labels_to_chunks does, so the unnumbered child protection steps can be scored."""
    from index.evaluation import answers as ev
    from index.evaluation.gold import Question

    step = SimpleNamespace(chunk=SimpleNamespace(chunk_id="doc:ch3/cp/strategy#2", paragraphs=()))
    para = SimpleNamespace(chunk=SimpleNamespace(chunk_id="doc:p12", paragraphs=("12",)))
    recs = {}
    for qid, hits in (("w1", [para, step]), ("w2", [para])):
        labels = [ev._paras(h) for h in hits]
        sents = [(1.0, "A police officer must attend.", h.chunk.chunk_id, ev._paras(h)) for h in reversed(hits)]
        recs[qid] = ev.Record(qid, [h.chunk.chunk_id for h in hits], labels, 5.0, sents, None)
    qs = [Question(q, "who attends", {}, answer="police", labels=["ch3/cp/strategy#2"]) for q in ("w1", "w2")]
    got = ev.score_answers(qs, recs, threshold=0.0, bar=0.0)
    assert got["answer_top3"] == 0.5 and got["right_paragraph_cited"] == 0.5


@pytest.mark.slow
def test_llamaindex_baseline_reads_a_single_document_corpus(tmp_path):
    """A label-judged set hands the baseline the one file named for it, not a folder."""
    pytest.importorskip("llama_index.core")
    from evals.fixture_pdf import build_fixture
    from evals.systems import LlamaIndexSystem

    pdf = tmp_path / "docs" / "sample-guidance.pdf"
    pdf.parent.mkdir()
    build_fixture(pdf)
    (pdf.parent / "unrelated-notes.md").write_text("# Other\n\nText about tax returns.\n", encoding="utf-8")
    system = LlamaIndexSystem(pdf, {})
    hits = system.search("strategy discussion", 3)
    assert hits and {h.source for h in hits} == {"sample-guidance"}
