"""Chunking: whole paragraphs, grouped within one section, sized for the model.

A chunk never crosses a section (and so never a chapter), so every chunk has
one citation. Its id is built from what is printed in the document (paragraph
numbers, or the heading path plus an ordinal where paragraphs are unnumbered),
so the same text gets the same id on every rebuild and gold sets survive.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from .records import Chunk, DocMeta, Paragraph, slugify
from .structure import label_prefix

TokenCounter = Callable[[str], int]
SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+(?=[A-Z\"'(\u2022])|\n(?=\u2022)")


def approx_tokens(text: str) -> int:
    """A cautious word-piece estimate for when no tokenizer is loaded."""
    return int(len(re.findall(r"\w+|[^\w\s]", text)) * 1.25) + 2


def chapter_label(number: str, title: str, kind: str = "chapter") -> str:
    """How a citation names a top level, in the document's own words:
    "Ch 3: …" for chapters (the way the guidance is cited in practice),
    "Part two: …", "Annex A: …", or the bare title when it has no number."""
    if number in ("", "0"):
        return title or "Introduction"
    if kind == "chapter" and number.isdigit():
        return f"Ch {number}: {title}" if title else f"Ch {number}"
    word = (kind or "appendix") if kind != "chapter" else "appendix"
    named = f"{word.capitalize()} {number}"
    return f"{named}: {title}" if title else named


def chapter_slug(number: str, title: str, kind: str = "chapter") -> str:
    """Short and stable: ch3, intro, app-a, part-two, annex-b; a slug of the title otherwise."""
    if number == "0" or (number == "" and not title):
        return "intro"
    if number == "":
        return slugify(title, 24)
    if kind in ("part", "annex", "section"):
        return f"{kind}-{slugify(number, 8)}"
    if number.isdigit():
        return f"ch{number}"
    if len(number) <= 3:
        return f"app-{number.lower()}"
    return slugify(title or number, 24)


def paragraph_range(labels: tuple[str, ...] | list[str]) -> str:
    """"para 4.12" or "paras 4.12–4.14", as a citation prints it."""
    if not labels:
        return ""
    if len(labels) == 1:
        return f"para {labels[0]}"
    return f"paras {labels[0]}\u2013{labels[-1]}"


def context_header(meta: DocMeta, chapter_number: str, chapter_title: str, section: tuple[str, ...],
                   kind: str = "chapter") -> str:
    """The short line prepended to embedded text so a brief paragraph keeps its meaning."""
    parts = [meta.label, chapter_label(chapter_number, chapter_title, kind)]
    if section:
        parts.append(" > ".join(section))
    return " · ".join(parts)


def cut_words(sentence: str, budget: int, count: TokenCounter) -> list[str]:
    """Cut one sentence longer than ``budget`` into pieces at word boundaries.

    Each piece is the longest run of words that fits, found by binary search,
    so the counter is called O(log budget) times per piece on texts no longer
    than a piece: linear in the sentence. (Growing a piece a word at a time
    and recounting it is quadratic in the budget for every piece: a 400,000-
    character line with no sentence end kept a build busy for over ten
    minutes with the model's tokenizer.) A word never counts less than one
    token, so no piece holds more than ``budget`` words.
    """
    words = sentence.split()
    pieces: list[str] = []
    i = 0
    while i < len(words):
        lo, hi = 1, min(max(1, budget), len(words) - i)  # lo always fits (a lone word is kept even if too long)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if count(" ".join(words[i:i + mid])) <= budget:
                lo = mid
            else:
                hi = mid - 1
        pieces.append(" ".join(words[i:i + lo]))
        i += lo
    return pieces


def split_long(text: str, budget: int, count: TokenCounter) -> list[str]:
    """Split text at sentence ends into pieces within budget; a single sentence
    longer than the budget is cut at word boundaries as a last resort."""
    pieces: list[str] = []
    cur = ""
    for sentence in SENTENCE_END.split(text):
        sentence = sentence.strip()
        if not sentence:
            continue
        if count(sentence) > budget:
            if cur:
                pieces.append(cur)
            *whole, sentence = cut_words(sentence, budget, count)
            pieces.extend(whole)
            cur = ""
        # A bullet stays an item on its own line, whichever piece it falls in.
        candidate = (cur + ("\n" if sentence.startswith("\u2022") else " ") + sentence) if cur else sentence
        if cur and count(candidate) > budget:
            pieces.append(cur)
            cur = sentence
        else:
            cur = candidate
    if cur:
        pieces.append(cur)
    return pieces


def _group(paras: list[Paragraph]) -> Iterable[list[Paragraph]]:
    """Runs of paragraphs sharing document position: chapter and section."""
    run: list[Paragraph] = []
    for p in paras:
        if run and (p.chapter_kind, p.chapter_number, p.chapter_title, p.section) != (
                run[0].chapter_kind, run[0].chapter_number, run[0].chapter_title, run[0].section):
            yield run
            run = []
        run.append(p)
    if run:
        yield run


def labelled(p: Paragraph) -> str:
    """A paragraph as a passage prints it: its label first ("62. Practitioners…"), where it has one."""
    return label_prefix(p.label) + p.text


def chunk_document(meta: DocMeta, paras: list[Paragraph], max_tokens: int = 240,
                   count: TokenCounter = approx_tokens) -> list[Chunk]:
    chunks: list[Chunk] = []
    seen: set[str] = set()

    def add(run: list[Paragraph], text: str, header: str, part: int | None, ordinal: int, start: int, end: int):
        first = run[0]
        labels = tuple(p.label for p in run if p.label is not None)
        pages = tuple(sorted({n for p in run for n in (p.page, p.page_end) if n is not None}))
        if labels:
            cid = f"{meta.doc_id}:p{labels[0]}" + (f"-{labels[-1]}" if len(labels) > 1 else "")
            if part is not None:  # parts of one long paragraph: p8.2, or p4.12#2 where labels hold a dot
                cid += f"#{part}" if "." in labels[0] else f".{part}"
        else:
            where = "/".join(slugify(s) for s in first.section) or "intro"
            slug = chapter_slug(first.chapter_number, first.chapter_title, first.chapter_kind)
            cid = f"{meta.doc_id}:{slug}/{where}#{ordinal}"
        base, n = cid, 2
        while cid in seen:
            cid, n = f"{base}~{n}", n + 1
        seen.add(cid)
        chunks.append(Chunk(
            chunk_id=cid, meta=meta, chapter_number=first.chapter_number, chapter_title=first.chapter_title,
            section=first.section, paragraphs=labels, pages=(pages[0], pages[-1]) if pages else (),
            text=text, start=start, end=end, header=header, chapter_kind=first.chapter_kind,
            footnotes=tuple(dict.fromkeys(f for p in run for f in p.footnotes)),
        ))

    for run in _group(paras):
        first = run[0]
        header = context_header(meta, first.chapter_number, first.chapter_title, first.section, first.chapter_kind)
        budget = max(32, max_tokens - count(header))
        ordinal = 0
        group: list[Paragraph] = []

        def close_group():
            nonlocal ordinal, group
            if group:
                ordinal += 1
                add(group, "\n\n".join(labelled(p) for p in group), header, None, ordinal,
                    group[0].start - len(label_prefix(group[0].label)), group[-1].end)
                group = []

        for p in run:
            if count(p.text) > budget:
                close_group()
                cursor = 0
                prefix = label_prefix(p.label)
                for i, piece in enumerate(split_long(p.text, budget, count), start=1):
                    ordinal += 1
                    found = p.text.find(piece[:40], cursor)
                    cursor = found if found >= 0 else cursor
                    start = p.start + cursor - (len(prefix) if i == 1 else 0)
                    add([p], (prefix if i == 1 else "") + piece, header, i if p.label is not None else None,
                        ordinal, start, min(p.end, p.start + cursor + len(piece)))
                    cursor += len(piece)
                continue
            # Sized without the labels, so that a passage's extent (and its id) does not
            # depend on how labels are printed; a label adds two or three tokens.
            candidate = "\n\n".join(q.text for q in group + [p])
            if group and count(candidate) > budget:
                close_group()
            group.append(p)
        close_group()
    return chunks
