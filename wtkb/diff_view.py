"""The app's "What changed" view: two editions side by side, paragraph by paragraph.

``render(st, kb, add_excerpt=None, ask=None)`` draws the view with the Streamlit
module it is given and only the library API (``index``), so app.py wires it
into its navigation with one call and tests drive it through AppTest.

With two editions indexed it shows their paragraph diff. Before that (a fresh
install holds only the bundled notes) it shows the bundled study note that
summarises the changes (``Settings.changes_note``), chapter by chapter, with
"What changed about …?" questions that ``ask`` runs in the Ask view. Nothing
here prints a command or a path: those are for whoever runs the app, in the
sidebar's About and admin.

Security, as in app.py: corpus text is never rendered as HTML. Every piece of
text that reaches Markdown has all ASCII punctuation backslash-escaped, so no
link, image, tag or directive can form from the corpus; insertions and
deletions are marked with Streamlit's own colour directives around escaped text.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable

import index
from index import CHANGE_KINDS as KINDS
from index import CHANGED, Change
from wtkb import sanitize

_PUNCT = re.compile("([" + re.escape(string.punctuation) + "])")
PAGE_SIZE = 25
LABELS = {"unchanged": "Unchanged", "renumbered": "Renumbered reference", "footnote": "Footnote number",
          "reworded": "Reworded", "moved": "Moved", "split": "Split in two",
          "merged": "Merged", "new": "New", "removed": "Removed"}


def escape_md(text: object) -> str:
    """Text that renders as exactly itself in Streamlit Markdown (line breaks kept)."""
    return "  \n".join(_PUNCT.sub(r"\\\1", line.strip()) for line in sanitize.for_app(text or "").split("\n"))


def _option(text: str) -> str:
    """A choice's label: one line, no control, bidi or invisible character (wtkb/sanitize.py)."""
    return sanitize.for_app(text, single_line=True)


def _mark(text: str, style: str) -> str:
    """Escaped text inside a colour directive, line by line (a directive cannot span lines)."""
    out = []
    for line in sanitize.for_app(text).split("\n"):
        core = _PUNCT.sub(r"\\\1", line.strip())
        if not core:
            out.append("")
        elif style == "del":
            out.append(f":red-background[~~{core}~~]")
        else:
            out.append(f":green-background[**{core}**]")
    return "  \n".join(out)


def side_by_side(change: Change) -> tuple[str, str]:
    """(old, new) Markdown: the old side shows deletions, the new side insertions."""
    if not change.diff:
        old = escape_md("\n\n".join(p.text for p in change.old)) if change.old else "*(not in this edition)*"
        new = escape_md("\n\n".join(p.text for p in change.new)) if change.new else "*(not in this edition)*"
        return old, new
    old_parts, new_parts = [], []
    for seg in change.diff:
        if seg.op in ("same", "del"):
            old_parts.append(_mark(seg.text, "del") if seg.op == "del" else escape_md(seg.text))
        if seg.op in ("same", "ins"):
            new_parts.append(_mark(seg.text, "ins") if seg.op == "ins" else escape_md(seg.text))
    return " ".join(p for p in old_parts if p), " ".join(p for p in new_parts if p)


def doc_label(meta) -> str:
    return meta.edition_label


def change_label(change: Change, old_label: str, new_label: str) -> str:
    """One line naming the change and citing both editions (paragraph label and page)."""
    parts = []
    if change.old:
        parts.append(f"{old_label} " + " + ".join(p.where for p in change.old))
    if change.new:
        parts.append(f"{new_label} " + " + ".join(p.where for p in change.new))
    return f"{LABELS[change.kind]}: " + " \u2192 ".join(parts)


def excerpt_from_change(change: Change, old_meta, new_meta) -> dict:
    """An excerpt for the basket (its stored form, ``index.Excerpt.to_dict()``), citing both editions."""
    side = change.new or change.old
    meta = new_meta if change.new else old_meta
    label = change_label(change, doc_label(old_meta), doc_label(new_meta))
    before = "\n\n".join(p.text for p in change.old)
    after = "\n\n".join(p.text for p in change.new)
    text = "\n".join(x for x in (f"Before: {before}" if before else "", f"After: {after}" if after else "") if x)
    first = side[0]
    cit = index.Citation(doc_id=meta.doc_id, title=meta.title, edition=meta.edition, kind=meta.kind,
                         official=meta.official, chapter=first.chapter, chapter_title=first.chapter_title,
                         section=first.section, paragraphs=tuple(p.label for p in side if p.label),
                         pages=tuple(first.pages), url=meta.url, label=label)
    chunk_id = f"diff:{old_meta.doc_id}>{new_meta.doc_id}:" + ",".join(p.chunk_id + "#" + p.label
                                                                        for p in change.old + change.new)
    return index.Excerpt(chunk_id, text, label, cit).to_dict()


