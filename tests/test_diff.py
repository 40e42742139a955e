"""Edition diff: the pure alignment with a tiny deterministic encoder (fast), the
generated editions through real ingestion, and (slow) a real index of two
fixture editions driven through `wtkb diff`, `wtkb ask` and the app view."""

from __future__ import annotations

import hashlib
import json
import re
from types import SimpleNamespace

import numpy as np
import pytest
from typer.testing import CliRunner

from evals.diff_eval import score, worst
from evals.editions import write_editions
from index.diff import Para, align, normalise, paragraphs_from_chunks, word_diff
from index.diff_kb import change_topic, default_pair, edition_pairs, is_change_question, missing_editions
from ingest import ingest_file
from ingest.records import Chunk, DocMeta
from ingest.config import Settings


def fake_encode(texts: list[str]) -> np.ndarray:
    """Hashed bag of words: deterministic, needs no model, similar texts stay similar."""
    out = np.zeros((len(texts), 64), dtype=np.float32)
    for r, t in enumerate(texts):
        for w in re.findall(r"[a-z]+", t.lower()):
            out[r, int(hashlib.md5(w.encode()).hexdigest(), 16) % 64] += 1
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


TEXTS = {
    "a": "The local authority records every referral about neglect and shares a summary with the police.",
    "b": "Schools name a designated lead who makes sure that staff can recognise the signs of abuse.",
    "c": "A strategy discussion brings health, police and social care together when harm is suspected.",
    "d": "Parents are told about concerns unless telling them would put the child at greater risk of harm.",
    "e": "The annual report explains what the partners learned and what they will change next year.",
    "f": "Volunteers receive a short induction before they meet any child, and a named contact for advice.",
    "g": "Interpreters are used whenever a child or a parent needs one, and never a family member.",
}


def para(i: int, label, key: str, chapter="1", section="S1", text: str | None = None) -> Para:
    return Para(i, str(label), text or TEXTS[key], chapter, f"Chapter {chapter}", section, (i + 1,), f"c{i}")


def kinds(alignment) -> list[tuple]:
    return [(c.kind, tuple(p.label for p in c.old), tuple(p.label for p in c.new)) for c in alignment.changes]


# ---------------------------------------------------------------- pure alignment

def test_renumbering_alone_is_no_change():
    old = [para(0, 1, "a"), para(1, 2, "b"), para(2, 3, "c")]
    new = [para(0, "4.1", "a"), para(1, "4.2", "b"), para(2, "4.3", "c")]
    result = align(old, new, fake_encode)
    assert [c.kind for c in result.changes] == ["unchanged"] * 3
    assert [c.new[0].label for c in result.changes] == ["4.1", "4.2", "4.3"]


def test_every_kind_is_recognised():
    a, b, c, d, e, f = (TEXTS[k] for k in "abcdef")
    old = [para(0, 1, "a"), para(1, 2, "b"), para(2, 3, "c", text=c + " " + d), para(3, 4, "e"),
           para(4, 5, "f", chapter="2", section="S2"), para(5, 6, "g", chapter="2", section="S2")]
    new = [para(0, 1, "a", text=a.replace("records", "logs")),  # reworded lightly
           para(1, 2, "c", text=c), para(2, 3, "d", text=d),  # the old para 3 split in two
           para(3, 4, "e", chapter="2", section="S2"),  # moved to chapter 2
           para(4, 5, "f", chapter="2", section="S2"),
           para(5, 6, "x", chapter="2", section="S2",
                text="Every partner publishes its plan for training staff on online safety by April.")]
    result = align(old, new, fake_encode)
    got = kinds(result)
    assert ("reworded", ("1",), ("1",)) in got
    assert ("split", ("3",), ("2", "3")) in got
    assert ("moved", ("4",), ("4",)) in got
    assert ("unchanged", ("5",), ("5",)) in got
    assert ("new", (), ("6",)) in got
    assert ("removed", ("2",), ()) in got and ("removed", ("6",), ()) in got
    assert len(got) == 7
    assert result.counts()["split"] == 1
    assert {r.new_chapter for r in result.summary()} == {"1", "2"}


def test_two_paragraphs_joined_are_a_merge():
    c, d = TEXTS["c"], TEXTS["d"]
    old = [para(0, 1, "a"), para(1, 2, "c"), para(2, 3, "d"), para(3, 4, "e")]
    new = [para(0, 1, "a"), para(1, 2, "c", text=c + " " + d), para(2, 3, "e")]
    assert ("merged", ("2", "3"), ("2",)) in kinds(align(old, new, fake_encode))


