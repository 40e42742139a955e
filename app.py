"""wtkb: the Streamlit app. UI only: every answer comes from the `index` library.

Views (sidebar): Ask (question → key points with citations → cited passages),
Excerpts (a trainer's basket: reorder, annotate, export as Markdown or Word),
Glossary, and Evaluation (the latest report in evals/reports/).

Security: corpus text and questions are never rendered as HTML. Everything
that goes through Markdown is escaped with ``escape_md`` (every ASCII
punctuation character backslash-escaped), links are only ever plain http(s)
URLs, and ``unsafe_allow_html`` is never used.

Run with `make app`, or `streamlit run app.py`; point it at another index with
WTKB_INDEX_DIR (see wtkb/config.py).
"""

from __future__ import annotations

import json
import re
import string
from pathlib import Path

import streamlit as st

import index
from index.glossary import load_glossary
from ingest.chunk import chapter_label
from wtkb import export
from wtkb.config import load_settings

VIEWS = ("Ask", "Excerpts", "Glossary", "Evaluation")
KINDS = ("guidance", "framework", "summary", "notes")
EXAMPLES = (
    "What happens at a strategy discussion?",
    "When should a practitioner make a referral to children's social care?",
    "Who are the safeguarding partners?",
    "What does the LADO do?",
    "What is a section 47 enquiry?",
)
NOTICE = ("This tool points you to the guidance. It does not replace your local safeguarding procedures "
          "or your professional judgement. **If a child is in immediate danger, call 999.**")
REBUILD = "Build it with `make app` (fetches, builds and serves) or `wtkb build`, then reload this page."
MAX_MEMO = 32

# --------------------------------------------------------------------------- text safety

_PUNCT = re.compile("([" + re.escape(string.punctuation) + "])")


def escape_md(text: object) -> str:
    """Text → Markdown that renders as exactly that text.

    Every ASCII punctuation character is backslash-escaped (CommonMark allows
    this for all of them), so no link, image, HTML tag, emphasis, heading,
    list, table, LaTeX or colour directive can form. Leading white space is
    dropped (no accidental code blocks) and line breaks are kept.
    """
    lines = [_PUNCT.sub(r"\\\1", line.strip()) for line in str(text if text is not None else "").split("\n")]
    return "  \n".join(lines)


def highlighted_md(text: str, sentences: list[str]) -> str:
    """Passage text as escaped Markdown with the given sentences highlighted."""
    out = []
    for line in text.split("\n"):
        line = line.strip()
        pos, parts = 0, []
        for a, b in export.highlight_spans(line, sentences):
            parts.append(_PUNCT.sub(r"\\\1", line[pos:a]))
            parts.append(":orange-background[**" + _PUNCT.sub(r"\\\1", line[a:b]) + "**]")
            pos = b
        parts.append(_PUNCT.sub(r"\\\1", line[pos:]))
        out.append("".join(parts))
    return "  \n".join(out)


safe_url = export.safe_url


# --------------------------------------------------------------------------- the index

@st.cache_resource(show_spinner="Opening the index…", max_entries=4)
def _open_kb(index_dir: str, version: str) -> index.KnowledgeBase:
    # version is part of the cache key so a rebuild is picked up on the next page load
    kb = index.load(load_settings(index_dir=Path(index_dir)))
    # The encoder's first calls are slow (session start, first full batch): pay that now, while the user
    # types, rather than in the first answer.
    kb.embedder.encode(["A warm-up sentence about sharing information to keep a child safe."] * 32)
    return kb


def get_kb(settings) -> tuple[index.KnowledgeBase | None, str]:
    """The loaded knowledge base, or None and a message for the user."""
    from index import store

    version = store.current_version(settings.index_dir)
    if version is None:
        return None, (f"No index found in `{escape_md(settings.index_dir)}`. " + REBUILD)
    try:
        return _open_kb(str(settings.index_dir), version.name), ""
    except index.IndexError_ as e:
        return None, f"The index could not be opened: {escape_md(e)}. " + REBUILD
    except index.ModelError as e:
        return None, f"The embedding model could not be loaded: {escape_md(e)}"