def _fetch_message(st, kb) -> None:
    """Fewer than two editions: say, in plain words, what is missing (the commands are in About and admin)."""
    names = [re.sub(r"\s*\([^()]*\)$", "", n) for n in index.editions_to_fetch(kb)]  # names, not ids
    st.caption("To compare two editions paragraph by paragraph, both must be in the index as verified copies"
               + (f"; it does not hold {escape_md(' and '.join(names))}" if names else "")
               + ". Whoever runs this app can add them (see About and admin in the sidebar).")


def summary_sections(kb) -> list[tuple[str, list]]:
    """The change-summary note's passages grouped under its top headings, in the note's order:
    [("Chapter 1: A shared responsibility", [chunk, ...]), ...]; [] when the note is not indexed."""
    doc = kb.settings.changes_note
    groups: dict[str, list] = {}
    for c in kb.chunks:
        if c.meta.doc_id == doc:
            head = c.section[0] if c.section else index.topic_label(c)
            groups.setdefault(str(head), []).append(c)
    return list(groups.items())


def example_questions(heading: str, chunks: list, most: int = 3) -> list[str]:
    """"What changed about …?" questions from a group's subheadings (or its own title), which the Ask
    view answers from the same note: "Chapter 3: Lead practitioners" gives "What changed about lead
    practitioners?"."""
    subjects = [str(c.section[1]) for c in chunks if len(c.section) > 1]
    if not subjects:
        subjects = [heading.split(":", 1)[-1].strip()]
    out = []
    for subject in dict.fromkeys(subjects):
        first = subject.split(" ", 1)[0]
        subject = subject[:1].lower() + subject[1:] if not first.isupper() or len(first) == 1 else subject
        out.append(f"What changed about {subject}?")
    return out[:most]


def _summary_note(st, kb, ask) -> bool:
    """The bundled change summary by chapter; False when the index does not hold it."""
    sections = summary_sections(kb)
    if not sections:
        return False
    meta = sections[0][1][0].meta
    badge = index.BADGES[index.NOTE]
    title = re.sub(rf"^{re.escape(badge)}\s*:\s*", "", meta.title, flags=re.I)  # the badge already says it
    shown_title = escape_md(title[:1].upper() + title[1:])
    st.markdown(f":violet-badge[:material/edit_note: {escape_md(badge)}] **{shown_title}**")
    st.caption(escape_md(index.MEANING[index.NOTE]) + " Pick a question to see what the guidance says now, "
               "with citations.")
    for i, (heading, chunks) in enumerate(sections):
        with st.expander(escape_md(heading), icon=":material/change_circle:"):  # folded: a list of chapters
            for c in chunks:
                if len(c.section) > 1:
                    st.markdown(f"**{escape_md(c.section[-1])}**")
                st.markdown(escape_md(c.text))
            if ask is not None:
                with st.container(horizontal=True, gap="small"):
                    for j, q in enumerate(example_questions(heading, chunks)):
                        st.button(q, key=f"changes_ask_{i}_{j}", on_click=ask, args=(q,),
                                  icon=":material/search:", type="tertiary")
    return True


def render(st, kb, add_excerpt: Callable[[dict], None] | None = None,
           ask: Callable[[str], None] | None = None) -> None:
    """Draw the "What changed" view for a loaded ``index.KnowledgeBase``; ``ask(question)`` runs an
    example question in the Ask view."""
    from index import comparable_documents, default_pair, edition_pairs

    with st.container(key="page-title"):
        st.title("What changed", anchor=False)
    docs = comparable_documents(kb)
    pair = default_pair(kb) or next(iter(edition_pairs(kb)), None)
    if pair is None:
        # A fresh install: no two editions of one work. Show the bundled summary; comparing two unrelated
        # documents is possible but only on request (it costs an alignment of both).
        if not _summary_note(st, kb, ask):
            st.info("No two editions of one document are indexed yet, and there is no summary of the changes "
                    "to show.")
        _fetch_message(st, kb)
        if len(docs) < 2 or not st.toggle("Compare two other indexed documents paragraph by paragraph",
                                          key="diff_any"):
            return
        pair = tuple(list(docs)[:2])
    _compare(st, kb, docs, pair, add_excerpt)


