"""One sanitiser for each place text leaves wtkb: a terminal, a Word file, a Markdown file, the app.

File names, titles and passages come from files anyone can write; questions,
notes and export titles come from whoever types them (the trainer's notes even
come back from the browser's storage). Any of them may hold characters that
are not text: escape sequences that recolour or retitle a terminal, a vertical
tab that Word puts on the clipboard for a soft line break (and that XML, so
python-docx, refuses), bidirectional overrides that show text reversed, lone
surrogates left by a file name that was not UTF-8 (which cannot even be
written to a UTF-8 stream).

Every string on its way out passes the function for its target, so one rule
decides per target and no caller has to remember which characters matter:

- ``for_terminal``: nothing is dropped, so a user can see what a file holds;
  every such character is shown as a visible escape (``\\x1b``, ``\\u202e``).
  ``terminal_json`` does the same inside JSON, which stays valid.
- ``for_word``, ``for_markdown``, ``for_app``: line-break characters become
  line breaks, everything else that is not text is dropped. Never an error:
  a handout must export whatever a note holds.

Markup escaping (rich markup, Markdown punctuation) is a separate step done by
the caller after this one; these functions only decide which characters stay.
"""

from __future__ import annotations

import json
import re

# Bidirectional controls: embeddings, overrides, isolates and the direction marks.
BIDI = frozenset({0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)})
# Characters that take no space and hide or split text without saying so.
INVISIBLE = frozenset({0x180E, 0x200B, *range(0x2060, 0x2065), 0xFEFF, 0xFFF9, 0xFFFA, 0xFFFB})
# Everything str.splitlines() ends a line at, besides "\n" itself.
LINE_BREAKS = "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
# Not text, for any target: the controls (Unicode category Cc: C0, DEL, C1), lone surrogates (Cs),
# the line and paragraph separators, BIDI, INVISIBLE, and the noncharacters (U+FDD0..U+FDEF and
# the last two code points of every plane; XML refuses U+FFFE and U+FFFF).
_RANGES = [(0x00, 0x1F), (0x7F, 0x9F), (0xD800, 0xDFFF), (0x2028, 0x2029), (0xFDD0, 0xFDEF),
           *((c, c) for c in sorted(BIDI | INVISIBLE)),
           *((plane + 0xFFFE, plane + 0xFFFF) for plane in range(0, 0x110000, 0x10000))]


def _class(ranges, leave: str = "") -> re.Pattern:
    """One regex character class for the ranges, less the characters in ``leave``."""
    parts = "".join(re.escape(chr(a)) + ("-" + re.escape(chr(b)) if b > a else "") for a, b in ranges)
    return re.compile(f"[{parts}]" if not leave else f"(?![{re.escape(leave)}])[{parts}]")


NOT_TEXT = _class(_RANGES)
_NOT_TEXT_ABOVE_SPACE = _class([r for r in _RANGES if r != (0x00, 0x1F)])  # what json leaves raw
_LAYOUT = "\n\t"
_NOT_LAYOUT = _class(_RANGES, leave=_LAYOUT)
_BREAK = re.compile("\r\n|[" + re.escape(LINE_BREAKS) + "]")


def _escape(ch: str) -> str:
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


# ---------------------------------------------------------------- terminal

def for_terminal(text: object, keep_newlines: bool = False) -> str:
    """``text`` for a terminal: a tab becomes a space, a newline stays when
    ``keep_newlines``, and every other control, bidi, invisible or unencodable
    character is shown as a visible escape, so nothing can move the cursor,
    recolour, retitle or reorder what wtkb prints."""
    def shown(m: re.Match) -> str:
        ch = m.group()
        return ch if ch == "\n" and keep_newlines else _escape(ch)

    return NOT_TEXT.sub(shown, str(text).replace("\t", " "))


def _json_escape(m: re.Match) -> str:
    code = ord(m.group())
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def terminal_json(data, indent: int | None = None) -> str:
    """JSON with every character ``for_terminal`` would escape written as a
    ``\\u`` escape: still valid JSON that decodes to the same strings, and
    safe to print. Below U+0020 json has escaped every character inside a
    string already; what is left there is its own layout (``indent``)."""
    return _NOT_TEXT_ABOVE_SPACE.sub(_json_escape, json.dumps(data, ensure_ascii=False, indent=indent))


# ---------------------------------------------------------------- documents

def _document_text(text: object, single_line: bool) -> str:
    """Line-break characters become "\n" (a space when ``single_line``), the
    rest of ``NOT_TEXT`` is dropped; tabs stay unless ``single_line``."""
    text = _BREAK.sub("\n", str(text if text is not None else ""))
    text = _NOT_LAYOUT.sub("", text)
    return text.replace("\n", " ").replace("\t", " ") if single_line else text


def for_word(text: object, single_line: bool = False) -> str:
    """Text python-docx accepts (XML 1.0 characters only): a soft line break
    (\\x0b), form feed or line separator becomes a line break, which python-docx
    writes as a real one; controls, bidi overrides, lone surrogates and
    noncharacters are dropped. ``single_line`` for headings and properties."""
    return _document_text(text, single_line)


def for_markdown(text: object, single_line: bool = False) -> str:
    """Text for a Markdown file, before its punctuation is escaped: the same
    characters as ``for_word`` survive, so a handout says the same in both
    formats and a raw ``.md`` file shows nothing a terminal would act on."""
    return _document_text(text, single_line)


def for_app(text: object, single_line: bool = False) -> str:
    """Text for the Streamlit app, before it is escaped as Markdown: line
    breaks kept, nothing a browser would render as a reordering or an
    invisible character."""
    return _document_text(text, single_line)