# --------------------------------------------------------------------------- state

def init_state() -> None:
    ss = st.session_state
    ss.setdefault("excerpts", [])
    ss.setdefault("_answers", {})
    ss.setdefault("asked_empty", False)


def in_basket(chunk_id: str) -> bool:
    return any(ex["chunk_id"] == chunk_id for ex in st.session_state.excerpts)


def add_excerpt(excerpt: dict) -> None:
    if not in_basket(excerpt["chunk_id"]):
        st.session_state.excerpts.append(excerpt)
        st.toast("Added to your excerpts", icon=":material/bookmark_added:")


def remove_excerpt(chunk_id: str) -> None:
    st.session_state.excerpts = [ex for ex in st.session_state.excerpts if ex["chunk_id"] != chunk_id]


def move_excerpt(i: int, step: int) -> None:
    items = st.session_state.excerpts
    j = i + step
    if 0 <= i < len(items) and 0 <= j < len(items):
        items[i], items[j] = items[j], items[i]


def save_note(chunk_id: str) -> None:
    for ex in st.session_state.excerpts:
        if ex["chunk_id"] == chunk_id:
            ex["note"] = st.session_state.get(f"note::{chunk_id}", "")


def clear_excerpts() -> None:
    st.session_state.excerpts = []


def use_example() -> None:
    choice = st.session_state.get("example")
    if choice:
        st.session_state.q = choice
        st.session_state.example = None


def on_ask() -> None:
    st.session_state.asked_empty = not str(st.session_state.get("q") or "").strip()


# --------------------------------------------------------------------------- shared pieces

def no_official_banner(kb: index.KnowledgeBase) -> None:
    if not any(d.get("official") for d in kb.documents()):
        st.warning("**No official text is indexed yet.** Answers can only come from unofficial study notes "
                   "and other files. Run `wtkb fetch` (needs internet), then `wtkb build`, or `make app` when "
                   "online, to add the official guidance.", icon=":material/report:")


def built_at(kb: index.KnowledgeBase) -> str:
    raw = str(kb.manifest.get("built_at", ""))
    m = re.match(r"(\d{4}-\d\d-\d\d)T(\d\d:\d\d)", raw)
    return f"{m.group(1)} {m.group(2)}" if m else raw or "unknown"


def index_panel(kb: index.KnowledgeBase | None, error: str) -> None:
    with st.sidebar.expander("What is indexed", icon=":material/database:"):
        if kb is None:
            st.error(error)
            return
        docs = kb.documents()
        # Markdown, not st.dataframe: the panel is on every page and pandas costs a second to import.
        lines = []
        for d in docs:
            status = "official" if d.get("official") else (
                "unofficial study note" if d.get("kind") == "notes" else "unofficial")
            bits = [status, str(d.get("kind", ""))]
            if d.get("edition"):
                bits.append(f"edition {d['edition']}")
            chunks = int(d.get("chunks", 0) or 0)
            bits.append(f"{chunks} passage" + ("" if chunks == 1 else "s"))
            lines.append(f"- **{escape_md(d.get('title') or d.get('doc_id'))}**  \n  " + escape_md(" · ".join(bits)))
        st.markdown("\n".join(lines), width="stretch")
        official = sum(1 for d in docs if d.get("official"))
        st.caption(escape_md(f"{len(docs)} documents ({official} official), "
                             f"{kb.manifest.get('chunk_count', len(kb.chunks))} passages. "
                             f"Built {built_at(kb)}."))
        if not official:
            st.warning("No official text is indexed yet: run `wtkb fetch`, then `wtkb build`.")


def terms_caption(terms, prefix: str) -> None:
    if not terms:
        return
    text = "; ".join(f"{t.abbr}: {t.expansion}" + (f" ({t.meaning})" if t.meaning else "") for t in terms)
    st.caption(f":material/dictionary: {escape_md(prefix)} " + escape_md(text))


def chapter_name(number: str, title: str) -> str:
    return chapter_label(number, title)


