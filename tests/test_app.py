"""The Streamlit app's page logic through AppTest, over a real index of the
sample corpus, plus the Markdown and Word exports called directly."""

from __future__ import annotations

import importlib.util
import io
import json
import re

import pytest
from app_helpers import APP, HOSTILE_QUESTION, app_index
from streamlit.testing.v1 import AppTest

import index
from wtkb import export

pytestmark = pytest.mark.slow

REVIEW_Q = "how many days does the authority have to tell the review panel?"
REVIEW_LABEL_END = "Notifying an incident \u00b7 paras 10\u201311 \u00b7 p. 6"
UNRELATED_Q = "what is the best recipe for lemon drizzle cake?"
UNESCAPED_JS_LINK = re.compile(r"(?<!\\)\]\(javascript")
MD_SPECIAL_UNESCAPED = re.compile(r"(?<!\\)[<>\[\]()!*_`#|$:]")


@pytest.fixture(scope="module")
def built(tmp_path_factory, sample_corpus, embedder):
    return app_index(tmp_path_factory, sample_corpus, embedder)


@pytest.fixture()
def env(built, monkeypatch):
    for k, v in built.env().items():
        monkeypatch.setenv(k, v)
    return built


@pytest.fixture()
def at(env) -> AppTest:
    app = AppTest.from_file(str(APP), default_timeout=60)
    app.run()
    assert not app.exception, app.exception
    return app


def ask(at: AppTest, question: str) -> AppTest:
    at.text_input(key="q").input(question).run()
    assert not at.exception, at.exception
    return at


def unescape(md: str) -> str:
    """The text a reader sees for Markdown written by escape_md."""
    return re.sub(r"\\(.)", r"\1", md).replace("  \n", "\n")


def labels(at: AppTest) -> list[str]:
    """Citation labels shown (one st.code per passage, for copying)."""
    return [c.value for c in at.code]


def load_app_module():
    spec = importlib.util.spec_from_file_location("wtkb_app_under_test", APP)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # main() only runs as __main__
    return module


# ----------------------------------------------------------------- asking

def test_first_screen_has_notice_examples_and_index_panel(at):
    warnings = " ".join(w.value for w in at.warning)
    assert "does not replace your local safeguarding procedures" in warnings and "call 999" in warnings
    # The sample corpus has no official text: a banner says how to get it.
    assert "No official text is indexed yet" in warnings and "wtkb fetch" in warnings and "wtkb build" in warnings
    assert at.pills(key="example").value is None
    panel = unescape(" ".join(m.value for m in at.sidebar.expander[0].markdown))
    assert "**Sample safeguarding guidance**" in panel and "**Study note: sample chapter**" in panel
    assert "unofficial study note · notes · edition test edition · 3 passages" in panel
    assert any("Built " in c.value for c in at.sidebar.caption)


def test_asking_shows_key_points_with_citations_and_passages(at):
    ask(at, REVIEW_Q)
    text = "\n".join(m.value for m in at.markdown)
    assert "five working days" in unescape(text)
    assert "[\\[1\\]](#passage-1)" in text  # the key point's marker links to passage 1
    assert at.subheader[0].value.startswith("Answer for")
    passages = [s for s in at.subheader if s.value.startswith("\\[")]
    assert passages and passages[0].value == "\\[1\\] Sample safeguarding guidance"
    assert labels(at)[0].endswith(REVIEW_LABEL_END)
    details = unescape(" ".join(c.value for c in at.caption))
    assert "Chapter: Ch 3: Reviewing serious incidents" in details and "Paragraphs 10\u201311" in details
    assert "Page 6" in details
    # The key-point sentence is highlighted inside its passage.
    assert any(m.value.startswith(":orange-background[**When a child is seriously harmed") for m in at.markdown)
    assert len([b for b in at.button if b.label == "Add to excerpts"]) == len(labels(at)) == 5


def test_example_question_is_asked(at):
    at.pills(key="example").set_value("What happens at a strategy discussion?").run()
    assert at.text_input(key="q").value == "What happens at a strategy discussion?"
    assert at.pills(key="example").value is None  # reset so the same example can be picked again
    assert any(lab.startswith("Unofficial study note") for lab in labels(at))
    notes = " ".join(i.value for i in at.info)
    assert "unofficial study notes, not the statutory guidance" in unescape(notes)
    assert "Working Together 2023 Ch 3: Providing help, support and protection" in unescape(notes)


