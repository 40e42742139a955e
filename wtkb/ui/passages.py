"""One passage card, shared by the Ask and Browse views.

Compact on purpose: a title, one citation line with one badge and a visible
copy button, the text (matched sentences highlighted), then the actions.
Similarity and acronyms sit behind a "Details" toggle.
"""

from __future__ import annotations

import streamlit as st

import index
from wtkb import export

from . import basket
from .browser import copy_button
from .text import escape_md, highlighted_md, safe_url


# The look of each provenance badge; its words come from the library (index.Citation.badge).
BADGE_LOOK = {index.OFFICIAL: (":material/verified:", "green"), index.NOTE: (":material/edit_note:", "violet"),
              index.UNOFFICIAL: (":material/info:", "orange")}


def status_badge(citation: index.Citation) -> None:
    icon, color = BADGE_LOOK[citation.provenance]
    st.badge(citation.badge, icon=icon, color=color)


def citation_line(label: str, citation: index.Citation, key: str) -> None:
    """One badge and a visible copy button, then "Cite as: …" (the one citation line)."""
    with st.container(horizontal=True, gap="small", vertical_alignment="center"):
        status_badge(citation)
        copy_button(label, key=f"copy::{key}", label="Copy citation", aria=f"Copy citation: {label}")
    st.caption("Cite as: " + escape_md(label))


def terms_text(terms) -> str:
    return "; ".join(f"{t.abbr}: {t.expansion}" + (f" ({t.meaning})" if t.meaning else "") for t in terms)


def source_link(citation: index.Citation) -> None:
    if citation.link_text:
        st.link_button(citation.link_text, safe_url(citation.url), icon=":material/open_in_new:")


def card(kb, chunk, key: str, title: str | None = None, matched: list[str] | None = None, question: str = "",
         similarity: float | None = None, anchor: str | None = None) -> None:
    """A passage with its citation and actions; ``key`` must be unique on the page."""
    m = chunk.meta
    cit = index.Citation.of(chunk)
    matched = matched or []
    with st.container(border=True, key=key):
        if title:
            st.subheader(title, anchor=anchor or False)
        citation_line(cit.label, cit, key)
        st.markdown(highlighted_md(chunk.text, matched))
        with st.container(horizontal=True, gap="small", vertical_alignment="center"):
            if basket.contains(chunk.chunk_id):
                st.button("In your excerpts", key=f"add::{key}::{chunk.chunk_id}", disabled=True,
                          icon=":material/check:")
            else:
                st.button("Add to excerpts", key=f"add::{key}::{chunk.chunk_id}", icon=":material/bookmark_add:",
                          on_click=basket.add, args=(export.excerpt_from_chunk(chunk, question, matched),))
            source_link(cit)
            with st.popover("Details", icon=":material/info:"):
                bits = [f"Kind: {m.kind}"]
                if m.edition:
                    bits.append(f"Edition: {m.edition}")
                if similarity is not None:
                    bits.append(f"Similarity to your question: {similarity:.2f} (cosine, 0 to 1)")
                st.caption(escape_md("\n".join(bits)))
                terms = kb.glossary.find(chunk.text) if kb is not None else []
                if terms:
                    st.caption("Acronyms here: " + escape_md(terms_text(terms)))
