"""The Browse view: pick a document, see its chapters and sections in the document's order
(``index.outline``), open a section to read its passages with citations and collect them."""

from __future__ import annotations

import streamlit as st

import index

from . import layout, passages
from .text import escape_md, for_app


def section_name(section) -> str:
    return " > ".join(section.path) if section.path else "Opening text"


def _where(node) -> str:
    bits = [index.para_range(getattr(node, "para_first", None), getattr(node, "para_last", None)),
            index.page_range(node.pages)]
    return " · ".join(b for b in bits if b)


def passage_where(chunk) -> str:
    """"paras 76–78 · p. 25" for one passage ("" when it has neither labels nor pages)."""
    paras = tuple(str(p) for p in chunk.paragraphs or ())
    pages = tuple(chunk.pages or ())
    bits = [index.para_range(paras[0], paras[-1]) if paras else "",
            index.page_range((pages[0], pages[-1]) if pages else None)]
    return " · ".join(b for b in bits if b)


def open_section(doc_id: str, ci: int, si: int) -> None:
    st.session_state.browse_open = (doc_id, ci, si)


def close_section() -> None:
    st.session_state.browse_open = None


def view(kb) -> None:
    layout.page_title("Browse")
    if kb is None:
        st.error("Nothing to browse yet: the index could not be opened (see What is indexed).",
                 icon=":material/error:")
        return
    # The documents themselves first, then the study notes: Browse is for reading the guidance.
    sources = sorted(index.info(kb=kb).sources, key=lambda d: d.is_note)
    docs = {d.doc_id: d.name for d in sources}
    if not docs:
        st.info("The index holds no documents.")
        return
    doc_id = st.selectbox("Document", list(docs), format_func=lambda d: for_app(docs.get(d, d), True),
                          key="browse_doc", bind="query-params")
    tree = index.outline(kb.chunks, doc_id=doc_id)
    by_id = {c.chunk_id: c for c in kb.chunks}
    opened = st.session_state.get("browse_open")
    if opened and opened[0] == doc_id and opened[1] < len(tree) and opened[2] < len(tree[opened[1]].sections):
        chapter = tree[opened[1]]
        section = chapter.sections[opened[2]]
        reader(kb, chapter, section, by_id)
        contents(tree, doc_id, expanded=False)
    else:
        contents(tree, doc_id, expanded=True)


def contents(tree, doc_id: str, expanded: bool) -> None:
    """Chapters as expanders, each listing its sections as buttons that open them."""
    st.header("Contents", anchor=False)
    if not tree:
        st.caption("This document has no passages in the index.")
        return
    for ci, chapter in enumerate(tree):
        name = chapter.label  # the publisher's word: "Part one", "Annex A", "Ch 3", "Appendix B"
        where = index.page_range(chapter.pages)
        with st.expander(escape_md(name + (f" · {where}" if where else "")), expanded=expanded and len(tree) <= 3):
            for si, section in enumerate(chapter.sections):
                n = len(section.chunk_ids)
                text = "\u2003" * max(section.depth - 1, 0) + escape_md(section_name(section).split(" > ")[-1])
                meta = _where(section)
                st.button(text + (f" · {meta}" if meta else "") + f" · {n} passage" + ("" if n == 1 else "s"),
                          key=f"open::{doc_id}::{ci}::{si}", type="tertiary", on_click=open_section,
                          args=(doc_id, ci, si), icon=":material/article:")


def reader(kb, chapter, section, by_id: dict) -> None:
    name = chapter.label
    st.header(escape_md(section.title or name), anchor=False)
    where = _where(section)
    st.caption(escape_md(name + (" > " + " > ".join(section.path) if section.path else "")
                         + (f" · {where}" if where else "")))
    st.button("Back to contents", key="browse_back", on_click=close_section, icon=":material/arrow_back:")
    for i, cid in enumerate(section.chunk_ids):
        chunk = by_id.get(cid)
        if chunk is not None:
            # The section is the page's heading; each card is named by where it sits in it.
            passages.card(kb, chunk, key=f"browse-{i}", title=passage_where(chunk) or f"Passage {i + 1}")
