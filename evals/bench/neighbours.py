"""Ground truth for the vector checks: exact neighbours computed with numpy,
recall of one ranking against another, and how clustered a set of vectors is.

These need no FAISS and no model, so they are checked by hand in
tests/test_bench.py and then trusted to judge the FAISS indexes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def brute_force_neighbours(base: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    """Top-k rows by inner product, computed with numpy (ground truth for the checks)."""
    k = min(k, len(base))
    out = np.empty((len(queries), k), dtype=np.int64)
    for i in range(0, len(queries), 256):
        sims = queries[i:i + 256] @ base.T
        part = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(sims, part, axis=1), axis=1, kind="stable")
        out[i:i + 256] = np.take_along_axis(part, order, axis=1)
    return out


def recall_at_k(found: Sequence[Sequence[int]], truth: Sequence[Sequence[int]], k: int) -> float:
    """Mean over queries of |found[:k] ∩ truth[:k]| / |truth[:k]| (ranks within the top k do not matter)."""
    if len(found) != len(truth):
        raise ValueError("found and truth must have one row per query")
    if not len(truth):
        return float("nan")
    scores = []
    for f, t in zip(found, truth):
        t = [int(x) for x in list(t)[:k] if int(x) >= 0]
        if not t:
            continue
        f = {int(x) for x in list(f)[:k] if int(x) >= 0}
        scores.append(len(f.intersection(t)) / len(t))
    return float(np.mean(scores)) if scores else float("nan")


def neighbour_profile(vecs: np.ndarray, sample: int = 200, seed: int = 0) -> dict:
    """How "clustered" a set of unit vectors is: mean cosine of random pairs and
    of each vector's 1st and 10th nearest other vector. Used to compare the
    synthetic vectors with the real note embeddings."""
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(vecs), size=min(sample, len(vecs)), replace=False)
    sims = vecs[rows] @ vecs.T
    sims[np.arange(len(rows)), rows] = -np.inf  # not itself
    top = -np.sort(-sims, axis=1)[:, :10]
    pairs = rng.choice(len(vecs), size=(2000, 2))
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    return {"random_pair_cos": round(float(np.mean(np.sum(vecs[pairs[:, 0]] * vecs[pairs[:, 1]], axis=1))), 3),
            "nn1_cos": round(float(np.mean(top[:, 0])), 3), "nn10_cos": round(float(np.mean(top[:, -1])), 3)}