def test_a_whole_chapter_renumbered_is_not_moved():
    old = [para(0, 1, "a", chapter="3", section="S"), para(1, 2, "b", chapter="3", section="S")]
    new = [para(0, 1, "g", chapter="3", section="Other"),
           para(1, 2, "a", chapter="4", section="S"), para(2, 3, "b", chapter="4", section="S")]
    result = align(old, new, fake_encode)
    assert [c.kind for c in result.changes] == ["new", "unchanged", "unchanged"]
    assert result.chapter_map == {"3": "4"}


def edition_pair():
    """Two generated editions: the new one inserts a paragraph after para 1 (renumbering every
    later one), renumbers a cross-reference to match, changes one footnote marker and rewords
    one paragraph; everything else is the same text."""
    body = [TEXTS[k] for k in "abcde"]
    old_texts = [body[0], body[1] + " See paragraph 4 for the referral route.",
                 body[2].replace("together", "together12"), body[3], body[4]]
    new_texts = [body[0], TEXTS["g"], body[1] + " See paragraph 5 for the referral route.",
                 body[2].replace("together", "together13"), body[3].replace("greater", "serious"), body[4]]
    old = [para(i, i + 1, "a", text=t) for i, t in enumerate(old_texts)]
    new = [para(i, i + 1, "a", text=t) for i, t in enumerate(new_texts)]
    return old, new


def test_renumbered_reference_footnote_number_rewording_and_insertion_are_told_apart():
    old, new = edition_pair()
    result = align(old, new, fake_encode)
    assert sorted(kinds(result)) == sorted([
        ("unchanged", ("1",), ("1",)), ("new", (), ("2",)), ("renumbered", ("2",), ("3",)),
        ("footnote", ("3",), ("4",)), ("reworded", ("4",), ("5",)), ("unchanged", ("5",), ("6",))])
    assert {k: v for k, v in result.counts().items() if v} == {"unchanged": 2, "new": 1, "renumbered": 1,
                                                              "footnote": 1, "reworded": 1}
    ref = next(c for c in result.changes if c.kind == "renumbered")
    assert [(s.op, s.text.strip()) for s in ref.diff if s.op != "same"] == [("del", "4"), ("ins", "5")]


def test_a_changed_number_that_is_no_reference_or_marker_is_a_rewording():
    text = "Staff record the concern within 3 days and tell the designated lead."
    old, new = [para(0, 1, "a", text=text)], [para(0, 1, "a", text=text.replace("3 days", "5 days"))]
    assert kinds(align(old, new, fake_encode)) == [("reworded", ("1",), ("1",))]


def test_ligatures_hyphenation_and_markers_glued_to_words_are_not_rewordings():
    from index.diff_text import number_change, skeleton

    assert normalise("the \ufb01rst safe- guarding lead") == normalise("the first safeguarding lead")
    a, b = normalise("checks under the Human Rights Act 199823 apply."), normalise("checks under the Human Rights Act 199824 apply.")
    assert skeleton(a) == skeleton(b) and number_change(a, b) == "footnote"
    a, b = normalise("see paragraphs 12 and 14 to 16"), normalise("see paragraphs 13 and 15 to 17")
    assert number_change(a, b) == "renumbered"


def test_misread_sections_do_not_make_moves():
    """An old edition whose headings are junk (a structure-tree outline): the order of the
    paragraphs decides, so only the paragraph that left its place is moved."""
    old = [para(i, i + 1, k, section=f"Figure > \u2022 > {i}") for i, k in enumerate("abcdef")]
    new = [para(0, 1, "a"), para(1, 2, "b"), para(2, 3, "d"), para(3, 4, "e", section="S2"),
           para(4, 5, "f", section="S2"), para(5, 6, "c", section="S2")]
    got = kinds(align(old, new, fake_encode))
    assert sorted(got) == sorted([("unchanged", ("1",), ("1",)), ("unchanged", ("2",), ("2",)),
                                  ("unchanged", ("4",), ("3",)), ("unchanged", ("5",), ("4",)),
                                  ("unchanged", ("6",), ("5",)), ("moved", ("3",), ("6",))])


def test_word_diff_rejoins_both_texts():
    old, new = "The lead records the referral today.", "The designated lead logs the referral today, in full."
    segs = word_diff(old, new)
    assert "".join(s.text for s in segs if s.op != "ins") == old
    assert "".join(s.text for s in segs if s.op != "del") == new
    assert ("del", "records ") in [(s.op, s.text) for s in segs]


def test_quotes_case_and_spacing_are_not_changes():
    assert normalise("The child\u2019s  VIEW\n") == normalise("the child's view")