def _compare(st, kb, docs: dict, pair: tuple, add_excerpt) -> None:
    """The paragraph diff of two indexed documents, ``pair`` chosen first."""
    from index import DiffError, diff_documents

    ids = list(docs)
    c1, c2 = st.columns(2)

    def name(doc_id: str) -> str:
        return _option(doc_label(docs[doc_id]))

    old_id = c1.selectbox("Older edition", ids, index=ids.index(pair[0]), format_func=name, key="diff_old")
    new_id = c2.selectbox("Newer edition", ids, index=ids.index(pair[1]), format_func=name, key="diff_new")
    if old_id == new_id:
        st.warning("Choose two different documents to compare.")
        return
    try:
        with st.spinner("Comparing the two editions paragraph by paragraph\u2026"):
            alignment = diff_documents(kb, old_id, new_id)
    except DiffError as e:
        st.error(escape_md(e))
        return
    old_label, new_label = doc_label(docs[old_id]), doc_label(docs[new_id])
    _summary(st, alignment, kb)
    chapters = ["All chapters"] + [r.new_chapter or r.old_chapter for r in alignment.summary()]
    f1, f2 = st.columns([1, 2])
    chapter = f1.selectbox("Chapter", chapters, key="diff_chapter")
    kinds = f2.multiselect("Show", list(KINDS), default=list(CHANGED), format_func=LABELS.get, key="diff_kinds")
    changes = alignment.select(tuple(kinds) or CHANGED, None if chapter == "All chapters" else chapter)
    st.caption(f"{len(changes)} change(s). Deleted words are struck through in red on the left; inserted words "
               "are in bold on green on the right.")
    shown = changes[:st.session_state.get("diff_limit", PAGE_SIZE)]
    for i, ch in enumerate(shown):
        _change(st, ch, i, old_label, new_label, docs[old_id], docs[new_id], add_excerpt)
    if len(changes) > len(shown):
        if st.button(f"Show {min(PAGE_SIZE, len(changes) - len(shown))} more", key="diff_more"):
            st.session_state["diff_limit"] = len(shown) + PAGE_SIZE
            st.rerun()


def chapter_names(kb, doc_id: str) -> dict[str, str]:
    """A document's chapter numbers → the publisher's names without the title ("Part two", "Annex A",
    "Ch 3"), so the summary names a KCSIE part as a part, not as "Ch two"."""
    out: dict[str, str] = {}
    for c in kb.chunks:
        if c.meta.doc_id == doc_id and c.chapter_number not in out:
            out[c.chapter_number] = index.chapter_label(c.chapter_number, "", c.chapter_kind)
    return out


def _summary(st, alignment, kb=None) -> None:
    new_names = chapter_names(kb, alignment.new_doc) if kb is not None else {}
    old_names = chapter_names(kb, alignment.old_doc) if kb is not None else {}
    rows = []
    for r in alignment.summary():
        name = (new_names.get(r.new_chapter) or f"Ch {r.new_chapter}" if r.new_chapter
                else "Old " + (old_names.get(r.old_chapter) or f"ch {r.old_chapter}"))
        if r.new_chapter and r.old_chapter and r.old_chapter != r.new_chapter:
            name += f" (was {old_names.get(r.old_chapter) or r.old_chapter})"
        rows.append({"Chapter": f"{name}: {r.title}", **{LABELS[k]: r.counts[k] for k in KINDS}})
    st.subheader("Summary by chapter")
    st.dataframe(rows, hide_index=True)


def _change(st, ch: Change, i: int, old_label: str, new_label: str, old_meta, new_meta, add_excerpt) -> None:
    st.markdown(f"**{escape_md(change_label(ch, old_label, new_label))}**")
    if ch.kind == "moved":
        o, n = ch.old[0], ch.new[0]
        st.caption(escape_md(f"Moved from Ch {o.chapter} \u203a {o.section or o.chapter_title} to Ch {n.chapter} "
                             f"\u203a {n.section or n.chapter_title}"))
    left, right = st.columns(2)
    old_md, new_md = side_by_side(ch)
    left.markdown(old_md)
    right.markdown(new_md)
    if add_excerpt is not None and st.button("Add to excerpts", key=f"diff_add_{i}"):
        add_excerpt(excerpt_from_change(ch, old_meta, new_meta))
    st.divider()
