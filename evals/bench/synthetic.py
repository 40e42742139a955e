"""Synthetic corpora from a fixed seed: unit vectors shaped like sentence
embeddings, chunk-like texts with real text's word frequencies, and queries
drawn from both.

Synthetic data lets the scale section measure 100,000 chunks without a corpus
of that size or an hour of embedding; the seed makes every run comparable.
"""

from __future__ import annotations

import numpy as np

from .common import DIM

LATENT_DIM = 48


def unit_rows(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def synthetic_vectors(n: int, dim: int = DIM, seed: int = 0, kind: str = "structured") -> np.ndarray:
    """``n`` unit vectors from a fixed seed.

    ``isotropic``: uniformly random directions, the worst case for a graph index
    (no neighbourhood structure at all). ``structured`` (the default) mimics
    sentence embeddings: a shared mean direction (embeddings are anisotropic),
    topics (one per ~200 chunks), a low-dimensional latent variation and a
    little isotropic noise, so nearest neighbours are meaningful.
    """
    rng = np.random.default_rng(seed)
    if kind == "isotropic":
        return unit_rows(rng.standard_normal((n, dim), dtype=np.float32))
    if kind != "structured":
        raise ValueError(f"unknown kind {kind!r}")
    topics = max(8, n // 200)
    mean = unit_rows(rng.standard_normal((1, dim), dtype=np.float32))[0]
    centres = unit_rows(rng.standard_normal((topics, dim), dtype=np.float32))
    basis = np.linalg.qr(rng.standard_normal((dim, LATENT_DIM)))[0].T.astype(np.float32)  # orthonormal rows
    out = np.empty((n, dim), dtype=np.float32)
    step = 20_000
    for i in range(0, n, step):
        m = min(step, n - i)
        topic = rng.integers(0, topics, m)
        latent = rng.standard_normal((m, LATENT_DIM), dtype=np.float32) / np.sqrt(LATENT_DIM)
        noise = rng.standard_normal((m, dim), dtype=np.float32) / np.sqrt(dim)
        out[i:i + m] = 1.0 * mean + 0.7 * centres[topic] + 0.75 * (latent @ basis) + 0.25 * noise
    return unit_rows(out)


def perturbed_queries(base: np.ndarray, count: int, noise: float = 0.75,
                      seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """``count`` queries, each a stored vector plus Gaussian noise of relative
    size ``noise`` (cosine to its source ~ 1/sqrt(1+noise^2), 0.8 by default),
    and the rows they came from."""
    rng = np.random.default_rng(seed)
    src = rng.choice(len(base), size=count, replace=count > len(base))
    g = rng.standard_normal((count, base.shape[1]), dtype=np.float32) / np.sqrt(base.shape[1])
    return unit_rows(base[src] + noise * g), src.astype(np.int64)


_ONSETS = ["b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z", "br", "ch",
           "cl", "dr", "fl", "gr", "pl", "pr", "sh", "st", "th", "tr"]
_VOWELS = ["a", "e", "i", "o", "u", "ai", "ea", "ou", "y"]


def synthetic_vocabulary(size: int, seed: int = 0) -> list[str]:
    """``size`` distinct pronounceable pseudo-words, 2-4 syllables each, plus some
    numbers, so the keyword index sees a realistic token mix."""
    rng = np.random.default_rng(seed)
    words: dict[str, None] = {}
    while len(words) < size:
        sylls = rng.integers(2, 5)
        w = "".join(_ONSETS[rng.integers(len(_ONSETS))] + _VOWELS[rng.integers(len(_VOWELS))] for _ in range(sylls))
        if rng.random() < 0.02:
            w = str(rng.integers(1, 500))
        words.setdefault(w, None)
    return list(words)


def synthetic_texts(n: int, seed: int = 0, vocab_size: int = 30_000, mean_words: int = 150) -> list[str]:
    """``n`` chunk-like texts with Zipf-distributed word frequencies (real text's
    shape) and lengths around ``mean_words`` (a 240-token chunk is ~150-180 words)."""
    rng = np.random.default_rng(seed)
    vocab = np.array(synthetic_vocabulary(vocab_size, seed))
    ranks = np.arange(1, vocab_size + 1, dtype=np.float64)
    p = 1.0 / ranks ** 1.07
    p /= p.sum()
    lengths = np.clip(rng.normal(mean_words, mean_words / 4, n).astype(int), 20, mean_words * 2)
    ids = rng.choice(vocab_size, size=int(lengths.sum()), p=p)
    words = vocab[ids]
    out, pos = [], 0
    for ln in lengths:
        out.append(" ".join(words[pos:pos + ln]))
        pos += ln
    return out


def keyword_queries(texts: list[str], count: int, words: int = 6, seed: int = 2) -> list[str]:
    """Queries made of a few words drawn from one stored text each."""
    rng = np.random.default_rng(seed)
    out = []
    for i in rng.choice(len(texts), size=count):
        toks = texts[i].split()
        out.append(" ".join(rng.choice(toks, size=min(words, len(toks)), replace=False)))
    return out
