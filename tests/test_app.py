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
    """Citation labels shown, one "Cite as:" line per passage or excerpt (after the badge on a passage card)."""
    return [unescape(c.value).split("Cite as: ", 1)[1] for c in at.caption if "Cite as: " in c.value]


def load_app_module():
    spec = importlib.util.spec_from_file_location("wtkb_app_under_test", APP)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # main() only runs as __main__
    return module


def go(at: AppTest, view: str) -> AppTest:
    at.segmented_control(key="view").set_value(view).run()
    assert not at.exception, at.exception
    return at


def view_of(at: AppTest) -> str:
    return at.segmented_control(key="view").value


# ----------------------------------------------------------------- asking

def test_first_screen_has_notice_examples_and_index_panel(at):
    warnings = " ".join(w.value for w in at.warning)
    assert "does not replace your local procedures" in warnings and "Call 999" in warnings
    assert view_of(at) == "ask" and [t.value for t in at.title] == ["Ask the guidance"]
    # The sample corpus has no official text, only documents added by hand and notes: practitioners are told
    # so in plain words ("Not verified", not "study notes only"), with no commands.
    main_text = " ".join(i.value for i in at.main.info) + warnings
    assert "added by hand and are **Not verified**" in main_text and "study notes" not in main_text
    assert "wtkb" not in main_text and "make app" not in main_text
    # The commands are in the admin panel.
    admin = " ".join(m.value for m in at.sidebar.expander[1].markdown)
    assert "`wtkb fetch`" in admin and "`wtkb build`" in admin and "feedback.jsonl" in unescape(admin)
    assert at.pills(key="example").value is None
    panel = unescape(" ".join(m.value for m in at.sidebar.expander[0].markdown))
    assert "**Sample safeguarding guidance**" in panel and "**Study note: sample chapter**" in panel
    assert "Study note · notes · edition test edition · 3 passages" in panel
    assert "Not verified" in panel and "Unofficial" not in panel  # the hand-added PDF
    assert any("Built " in c.value for c in at.sidebar.caption)


def test_asking_shows_key_points_with_citations_and_passages(at):
    ask(at, REVIEW_Q)
    text = "\n".join(m.value for m in at.markdown)
    assert "five working days" in unescape(text)
    assert "[\\[1\\]](#passage-1)" in text  # the key point's marker links to passage 1
    assert at.header[0].value == "Answer"  # paragraph blocks since issue 18
    assert any(unescape(c.value).startswith(f"For: \u201c{REVIEW_Q}\u201d") for c in at.caption)
    passages = [s for s in at.subheader if s.value.startswith("\\[")]
    assert passages and passages[0].value == "\\[1\\] Notifying an incident"  # the section, not the document
    assert labels(at)[0].endswith(REVIEW_LABEL_END) and "Ch 3: Reviewing serious incidents" in labels(at)[0]
    # One citation line per card: no metadata line repeating it, no raw similarity on the card.
    assert not any("Chapter: " in c.value for c in at.caption)
    assert not any("similarity" in b.label.lower() for b in at.get("badge") if hasattr(b, "label"))
    # The key-point sentence is highlighted inside its passage.
    # (The passage now prints its paragraph label, "10. ", where paragraph 10 starts.)
    assert any(re.match(r":orange-background\[\*\*(10\\\. )?When a child is seriously harmed", m.value)
               for m in at.markdown)
    assert len([b for b in at.button if b.label == "Add to excerpts"]) == len(labels(at)) == 5
    # The examples fold away once a question is asked; the question is remembered.
    assert at.session_state.recent == [REVIEW_Q]
    assert any(e.label == "Examples and your recent questions" for e in at.expander)


