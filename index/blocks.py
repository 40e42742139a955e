"""Answer blocks: the paragraphs inside a chunk, their own labels, and the trimmed block a reader sees.

A chunk holds several paragraphs joined by a blank line (ingest/chunk.py), and
its ``paragraphs`` lists the printed labels of those that have one. An answer
quotes one paragraph, not the chunk, and cites that paragraph's own label, so
the chunk text is split back into paragraphs here and each is matched to its
label: by the label printed at its start ("62. Anyone who…", as ingestion
keeps it), else by position when the counts agree. A paragraph whose label
cannot be told is cited by the chunk's label range, which still holds it.

Inside a paragraph the units are sentences and list items (one a line): a
leading label is part of the paragraph, never a sentence of its own, and a list
item is never merged with its neighbours, so a list stays a list when a long
paragraph is trimmed around the sentence that answers.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from ingest.records import Chunk

# A printed paragraph label at the start of a paragraph: "62. ", "4.12 ", "A.3. ", "(a) ".
LABEL_AT_START = re.compile(r"^\s*(\(?[A-Z]?\d+(?:\.\d+)*[a-z]?\)?|\([a-z]\))\.?\s+")
# A sentence ends at . ! or ? followed by space and a capital, digit, quote or bracket; a bullet
# printed inside a line ("… include: • a • b") starts an item of its own.
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(\u2018\u201c\d])|\s+(?=\u2022\s)")
ELLIPSIS = "\u2026"


@dataclass(frozen=True)
class Para:
    """One paragraph of a chunk: its text (verbatim) and printed label (None when unknown)."""

    text: str
    label: str | None
    index: int  # position in the chunk


def paragraphs_of(chunk: Chunk) -> list[Para]:
    """The chunk's paragraphs, each with its own label where it can be told."""
    pieces = [p for p in re.split(r"\n\s*\n", chunk.text) if p.strip()]
    labels = [str(x) for x in chunk.paragraphs]
    out: list[Para] = []
    printed = [_printed_label(p, labels) for p in pieces]
    by_position = len(pieces) == len(labels) and not any(printed)
    for i, piece in enumerate(pieces):
        label = printed[i] or (labels[i] if by_position else None)
        if label is None and len(labels) == 1 and len(pieces) == 1:
            label = labels[0]  # one paragraph (or a part of one long paragraph) in the chunk
        out.append(Para(piece.strip("\n"), label, i))
    return out


def _printed_label(piece: str, labels: list[str]) -> str | None:
    m = LABEL_AT_START.match(piece)
    if not m:
        return None
    printed = m.group(1).strip("()")
    return printed if printed in labels else None


def units(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of the sentences and list items of a paragraph, in order.

    A leading label ("62. ") belongs to the first unit; each line is a unit of
    its own when the paragraph is a list (bullets or items one a line)."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for line in text.split("\n"):
        line_start = pos
        pos += len(line) + 1
        if not line.strip():
            continue
        m = LABEL_AT_START.match(line) if line_start == 0 else None
        body_from = m.end() if m else 0
        cuts = [body_from] + [mm.end() for mm in SENTENCE_END.finditer(line, body_from)]
        bounds = cuts + [len(line)]
        for j, (a, b) in enumerate(zip(bounds, bounds[1:])):
            a = 0 if j == 0 else a
            seg = line[a:b].rstrip()
            if seg.strip():
                lead = len(line[a:b]) - len(line[a:b].lstrip())
                spans.append((line_start + a + lead, line_start + a + len(seg)))
    return spans


def sentences_in(text: str, min_words: int = 4) -> list[str]:
    """The units of a paragraph that can be a highlight: long enough to say something."""
    out = []
    for a, b in units(text):
        s = text[a:b]
        body = LABEL_AT_START.sub("", s, count=1) if a == 0 else s
        if len(body.split()) >= min_words:
            out.append(s)
    return out


def trim(text: str, highlight: str, max_chars: int) -> str:
    """The paragraph, or when longer than ``max_chars`` the run of whole units
    around the highlight that fits, with "…" where text was left out. The
    label stays at the front; cuts fall only between sentences or list items."""
    if len(text) <= max_chars:
        return text
    spans = units(text)
    if not spans:
        return text
    at = text.find(highlight) if highlight else 0
    centre = next((i for i, (a, b) in enumerate(spans) if a <= max(at, 0) < b or a >= max(at, 0)), 0)
    lo = hi = centre
    size = lambda lo_, hi_: spans[hi_][1] - spans[lo_][0]  # noqa: E731 - the window's length
    grow = True
    while grow:
        grow = False
        if hi + 1 < len(spans) and size(lo, hi + 1) <= max_chars:
            hi, grow = hi + 1, True
        if lo > 0 and size(lo - 1, hi) <= max_chars:
            lo, grow = lo - 1, True
    body = text[spans[lo][0]:spans[hi][1]]
    m = LABEL_AT_START.match(text)
    head = ""
    if lo > 0:
        head = (text[:m.end()] if m else "") + ELLIPSIS + " "
    tail = " " + ELLIPSIS if hi < len(spans) - 1 else ""
    return head + body + tail


def paragraph_chunk(chunk: Chunk, para: Para) -> Chunk:
    """The chunk narrowed to one paragraph, so ``Citation.of`` cites that paragraph's label.
    Pages stay the chunk's: a chunk records only its first and last page."""
    labels = (para.label,) if para.label else tuple(chunk.paragraphs)
    return dataclasses.replace(chunk, paragraphs=labels, text=para.text)