def test_filter_by_kind_changes_results(at):
    ask(at, "strategy discussion")
    everything = labels(at)
    assert any(not lab.startswith("Unofficial study note") for lab in everything)
    at.sidebar.multiselect(key="f_kind").set_value(["notes"]).run()
    only_notes = labels(at)
    assert only_notes and all(lab.startswith("Unofficial study note") for lab in only_notes)
    assert only_notes != everything
    at.sidebar.multiselect(key="f_kind").set_value(["other"]).run()
    ask(at, "how is consent to share information recorded?")
    assert labels(at) and not any(lab.startswith("Unofficial study note") for lab in labels(at))


def test_filter_by_chapter_changes_results(at):
    ask(at, "what does a review of a serious incident look for?")
    before = labels(at)
    assert any(" Ch 3" not in lab for lab in before)
    at.sidebar.multiselect(key="f_chapter").set_value(["3"]).run()
    after = labels(at)
    assert after and all(" Ch 3" in lab for lab in after) and after != before


def test_filter_by_document(at):
    ask(at, "review")
    at.sidebar.multiselect(key="f_doc").set_value(["sample-html"]).run()
    assert labels(at) and all(lab.startswith("Sample HTML guidance") for lab in labels(at))


def test_filters_that_exclude_everything_abstain_and_suggest_widening(at):
    ask(at, REVIEW_Q)
    at.sidebar.multiselect(key="f_kind").set_value(["framework"]).run()
    assert labels(at) == []
    assert any("widen the filters" in m.value for m in at.markdown)


def test_unrelated_question_abstains_without_passages(at):
    ask(at, UNRELATED_Q)
    warning = " ".join(w.value for w in at.warning)
    assert "No answer found" in warning and "Nothing in the indexed documents" in unescape(warning)
    assert labels(at) == []
    assert not [b for b in at.button if b.label == "Add to excerpts"]
    assert not [s for s in at.subheader if s.value.startswith("\\[")]
    assert any("Glossary" in m.value and "rephrase" in m.value for m in at.markdown)


def test_empty_question_is_answered_politely(at):
    at.button(key="ask").click().run()
    assert not at.exception
    assert any("Please type a question" in i.value for i in at.info)
    ask(at, "   ")
    assert not at.exception and labels(at) == []


def test_acronyms_are_explained(at):
    ask(at, "What does the LADO do?")
    captions = unescape(" ".join(c.value for c in at.caption))
    assert "LADO: local authority designated officer" in captions
    ask(at, "What does the designated lead decide about a referral?")
    captions = unescape(" ".join(c.value for c in at.caption))
    assert "Acronyms here:" in captions and "DSL: designated safeguarding lead" in captions


def test_hostile_passage_is_escaped(at):
    ask(at, HOSTILE_QUESTION)
    shown = [m.value for m in at.markdown if "alert(1)" in unescape(m.value)]
    assert shown, "the hostile note should be among the passages"
    for md in shown:
        assert "<script>" not in md and "![x](" not in md and not UNESCAPED_JS_LINK.search(md)
        assert "\\<script\\>" in md
    title = [s.value for s in at.subheader if "alert" in s.value]
    assert title and "<script>" not in title[0] and "\\*\\*hostile\\*\\*" in title[0]
    # its front matter link is javascript:, so no link button is offered for it
    assert not any("javascript" in (lb.proto.url or "") for lb in at.link_button)


def test_escape_md_makes_markdown_inert():
    app = load_app_module()
    for hostile in ("<script>alert(1)</script>", "![x](http://evil/x.png)", "[a](javascript:alert(1))",
                    "**bold** _it_ `code` # head", "| a | b |", "$x$ :red[red] <img src=x onerror=alert(1)>"):
        md = app.escape_md(hostile)
        assert unescape(md) == hostile
        assert not MD_SPECIAL_UNESCAPED.search(md), md
    assert app.escape_md("1. first\n   - indented") == "1\\. first  \n\\- indented"
    assert app.safe_url("javascript:alert(1)") == "" and app.safe_url("https://www.gov.uk/x.pdf#page=3")