def test_example_and_recent_questions_are_asked(at):
    at.pills(key="example").set_value("What happens at a strategy discussion?").run()
    assert at.text_input(key="q").value == "What happens at a strategy discussion?"
    assert at.pills(key="example").value is None  # reset so the same example can be picked again
    assert any(lab.startswith("Study note") for lab in labels(at))
    # The study-note disclaimer is said once per answer, not in every card.
    said = [c.value for c in at.caption if "are our own summaries" in c.value]
    assert len(said) == 1
    # "These answers come from study notes" only when every passage shown is one: here a
    # document added by hand (the guidance itself, Not verified) is among them.
    assert not all(lab.startswith("Study note") for lab in labels(at))
    assert "These answers come from study notes" not in said[0]
    assert any("covers Working Together 2023, Ch 3: Providing help, support and protection" in lab
               for lab in labels(at))
    ask(at, REVIEW_Q)
    at.pills(key="recent_pick").set_value("What happens at a strategy discussion?").run()
    assert at.text_input(key="q").value == "What happens at a strategy discussion?"
    assert at.session_state.recent[:2] == ["What happens at a strategy discussion?", REVIEW_Q]


def test_filters_offer_only_what_the_index_holds(at, env):
    ask(at, "strategy discussion")
    assert at.multiselect(key="f_kind").options == ["notes", "other"]  # no guidance/framework: none indexed
    docs = at.multiselect(key="f_doc").options  # shown by title
    assert len(docs) == 4 and "Sample HTML guidance" in docs and "Study note: sample chapter" in docs
    _, kinds, names = load_app_module().filter_options(index.load(env.settings()))
    assert kinds == ["notes", "other"]
    assert list(names.values()) == at.multiselect(key="f_chapter").options
    # One option per real chapter, named as printed: two documents' chapter 3s are two chapters.
    assert {"Ch 3: Providing help, support and protection", "Ch 3: Reviewing serious incidents",
            "Introduction"} <= set(names.values()) and not any(" / " in n for n in names.values())


def test_filter_by_kind_changes_results(at):
    ask(at, "strategy discussion")
    everything = labels(at)
    assert any(not lab.startswith("Study note") for lab in everything)
    at.multiselect(key="f_kind").set_value(["notes"]).run()
    only_notes = labels(at)
    assert only_notes and all(lab.startswith("Study note") for lab in only_notes)
    assert only_notes != everything
    # Every passage a note, and no official document indexed: the answer says it comes from notes.
    assert any("These answers come from study notes" in c.value for c in at.caption)
    assert any(p.proto.popover.label == "Filters (1)" for p in at.get("popover"))  # the active filter shows on the button
    at.multiselect(key="f_kind").set_value(["other"]).run()
    ask(at, "how is consent to share information recorded?")
    assert labels(at) and not any(lab.startswith("Study note") for lab in labels(at))


def test_filter_by_chapter_changes_results(at):
    ask(at, "what does a review of a serious incident look for?")
    before = labels(at)
    assert any(" Ch 3" not in lab for lab in before)
    at.multiselect(key="f_chapter").set_value(["Ch 3: Reviewing serious incidents"]).run()
    after = labels(at)
    assert after and all("Ch 3: Reviewing serious incidents" in lab for lab in after) and after != before


def test_filter_by_document(at):
    ask(at, "review")
    at.multiselect(key="f_doc").set_value(["sample-html"]).run()
    assert labels(at) and all(lab.startswith("Sample HTML guidance") for lab in labels(at))


def test_filters_that_exclude_everything_abstain_and_suggest_widening(at):
    ask(at, REVIEW_Q)
    at.multiselect(key="f_doc").set_value(["sample-html"]).run()
    at.multiselect(key="f_kind").set_value(["notes"]).run()
    assert labels(at) == []
    assert any("widen the **Filters**" in m.value for m in at.markdown)


def test_unrelated_question_abstains_without_passages(at):
    ask(at, UNRELATED_Q)
    assert [h.value for h in at.header] == ["No answer found"]
    warning = " ".join(w.value for w in at.warning)
    assert "Nothing in the indexed documents" in unescape(warning)
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
    captions = unescape(" ".join(c.value for c in at.caption))  # behind each card's Details toggle
    assert "Acronyms here:" in captions and "DSL: designated safeguarding lead" in captions


def test_hostile_passage_is_escaped(at):
    ask(at, HOSTILE_QUESTION)
    shown = [m.value for m in at.markdown if "alert(1)" in unescape(m.value)]
    assert shown, "the hostile note should be among the passages"
    for md in shown:
        assert "<script>" not in md and "![x](" not in md and not UNESCAPED_JS_LINK.search(md)
        assert "\\<script\\>" in md
    # Its title is shown where documents are named (the sidebar), escaped.
    title = [m.value for m in at.sidebar.markdown if "alert" in m.value]
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


