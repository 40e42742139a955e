"""Text safety for the app: corpus text and questions are never rendered as HTML.

Everything that goes through Markdown is escaped with ``escape_md`` (every
ASCII punctuation character backslash-escaped), links are only ever plain
http(s) URLs, and ``unsafe_allow_html`` is never used. Before escaping, text
passes the app's sanitiser (wtkb/sanitize.py): control, bidi and invisible
characters are dropped, line-break characters become line breaks.
"""

from __future__ import annotations

import re
import string

from wtkb import export, sanitize

_PUNCT = re.compile("([" + re.escape(string.punctuation) + "])")

safe_url = export.safe_url
for_app = sanitize.for_app  # for text Streamlit shows as plain text (option labels)


def escape_md(text: object) -> str:
    """Text → Markdown that renders as exactly that text.

    Every ASCII punctuation character is backslash-escaped (CommonMark allows
    this for all of them), so no link, image, HTML tag, emphasis, heading,
    list, table, LaTeX or colour directive can form. Leading white space is
    dropped (no accidental code blocks) and line breaks are kept.
    """
    lines = [_PUNCT.sub(r"\\\1", line.strip()) for line in sanitize.for_app(text).split("\n")]
    return "  \n".join(lines)


def highlighted_md(text: str, sentences: list[str]) -> str:
    """Passage text as escaped Markdown with the given sentences highlighted."""
    out = []
    sentences = [sanitize.for_app(s) for s in sentences]
    for line in sanitize.for_app(text).split("\n"):
        line = line.strip()
        pos, parts = 0, []
        for a, b in export.highlight_spans(line, sentences):
            parts.append(_PUNCT.sub(r"\\\1", line[pos:a]))
            parts.append(":orange-background[**" + _PUNCT.sub(r"\\\1", line[a:b]) + "**]")
            pos = b
        parts.append(_PUNCT.sub(r"\\\1", line[pos:]))
        out.append("".join(parts))
    return "  \n".join(out)
