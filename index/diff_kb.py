"""Editions in a loaded index: which documents are editions of one another,
their paragraph diff, and questions about what changed.

The pure alignment lives in ``index.diff``; this module feeds it the chunks an
index holds and the index's own encoder, and is what the CLI (``wtkb diff``),
the app's "What changed" view and ``wtkb ask`` call.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

import numpy as np

from ingest.records import DocMeta

from .diff import CHANGED, Alignment, Change, align, paragraphs_from_chunks


class DiffError(ValueError):
    """Two documents that cannot be compared; the message is one line for the user."""


_CACHE_LOCK = threading.Lock()


def documents(kb) -> dict[str, DocMeta]:
    """Every indexed document except study notes, by id, in index order."""
    out: dict[str, DocMeta] = {}
    for c in kb.chunks:
        if not c.meta.is_note:
            out.setdefault(c.meta.doc_id, c.meta)
    return out


def edition_pairs(kb) -> list[tuple[str, str]]:
    """(older, newer) document ids that are editions of one another.

    From ``supersedes`` (this document replaces that one) and ``edition_of``
    (documents naming the same work, ordered by their ``edition`` date), as
    set in sources.toml or front matter; then ``Settings.diff_default_pair``
    (the 2018 and 2023 guidance) when both are indexed.
    """
    docs = documents(kb)
    pairs: list[tuple[str, str]] = []
    for m in docs.values():
        if m.supersedes and m.supersedes in docs and m.supersedes != m.doc_id:
            pairs.append((m.supersedes, m.doc_id))
    works: dict[str, list[DocMeta]] = {}
    for m in docs.values():
        if m.edition_of:
            works.setdefault(m.edition_of, []).append(m)
    for root, members in works.items():
        if root in docs and all(x.doc_id != root for x in members):
            members.append(docs[root])
        members.sort(key=lambda x: (x.edition, x.doc_id))
        pairs.extend((a.doc_id, b.doc_id) for a, b in zip(members, members[1:]))
    default = tuple(kb.settings.diff_default_pair)
    if len(default) == 2 and all(d in docs for d in default):
        pairs.append((default[0], default[1]))
    seen: set[tuple[str, str]] = set()
    return [p for p in pairs if not (p in seen or seen.add(p))]


def default_pair(kb) -> tuple[str, str] | None:
    """The 2018 → 2023 guidance when both are indexed, else the first declared pair."""
    pairs = edition_pairs(kb)
    default = tuple(kb.settings.diff_default_pair)
    return default if default in pairs else (pairs[0] if pairs else None)


def missing_editions(kb) -> list[str]:
    """Ids of the default pair that are not indexed (what to fetch for the view's default)."""
    docs = documents(kb)
    return [d for d in kb.settings.diff_default_pair if d not in docs]


def diff_documents(kb, old_id: str, new_id: str) -> Alignment:
    """Align two indexed documents with the index's own encoder (cached per index version)."""
    docs = documents(kb)
    for d in (old_id, new_id):
        if d not in docs:
            known = ", ".join(docs) or "none"
            raise DiffError(f"document '{d}' is not in the index (indexed: {known}); check the id or fetch and "
                            "build it first")
    if old_id == new_id:
        raise DiffError(f"'{old_id}' was given twice; name two different editions")
    key = (str(kb.version), old_id, new_id)
    cache = kb.__dict__.setdefault("_diff_cache", {})
    with _CACHE_LOCK:
        if key in cache:
            return cache[key]
    old = paragraphs_from_chunks([c for c in kb.chunks if c.meta.doc_id == old_id])
    new = paragraphs_from_chunks([c for c in kb.chunks if c.meta.doc_id == new_id])
    result = align(old, new, kb.embedder.encode, kb.settings, old_id, new_id)
    with _CACHE_LOCK:
        cache[key] = result
    return result


# ---------------------------------------------------------------- questions about change

CHANGE_WORDS = re.compile(
    r"^\s*(?:what|which|how|has|have|is|are|did|does|was)?\b.*?\b(?:chang\w*|differ\w*|new in|updated?|revis\w*)"
    r"\s*(?:(?:about|to|in|on|for|regarding|with|between)\s+(?:the\s+)?)?", re.I)
EDITION_WORDS = re.compile(r"\b(?:since|from|between|in|the)?\s*(?:19|20)\d\d\b(?:\s*(?:and|to|vs|->)\s*(?:19|20)\d\d)?"
                           r"|\b(?:edition|version|guidance|working together)s?\b", re.I)


CHANGE_QUESTION = re.compile(
    r"\bwhat(?:'s| has| have| is| was)?\s+(?:chang\w*|new)\b|\bhow (?:has|have|did|does|is)\b.*\bchang"
    r"|\bdifferen\w*\b.*\b(?:19|20)\d\d|\b(?:19|20)\d\d\b.*\bdifferen|\bchanges? (?:to|in|about|between)\b"
    r".*\b(?:(?:19|20)\d\d|edition|version|guidance)", re.I)


def is_change_question(question: str) -> bool:
    """"What changed about early help?", "how is 2023 different on LADOs?" and the like."""
    return bool(CHANGE_QUESTION.search(question or ""))


def change_topic(question: str) -> str:
    """The subject of a change question: "what changed about early help?" -> "early help"."""
    topic = CHANGE_WORDS.sub("", question or "", count=1)
    topic = EDITION_WORDS.sub(" ", topic)
    topic = re.sub(r"\s+", " ", re.sub(r"[?!.]+", " ", topic)).strip(" ,;:")
    topic = re.sub(r"^(?:(?:about|on|in|for|regarding|to|with|the)\s+)+", "", topic, flags=re.I)
    return topic or (question or "").strip()


@dataclass
class ChangeAnswer:
    question: str
    topic: str
    old_doc: str
    new_doc: str
    chapter: str
    chapter_title: str
    changes: list[Change] = field(default_factory=list)
    total: int = 0  # changes in that chapter, before ranking by the topic

    def to_dict(self) -> dict:
        return {"answer_type": "changes", "question": self.question, "topic": self.topic, "old_doc": self.old_doc, "new_doc": self.new_doc,
                "chapter": self.chapter, "chapter_title": self.chapter_title, "total": self.total,
                "changes": [c.to_dict() for c in self.changes]}


def changes_about(kb, question: str, old: str | None = None, new: str | None = None,
                  k: int = 5) -> ChangeAnswer | None:
    """Answer "what changed about X" from the diff of the chapter X is in.

    The chapter is the new edition's chapter of the best passage for X; its
    changes are ranked by similarity to X. None when two editions are not indexed.
    """
    from .retrieve import Filters

    if old is None or new is None:
        pair = default_pair(kb)
        if pair is None:
            return None
        old, new = pair
    alignment = diff_documents(kb, old, new)
    topic = change_topic(question)
    hits = kb.search(topic, 3, Filters(doc=(new,)))
    if not hits:
        return ChangeAnswer(question, topic, old, new, "", "")
    chapter, title = hits[0].chunk.chapter_number, hits[0].chunk.chapter_title
    here = [c for c in alignment.changes if c.kind in CHANGED and alignment.in_chapter(c, chapter)]
    ranked = _rank(kb, topic, here)[:k]
    return ChangeAnswer(question, topic, old, new, chapter, title, ranked, len(here))


def _rank(kb, topic: str, changes: list[Change]) -> list[Change]:
    if not changes:
        return []
    texts = [" ".join(p.text for p in (c.new or c.old)) for c in changes]
    vecs = kb.embedder.encode([topic] + texts)
    scores = np.asarray(vecs[1:]) @ np.asarray(vecs[0])
    order = np.argsort(-scores, kind="stable")
    return [changes[i] for i in order]