def test_no_encoder_still_aligns():
    old = [para(0, 1, "a"), para(1, 2, "b")]
    new = [para(0, 1, "b"), para(1, 2, "a", text=TEXTS["a"].replace("every", "each"))]
    assert sorted(c.kind for c in align(old, new, None).changes) == ["reworded", "unchanged"]


# ---------------------------------------------------------------- paragraphs from chunks

META = DocMeta("doc", "Doc")


def chunk(cid, paragraphs, text, section=("S",), pages=(1, 1)) -> Chunk:
    return Chunk(cid, META, "4", "Four", section, tuple(paragraphs), pages, text, 0, len(text))


def test_paragraphs_from_chunks_keeps_string_labels_and_rejoins_long_paragraphs():
    chunks = [chunk("doc:a", (), "A lead-in without a number.\n\nFirst numbered.", pages=(3, 3)),
              chunk("doc:b", ("4.12",), "Second numbered.\n\nThird numbered."),
              chunk("doc:c", ("4.14",), "Long part one.", pages=(5, 5)),
              chunk("doc:d", ("4.14",), "Long part two.", pages=(6, 6)),
              chunk("doc:e", (7, 8), "Int seven.\n\nInt eight.")]
    chunks[0] = chunk("doc:a", ("4.11",), "A lead-in without a number.\n\nFirst numbered.", pages=(3, 3))
    paras = paragraphs_from_chunks(chunks)
    assert [p.label for p in paras] == ["", "4.11", "", "4.12", "4.14", "7", "8"]
    assert paras[4].text == "Long part one. Long part two." and paras[4].pages == (5, 6)
    assert paras[4].where == "para 4.14 \u00b7 pp. 5\u20136"


# ---------------------------------------------------------------- editions and questions

def kb_with(*metas, settings=None):
    chunks = [Chunk(f"{m.doc_id}:p1", m, "1", "One", ("S",), (1,), (1, 1), "Text.", 0, 5) for m in metas]
    return SimpleNamespace(chunks=chunks, settings=settings or Settings())


def test_edition_pairs_from_supersedes_edition_of_and_the_default():
    kb = kb_with(DocMeta("old", "Old", edition="2020"), DocMeta("new", "New", edition="2024", supersedes="old"),
                 DocMeta("p-2019", "P", edition="2019", edition_of="p"),
                 DocMeta("p-2022", "P", edition="2022", edition_of="p"),
                 DocMeta("note", "N", kind="notes", supersedes="old"))
    assert edition_pairs(kb) == [("old", "new"), ("p-2019", "p-2022")]
    assert default_pair(kb) == ("old", "new")
    assert missing_editions(kb) == ["wt2018-guidance", "wt2023-guidance"]
    wt = kb_with(DocMeta("wt2023-guidance", "WT 2023"), DocMeta("wt2018-guidance", "WT 2018"))
    assert default_pair(wt) == ("wt2018-guidance", "wt2023-guidance") and missing_editions(wt) == []


def test_change_questions_and_their_topics():
    assert is_change_question("What changed about early help?")
    assert is_change_question("how is the 2023 guidance different on LADOs")
    assert not is_change_question("what should I do if a child's circumstances change?")
    assert change_topic("What has changed in the guidance on early help?") == "early help"
    assert change_topic("what's new in 2023 about strategy discussions") == "strategy discussions"


def test_generated_editions_align_exactly_through_real_ingestion(tmp_path):
    info = write_editions(tmp_path, chapters=4, sections=3, paras=4, seed=3)
    old = paragraphs_from_chunks(ingest_file(info["old"]).chunks)
    new = paragraphs_from_chunks(ingest_file(info["new"]).chunks)
    assert len(old) == info["old_paragraphs"] and len(new) == info["new_paragraphs"]
    scores = score(align(old, new, fake_encode).changes, info["key"])
    assert {k for k, v in scores.items() if v["gold"]} == {"unchanged", "reworded", "moved", "split", "new",
                                                           "removed"}
    assert worst(scores) == 1.0, scores


