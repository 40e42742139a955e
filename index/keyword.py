"""Keyword search with bm25s: exact terms, acronyms and section numbers that a
dense model blurs ("s47", "LADO", "15 working days")."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

TOKEN_PATTERN = r"(?u)\b\w+\b"  # keep one-character tokens and digits: "s 47", "5 days"


def _stemmer():
    try:
        import Stemmer  # PyStemmer; optional, improves recall on plurals and tenses

        return Stemmer.Stemmer("english")
    except ImportError:  # pragma: no cover - it is a listed dependency
        return None


class KeywordIndex:
    def __init__(self, retriever, stemmer):
        self.retriever = retriever
        self.stemmer = stemmer
        self.vocab = set(retriever.vocab_dict) if getattr(retriever, "vocab_dict", None) else set()

    @classmethod
    def build(cls, texts: list[str]) -> "KeywordIndex":
        import bm25s

        stemmer = _stemmer()
        tokens = bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, token_pattern=TOKEN_PATTERN,
                                show_progress=False)
        retriever = bm25s.BM25()
        retriever.index(tokens, show_progress=False)
        return cls(retriever, stemmer)

    def save(self, folder: Path) -> None:
        self.retriever.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path) -> "KeywordIndex":
        import bm25s

        logging.getLogger("bm25s").setLevel(logging.ERROR)
        return cls(bm25s.BM25.load(str(folder), show_progress=False), _stemmer())

    def tokens(self, text: str) -> list[str]:
        import bm25s

        toks = bm25s.tokenize([text], stopwords="en", stemmer=self.stemmer, token_pattern=TOKEN_PATTERN,
                              return_ids=False, show_progress=False)[0]
        return [t for t in toks if t in self.vocab]

    def search(self, text: str, k: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(row, score) pairs, best first; rows with score 0 are left out."""
        toks = self.tokens(text)
        n = self.retriever.scores["num_docs"] if isinstance(getattr(self.retriever, "scores", None), dict) else None
        if not toks:
            return []
        k = min(k, n) if n else k
        ids, scores = self.retriever.retrieve([toks], k=k, show_progress=False, n_threads=0, weight_mask=mask)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if s > 0]
