"""What retrieval asks of a model, and two tiny stand-ins that need none.

Retrieval only ever needs four things from an embedding model: a name to
check an index against, the vector width, and unit-length vectors for
passages and for questions. Answers need one thing from a cross-encoder: a
relevance score for each (question, passage) pair. Writing those down as
protocols lets ``KnowledgeBase`` and ``answer`` run on anything that
provides them.

``HashEncoder`` and ``OverlapScorer`` provide them without a model: they are
deterministic, need no files, and run in microseconds, so retrieval, filters
and abstention can be unit-tested (and an index tried out) in a fraction of a
second. They understand words, not meaning: shared words bring texts closer,
synonyms do not.

    from index import HashEncoder, KnowledgeBase
    kb = KnowledgeBase.from_chunks(chunks, HashEncoder())
"""

from __future__ import annotations

import hashlib
import re
from typing import Protocol, runtime_checkable

import numpy as np

WORD = re.compile(r"[a-z0-9]+")
# Words that say nothing about a topic; leaving them out keeps "what is a
# LADO?" from matching every passage that contains "is" and "a".
STOPWORDS = frozenset(
    "a an and are as at be by can do does for from has have how i in is it of on or should "
    "that the their them there these they this to was what when where which who why will with "
    "you your".split())


@runtime_checkable
class Encoder(Protocol):
    """An embedding model as retrieval sees it.

    Rows of ``encode`` and the vector of ``encode_query`` are float32 and unit
    length, so an inner product is a cosine. ``encode_query`` exists apart
    from ``encode`` because some models (bge) prefix questions with an
    instruction; for most it is ``encode([text])[0]``.
    """

    @property
    def identity(self) -> str:
        """What an index records and is checked against; two encoders with
        the same identity give the same vectors."""

    @property
    def dim(self) -> int:
        """The width of every vector."""

    def encode(self, texts: list[str]) -> np.ndarray:
        """One unit row per text, shape (len(texts), dim)."""

    def encode_query(self, text: str) -> np.ndarray:
        """One unit vector, shape (dim,), for a question."""


@runtime_checkable
class Scorer(Protocol):
    """A cross-encoder as answers see it: ``index.rerank.Reranker`` is one."""

    def score(self, query: str, passages: list[str]) -> np.ndarray:
        """One relevance logit per passage, higher is more relevant; each
        pair is scored on its own, so a score never depends on the others."""


def content_words(text: str) -> list[str]:
    """Lower-case words without the stopwords, in order, repeats kept."""
    return [w for w in WORD.findall(text.lower()) if w not in STOPWORDS]


def _bucket(word: str, dim: int) -> int:
    """A stable bucket: Python's own ``hash`` of a str changes between runs."""
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little") % dim


class HashEncoder:
    """Hashed bag of words: each content word adds one to a bucket, then the
    row is scaled to unit length.

    Same text, same vector, on every machine; texts that share more words
    have a higher cosine; texts with no words in common have cosine 0 unless
    two words happen to share a bucket (256 buckets make that rare for short
    texts, and a test can pick words that do not collide). A text with no
    content words encodes to a zero row, which matches nothing.
    """

    def __init__(self, dim: int = 256):
        self._dim = dim

    @property
    def identity(self) -> str:
        return f"hashed-bag-of-words-{self._dim}"

    @property
    def dim(self) -> int:
        return self._dim

    def encode(self, texts: list[str], progress=None) -> np.ndarray:
        """``progress`` is accepted, and called once, so the build's progress bar works."""
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in content_words(text):
                out[row, _bucket(word, self._dim)] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        out /= np.where(norms > 0, norms, 1.0)
        if progress:
            progress(len(texts))
        return out

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]

    def token_counter(self):
        """Words as tokens, so chunking can size passages without a tokenizer."""
        return lambda text: len(text.split())


class OverlapScorer:
    """Relevance as the share of the question's content words found in the
    passage, mapped linearly onto logits from ``low`` (none) to ``high`` (all).

    The defaults (-10 to 10) put "shares nothing" below the shipped refusal
    threshold and "shares most words" well above it, like the real
    cross-encoder on clear misses and clear answers; tests that probe a
    boundary set ``refuse_below`` and ``key_point_min`` themselves.
    """

    def __init__(self, low: float = -10.0, high: float = 10.0):
        self.low = low
        self.high = high

    def score(self, query: str, passages: list[str]) -> np.ndarray:
        asked = set(content_words(query))
        out = np.full(len(passages), self.low, dtype=np.float32)
        if not asked:
            return out
        for i, passage in enumerate(passages):
            share = len(asked & set(content_words(passage))) / len(asked)
            out[i] = self.low + (self.high - self.low) * share
        return out
