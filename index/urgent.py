"""Urgent risk: noticing a question about immediate danger, and the cited lines to show first.

A practitioner who types "dad says he's going to hurt the kids tonight" needs
to read "call 999" before any paragraph about assessments. ``urgent_cue``
finds the words that signal immediate danger or blocked access to a child
(a small list of patterns, tested against phrasings of our own in
tests/test_urgent.py); ``urgent_lines`` finds, once per index, the sentences
that say what to do now: call the police on 999, refer to children's social
care immediately, police protection (section 46) and emergency protection
orders (section 44). Every line is a sentence quoted from an indexed
paragraph and cited to it; when the index has no such sentence the line is
left out, so the card never says anything the sources do not.
"""

from __future__ import annotations

import re
import threading
import weakref

from .blocks import paragraph_chunk, paragraphs_of, sentences_in

CUES = [re.compile(p, re.I) for p in (
    r"\b(tonight|right now|at the moment he|as we speak)\b",
    r"\b(going to|gonna|will|threat\w* to|says? (he|she|they)'?l?l?) (hurt|harm|kill|hit|beat|attack|stab|"
    r"take|snatch|smack)\b",
    r"\b(won'?t|wont|will not|refus\w* to|not|nobody will|no one will|isn'?t|aren'?t) (let|letting|allow\w*) (me|us|anyone|"
    r"the social worker|social workers?|staff)( \w+)? (see|in|into|near|speak|talk|access)\b",
    r"\b(not allowed|refus\w*) (to see|access|entry|me in)\b",
    r"\b(can'?t|cannot|can not|unable to|couldn'?t) (find|locate|trace)\b",
    r"\b(has|have|had|just) (run|ran) (away|off)\b|\bran away\b|\b(gone|went|is|are|been) missing\b",
    r"\b(immediate|serious) danger\b|\bin danger\b|\bunsafe (tonight|now|at home)\b",
    r"\b(knife|gun|weapon|machete)\b",
    r"\b(suicidal|kill (him|her|them|my)sel\w*|overdosed?)\b",
    r"\b(locked (in|out)|abduct\w*|taken the (child|kids?|baby|children))\b",
)]

# (what the line is about, the search that finds it, the pattern its sentence must match)
LINES = (
    ("police", "child in immediate danger call the police on 999", re.compile(r"\b999\b")),
    ("social care", "refer immediately to local authority children's social care significant harm",
     re.compile(r"children\W?s social care\b.*\b(immediately|straight away|without delay)\b|"
                r"\b(immediately|straight away|without delay)\b.*children\W?s social care", re.I)),
    ("police protection", "police protection section 46 Children Act 1989 remove the child",
     re.compile(r"\bsection 46\b|\bpolice protection\b", re.I)),
    ("emergency protection order", "emergency protection order section 44 Children Act 1989 court",
     re.compile(r"\bemergency protection orders?\b", re.I)),
)
_CACHE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def urgent_cue(question: str) -> str:
    """The words of the question that signal immediate danger or blocked access ("" when none)."""
    for pat in CUES:
        m = pat.search(question or "")
        if m:
            return m.group(0)
    return ""


def _find(kb, query: str, pattern: re.Pattern):
    """(sentence, chunk narrowed to its paragraph) for the best-ranked sentence matching the
    pattern among keyword hits for ``query``; an official document's sentence is preferred."""
    found = []
    for h in kb.search(query, 10, mode="keyword"):
        for para in paragraphs_of(h.chunk):
            for sent in sentences_in(para.text, min_words=6):
                if pattern.search(sent):
                    found.append((not h.chunk.meta.official, h.rank, sent, paragraph_chunk(h.chunk, para)))
                    break
    found.sort(key=lambda f: (f[0], f[1]))
    return (found[0][2], found[0][3]) if found else None


def urgent_lines(kb) -> list[tuple[str, str, object]]:
    """(topic, sentence, chunk) for each card line the index can cite, found once per index."""
    with _LOCK:
        cached = _CACHE.get(kb)
    if cached is not None:
        return cached
    lines = []
    for topic, query, pattern in LINES:
        hit = _find(kb, query, pattern)
        if hit:
            lines.append((topic, hit[0], hit[1]))
    with _LOCK:
        _CACHE[kb] = lines
    return lines

