"""One passage card, shared by the Ask and Browse views.

Compact on purpose, so that on a phone five cards are a short list rather than
five screens: a title (the section heading, never the document's name, which the
citation already gives), one citation line that starts with the provenance badge,
the text (folded by default in Ask, with the matched sentences highlighted), and
one row of actions. Kind, similarity and acronyms sit with the text.
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
              index.NOT_VERIFIED: (":material/help:", "gray")}


def badge_md(citation: index.Citation) -> str:
    """The provenance badge as a Markdown directive, so it sits on the citation line itself."""
    icon, color = BADGE_LOOK[citation.provenance]
    return f":{color}-badge[{icon} {escape_md(citation.badge)}]"


def status_badge(citation: index.Citation) -> None:
    icon, color = BADGE_LOOK[citation.provenance]
    st.badge(citation.badge, icon=icon, color=color, help=citation.meaning)


def citation_line(label: str, citation: index.Citation, key: str) -> None:
    """One badge and a visible copy button, then "Cite as: …" (the one citation line)."""
    with st.container(horizontal=True, gap="small", vertical_alignment="center"):
        status_badge(citation)
        copy_button(label, key=f"copy::{key}", label="Copy citation", aria=f"Copy citation: {label}")
    st.caption("Cite as: " + escape_md(label))


def terms_text(terms) -> str:
    return "; ".join(f"{t.abbr}: {t.expansion}" + (f" ({t.meaning})" if t.meaning else "") for t in terms)


def source_link(citation: index.Citation, compact: bool = False) -> None:
    """A link to the source; on a card just "Source" (the full wording, e.g. "Source, page 96", is its tooltip)."""
    if citation.link_text:
        st.link_button("Source" if compact else citation.link_text, safe_url(citation.url),
                       icon=":material/open_in_new:", type="tertiary" if compact else "secondary",
                       help=citation.link_text if compact else None)


def card_title(chunk) -> str:
    """What a card is called: its section heading, else its chapter's name as the publisher prints it."""
    section = next((s for s in reversed(chunk.section or ()) if str(s).strip()), "")
    return str(section) or index.topic_label(chunk)


def footnotes(chunk) -> None:
    """The footnotes the passage cites, under its text in small type, as the page prints them."""
    lines = export.footnote_lines((f.marker, f.text) for f in getattr(chunk, "footnotes", ()) or ())
    if lines:
        st.caption("Footnotes:  \n" + "  \n".join(escape_md(ln) for ln in lines))


def details(kb, chunk, similarity: float | None) -> None:
    bits = [f"Kind: {chunk.meta.kind}"]
    if chunk.meta.edition:
        bits.append(f"Edition: {chunk.meta.edition}")
    if similarity is not None:
        bits.append(f"Similarity to your question: {similarity:.2f} (cosine, 0 to 1)")
    st.caption(escape_md(" · ".join(bits)))
    terms = kb.glossary.find(chunk.text) if kb is not None else []
    if terms:
        st.caption("Acronyms here: " + escape_md(terms_text(terms)))


def actions(chunk, key: str, cit: index.Citation, label: str, question: str, matched: list[str]) -> None:
    """Copy, collect, open the source: one row, small buttons, so it fits a phone."""
    with st.container(horizontal=True, gap="small", vertical_alignment="center", key=f"actions-{key}"):
        copy_button(label, key=f"copy::{key}", label="Copy", aria=f"Copy citation: {label}")
        if basket.contains(chunk.chunk_id):
            st.button("In your excerpts", key=f"add::{key}::{chunk.chunk_id}", disabled=True,
                      icon=":material/check:", type="tertiary")
        else:
            st.button("Add to excerpts", key=f"add::{key}::{chunk.chunk_id}", icon=":material/bookmark_add:",
                      on_click=basket.add, args=(export.excerpt_from_chunk(chunk, question, matched),),
                      type="tertiary")
        source_link(cit, compact=True)


def card(kb, chunk, key: str, number: int | None = None, matched: list[str] | None = None, question: str = "",
         similarity: float | None = None, anchor: str | None = None, folded: bool = False,
         title: str | None = None) -> None:
    """A passage with its citation and actions; ``key`` must be unique on the page. ``folded`` keeps the
    text behind a "Read the passage" toggle (the Ask view), so a card is a few lines until opened; ``title``
    replaces the section heading (Browse, where the heading is the page's)."""
    cit = index.Citation.of(chunk)
    matched = matched or []
    with st.container(border=True, key=key):
        title = escape_md(title or card_title(chunk))
        st.subheader(f"\\[{number}\\] {title}" if number is not None else title, anchor=anchor or False)
        st.caption(badge_md(cit) + " Cite as: " + escape_md(cit.label), help=cit.meaning)
        if folded:
            with st.expander("Read the passage" + (" (your answer is highlighted)" if matched else ""),
                             icon=":material/article:"):
                st.markdown(highlighted_md(chunk.text, matched))
                footnotes(chunk)
                details(kb, chunk, similarity)
        else:
            st.markdown(highlighted_md(chunk.text, matched))
            footnotes(chunk)
        actions(chunk, key, cit, cit.label, question, matched)
        if not folded:
            with st.expander("Details", icon=":material/info:"):
                details(kb, chunk, similarity)
