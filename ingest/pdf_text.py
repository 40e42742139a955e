"""PDF pages to lines: every character with its size, weight, position and baseline.

Loaders only read; the cleaner decides what is a footnote. What this module
decides is narrower: which runs of text *could* be footnote markers (short,
smaller and raised), which it wraps for the cleaner to confirm or put back.
"""

from __future__ import annotations

import re
import sys
from collections import Counter

from .records import MARKER_CLOSE, MARKER_OPEN, Line

SHOW_TEXT = (b"Tj", b"TJ", b"'", b'"')
SUPERSCRIPT_DIGITS = str.maketrans("\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079", "0123456789")
MARKER_TEXT = re.compile(r"(\d{1,3}(?:,\d{1,3})*|[*\u2020\u2021]{1,3})([,.;:)]*)")


def _page_chars(page, height: float) -> tuple[str, list[tuple[float, bool, float, float, float]]]:
    """A page's text as ``extract_text`` returns it, and each character's style:
    (size, bold, top, x, baseline y).

    pypdf reports text to the visitor in runs that can span several text-showing
    operators: a superscript marker set by a smaller text matrix, or the words
    after it, would be reported in the style of the run's first operator. So the
    extractor's pending run is flushed before every text-showing operator (the
    output is unchanged: flushing only moves text to the output), and each run
    then has exactly one size and position. Text rise (``Ts``, which pypdf does
    not track) is added to the baseline, so a raised marker is seen as raised.
    """
    chars: list[str] = []
    styles: list[tuple[float, bool, float, float, float]] = []
    rise = {"now": 0.0, "run": 0.0, "saved": []}

    def before(op, args, cm, tm):
        if op in SHOW_TEXT:
            extractor = sys._getframe(1).f_locals.get("extractor")
            flush = getattr(extractor, "_flush_text", None)  # pypdf 7.1 (pinned); without it runs stay coarse
            if callable(flush):
                flush()
            rise["run"] = rise["now"] * (tm[3] * cm[3] or 1.0)
        elif op == b"Ts" and args:
            rise["now"] = _number(args[0])
        elif op == b"q":
            rise["saved"].append(rise["now"])
        elif op == b"Q" and rise["saved"]:
            rise["now"] = rise["saved"].pop()

    def visit(text, cm, tm, font_dict, font_size):
        if not text:
            return
        size = round(float(font_size or 0) * (abs(tm[3] * cm[3]) or 1.0), 1)
        base = str((font_dict or {}).get("/BaseFont", ""))
        bold = "bold" in base.lower() or "black" in base.lower()
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        top = min(max(1.0 - y / height, 0.0), 1.0)
        chars.append(text)
        styles.extend([(size, bold, top, round(x, 1), y + rise["run"])] * len(text))

    page.extract_text(visitor_text=visit, visitor_operand_before=before)
    return "".join(chars), styles


def _number(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def page_lines(page, number: int) -> list[Line]:
    """Split a page's text into lines, keeping each line's dominant font.

    Characters keep pypdf's spacing and know their size, weight and height on
    the page (``_page_chars``). Type size alone never removes text: a run set
    smaller than the line is a possible footnote marker only when it is short
    and raised above the line's baseline (``_wrap_markers``), and the cleaner
    decides whether a footnote with that number exists.
    """
    try:
        height = float(page.mediabox.height) or 842.0
    except Exception:  # noqa: BLE001
        height = 842.0
    text, styles = _page_chars(page, height)
    out: list[Line] = []
    pos = 0
    for raw in text.split("\n"):
        span = styles[pos:pos + len(raw)]
        pos += len(raw) + 1
        if not raw.strip():
            continue
        visible = [s for ch, s in zip(raw, span) if not ch.isspace()] or span
        sizes = sorted(s[0] for s in visible)
        size = sizes[len(sizes) // 2] if sizes else 0.0
        bold = sum(1 for s in visible if s[1]) > len(visible) / 2
        tops = [s[2] for s in visible if s[2] > 0]
        clean = _join_drop_capital(_wrap_markers(raw, span, size), span, size)
        out.append(Line(clean, page=number, size=size, bold=bold, top=max(tops) if tops else 0.0,
                        left=visible[0][3] if visible else 0.0))
    return _merge_drop_capital_lines(out)


def _baseline(raw: str, span: list, size: float) -> float | None:
    """The y most of the line's body-size characters sit on."""
    ys = Counter(round(s[4], 1) for ch, s in zip(raw, span) if not ch.isspace() and s[0] >= 0.9 * size)
    return ys.most_common(1)[0][0] if ys else None


def _wrap_markers(raw: str, span: list, size: float) -> str:
    """The line with each possible footnote marker wrapped in MARKER_OPEN/CLOSE.

    A possible marker is a run of one to three digits (or "*", "†") set
    smaller than the line and raised above its baseline, or written in
    Unicode superscript digits. Anything else, however small, is text.
    """
    base = _baseline(raw, span, size) if size else None

    def raised(i: int) -> bool:
        if raw[i] in "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079":
            return True
        s = span[i] if i < len(span) else None
        return bool(s and base is not None and s[0] and s[0] < 0.85 * size and s[4] > base + 0.15 * size)

    out, i = [], 0
    while i < len(raw):
        j = i
        while j < len(raw) and not raw[j].isspace() and raised(j):
            j += 1
        found = MARKER_TEXT.fullmatch(raw[i:j].translate(SUPERSCRIPT_DIGITS)) if j > i else None
        if found:  # punctuation set in the marker's type ("17," before the words go on) is text
            out.append(MARKER_OPEN + found.group(1) + MARKER_CLOSE + found.group(2))
        else:
            j = max(j, i + 1)
            out.append(raw[i:j])
        i = j
    return "".join(out)


def _join_drop_capital(text: str, span: list, size: float) -> str:
    """"G overning" → "Governing": a first letter set far larger than the line
    (a drop capital) is printed apart from the rest of its word."""
    m = re.match(r"^(\s*)([A-Z])\s+([a-z])", text)
    if not m or not size or not span:
        return text
    first = span[len(m.group(1))][0] if len(span) > len(m.group(1)) else 0
    if first >= 1.5 * size and m.group(2) not in ("A", "I"):
        return m.group(1) + m.group(2) + text[m.end(2):].lstrip()
    return text


def _merge_drop_capital_lines(lines: list[Line]) -> list[Line]:
    """A drop capital extracted as a line of its own joins the line that follows."""
    out: list[Line] = []
    for ln in lines:
        prev = out[-1] if out else None
        if (prev and re.fullmatch(r"\s*[A-Z]\s*", prev.text) and ln.text[:1].islower()
                and prev.size >= 1.5 * (ln.size or 1)):
            out[-1] = Line(prev.text.strip() + ln.text, page=ln.page, size=ln.size, bold=ln.bold, top=ln.top,
                           left=prev.left)
        else:
            out.append(ln)
    return out