def passage_details(hit) -> str:
    c, m = hit.chunk, hit.chunk.meta
    bits = [f"Document: {m.title}"]
    if m.edition:
        bits.append(f"Edition: {m.edition}")
    bits.append(f"Chapter: {chapter_name(c.chapter_number, c.chapter_title)}")
    if c.section:
        bits.append("Section: " + " > ".join(c.section))
    if c.paragraphs:
        p = c.paragraphs
        bits.append(f"Paragraph {p[0]}" if len(p) == 1 else f"Paragraphs {p[0]}\u2013{p[-1]}")
    if c.pages:
        g = c.pages
        bits.append(f"Page {g[0]}" if g[0] == g[-1] else f"Pages {g[0]}\u2013{g[-1]}")
    return " · ".join(bits)


# --------------------------------------------------------------------------- Ask

def sidebar_filters(kb: index.KnowledgeBase) -> tuple[index.Filters, int]:
    sb = st.sidebar
    sb.subheader("Filters")
    docs = {d["doc_id"]: d.get("title") or d["doc_id"] for d in kb.documents()}
    kinds = list(KINDS) + sorted({d.get("kind", "") for d in kb.documents()} - set(KINDS) - {""})
    chapters = dict(kb.chapters())
    doc = sb.multiselect("Document", list(docs), format_func=lambda d: docs.get(d, d), key="f_doc",
                         persist_state="session", placeholder="All documents")
    kind = sb.multiselect("Kind", kinds, key="f_kind", persist_state="session", placeholder="All kinds",
                          help="guidance and framework are the statutory documents; notes are our unofficial "
                               "study notes.")
    chapter = sb.multiselect("Chapter", list(chapters), format_func=lambda n: chapter_name(n, chapters.get(n, "")),
                             key="f_chapter", persist_state="session", placeholder="All chapters")
    k = sb.slider("Passages to show", 1, 10, kb.settings.k, key="f_k", persist_state="session")
    return index.Filters(doc=tuple(doc), chapter=tuple(chapter), kind=tuple(kind)), int(k)


def get_answer(kb: index.KnowledgeBase, q: str, filters: index.Filters, k: int) -> index.Answer:
    key = (kb.version.name, q, filters.doc, filters.chapter, filters.kind, k)
    memo: dict = st.session_state._answers
    if key not in memo:
        if len(memo) >= MAX_MEMO:
            memo.pop(next(iter(memo)))
        memo[key] = index.answer(kb, q, k=k, filters=filters)
    return memo[key]


def ask_view(kb: index.KnowledgeBase | None, error: str) -> None:
    st.header("Ask the guidance", anchor=False)
    if kb is None:
        st.error(error, icon=":material/error:")
        return
    no_official_banner(kb)
    filters, k = sidebar_filters(kb)

    with st.container(horizontal=True, vertical_alignment="bottom", key="askbar"):
        q = st.text_input("Your question", key="q", placeholder="e.g. What happens at a strategy discussion?",
                          max_chars=kb.settings.max_query_chars * 2, width="stretch", bind="query-params")
        st.button("Ask", type="primary", key="ask", on_click=on_ask, icon=":material/search:")
    st.pills("Or try an example", EXAMPLES, key="example", on_change=use_example)

    q = (q or "")
    if not q.strip():
        if st.session_state.asked_empty:
            st.info("Please type a question first, in your own words; acronyms are fine.",
                    icon=":material/edit:")
        else:
            st.caption("Ask in your own words. Answers are sentences quoted from the indexed documents, each "
                       "with its citation; nothing is generated or paraphrased.")
        return
    st.session_state.asked_empty = False
    try:
        res = get_answer(kb, q, filters, k)
    except index.QueryError as e:
        st.info(escape_md(e), icon=":material/edit:")
        return
    show_answer(kb, res, filters)