def test_number_only_changes_through_real_ingestion(tmp_path):
    """Two generated PDF editions: a paragraph inserted at the start renumbers everything, so a
    "See paragraph N" reference is renumbered; one footnote number glued to a word changes and
    one paragraph is reworded. Each is reported as its own kind, and nothing else changes."""
    import copy

    from evals.editions import Para as Source
    from evals.editions import _render, first_edition

    old = first_edition(2, 2, 3, seed=5)
    target = old[1].sections[1].paras[2]  # printed as paragraph 12 in the old edition
    old[1].sections[1].paras[0].sentences.append("See paragraph 12 for the escalation route.")
    old[0].sections[1].paras[1].sentences[0] += " under the Children Act 19894"
    new = copy.deepcopy(old)
    new[0].sections[0].paras.insert(0, Source("added", ["Every school publishes its safeguarding policy online."]))
    new[1].sections[1].paras[0].sentences[-1] = "See paragraph 13 for the escalation route."
    new[0].sections[1].paras[1].sentences[0] = new[0].sections[1].paras[1].sentences[0].replace("19894", "19895")
    new[1].sections[0].paras[1].sentences.append("Records are kept for six years.")
    old_at, new_at = _render(old, tmp_path / "old.pdf", "First"), _render(new, tmp_path / "new.pdf", "Second")
    assert old_at[target.uid][0] == "12" and new_at[target.uid][0] == "13"
    before = paragraphs_from_chunks(ingest_file(tmp_path / "old.pdf").chunks)
    result = align(before, paragraphs_from_chunks(ingest_file(tmp_path / "new.pdf").chunks), fake_encode)
    assert len([p for p in before if p.label]) == 12
    changed = [k for k in kinds(result) if k[0] != "unchanged"]
    assert sorted(changed) == sorted([("new", (), ("1",)), ("renumbered", ("10",), ("11",)),
                                      ("footnote", ("5",), ("6",)), ("reworded", ("8",), ("9",))])
    assert result.counts()["unchanged"] == len(before) - 3


def test_view_escapes_corpus_text():
    from index.diff import Change, Segment
    from wtkb.diff_view import excerpt_from_change, side_by_side

    hostile = "<script>alert(1)</script> [x](javascript:alert(1)) **bold**"
    ch = Change("reworded", (para(0, 1, "a", text=hostile),), (para(0, 2, "a", text=hostile + " more"),), 0.9,
                (Segment("same", hostile + " "), Segment("ins", "more <b>")))
    old_md, new_md = side_by_side(ch)
    for md in (old_md, new_md):
        assert "<script>" not in md and "](javascript" not in md and "\\*\\*bold" in md
    assert ":green-background[**more \\<b\\>**]" in new_md
    ex = excerpt_from_change(ch, DocMeta("o", "Old"), DocMeta("n", "New", edition="2024"))
    assert ex["label"].startswith("Reworded: Old para 1") and "New (2024) para 2" in ex["label"]
    assert ex["text"].startswith("Before: <script>")  # raw in the dict; the exports escape it


# ---------------------------------------------------------------- a real index (slow)

SOURCES = """
[[source]]
id = "guide-2022"
title = "Sample guidance 2022"
short_title = "Sample 2022"
edition = "2022-01-01"
kind = "guidance"

[[source]]
id = "guide-2024"
title = "Sample guidance 2024"
short_title = "Sample 2024"
edition = "2024-01-01"
kind = "guidance"
supersedes = "guide-2022"
"""


@pytest.fixture(scope="module")
def editions_index(tmp_path_factory, embedder):
    import index

    root = tmp_path_factory.mktemp("editions")
    info = write_editions(root / "gen", chapters=4, sections=3, paras=4, seed=1)
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "guide-2022.pdf").write_bytes(info["old"].read_bytes())
    (corpus / "guide-2024.pdf").write_bytes(info["new"].read_bytes())
    # Both editions are official documents the user saved by hand: their sha256 is pinned in
    # sources.toml, which is what lets a file carry its manifest entry (and its `supersedes`).
    pinned = SOURCES
    for doc_id in ("guide-2022", "guide-2024"):
        digest = hashlib.sha256((corpus / f"{doc_id}.pdf").read_bytes()).hexdigest()
        pinned = pinned.replace(f'id = "{doc_id}"\n', f'id = "{doc_id}"\nsha256 = "{digest}"\n')
    (root / "sources.toml").write_text(pinned, encoding="utf-8")
    settings = Settings(index_dir=root / "index", corpus_dirs=(corpus,), sources_file=root / "sources.toml")
    index.build(settings, embedder=embedder)
    return settings, info


def run(settings, *args, **extra):
    env = {"WTKB_INDEX_DIR": str(settings.index_dir), "WTKB_SOURCES_FILE": str(settings.sources_file), **extra}
    from wtkb.cli import app

    return CliRunner().invoke(app, list(args), env=env)