def test_flag_this_answer_is_stored_locally_question_only_with_consent(at, env):
    from wtkb.ui import feedback

    path = feedback.feedback_path(env.settings())
    before = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    ask(at, REVIEW_Q)
    at.radio(key="flag_problem").set_value("A citation points to the wrong place")
    at.text_area(key="flag_comment").input("Paragraph 11 is on the next page.")
    at.button(key="FormSubmitter:flag-Send to whoever runs this app").click().run()
    assert not at.exception, at.exception
    at.checkbox(key="flag_consent").check()
    at.button(key="FormSubmitter:flag-Send to whoever runs this app").click().run()
    lines = path.read_text(encoding="utf-8").splitlines()[len(before):]
    first, second = (json.loads(x) for x in lines)
    assert first["question"] is None and first["problem"] == "A citation points to the wrong place"
    assert first["comment"] == "Paragraph 11 is on the next page." and first["passages"]
    assert second["question"] == REVIEW_Q
    assert first["index_version"].startswith("v-")


# ----------------------------------------------------------------- excerpts

def add_passages(at: AppTest, *ranks: int) -> None:
    for rank in ranks:
        cid_buttons = [b for b in at.button if b.key and b.key.startswith(f"add::passage-{rank}::")]
        at.button(key=cid_buttons[0].key).click().run()


def test_basket_add_reorder_annotate_remove(at):
    ask(at, REVIEW_Q)
    first, second = labels(at)[0], labels(at)[1]
    add_passages(at, 1, 2)
    assert [ex["label"] for ex in at.session_state.excerpts] == [first, second]
    added = [b for b in at.button if b.key and b.key.startswith("add::passage-1::")]
    assert added[0].disabled and added[0].label == "In your excerpts"

    go(at, "excerpts")
    assert at.title[0].value == "Excerpts (2)"
    heads = [unescape(h.value) for h in at.header]
    assert heads[0] == "1. Notifying an incident" and heads[1].startswith("2. ")
    assert labels(at)[:2] == [first, second]  # one citation line each, with a copy button

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
    # Clearing asks first; Cancel keeps everything.
    at.button(key="clear").click().run()
    assert any("Remove all 1 excerpts" in w.value for w in at.warning)
    at.button(key="clear_no").click().run()
    assert len(at.session_state.excerpts) == 1 and not at.session_state.confirm_clear
    at.button(key="clear").click().run()
    at.button(key="clear_yes").click().run()
    assert at.session_state.excerpts == []
    assert any("No excerpts yet" in i.value for i in at.info)


def test_excerpt_widgets_keep_their_keys_after_a_removal(at):
    ask(at, REVIEW_Q)
    add_passages(at, 1, 2, 3)
    go(at, "excerpts")
    ids = [ex["chunk_id"] for ex in at.session_state.excerpts]
    at.text_area(key=f"note::{ids[2]}").input("third").run()
    at.button(key=f"remove::{ids[0]}").click().run()
    assert view_of(at) == "excerpts"
    # The remaining excerpts' widgets are the same ones (keyed by chunk id), notes intact.
    assert at.text_area(key=f"note::{ids[2]}").value == "third"
    at.button(key=f"up::{ids[2]}").click().run()
    assert view_of(at) == "excerpts" and [ex["chunk_id"] for ex in at.session_state.excerpts] == [ids[2], ids[1]]
    assert at.session_state.excerpts[0]["note"] == "third"


def test_basket_survives_switching_views(at):
    ask(at, REVIEW_Q)
    add_passages(at, 1)
    go(at, "glossary")
    go(at, "ask")
    assert at.text_input(key="q").value == REVIEW_Q
    go(at, "excerpts")
    assert len(at.session_state.excerpts) == 1