def show_answer(kb: index.KnowledgeBase, res: index.Answer, filters: index.Filters) -> None:
    with st.container(key="answer"):
        st.subheader(f"Answer for: \u201c{escape_md(res.query)}\u201d", anchor=False)
        if res.abstained:
            st.warning("**No answer found.** " + escape_md(res.message), icon=":material/search_off:")
            tips = ["rephrase the question using the words the guidance uses (for example "
                    "\u201cstrategy discussion\u201d rather than \u201cmeeting\u201d)",
                    "spell out acronyms, or look them up in the **Glossary**"]
            if filters.active():
                tips.insert(0, "clear or widen the filters in the sidebar")
            st.markdown("You could:\n" + "\n".join(f"- {t}" for t in tips))
            terms_caption(res.terms, "Terms in your question:")
            return
        if res.message:
            st.info(escape_md(res.message))
        terms_caption(res.terms, "Terms in your question:")
        number = {h.chunk.chunk_id: h.rank for h in res.hits}
        st.markdown("**Key points**")
        lines = []
        for i, kp in enumerate(res.key_points, start=1):
            n = number.get(kp.chunk_id)
            marker = f" [\\[{n}\\]](#passage-{n})" if n else ""
            lines.append(f"{i}. {escape_md(kp.text)}{marker}")
        st.markdown("\n".join(lines) if lines else "No single sentence stood out; read the passages below.")
        total = res.timings_ms.get("total_ms")
        st.caption(f"{len(res.hits)} cited passages" + (f" · answered in {total:.0f} ms" if total else ""))

        st.markdown("**Cited passages**")
        by_chunk: dict[str, list[str]] = {}
        for kp in res.key_points:
            by_chunk.setdefault(kp.chunk_id, []).append(kp.text)
        for hit in res.hits:
            show_passage(kb, hit, hit.rank, by_chunk.get(hit.chunk.chunk_id, []), res.query)


def show_passage(kb: index.KnowledgeBase, hit, n: int, matched: list[str], question: str) -> None:
    c, m = hit.chunk, hit.chunk.meta
    label = index.label(c)
    with st.container(border=True, key=f"passage-{n}"):
        st.subheader(f"\\[{n}\\] {escape_md(m.title)}", anchor=f"passage-{n}")
        with st.container(horizontal=True, gap="small"):
            if m.official:
                st.badge("Official", icon=":material/verified:", color="green")
            elif m.kind == "notes":
                st.badge("Unofficial study note", icon=":material/edit_note:", color="violet")
            else:
                st.badge("Unofficial", icon=":material/info:", color="orange")
            st.badge(m.kind, color="gray")
            if hit.dense is not None:
                st.badge(f"similarity {hit.dense:.2f}", color="gray")
        st.caption(escape_md(passage_details(hit)))
        if m.kind == "notes":
            covered = chapter_name(m.covers_chapter or c.chapter_number, m.covers_chapter_title or c.chapter_title)
            what = f"{m.covers_title} {covered}".strip() if m.covers_title else covered
            st.info(escape_md(f"This is one of our unofficial study notes, not the statutory guidance. It "
                              f"summarises {what}: check the official chapter before relying on it."),
                    icon=":material/edit_note:")
        st.markdown(highlighted_md(c.text, matched))
        terms_caption(kb.glossary.find(c.text), "Acronyms here:")
        url = safe_url(index.source_url(c))
        with st.container(horizontal=True, gap="small", vertical_alignment="center"):
            if in_basket(c.chunk_id):
                st.button("In your excerpts", key=f"add::{c.chunk_id}", disabled=True, icon=":material/check:")
            else:
                st.button("Add to excerpts", key=f"add::{c.chunk_id}", icon=":material/bookmark_add:",
                          on_click=add_excerpt, args=(export.excerpt_from_chunk(c, question, matched),))
            if url:
                if m.kind == "notes":
                    text = "Official chapter's source"
                elif c.pages and "#page=" in url:
                    text = f"Open the source at page {c.pages[0]}"
                else:
                    text = "Open the source"
                st.link_button(text, url, icon=":material/open_in_new:")
        st.caption("Cite as (use the copy button):")
        st.code(label, language=None, wrap_lines=True)


# --------------------------------------------------------------------------- Excerpts

