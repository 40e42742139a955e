"""wtkb: the Streamlit app. UI only: every answer, citation and outline comes from the `index` library.

Views (the bar at the top, bound to the URL by stable keys): Ask (question → key
points with citations → cited passages), Browse (a document's chapters and
sections, read in order), Excerpts (a trainer's basket: reorder, annotate,
export as Markdown or Word; kept in the browser's localStorage), Glossary, and
Evaluation (the latest report in evals/reports/). The pieces live in wtkb/ui/.

Security: corpus text and questions are never rendered as HTML (wtkb/ui/text.py).

Run with `make app`, or `streamlit run app.py`; point it at another index with
WTKB_INDEX_DIR (see ingest/config.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import streamlit as st

import index
from wtkb import diff_view, export
from wtkb.ui import answer_view, basket, browse_view, evaluation, excerpts_view, feedback, layout
from wtkb.ui.layout import NOTICE, VIEWS  # noqa: F401 - the view ids and the 999 notice live in layout.py
from wtkb.ui.text import escape_md, for_app, safe_url  # noqa: F401 - tests use app.escape_md / safe_url

EXAMPLES = (
    "What happens at a strategy discussion?",
    "When should a practitioner make a referral to children's social care?",
    "Who are the safeguarding partners?",
    "What does the LADO do?",
    "What is a section 47 enquiry?",
)
NOTES_ONLY = answer_view.NOTES_ONLY
ADMIN = "Whoever runs this app can fix this: see **About and admin** in the sidebar."
REBUILD = "Build it with `make app` (fetches, builds and serves) or `wtkb build`, then reload this page."
MAX_MEMO = 32
MAX_RECENT = 8


# --------------------------------------------------------------------------- the index

@st.cache_resource(show_spinner="Opening the index…", max_entries=4)
def _open_kb(index_dir: str, version: str) -> index.KnowledgeBase:
    # version is part of the cache key so a rebuild is picked up on the next page load
    # Warm the encoder while the user types, rather than in the first answer.
    return index.warm(index.load(index.load_settings(index_dir=Path(index_dir))))


def get_kb(settings) -> tuple[index.KnowledgeBase | None, str, str]:
    """The loaded knowledge base, or None with a message for the user (no paths, no commands) and the
    details for whoever runs the app (shown under About and admin)."""
    try:
        version = index.live_version(settings)  # CURRENT may be damaged or not a regular file
        if version is None:
            return (None, "There is no index yet, so there is nothing to search. " + ADMIN,
                    f"No index found in {escape_md(settings.index_dir)}. " + REBUILD)
        return _open_kb(str(settings.index_dir), version), "", ""
    except index.IndexError_ as e:
        return (None, "The index could not be opened. " + ADMIN,
                f"The index could not be opened: {escape_md(e)}. " + REBUILD)
    except index.ModelError as e:
        return (None, "The search model could not be loaded. " + ADMIN,
                f"The embedding model could not be loaded: {escape_md(e)}")


def index_names(kb: index.KnowledgeBase | None) -> str:
    """The documents the index holds, by the names a reader knows ("KCSIE 2025 and Working Together 2023";
    "study notes on Working Together 2023" when only notes are indexed), for the sidebar and tab titles."""
    if kb is None:
        return "safeguarding guidance"
    docs: dict[str, str] = {}
    for c in kb.chunks:
        if c.meta.doc_id not in docs:
            docs[c.meta.doc_id] = index.Citation.of(c).document
    real = [d for d in docs.values() if not d.startswith(export.NOTES_ON)]
    return export.name_list(real or docs.values())


def built_at(kb: index.KnowledgeBase | None) -> str | None:
    return (index.info(kb=kb).built_when or None) if kb is not None else None


# --------------------------------------------------------------------------- state

def init_state() -> None:
    ss = st.session_state
    basket.init()
    ss.setdefault("_answers", {})
    ss.setdefault("asked_empty", False)
    ss.setdefault("recent", [])


def use_choice(key: str) -> None:
    """An example or a recent question was picked: ask it, and reset the chips so it can be picked again."""
    choice = st.session_state.get(key)
    if choice:
        st.session_state.q = choice
        st.session_state[key] = None


def on_ask() -> None:
    st.session_state.asked_empty = not str(st.session_state.get("q") or "").strip()


def remember(question: str) -> None:
    recent = [q for q in st.session_state.recent if q != question]
    st.session_state.recent = [question, *recent][:MAX_RECENT]


# --------------------------------------------------------------------------- sidebar: for whoever runs the app

def index_panel(kb: index.KnowledgeBase | None, error: str, settings) -> None:
    with st.sidebar.expander("What is indexed", icon=":material/database:"):
        if kb is None:
            st.error(error)
            return
        about = index.info(kb=kb)
        # Markdown, not st.dataframe: the panel is on every page and pandas costs a second to import.
        lines = []
        for d in about.sources:
            bits = [d.badge, d.kind]
            if d.edition:
                bits.append(f"edition {d.edition}")
            bits.append(f"{d.chunks} passage" + ("" if d.chunks == 1 else "s"))
            lines.append(f"- **{escape_md(d.name)}**  \n  " + escape_md(" · ".join(bits)))
        st.markdown("\n".join(lines), width="stretch")
        st.caption(escape_md(f"{about.document_count} documents ({about.official_count} official), "
                             f"{about.chunk_count} passages. Built {about.built_when or 'unknown'}."))
        st.caption(" ".join(f"**{escape_md(index.BADGES[p])}**: {escape_md(index.MEANING[p])}"
                            for p in (index.OFFICIAL, index.NOT_VERIFIED, index.NOTE)))


def admin_panel(kb: index.KnowledgeBase | None, admin_error: str, settings) -> None:
    """Everything meant for whoever runs the app: commands, paths, how to verify a document by hand.
    Nothing here is needed to use the app; practitioner-facing views point here instead."""
    with st.sidebar.expander("About and admin", icon=":material/admin_panel_settings:"):
        st.markdown(NOTICE)
        st.markdown("**For whoever runs this app**")
        if admin_error:
            st.markdown(admin_error)
        if kb is not None and not answer_view.has_official(kb):
            st.markdown("No official text is indexed. Run `wtkb fetch` (needs internet), then `wtkb build`, "
                        "or `make app` when online, to add the official guidance.")
        if kb is not None:
            unverified = [d for d in index.info(kb=kb).sources if not d.official and not d.is_note]
            if unverified:
                st.markdown("**Not verified** documents were added by hand. To verify one, compare it with the "
                            "published file and run `wtkb verify ID --yes` (or paste its entry below into "
                            "`corpus/sources.toml`), then `wtkb build`:")
                st.code("\n\n".join(verify_snippet(d) for d in unverified), language="toml", wrap_lines=True)
        st.markdown("Rebuild after changing the corpus: `wtkb build`. Compare two editions: `wtkb diff`. "
                    "Refresh the evaluation: `make eval` (or `wtkb eval`).")
        st.markdown(f"Answers flagged by users are saved on this machine in "
                    f"{escape_md(feedback.feedback_path(settings))}.")


def verify_snippet(d) -> str:
    """The sources.toml entry that makes a hand-added document official: its id and its sha256."""
    # JSON string escapes are valid TOML basic strings, so a title with quotes stays one value.
    lines = ["[[source]]", f"id = {json.dumps(d.doc_id)}", f"title = {json.dumps(d.title or d.doc_id)}",
             f"kind = {json.dumps(d.kind if d.kind in ('guidance', 'framework', 'summary') else 'guidance')}",
             "official = true"]
    if d.sha256:
        lines.append(f"sha256 = {json.dumps(d.sha256)}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- Ask

def filter_options(kb: index.KnowledgeBase) -> tuple[dict, list[str], dict]:
    """Documents, kinds and chapters the index actually holds (nothing that cannot match); one chapter
    option per real chapter, named as the publisher prints it (index.chapter_options)."""
    docs = {d.doc_id: d.name for d in index.info(kb=kb).sources}
    kinds = sorted({c.meta.kind for c in kb.chunks})
    return docs, kinds, index.chapter_options(kb.chunks)


def filters_popover(kb: index.KnowledgeBase) -> tuple[index.Filters, int]:
    docs, kinds, chapters = filter_options(kb)
    active = sum(bool(st.session_state.get(k)) for k in ("f_doc", "f_kind", "f_chapter"))
    with st.popover(f"Filters ({active})" if active else "Filters", icon=":material/filter_list:"):
        doc = st.multiselect("Document", list(docs), format_func=lambda d: for_app(docs.get(d, d), True),
                             key="f_doc", persist_state="session", placeholder="All documents")
        kind = st.multiselect("Kind", kinds, key="f_kind", persist_state="session", placeholder="All kinds",
                              help="guidance and framework are statutory documents; notes are our unofficial "
                                   "study notes.")
        chapter = st.multiselect("Chapter", list(chapters), format_func=lambda n: for_app(chapters.get(n, n), True),
                                 key="f_chapter", persist_state="session", placeholder="All chapters")
        k = st.slider("Passages to show", 1, 10, kb.settings.k, key="f_k", persist_state="session")
    return index.Filters(doc=tuple(doc), chapter=tuple(chapter), kind=tuple(kind)), int(k)


def get_answer(kb: index.KnowledgeBase, q: str, filters: index.Filters, k: int) -> index.Answer:
    key = (kb.version.name, q, filters.doc, filters.chapter, filters.kind, k)
    memo: dict = st.session_state._answers
    if key not in memo:
        if len(memo) >= MAX_MEMO:
            memo.pop(next(iter(memo)))
        with st.spinner("Finding the passages that answer your question…"):
            memo[key] = index.answer(kb, q, k=k, filters=filters)
    return memo[key]


def question_chips(current: str) -> None:
    """Examples on the first screen; once a question is asked, examples and recent questions fold away."""
    if not current:
        st.pills("Or try an example", EXAMPLES, key="example", on_change=use_choice, args=("example",))
        return
    with st.expander("Examples and your recent questions", icon=":material/history:"):
        recent = [q for q in st.session_state.recent if q != current]
        if recent:
            st.pills("Recent questions", recent, key="recent_pick", on_change=use_choice, args=("recent_pick",),
                     format_func=lambda q: for_app(q, single_line=True))
        st.pills("Examples", EXAMPLES, key="example", on_change=use_choice, args=("example",))


def ask_view(kb: index.KnowledgeBase | None, error: str) -> None:
    layout.page_title("Ask the guidance", small=asked())
    if kb is None:
        st.error(error, icon=":material/error:")
        return
    # The question gets the full width (a phone shows all of it); the buttons sit on their own row.
    q = st.text_input("Your question", key="q", placeholder="e.g. What happens at a strategy discussion?",
                      max_chars=kb.settings.max_query_chars * 2, width="stretch", bind="query-params")
    with st.container(horizontal=True, vertical_alignment="center", gap="small", key="askbar"):
        st.button("Ask", type="primary", key="ask", on_click=on_ask, icon=":material/search:")
        filters, k = filters_popover(kb)
    q = (q or "").strip()
    if not q:
        question_chips(q)
        if st.session_state.asked_empty:
            st.info("Please type a question first, in your own words; acronyms are fine.", icon=":material/edit:")
        else:
            sources = index.info(kb=kb).sources
            if all(d.is_note for d in sources):
                st.info(NOTES_ONLY + " Each passage says which chapter of the guidance it covers.",
                        icon=":material/edit_note:")
            elif not any(d.official for d in sources):
                st.info("The documents here were added by hand and are **Not verified** against their published "
                        "files yet: check the source before quoting a passage.", icon=":material/help:")
            st.caption("Ask in your own words. Answers are sentences quoted from the indexed documents, each "
                       "with its citation; nothing is generated or paraphrased.")
        return
    st.session_state.asked_empty = False
    try:
        res = get_answer(kb, q, filters, k)
    except index.QueryError as e:
        st.info(escape_md(e), icon=":material/edit:")
        return
    remember(res.query)
    answer_view.show_answer(kb, res, filters)
    question_chips(q)  # after the answer: on a phone the first screen is the answer's


# --------------------------------------------------------------------------- Glossary

def glossary_view(kb: index.KnowledgeBase | None, settings) -> None:
    layout.page_title("Glossary")
    glossary = index.get_glossary(settings, kb)
    if not glossary.terms:
        st.info("The glossary is empty. " + ADMIN)
        return
    look = st.text_input("Look up a term or acronym", key="gloss_q", type="search", persist_state="session")
    look = (look or "").strip().lower()
    rows = [{"Term": t.abbr, "Stands for": t.expansion, "Meaning": t.meaning}
            for t in sorted(glossary.terms, key=lambda t: t.abbr.lower())
            if not look or look in t.abbr.lower() or look in t.expansion.lower() or look in t.meaning.lower()
            or any(look in a.lower() for a in t.aliases)]
    if not rows:
        st.caption("No term matches.")
        return
    # A static table wraps long meanings instead of cutting them off.
    st.table(rows, hide_index=True)


# --------------------------------------------------------------------------- main

def asked() -> bool:
    """Whether this session has a question on screen or asked one before: the page is then answer-first."""
    ss = st.session_state
    return bool(str(ss.get("q") or "").strip()) or bool(ss.get("recent"))


def main() -> None:
    st.set_page_config(page_title="wtkb", page_icon=":material/menu_book:", layout="wide")
    init_state()
    try:
        settings = index.load_settings()
    except index.SettingsError as e:  # a bad WTKB_* variable: one line saying which and how to fix it
        st.error(escape_md(e))
        st.stop()

    # The frame first, so the page shows at once while the index opens.
    layout.style()
    title_slot = st.sidebar.empty()
    view = layout.navigation()
    layout.urgent_notice(compact=asked())

    kb, error, admin_error = get_kb(settings)
    names = index_names(kb)
    title_slot.markdown(f"**wtkb** · {escape_md(names)}, with citations")
    st.set_page_config(page_title=f"wtkb · {names}")
    if view == "browse":
        browse_view.view(kb)
    elif view == "changes":
        if kb is None:
            layout.page_title("What changed")
            st.info("There is no index yet, so there is nothing to compare. " + ADMIN)
        else:
            diff_view.render(st, kb, add_excerpt=basket.add, ask=ask_about)
    elif view == "excerpts":
        excerpts_view.view()
    elif view == "glossary":
        glossary_view(kb, settings)
    elif view == "evaluation":
        evaluation.view(settings, kb)
    else:
        ask_view(kb, error)
    n = len(basket.items())
    st.sidebar.caption(f"{n} excerpt{'' if n == 1 else 's'} saved in this browser.")
    index_panel(kb, error, settings)
    admin_panel(kb, admin_error, settings)
    basket.sync()


def ask_about(question: str) -> None:
    """A callback: ask ``question`` in the Ask view (the What changed view's example questions)."""
    st.session_state.q = question
    layout.go_to("ask")


# Streamlit (and AppTest) run this file as __main__; tests import it for escape_md.
if __name__ == "__main__":
    main()
