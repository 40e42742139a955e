"""The HTML loader: a GOV.UK publication page to styled ``Line`` records.

Kept apart from ``ingest.load`` because it is the only reader that needs an
HTML parser, and its rules (which tags are chapters, what is dropped) are
about GOV.UK markup rather than loading in general.
"""

from __future__ import annotations

import re
from pathlib import Path

from .records import Line

__all__ = ["html_lines"]

# An h2 that reads like a top level; when any h2 does, h2s are chapters and h3s sections.
HTML_CHAPTER = re.compile(
    r"^(chapter\s+\d+|appendix\s+[a-z0-9]+|annex\s+[a-z0-9]+|part\s+\w+|introduction|\d{1,2}\.?\s)\b", re.I)


def html_lines(path: Path, raw: str) -> tuple[list[Line], str]:
    """GOV.UK publication pages: h2 = chapter, h3 = section, h4 = subsection.

    Scripts, styles, iframes, forms and navigation are dropped, so nothing but
    the publication's own words reaches the index.
    """
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(raw, "html.parser")
    for tag in soup(["script", "style", "iframe", "form", "nav", "header", "footer", "noscript", "svg",
                     "button", "input", "select", "textarea", "object", "embed"]):
        tag.decompose()
    title_tag = soup.find("h1") or soup.find("title")
    title = title_tag.get_text(" ", strip=True) if title_tag else ""
    body = soup.select_one(".govspeak") or soup.find("main") or soup.body or soup
    # Footnotes are not part of the paragraphs that point to them.
    for tag in body.select(".footnotes, div.footnotes, sup:has(a.footnote), a.footnote, sup[id^=fnref]"):
        tag.decompose()
    lines: list[Line] = []
    has_h2_chapters = any(HTML_CHAPTER.match(h.get_text(" ", strip=True)) for h in body.find_all("h2"))
    for el in body.find_all(["h2", "h3", "h4", "p", "li", "tr"]):
        text = " ".join(el.get_text(" ", strip=True).split())  # a <br> inside a paragraph is a wrap, not a break
        if not text:
            continue
        if el.name == "tr":  # a table row is a paragraph of its own, cells apart
            cells = [c.get_text(" ", strip=True) for c in el.find_all(["th", "td"])]
            lines.append(Line(" | ".join(c for c in cells if c), style="para"))
            continue
        if el.find_parent("table"):
            continue  # read with its row
        if el.name == "li" and el.find(["p"]):
            continue  # its <p> children are visited on their own
        lines.append(Line(text, style=_style(el, has_h2_chapters)))
    return lines, title


def _style(el, has_h2_chapters: bool) -> str:
    """The line style for a heading, list item or paragraph element. When the
    page's h2s are not chapters, every heading is read one level lower (h2 a
    section, h3 a subsection), so such a page still has sections."""
    if el.name == "p" and el.find_parent("li"):
        return "bullet"
    if el.name == "h2":
        return "chapter" if has_h2_chapters else "section"
    if el.name == "h3":
        return "section" if has_h2_chapters else "subsection"
    if el.name == "h4":
        return "subsection"
    if el.name == "li":
        return "bullet"
    return "para"