# ----------------------------------------------------------------- excerpts

def add_passages(at: AppTest, *ranks: int) -> None:
    for rank in ranks:
        cid_buttons = [b for b in at.button if b.key and b.key.startswith("add::")]
        at.button(key=cid_buttons[rank - 1].key).click().run()


def go(at: AppTest, view: str) -> AppTest:
    at.sidebar.radio(key="view").set_value(view).run()
    assert not at.exception, at.exception
    return at


def test_basket_add_reorder_annotate_remove(at):
    ask(at, REVIEW_Q)
    first, second = labels(at)[0], labels(at)[1]
    add_passages(at, 1, 2)
    assert [ex["label"] for ex in at.session_state.excerpts] == [first, second]
    added = [b for b in at.button if b.key and b.key.startswith("add::")]
    assert added[0].disabled and added[0].label == "In your excerpts"

    go(at, "Excerpts")
    assert at.sidebar.radio(key="view").format_func("Excerpts") == "Excerpts (2)"
    heads = [m.value for m in at.markdown if m.value.startswith("#### ")]
    assert unescape(heads[0]) == f"#### 1. {first}" and unescape(heads[1]) == f"#### 2. {second}"
    assert labels(at)[:2] == [first, second]  # copy-citation blocks

    at.button(key=f"down::{at.session_state.excerpts[0]['chunk_id']}").click().run()
    assert [ex["label"] for ex in at.session_state.excerpts] == [second, first]
    at.button(key=f"up::{at.session_state.excerpts[1]['chunk_id']}").click().run()
    assert [ex["label"] for ex in at.session_state.excerpts] == [first, second]

    cid = at.session_state.excerpts[0]["chunk_id"]
    at.text_area(key=f"note::{cid}").input("Discuss: who tells the panel, and when?").run()
    assert at.session_state.excerpts[0]["note"] == "Discuss: who tells the panel, and when?"

    preview = [c.value for c in at.code if c.language == "markdown"][0]
    assert "Discuss: who tells the panel, and when?" in preview and "## References" in preview
    assert {d.label for d in at.download_button} == {"Download Markdown", "Download Word"}
    refs = [m.value for m in at.markdown if m.value.startswith("1. ")]
    assert refs and unescape(refs[0]).startswith(f"1. {first}")

    at.button(key=f"remove::{cid}").click().run()
    assert [ex["label"] for ex in at.session_state.excerpts] == [second]
    at.button(key="clear").click().run()
    assert at.session_state.excerpts == []
    assert any("No excerpts yet" in i.value for i in at.info)


def test_basket_survives_switching_views(at):
    ask(at, REVIEW_Q)
    add_passages(at, 1)
    go(at, "Glossary")
    go(at, "Ask")
    assert at.text_input(key="q").value == REVIEW_Q
    go(at, "Excerpts")
    assert len(at.session_state.excerpts) == 1


# ----------------------------------------------------------------- other views

def test_glossary_view(at):
    go(at, "Glossary")
    table = at.dataframe[0].value
    assert {"LADO", "DSL"} <= set(table["Term"])
    at.text_input(key="gloss_q").input("designated safeguarding").run()
    assert list(at.dataframe[0].value["Term"]) == ["DSL"]


def test_evaluation_view_without_a_report(at):
    go(at, "Evaluation")
    assert any("make eval" in i.value and "wtkb eval" in i.value for i in at.info)


def test_evaluation_view_shows_the_latest_report(env, tmp_path, monkeypatch):
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "latest.json").write_text(json.dumps({
        "generated_at": "2026-11-22T10:00:00Z", "recommended": "hybrid", "split": "test",
        "systems": {"hybrid": {"recall@5": 0.9, "mrr": 0.8, "p50_ms": 40},
                    "bm25": {"recall@5": 0.7, "mrr": 0.6, "p50_ms": 5}}}))
    from PIL import Image

    Image.new("RGB", (40, 20), "white").save(reports / "recall.png")
    monkeypatch.setenv("WTKB_REPORTS_DIR", str(reports))
    app = AppTest.from_file(str(APP), default_timeout=60)
    app.session_state["view"] = "Evaluation"
    app.run()
    assert not app.exception, app.exception
    table = app.dataframe[0].value
    assert list(table.index) == ["hybrid", "bm25"] and table.loc["hybrid", "recall@5"] == 0.9
    assert any("2026-11-22T10:00:00Z" in unescape(c.value) for c in app.caption)
    assert app.get("vega_lite_chart")  # the bar chart
    assert app.image and app.image[0].captions == ["recall.png"]
    assert any("Recommended" in i.value and "hybrid" in i.value for i in app.info)
    assert any("split: test" in unescape(c.value) for c in app.caption)

    (reports / "latest.json").write_text("{not json")
    app.run()
    assert not app.exception
    assert any("could not be read" in w.value and "make eval" in w.value for w in app.warning)


