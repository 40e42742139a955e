"""The Ask view's answer: what a practitioner reads first, the cited passages, copy and flag.

Kept apart from app.py so the answer's layout (blocks, banners, the urgent
card) can change without touching navigation, filters or the other views.
Corpus text and questions are never rendered as HTML (wtkb/ui/text.py).
"""

from __future__ import annotations

import streamlit as st

import index
from wtkb.ui import feedback, passages
from wtkb.ui.browser import copy_button
from wtkb.ui.text import escape_md, highlighted_md

NOTES_ONLY = "These answers come from study notes, not the guidance itself."
UNCERTAIN_BANNER = "These passages may not answer your question"
URGENT_TITLE = "If a child may be in immediate danger"


def has_official(kb: index.KnowledgeBase) -> bool:
    return index.info(kb=kb).has_official


def answer_text(res: index.Answer) -> str:
    """Answer blocks with their citations, as plain text for the clipboard (the urgent lines first)."""
    lines = [f"Question: {res.query}", ""]
    if res.urgent:
        lines += [f"! {ln.text} ({ln.citation.label})" for ln in res.urgent.lines] + [""]
    for i, kp in enumerate(res.key_points, start=1):
        lines.append(f"{i}. {kp.text} ({kp.citation.label})")
    return "\n".join(lines)


def show_answer(kb: index.KnowledgeBase, res: index.Answer, filters: index.Filters) -> None:
    with st.container(key="answer"):
        if res.abstained:
            show_urgent(res)
            st.header("No answer found", anchor=False)
            st.caption(escape_md(f"For: \u201c{res.query}\u201d"))
            st.warning(escape_md(res.message), icon=":material/search_off:")
            tips = ["rephrase the question using the words the guidance uses (for example "
                    "\u201cstrategy discussion\u201d rather than \u201cmeeting\u201d)",
                    "spell out acronyms, or look them up in the **Glossary**"]
            if filters.active():
                tips.insert(0, "clear or widen the **Filters**")
            st.markdown("You could:\n" + "\n".join(f"- {t}" for t in tips))
            terms_caption(res.terms, "Terms in your question:")
            feedback_form(kb, res)
            return
        show_urgent(res)
        st.header("Answer", anchor=False)
        if res.confidence == index.UNCERTAIN:
            st.warning(UNCERTAIN_BANNER, icon=":material/help:")
        show_blocks(res)
        total = res.timings_ms.get("total_ms")
        st.caption(escape_md(f"For: \u201c{res.query}\u201d · {len(res.hits)} cited passages")
                   + (f" · {total / 1000:.1f} s" if total else ""))
        message = res.message.replace(index.UNCERTAIN_NOTICE, "").strip()
        if message:
            st.info(escape_md(message))
        notes = [h for h in res.hits if h.chunk.meta.is_note]
        if notes:
            # Only when every passage shown is a note: a real document added by hand (Not verified)
            # among them is the guidance itself, and saying otherwise would be false.
            lead = (NOTES_ONLY + " ") if len(notes) == len(res.hits) else ""
            st.caption(":material/edit_note: " + lead + f"Passages marked *{index.BADGES[index.NOTE]}* are our "
                       "own summaries: check the official chapter they name before relying on them.")
        terms_caption(res.terms, "Terms in your question:")
        with st.container(horizontal=True, gap="small", vertical_alignment="center"):
            if res.key_points:
                copy_button(answer_text(res), key="copy-answer", label="Copy answer",
                            aria="Copy the key points with their citations")
            feedback_form(kb, res)

        show_passages(kb, res)


def show_urgent(res: index.Answer) -> None:
    """The pinned card for a question about immediate danger: every line a quoted, cited sentence."""
    if not res.urgent or not res.urgent.lines:
        return
    with st.container(key="urgent-card", border=True):
        st.markdown(f":material/emergency: **{escape_md(URGENT_TITLE)}**")
        for i, line in enumerate(res.urgent.lines):
            st.markdown(f"> {escape_md(line.text)}")
            st.caption(escape_md(line.citation.label))


def show_blocks(res: index.Answer) -> None:
    """Each answer block: the paragraph as printed, its answering sentence highlighted, its own
    citation, and a link to the passage it comes from. Lines (list items) stay lines."""
    number = {h.chunk.chunk_id: h.rank for h in res.hits}
    # With no block, the answer's message (index.answer.NO_SENTENCE, shown below) says so once.
    for i, kp in enumerate(res.key_points, start=1):
        n = number.get(kp.chunk_id)
        with st.container(key=f"answer-block-{i}", border=True):
            marker = f" [\\[{n}\\]](#passage-{n})" if n else ""
            st.markdown(highlighted_md(kp.text, [kp.highlight] if kp.highlight else []) + marker)
            st.caption(escape_md(kp.citation.label))


def show_passages(kb: index.KnowledgeBase, res: index.Answer) -> None:
    """The cited passages under the answer, one folded card each (wtkb/ui/passages.py): a phone shows
    the list of sources in a screen or two, and a reader opens the one they want."""
    by_chunk: dict[str, list[str]] = {}
    for kp in res.key_points:
        by_chunk.setdefault(kp.chunk_id, []).append(kp.highlight or kp.text)
    st.header(f"Cited passages ({len(res.hits)})", anchor=False)
    for hit in res.hits:
        passages.card(kb, hit.chunk, key=f"passage-{hit.rank}", number=hit.rank,
                      matched=by_chunk.get(hit.chunk.chunk_id, []), question=res.query,
                      similarity=hit.dense, anchor=f"passage-{hit.rank}", folded=True)


def terms_caption(terms, prefix: str) -> None:
    if terms:
        st.caption(f":material/dictionary: {escape_md(prefix)} " + escape_md(passages.terms_text(terms)))


def feedback_form(kb: index.KnowledgeBase, res: index.Answer) -> None:
    """"Flag this answer": saved on this machine (feedback.py); the question only with consent."""
    settings = kb.settings
    with st.popover("Flag this answer", icon=":material/flag:"):
        with st.form("flag", clear_on_submit=True, border=False):
            problem = st.radio("What is wrong?", feedback.PROBLEMS, key="flag_problem")
            comment = st.text_area("Tell us more (optional). Please leave out names and personal details.",
                                   key="flag_comment", max_chars=feedback.MAX_COMMENT, height=80)
            consent = st.checkbox("Include my question in the report", key="flag_consent")
            sent = st.form_submit_button("Send to whoever runs this app")
        st.caption("Kept on the machine that runs this app, for whoever runs it; nothing is sent elsewhere.")
    if sent:
        report = feedback.make_report(res, problem, comment, consent, kb.version.name)
        try:
            feedback.save_report(feedback.feedback_path(settings), report)
            st.toast("Thank you: your report was saved.", icon=":material/flag:")
        except OSError as e:
            st.error(f"The report could not be saved ({escape_md(type(e).__name__)}).")