def test_stored_basket_is_parsed_defensively():
    from wtkb.ui.browser import parse_stored

    good = {"chunk_id": "a:1", "text": "t", "label": "L", "citation": {"official": True}}
    assert parse_stored(json.dumps({"version": 1, "items": [good]}))[0]["note"] == ""
    for junk in ("", None, "{", "[]", json.dumps({"items": "x"}), json.dumps({"items": [{"text": 1}]}), 42):
        assert parse_stored(junk) == []
    odd = parse_stored(json.dumps({"items": [{**good, "citation": "<script>", "highlights": "x", "note": 3},
                                             {"chunk_id": "b:2", "text": "u", "extra": "dropped"}]}))
    assert odd[0]["citation"] == {} and odd[0]["highlights"] == [] and odd[0]["note"] == ""
    assert odd[1] == {"chunk_id": "b:2", "text": "u", "label": "b:2", "note": "", "question": "",
                      "highlights": [], "citation": {}}


# ----------------------------------------------------------------- browse

def test_browse_shows_the_outline_and_reads_a_section(at):
    go(at, "browse")
    at.selectbox(key="browse_doc").set_value("sample-guidance").run()
    assert not at.exception, at.exception
    chapters = [unescape(e.label).split(" · ")[0] for e in at.expander if e.label.startswith("Ch ")]
    assert chapters == ["Ch 1: Shared work with families", "Ch 2: Local partnership arrangements",
                        "Ch 3: Reviewing serious incidents"]  # the document's order
    opens = [b for b in at.button if b.key and b.key.startswith("open::sample-guidance::")]
    assert [b.label.split(" · ")[0] for b in opens][-2:] == ["Notifying an incident", "Learning lessons"]
    target = next(b for b in opens if "Notifying an incident" in b.label)
    assert "paras 10" in target.label and "p. 6" in target.label
    at.button(key=target.key).click().run()
    assert unescape(at.header[0].value) == "Notifying an incident"
    assert unescape(at.subheader[0].value) == "paras 10\u201311 \u00b7 p. 6"  # a card is named by where it sits
    assert labels(at) and all(lab.endswith("p. 6") or "Notifying an incident" in lab for lab in labels(at))
    add = [b for b in at.button if b.key and b.key.startswith("add::browse-0::")]
    at.button(key=add[0].key).click().run()
    assert at.session_state.excerpts[0]["label"] == labels(at)[0]
    at.button(key="browse_back").click().run()
    assert at.header[0].value == "Contents"


# ----------------------------------------------------------------- other views

def test_what_changed_view_is_in_the_navigation(at):
    go(at, "changes")
    assert view_of(at) == "changes" and at.title[0].value == "What changed"
    # The sample corpus holds no two editions of one document: the view says what is missing, in words
    # (the commands are for whoever runs the app, under About and admin).
    main = " ".join(c.value for c in at.main.caption)
    assert "two editions paragraph by paragraph" in main and "About and admin" in main and "wtkb" not in main


def test_glossary_view(at):
    go(at, "glossary")
    table = at.table[0].value
    assert list(table["Term"]) == sorted(table["Term"], key=str.lower) and {"LADO", "DSL"} <= set(table["Term"])
    assert list(table.columns) == ["Term", "Stands for", "Meaning"]
    at.text_input(key="gloss_q").input("designated safeguarding").run()
    assert list(at.table[0].value["Term"]) == ["DSL"]


def test_evaluation_view_without_a_report(at):
    go(at, "evaluation")
    # The app's configuration is stated even without a report; producing one is for the admin.
    assert "its top **10** passages are re-ordered" in at.markdown[0].value
    info = " ".join(i.value for i in at.info)
    assert "No evaluation report yet" in info and "About and admin" in info and "make eval" not in info


def write_latest(reports, app_settings: dict, **extra) -> None:
    reports.mkdir(exist_ok=True)
    summary = index.Summary(
        generated_at="2026-11-22T10:00:00Z", gold="evals/gold/notes.jsonl", split="test",
        systems={"bm25": {"recall@5": 0.7, "mrr@10": 0.6, "latency_p50_ms": 5, "abstention_f1": None},
                 "hybrid+rerank": {"recall@5": 0.9, "mrr@10": 0.8, "latency_p50_ms": 40, "abstention_f1": 0.5}},
        answers={"notes": {"first_key_point": 0.571, "with_answer": 91, "refusal_recall": 12 / 31,
                           "out_of_scope": 31, "in_scope": 91, "wrongly_refused": 1 / 91, "wrongly_refused_n": 1}},
        app_system="hybrid+rerank", app_settings=app_settings,
        sets={"notes": {"questions": 245, "in_scope": 183, "out_of_scope": 62, "dev": 123, "test": 122,
                        "scored_split": "test"}}, **extra)
    (reports / "latest.json").write_text(json.dumps(summary.to_dict()))


