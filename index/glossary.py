"""Acronyms and terms: expand them in queries and explain them to readers.

Practitioners write "DSL", "s47" or "LADO"; the guidance mostly spells the
terms out. Adding the expansion to the query lets keyword search find the
spelled-out passages, and the same table explains terms in the app.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ingest.safe_open import open_regular


@dataclass(frozen=True)
class Term:
    abbr: str
    expansion: str
    meaning: str = ""
    aliases: tuple[str, ...] = ()


@dataclass
class Glossary:
    terms: list[Term] = field(default_factory=list)

    def __post_init__(self):
        self._patterns: list[tuple[re.Pattern, Term]] = []
        for t in self.terms:
            # Upper-case acronyms match only in upper case, so "ICB" expands
            # but the word "cin" inside other text never does.
            forms = [t.abbr, *t.aliases]
            for form in forms:
                flags = 0 if (form.isupper() and len(form) <= 6) else re.I
                pat = r"(?<![\w-])" + re.escape(form).replace(r"\ ", r"\s*") + r"(?![\w-])"
                self._patterns.append((re.compile(pat, flags), t))

    def find(self, text: str) -> list[Term]:
        """Terms mentioned in the text, in order of first mention, once each."""
        found: dict[str, tuple[int, Term]] = {}
        for pat, term in self._patterns:
            m = pat.search(text)
            if m and (term.abbr not in found or m.start() < found[term.abbr][0]):
                found[term.abbr] = (m.start(), term)
        return [t for _, t in sorted(found.values(), key=lambda x: x[0])]

    def expand(self, query: str) -> str:
        """The query with each recognised term's expansion appended once."""
        extra = [t.expansion for t in self.find(query) if t.expansion.lower() not in query.lower()]
        return f"{query} ({'; '.join(extra)})" if extra else query


def load_glossary(path: Path | None) -> Glossary:
    if not path or not Path(path).exists():
        return Glossary([])
    with open_regular(path) as f:  # never blocks: a pipe here must not hang opening the index
        data = tomllib.load(f)
    terms = [Term(abbr=str(t["abbr"]), expansion=str(t.get("expansion", "")), meaning=str(t.get("meaning", "")),
                  aliases=tuple(str(a) for a in t.get("aliases", ()))) for t in data.get("term", [])]
    return Glossary(terms)
