"""The frame every view shares: navigation, the 999 notice, the page title and a few style rules.

- **Navigation** is bound to the URL by stable lower-case ids (``?view=browse``). An address
  typed by hand is read case-insensitively and by label too (``?view=What%20changed``); an
  unknown one falls back to Ask *and says so*, instead of silently showing another page.
- **The 999 notice** is a full banner until the first question; from then on it is a one-line
  bar that stays at the top of the screen (sticky) with a link that starts a call, so on a
  phone the answer, not the chrome, fills the first screen.
- **The title** shrinks once a question is asked, for the same reason.

Style rules are static CSS written here (never corpus text), scoped by the ``st-key-*`` class
Streamlit gives a keyed container.
"""

from __future__ import annotations

import streamlit as st

from .text import escape_md

# Stable keys, bound to the URL; the labels never change (a count in a label broke the binding).
VIEWS = {"ask": "Ask", "browse": "Browse", "changes": "What changed", "excerpts": "Excerpts",
         "glossary": "Glossary", "evaluation": "Evaluation"}
DEFAULT_VIEW = "ask"
NOTICE = ("**Child in immediate danger? [Call 999](tel:999).** This tool points you to the guidance; it does not "
          "replace your local procedures or your professional judgement.")
BAR = ":material/emergency: **Child in immediate danger? [Call 999](tel:999)**"

CSS = """
<style>
/* The one-line 999 bar stays in view while the answer scrolls under it. */
/* (Streamlit wraps a keyed container in a layout wrapper; the wrapper is what must stick, below the header.) */
[data-testid="stLayoutWrapper"]:has(> .st-key-urgent-bar) { position: sticky; top: 3.75rem; z-index: 50; }
.st-key-urgent-bar { background: #fdecea; color: #611a15;
  border-radius: 0.5rem; padding: 0.4rem 0.75rem; min-height: 2.4rem; justify-content: center; }
.st-key-urgent-bar [data-testid="stMarkdownContainer"] { margin-bottom: 0; }
.st-key-urgent-bar p { margin: 0; font-size: 0.95rem; line-height: 1.5; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; }
.st-key-urgent-bar a { color: #611a15; text-decoration: underline; }
/* Once an answer is on screen the page title is a label, not a poster. */
.st-key-page-title-small h1 { font-size: 1.35rem; padding: 0.25rem 0 0.35rem 0; line-height: 1.3; }
/* Passage cards: a heading-sized title, a small citation line, one row of actions. */
[class*="st-key-passage-"] h3 { font-size: 1.15rem; line-height: 1.35; padding: 0 0 0.15rem 0; }
[class*="st-key-passage-"] { gap: 0.6rem; }
[class*="st-key-passage-"] [data-testid="stCaptionContainer"] { font-size: 0.8rem; line-height: 1.45; }
[class*="st-key-actions-"] { gap: 0.75rem; row-gap: 0.25rem; }
.st-key-answer h2 { font-size: 1.6rem; padding-top: 0.25rem; padding-bottom: 0.25rem; }
/* Answer blocks: the paragraph, then its citation; the urgent card reads as an alert, above them. */
[class*="st-key-answer-block-"] { gap: 0.35rem; padding: 0.6rem 0.8rem; }
[class*="st-key-answer-block-"] p { line-height: 1.5; }
[class*="st-key-answer-block-"] [data-testid="stCaptionContainer"] { font-size: 0.8rem; line-height: 1.4; }
.st-key-urgent-card { background: #fdecea; color: #611a15; gap: 0.3rem; padding: 0.6rem 0.8rem; }
.st-key-urgent-card blockquote { margin: 0; padding-left: 0.6rem; border-left-color: #c62828; }
.st-key-urgent-card blockquote p { color: #3b0f0c; }
.st-key-urgent-card [data-testid="stCaptionContainer"] { font-size: 0.78rem; line-height: 1.35; }
@media (max-width: 640px) {
  [class*="st-key-answer-block-"] p { font-size: 0.92rem; line-height: 1.45; }
  .st-key-urgent-card p { font-size: 0.9rem; line-height: 1.4; }
  .stMainBlockContainer, [data-testid="stMainBlockContainer"] { padding-top: 3.75rem; padding-left: 0.75rem;
    padding-right: 0.75rem; }
  .stMainBlockContainer [data-testid="stVerticalBlock"] { gap: 0.6rem; }
  [class*="st-key-passage-"] { padding: 0.75rem; }
  .stMain h2 { font-size: 1.4rem !important; }
  .stMain h3 { font-size: 1.15rem !important; }
  .st-key-page-title h1 { font-size: 1.75rem; padding-top: 0.25rem; }
}
</style>
"""


def view_from_url(raw: object) -> tuple[str, str]:
    """(view id, the unknown value or "") for a ``?view=`` value typed by anyone: an id or a
    label, any case; anything else gives Ask and the value to report."""
    text = str(raw or "").strip()
    if not text:
        return DEFAULT_VIEW, ""
    wanted = text.lower().replace("-", " ").replace("_", " ")
    for key, label in VIEWS.items():
        if wanted in (key, label.lower()):
            return key, ""
    return DEFAULT_VIEW, text


def navigation() -> str:
    """The view bar at the top; returns the chosen view id and keeps ``?view=`` equal to it."""
    ss = st.session_state
    if "view" not in ss or ss.get("view") not in VIEWS:
        ss.view, ss.view_unknown = view_from_url(st.query_params.get("view"))
    view = st.segmented_control("Go to", list(VIEWS), format_func=VIEWS.get, key="view",
                                label_visibility="collapsed", required=True) or DEFAULT_VIEW
    if st.query_params.get("view") != view:
        st.query_params["view"] = view
    # Kept until the reader moves on (the first load reruns once when the browser hands back the basket).
    unknown = ss.get("view_unknown", "") if view == DEFAULT_VIEW else ss.pop("view_unknown", "") and ""
    if unknown:
        st.info(f"There is no page called \u201c{escape_md(unknown[:60])}\u201d, so Ask is shown. The pages are "
                + ", ".join(f"{escape_md(VIEWS[k])} (?view={k})" for k in VIEWS) + ".",
                icon=":material/explore:")
    return view


def go_to(view: str) -> None:
    """Switch view from a callback (before the navigation widget is drawn again)."""
    st.session_state.view = view if view in VIEWS else DEFAULT_VIEW


def urgent_notice(compact: bool) -> None:
    """The 999 notice: the full banner, or (after the first question) the one-line sticky bar."""
    if compact:
        with st.container(key="urgent-bar"):
            st.markdown(BAR)
    else:
        st.warning(NOTICE, icon=":material/emergency:")


def page_title(text: str, small: bool = False) -> None:
    with st.container(key="page-title-small" if small else "page-title"):
        st.title(text, anchor=False)


def style() -> None:
    st.html(CSS)