def test_missing_index_says_how_to_build(tmp_path, monkeypatch, env):
    monkeypatch.setenv("WTKB_INDEX_DIR", str(tmp_path / "nothing-here"))
    app = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not app.exception, app.exception
    errors = " ".join(e.value for e in app.error)
    assert "No index found" in errors and "make app" in errors and "wtkb build" in errors
    go(app, "Evaluation")  # the other views still work
    go(app, "Excerpts")
    assert any("No excerpts yet" in i.value for i in app.info)


# ----------------------------------------------------------------- exports, directly

@pytest.fixture(scope="module")
def excerpts(built):
    kb = index.load(built.settings())
    result = index.answer(kb, REVIEW_Q)
    note = next(c for c in kb.chunks if c.meta.kind == "notes" and c.meta.doc_id == "note-sample")
    hostile = next(c for c in kb.chunks if c.meta.doc_id == "note-hostile")
    top = result.hits[0].chunk
    items = [export.excerpt_from_chunk(top, REVIEW_Q, [kp.text for kp in result.key_points
                                                       if kp.chunk_id == top.chunk_id],
                                       note="Ask the group who notifies the panel."),
             export.excerpt_from_chunk(note),
             export.excerpt_from_chunk(hostile),
             export.excerpt_from_chunk(top)]  # the same source twice shares one reference
    return items


def test_markdown_export_has_citations_and_references(excerpts):
    md = export.to_markdown(excerpts, title="Training: notifications", now="2026-11-22 10:00")
    top, note, hostile = excerpts[0], excerpts[1], excerpts[2]
    assert md.startswith("# Training: notifications\n")
    assert "call 999" in md
    assert f"## 1. {top['label']} [1]" in md and f"Citation: {top['label']} [1]" in md
    assert f"## 4. {top['label']} [1]" in md  # repeated source → same reference number
    assert "Ask the group who notifies the panel." in md
    assert "> When a child is seriously harmed" in md
    refs = md.split("## References", 1)[1]
    assert refs.strip().startswith(f"1. {top['label']}")
    assert "\n3. " in refs and "\n4. " not in refs
    assert export.UNOFFICIAL in md and note["citation"]["url"] in refs
    # hostile text is inert
    assert "<script>" not in md and "![x](" not in md and not UNESCAPED_JS_LINK.search(md)
    assert "\\<script\\>alert(1)\\</script\\>" in md and "javascript:alert(3)" not in md


def test_word_export_has_citations_and_references(excerpts):
    from docx import Document

    data = export.to_docx(excerpts, title="Training: notifications", now="2026-11-22 10:00")
    doc = Document(io.BytesIO(data))
    paras = [p.text for p in doc.paragraphs]
    text = "\n".join(paras)
    top = excerpts[0]
    assert paras[0] == "Training: notifications"
    assert f"1. {top['label']} [1]" in paras and f"Citation: {top['label']} [1]" in paras
    assert "References" in paras
    refs = paras[paras.index("References") + 1:]
    assert refs[0].startswith(f"[1] {top['label']}") and len(refs) == 3
    assert "Trainer's note: Ask the group who notifies the panel." in paras
    assert "five working days" in text and "call 999" in text
    assert "<script>alert(1)</script>" in text  # Word shows text as text
    bold = [r.text for p in doc.paragraphs for r in p.runs if r.bold]
    assert any("five working days" in b for b in bold)  # the matched sentence is highlighted


def test_export_of_an_empty_basket():
    assert "No excerpts were selected." in export.to_markdown([])
    from docx import Document

    assert "No excerpts were selected." in [p.text for p in Document(io.BytesIO(export.to_docx([]))).paragraphs]