def excerpts_view() -> None:
    st.header("Excerpts", anchor=False)
    items: list[dict] = st.session_state.excerpts
    if not items:
        st.info("No excerpts yet. Ask a question and press **Add to excerpts** on any passage to collect it "
                "here; then reorder, annotate and export them for training.", icon=":material/bookmarks:")
        return
    st.caption("Reorder with the arrows, add a note to each excerpt (click outside the box to save it), then "
               "export. Use the copy button on a citation to paste it elsewhere.")
    for i, ex in enumerate(items):
        cid = ex["chunk_id"]
        cit = ex.get("citation") or {}
        with st.container(border=True, key=f"excerpt-{i}"):
            st.markdown(f"#### {i + 1}\\. {escape_md(ex['label'])}", anchors=False)
            if cit.get("official"):
                st.badge("Official", icon=":material/verified:", color="green")
            elif cit.get("kind") == "notes":
                st.badge("Unofficial study note", icon=":material/edit_note:", color="violet")
            else:
                st.badge("Unofficial", icon=":material/info:", color="orange")
            if ex.get("question"):
                st.caption("Found for: " + escape_md(ex["question"]))
            st.markdown(highlighted_md(ex["text"], ex.get("highlights") or []))
            st.code(ex["label"], language=None, wrap_lines=True)
            st.text_area("Your note", value=ex.get("note", ""), key=f"note::{cid}", on_change=save_note,
                         args=(cid,), placeholder="Why this excerpt matters, a discussion question…", height=80)
            with st.container(horizontal=True, gap="small"):
                st.button("Up", key=f"up::{cid}", icon=":material/arrow_upward:", disabled=i == 0,
                          on_click=move_excerpt, args=(i, -1))
                st.button("Down", key=f"down::{cid}", icon=":material/arrow_downward:",
                          disabled=i == len(items) - 1, on_click=move_excerpt, args=(i, 1))
                st.button("Remove", key=f"remove::{cid}", icon=":material/delete:", on_click=remove_excerpt,
                          args=(cid,))

    st.subheader("Export", anchor=False)
    title = st.text_input("Title", value=export.DEFAULT_TITLE, key="export_title", persist_state="session")
    md = export.to_markdown(items, title=title)
    with st.container(horizontal=True, gap="small"):
        st.download_button("Download Markdown", md.encode("utf-8"), file_name="wtkb-excerpts.md",
                           mime="text/markdown", key="dl_md", on_click="ignore", icon=":material/download:")
        st.download_button("Download Word", export.to_docx(items, title=title), file_name="wtkb-excerpts.docx",
                           mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                           key="dl_docx", on_click="ignore", icon=":material/description:")
        st.button("Clear all excerpts", key="clear", on_click=clear_excerpts, icon=":material/delete_sweep:",
                  type="tertiary")
    refs, _ = export.references(items)
    st.markdown("**References**")
    st.markdown("\n".join(f"{n}. {escape_md(r)}" for n, r in enumerate(refs, start=1)))
    with st.expander("Preview the Markdown export"):
        st.code(md, language="markdown", wrap_lines=True)


# --------------------------------------------------------------------------- Glossary

def glossary_view(kb: index.KnowledgeBase | None, settings) -> None:
    st.header("Glossary", anchor=False)
    glossary = kb.glossary if kb is not None else load_glossary(settings.glossary_file)
    if not glossary.terms:
        st.info(f"The glossary is empty: add terms to `{escape_md(settings.glossary_file)}`.")
        return
    look = st.text_input("Look up a term or acronym", key="gloss_q", type="search", persist_state="session")
    look = (look or "").strip().lower()
    rows = [{"Term": t.abbr, "Stands for": t.expansion, "Meaning": t.meaning}
            for t in glossary.terms
            if not look or look in t.abbr.lower() or look in t.expansion.lower() or look in t.meaning.lower()
            or any(look in a.lower() for a in t.aliases)]
    if not rows:
        st.caption("No term matches.")
        return
    st.dataframe(rows, hide_index=True, width="stretch")


# --------------------------------------------------------------------------- Evaluation