def test_evaluation_view_agrees_with_itself(env, tmp_path, monkeypatch):
    reports = tmp_path / "reports"
    monkeypatch.setenv("WTKB_REPORTS_DIR", str(reports))
    monkeypatch.setenv("WTKB_RERANK_CANDIDATES", "12")
    live = index.app_settings(env.settings().replace(rerank_candidates=12))
    from index.evaluation.machine import fingerprints

    write_latest(reports, live, fingerprints=fingerprints(env.corpus, []))
    (reports / "run-bm25.txt").write_text("q1 Q0 a:1 1 1.0 bm25\n")
    (reports / "qrels.txt").write_text("q1 0 a:1 2\n")
    app = AppTest.from_file(str(APP), default_timeout=60)
    app.session_state["view"] = "evaluation"
    app.run()
    assert not app.exception, app.exception
    assert "its top **12** passages are re-ordered" in app.markdown[0].value  # read from the live settings
    assert any("exactly these settings" in s.value for s in app.success)
    answers = app.table[1].value  # the app's answer figures: value, n and a 95% interval per figure
    refused = answers[answers["Figure"] == "Out-of-scope questions refused"].iloc[0]
    assert refused["Value"] == "0.387" and refused["n"] == 31 and refused["95% interval"] == "0.24\u20130.56"
    assert any("Up to date" in c.value for c in app.caption)  # same corpus, gold files and code
    systems = app.table[2].value
    assert list(systems.index) == ["bm25", "hybrid+rerank (app)"]
    assert "Found in top 5" in systems.columns and "Says 'no answer' correctly" not in systems.columns
    assert len(app.get("vega_lite_chart")) == 2
    assert [d.label for d in app.download_button] == ["Download the TREC run and qrels files (zip)"]
    text = " ".join(m.value for m in app.main.markdown)
    assert "recommends" not in text and "make eval" not in text

    # Run with other settings: said, and no row is passed off as the app's.
    write_latest(reports, {**live, "rerank_candidates": 20})
    app.run()
    assert any("rerank_candidates 20 in the report, 12 here" in unescape(w.value) for w in app.warning)
    assert "hybrid+rerank (app)" not in list(app.table[2].value.index)

    (reports / "latest.json").write_text("{not json")
    app.run()
    assert not app.exception
    assert any("could not be read" in w.value and "make eval" not in w.value for w in app.warning)


def test_staleness_is_judged_by_fingerprints(env, tmp_path):
    from index.evaluation.machine import changed_since, fingerprints

    corpus = tmp_path / "corpus"
    import shutil

    shutil.copytree(env.corpus, corpus)
    gold = tmp_path / "gold.jsonl"
    gold.write_text('{"id": "q1"}\n')
    recorded = fingerprints(corpus, [gold])
    assert changed_since(recorded) == []  # a rebuild of the same corpus is not a change
    (corpus / "note-sample.md").write_text((corpus / "note-sample.md").read_text() + "\nOne more line.\n")
    gold.write_text('{"id": "q2"}\n')
    assert changed_since(recorded) == ["the corpus", "the gold sets"]
    assert changed_since({}) == ["unknown"]


def test_bad_setting_is_one_line_not_a_traceback(monkeypatch, env):
    monkeypatch.setenv("WTKB_K", "abc")
    app = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not app.exception, app.exception
    assert len(app.error) == 1 and "WTKB\\_K" in app.error[0].value and "whole number" in app.error[0].value