@pytest.mark.slow
def test_wtkb_diff_on_a_real_index(editions_index, tmp_path):
    settings, info = editions_index
    res = run(settings, "diff", "--json", "--only", "reworded,moved,split,new,removed,unchanged")
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert (data["old_doc"], data["new_doc"]) == ("guide-2022", "guide-2024")
    got = [(c["kind"], tuple(p["label"] for p in c["old"]), tuple(p["label"] for p in c["new"]))
           for c in data["changes"]]
    assert sorted(got) == sorted(tuple(k) for k in info["key"])
    moved = next(c for c in data["changes"] if c["kind"] == "moved")
    assert moved["old"][0]["cite"].startswith("para ") and " \u00b7 p" in moved["old"][0]["cite"]

    res = run(settings, "diff", "guide-2022", "guide-2024", "--chapter", "2", "--only", "new")
    assert res.exit_code == 0 and res.output.count("new: Sample 2024") == 3, res.output
    assert run(settings, "diff", "--only", "bogus").exit_code == 1
    bad = run(settings, "diff", "guide-2022", "nope")
    assert bad.exit_code == 1 and "not in the index" in bad.output and "Traceback" not in bad.output

    md, docx = tmp_path / "changes.md", tmp_path / "changes.docx"
    assert run(settings, "diff", "--md", str(md)).exit_code == 0
    assert "| Chapter |" in md.read_text() and "~~" in md.read_text()
    assert run(settings, "diff", "--docx", str(docx)).exit_code == 0
    from docx import Document

    assert any(r.font.strike for p in Document(str(docx)).paragraphs for r in p.runs)


@pytest.mark.slow
def test_ask_about_change_and_by_edition(editions_index):
    settings, info = editions_index
    res = run(settings, "ask", "--json", "what changed about harm in parks and shopping centres?")
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["topic"] == "harm in parks and shopping centres" and data["chapter"] == "2"
    assert data["changes"][0]["kind"] == "new"
    # Generated text is far from any question, so abstention is switched off to see the filter at work.
    question = "who checks that the agreed actions have been completed?"
    both = run(settings, "ask", "--json", question, WTKB_ABSTAIN_BELOW="0")
    assert {h["citation"]["doc_id"] for h in json.loads(both.output)["hits"]} == {"guide-2022", "guide-2024"}
    res = run(settings, "ask", "--json", "--edition", "2022", question, WTKB_ABSTAIN_BELOW="0")
    assert res.exit_code == 0, res.output
    assert {h["citation"]["doc_id"] for h in json.loads(res.output)["hits"]} == {"guide-2022"}


APP_SCRIPT = """
import streamlit as st
import index
from wtkb import diff_view
from ingest.config import load_settings
kb = index.load(load_settings())
st.session_state.setdefault("added", [])
diff_view.render(st, kb, add_excerpt=lambda ex: st.session_state.added.append(ex["label"]))
"""


@pytest.mark.slow
def test_what_changed_view(editions_index, tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    settings, info = editions_index
    monkeypatch.setenv("WTKB_INDEX_DIR", str(settings.index_dir))
    monkeypatch.setenv("WTKB_SOURCES_FILE", str(settings.sources_file))
    at = AppTest.from_string(APP_SCRIPT, default_timeout=120).run()
    assert not at.exception, at.exception
    assert [s.value for s in at.selectbox][:2] == ["guide-2022", "guide-2024"]
    changed = len([k for k in info["key"] if k[0] != "unchanged"])
    assert at.caption[0].value.startswith(f"{changed} change(s)")
    assert any("~~" in m.value for m in at.markdown) and any(":green-background[**" in m.value for m in at.markdown)
    at.button(key="diff_add_0").click().run()
    assert at.session_state.added and at.session_state.added[0].split(":")[0] in (
        "New", "Reworded", "Moved", "Split in two", "Removed")
    at.multiselect(key="diff_kinds").set_value(["removed"]).run()
    assert at.caption[0].value.startswith("1 change(s)")


@pytest.mark.slow
def test_view_names_what_to_fetch_with_one_edition(tmp_path, sample_corpus, embedder, monkeypatch):
    import index
    from streamlit.testing.v1 import AppTest

    settings = Settings(index_dir=tmp_path / "index", corpus_dirs=(sample_corpus,))
    index.build(settings, embedder=embedder)
    monkeypatch.setenv("WTKB_INDEX_DIR", str(settings.index_dir))
    at = AppTest.from_string(APP_SCRIPT, default_timeout=120).run()
    assert not at.exception, at.exception
    # In words, without commands: those are for whoever runs the app (the sidebar's About and admin).
    text = " ".join(c.value for c in at.caption)
    assert "Working Together 2018" in text and "About and admin" in text and "wtkb fetch" not in text
    res = CliRunner().invoke(__import__("wtkb.cli", fromlist=["app"]).app, ["diff"],
                             env={"WTKB_INDEX_DIR": str(settings.index_dir)})
    assert res.exit_code == 1 and "fetch wt2018-guidance, wt2023-guidance" in res.output, res.output