def evaluation_view(settings) -> None:
    st.header("Evaluation", anchor=False)
    reports = Path(settings.reports_dir)
    how = "Run `make eval` (or `wtkb eval`) to write one to `evals/reports/`."
    latest = reports / "latest.json"
    shown = False
    if latest.is_file():
        try:
            data = json.loads(latest.read_text(encoding="utf-8"))
            systems = data["systems"]
            if not isinstance(systems, dict) or not systems:
                raise ValueError("'systems' is empty or not a mapping")
            table = {}
            for name, metrics in systems.items():
                if not isinstance(metrics, dict):
                    raise ValueError(f"system '{name}' has no metrics mapping")
                table[str(name)] = {str(k): v for k, v in metrics.items() if isinstance(v, (int, float, str))}
        except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError) as e:
            st.warning(f"The latest report could not be read ({escape_md(type(e).__name__)}: "
                       f"{escape_md(str(e)[:200])}). " + how)
        else:
            import pandas as pd

            shown = True
            about = [f"Latest report: {latest.name}, generated {data.get('generated_at', 'unknown')}"]
            about += [f"{k}: {data[k]}" for k in ("gold", "split") if isinstance(data.get(k), (str, int, float))]
            st.caption(escape_md(" · ".join(about)))
            rec = data.get("recommended")
            if rec:
                st.info("**Recommended:** " + escape_md(rec if isinstance(rec, str) else json.dumps(rec)))
            df = pd.DataFrame.from_dict(table, orient="index")
            df.index.name = "system"
            st.dataframe(df, width="stretch")
            numeric = df.apply(pd.to_numeric, errors="coerce").dropna(axis=1, how="all")
            scores = numeric[[c for c in numeric.columns if numeric[c].dropna().between(0, 1).all()]]
            chart = scores if not scores.empty else numeric
            if not chart.empty:
                st.bar_chart(chart, stack=False)
                if chart is scores and len(scores.columns) < len(numeric.columns):
                    st.caption("The chart shows the 0\u20131 scores; other numbers are in the table.")
    elif reports.is_dir() and any(reports.glob("*.json")):
        st.info("No `latest.json` in the reports folder. " + how)
    else:
        st.info("No evaluation report yet. " + how)
    full = reports / "report.md"
    if shown and full.is_file():
        with st.expander("Full report (report.md)"):
            try:
                st.code(full.read_text(encoding="utf-8", errors="replace"), language="markdown", wrap_lines=True)
            except OSError as e:
                st.caption(f"report.md could not be read ({escape_md(type(e).__name__)}).")
    images = sorted(reports.glob("*.png")) if reports.is_dir() else []
    for img in images:
        try:
            st.image(str(img), caption=img.name)
            shown = True
        except Exception as e:  # noqa: BLE001 - a broken image must not break the page
            st.warning(f"{escape_md(img.name)} could not be shown ({escape_md(type(e).__name__)}).")
    if shown:
        st.caption("To refresh the report: " + how.removeprefix("Run ").replace(" to write one to", ", which writes to"))


# --------------------------------------------------------------------------- main

def main() -> None:
    st.set_page_config(page_title="wtkb · Working Together 2023", page_icon=":material/menu_book:", layout="wide")
    init_state()
    settings = load_settings()

    # The frame first, so the page shows at once while the index opens.
    st.sidebar.title("wtkb", anchor=False)
    st.sidebar.caption("Working Together to Safeguard Children 2023, with citations")
    n = len(st.session_state.excerpts)
    view = st.sidebar.radio("Go to", VIEWS, key="view", bind="query-params",
                            format_func=lambda v: f"{v} ({n})" if v == "Excerpts" and n else v)
    st.warning(NOTICE, icon=":material/emergency:")

    kb, error = get_kb(settings)
    if view == "Ask":
        ask_view(kb, error)
    elif view == "Excerpts":
        excerpts_view()
    elif view == "Glossary":
        glossary_view(kb, settings)
    else:
        evaluation_view(settings)
    index_panel(kb, error)


# Streamlit (and AppTest) run this file as __main__; tests import it for escape_md.
if __name__ == "__main__":
    main()