def test_missing_index_says_how_to_build(tmp_path, monkeypatch, env):
    monkeypatch.setenv("WTKB_INDEX_DIR", str(tmp_path / "nothing-here"))
    app = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not app.exception, app.exception
    errors = " ".join(e.value for e in app.error)
    assert "There is no index yet" in errors and str(tmp_path) not in errors and "make" not in errors
    admin = " ".join(m.value for m in app.sidebar.expander[1].markdown)
    assert "No index found" in admin and "make app" in admin and "wtkb build" in admin  # for whoever runs it
    go(app, "evaluation")  # the other views still work
    go(app, "browse")
    go(app, "excerpts")
    assert any("No excerpts yet" in i.value for i in app.info)


# ----------------------------------------------------------------- exports, directly

@pytest.fixture(scope="module")
def excerpts(built):
    kb = index.load(built.settings())
    result = index.answer(kb, REVIEW_Q)
    note = next(c for c in kb.chunks if c.meta.kind == "notes" and c.meta.doc_id == "note-sample")
    hostile = next(c for c in kb.chunks if c.meta.doc_id == "note-hostile")
    top = result.hits[0].chunk
    items = [export.excerpt_from_chunk(top, REVIEW_Q, [kp.highlight or kp.text for kp in result.key_points
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
    # The section title is the heading; the long citation is given once, then in the reference list.
    assert "## 1. Notifying an incident\n" in md and "## 4. Notifying an incident\n" in md
    assert md.split("## References")[0].count(top["label"]) == 2  # excerpts 1 and 4, once each
    assert re.search(r"^Citation: " + re.escape(top["label"]) + r" \[1\]", md, re.M)
    assert "Ask the group who notifies the panel." in md
    # The matched sentence is kept, in bold, inside the quote; no stray "\\>" in section paths.
    # (The passage prints its paragraph label, escaped as "10\\. ", where paragraph 10 starts.)
    assert re.search(r"^> \*\*(10\\\. )?When a child is seriously harmed", md, re.M)
    assert "\\>" not in md
    refs = md.split("## References", 1)[1]
    assert refs.strip().startswith(f"1. {top['label']}")
    assert "\n3. " in refs and "\n4. " not in refs
    assert export.UNOFFICIAL in md and f"<{note['citation']['url']}>." in refs  # a link, not escaped text
    # hostile text is inert
    assert not re.search(r"(?<!\\)<(?!https?://)", md) and "![x](" not in md and not UNESCAPED_JS_LINK.search(md)
    assert "\\<script>alert(1)\\</script>" in md and "javascript:alert(3)" not in md


def test_markdown_export_escapes_highlighted_text():
    ex = {"chunk_id": "x:1", "label": "X · Ch 1 · A > B · para 3", "text": "1. Keep <b>this</b> [safe](javascript:x).",
          "highlights": ["Keep <b>this</b> [safe](javascript:x)."], "citation": {"section": "A > B"}}
    md = export.to_markdown([ex], now="2026-11-22 10:00")
    assert "## 1. B\n" in md and "Citation: X · Ch 1 · A > B · para 3 [1]" in md
    assert "> 1\\. **Keep \\<b>this\\</b> \\[safe\\](javascript:x).**" in md


def test_word_export_is_a4_with_links_citations_and_references(excerpts):
    from docx import Document
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.shared import Mm

    data = export.to_docx(excerpts, title="Training: notifications", now="2026-11-22 10:00")
    doc = Document(io.BytesIO(data))
    section = doc.sections[0]
    assert abs(section.page_width - Mm(210)) < Mm(1) and abs(section.page_height - Mm(297)) < Mm(1)
    paras = [p.text for p in doc.paragraphs]
    text = "\n".join(paras)
    top, note = excerpts[0], excerpts[1]
    assert paras[0] == "Training: notifications"
    assert "1. Notifying an incident" in paras
    assert f"Citation: {top['label']} [1]" in paras
    assert text.split("References")[0].count(top["label"]) == 2  # once for each of excerpts 1 and 4
    assert "References" in paras
    refs = paras[paras.index("References") + 1:]
    assert refs[0].startswith(f"[1] {top['label']}") and len(refs) == 3
    assert "Trainer's note: Ask the group who notifies the panel." in paras
    assert "five working days" in text and "call 999" in text
    assert "<script>alert(1)</script>" in text  # Word shows text as text
    bold = [r.text for p in doc.paragraphs for r in p.runs if r.bold]
    assert any("five working days" in b for b in bold)  # the matched sentence is highlighted
    links = {r.target_ref for r in doc.part.rels.values() if r.reltype == RELATIONSHIP_TYPE.HYPERLINK}
    assert note["citation"]["url"] in links and not any("javascript" in u for u in links)
    hyperlinks = doc.element.body.findall(".//{http://schemas.openxmlformats.org/wordprocessingml/2006/main}hyperlink")
    assert hyperlinks and all(h.get("{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id")
                              in doc.part.rels for h in hyperlinks)


def test_export_of_an_empty_basket():
    assert "No excerpts were selected." in export.to_markdown([])
    from docx import Document

    assert "No excerpts were selected." in [p.text for p in Document(io.BytesIO(export.to_docx([]))).paragraphs]


def test_handout_title_names_the_documents_in_the_basket(excerpts):
    assert export.suggested_title(excerpts[:1]) == "Safeguarding excerpts: Sample safeguarding guidance"
    both = export.suggested_title(excerpts[:2])
    assert both == "Safeguarding excerpts: Sample safeguarding guidance and study notes on Working Together 2023"
    assert export.suggested_title([]) == "Safeguarding excerpts"
    assert export.to_markdown(excerpts[:1], now="2026-11-22 10:00").startswith(
        "# Safeguarding excerpts: Sample safeguarding guidance\n")


def test_the_admin_snippet_makes_a_hand_added_document_official(tmp_path):
    """The one step shown under About and admin: pinning the file's sha256 in sources.toml verifies it."""
    import hashlib
    import tomllib
    from types import SimpleNamespace

    from evals.fixture_pdf import build_fixture
    from ingest import ingest_file
    from ingest.provenance import trusted_hashes

    pdf = tmp_path / "local-procedures.pdf"
    build_fixture(pdf)
    meta = ingest_file(pdf).chunks[0].meta
    assert not meta.official and index.Citation(kind=meta.kind).badge == "Not verified"
    doc = SimpleNamespace(doc_id=meta.doc_id, title=meta.title, kind=meta.kind,
                          sha256=hashlib.sha256(pdf.read_bytes()).hexdigest())
    sources = {e["id"]: e for e in tomllib.loads(load_app_module().verify_snippet(doc))["source"]}
    assert ingest_file(pdf, sources=sources, trusted=trusted_hashes(sources, None)).chunks[0].meta.official


def test_view_ids_in_the_url():
    from wtkb.ui.layout import view_from_url

    assert view_from_url("browse") == ("browse", "") and view_from_url("Browse") == ("browse", "")
    assert view_from_url("What changed") == ("changes", "") and view_from_url("what-changed") == ("changes", "")
    assert view_from_url("") == ("ask", "") and view_from_url("nonsense") == ("ask", "nonsense")


def test_a_weak_match_is_shown_under_the_uncertain_banner(env, monkeypatch):
    """Issue 18: between refusal and a confident answer the app says the passages may not answer."""
    from wtkb.ui.answer_view import UNCERTAIN_BANNER

    import streamlit as st

    monkeypatch.setenv("WTKB_ANSWER_ABOVE", "100")  # every answer that is not refused is uncertain
    st.cache_resource.clear()  # the app keeps one KnowledgeBase (with its settings) per index
    try:
        app = AppTest.from_file(str(APP), default_timeout=60)
        app.run()
        ask(app, REVIEW_Q)
        assert [w.value for w in app.warning] == [UNCERTAIN_BANNER]
        assert "five working days" in unescape("\n".join(m.value for m in app.markdown))  # blocks still shown
        assert not any(index.UNCERTAIN_NOTICE in i.value for i in app.info)  # said once, as the banner
    finally:
        st.cache_resource.clear()  # later tests get the default settings back


def test_an_urgent_question_gets_no_card_when_the_index_cannot_cite_one(at):
    """The sample corpus says nothing about 999, police protection or emergency protection orders,
    so the urgent card (every line quoted and cited) is left out rather than shown with uncited text."""
    ask(at, "dad says he is going to hurt the kids tonight")
    assert not any("If a child may be in immediate danger" in m.value for m in at.markdown)
