"""The Excerpts view: a trainer's basket of passages to reorder, annotate and export
(Markdown or A4 Word, via wtkb/export.py). The basket itself lives in basket.py and,
between visits, in the browser's localStorage."""

from __future__ import annotations

import streamlit as st

import index
from wtkb import export

from . import basket, layout, passages
from .text import escape_md, highlighted_md


def view() -> None:
    items: list[dict] = basket.items()
    layout.page_title(f"Excerpts ({len(items)})" if items else "Excerpts")
    if not items:
        st.info("No excerpts yet. Ask a question or browse a document, and press **Add to excerpts** on any "
                "passage to collect it here; then reorder, annotate and export them for training. Your excerpts "
                "are kept in this browser only.", icon=":material/bookmarks:")
        return
    st.caption("Reorder with the arrows, add a note to each excerpt (click outside the box to save it), then "
               "export. Excerpts and notes are kept in this browser only, and survive a reload.")
    for i, ex in enumerate(items):
        cid = ex["chunk_id"]
        record = index.Excerpt.from_dict(ex)
        # Keys come from the chunk id, never the position: removing one must not shift the others' widgets.
        with st.container(border=True, key=f"excerpt-{cid}"):
            st.header(f"{i + 1}\\. {escape_md(record.heading)}", anchor=False)
            passages.citation_line(ex["label"], record.citation, f"excerpt-{cid}")
            if ex.get("question"):
                st.caption("Found for: " + escape_md(ex["question"]))
            st.markdown(highlighted_md(ex["text"], ex.get("highlights") or []))
            st.text_area("Your note", value=ex.get("note", ""), key=f"note::{cid}", on_change=basket.save_note,
                         args=(cid,), placeholder="Why this excerpt matters, a discussion question…", height=80)
            with st.container(horizontal=True, gap="small"):
                st.button("Up", key=f"up::{cid}", icon=":material/arrow_upward:", disabled=i == 0,
                          on_click=basket.move, args=(cid, -1))
                st.button("Down", key=f"down::{cid}", icon=":material/arrow_downward:",
                          disabled=i == len(items) - 1, on_click=basket.move, args=(cid, 1))
                st.button("Remove", key=f"remove::{cid}", icon=":material/delete:", on_click=basket.remove,
                          args=(cid,))
    export_panel(items)


def export_panel(items: list[dict]) -> None:
    st.header("Export", anchor=False)
    # The suggestion follows the basket (it names the documents collected); a title typed here wins.
    suggested = export.suggested_title(items)
    typed = st.text_input("Title", key="export_title", persist_state="session", placeholder=suggested,
                          help="Leave empty to use the suggested title, which names the documents in your excerpts.")
    title = (typed or "").strip() or suggested
    st.caption("Title: " + escape_md(title))
    md = export.to_markdown(items, title=title)
    with st.container(horizontal=True, gap="small"):
        st.download_button("Download Markdown", md.encode("utf-8"), file_name="wtkb-excerpts.md",
                           mime="text/markdown", key="dl_md", on_click="ignore", icon=":material/download:")
        st.download_button("Download Word", export.to_docx(items, title=title), file_name="wtkb-excerpts.docx",
                           mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                           key="dl_docx", on_click="ignore", icon=":material/description:")
        if not st.session_state.confirm_clear:
            st.button("Clear all excerpts", key="clear", on_click=basket.ask_clear, icon=":material/delete_sweep:",
                      type="tertiary")
    if st.session_state.confirm_clear:
        with st.container(border=True, key="confirm-clear"):
            st.warning(f"Remove all {len(items)} excerpts and your notes from this browser? This cannot be undone.",
                       icon=":material/warning:")
            with st.container(horizontal=True, gap="small"):
                st.button("Yes, clear all", key="clear_yes", on_click=basket.clear, type="primary")
                st.button("Cancel", key="clear_no", on_click=basket.cancel_clear)
    refs, _ = export.references(items)
    st.subheader("References", anchor=False)
    st.markdown("\n".join(f"{n}. {escape_md(r)}" for n, r in enumerate(refs, start=1)))
    with st.expander("Preview the Markdown export"):
        st.code(md, language="markdown", wrap_lines=True)
