"""Speed and scale benchmark: ``python -m evals.bench [--quick] [--out evals/reports]``.

Four sections, each written to ``bench.md`` and ``bench.json`` with the
command that reproduces it and the machine it ran on:

1. build   chunks/s of a full build of the bundled notes against the raw
           sentence-transformers encode throughput on the same chunk texts
           (pipeline overhead), the ONNX export a first build pays, and the
           no-change rebuild.
2. query   warm p50/p95/p99 of ``kb.search`` and ``index.answer`` against the
           bare query encoding, for the ONNX and sentence-transformers backends.
3. cold    a fresh process from start to first answer, for the library and for
           ``wtkb ask --json``.
4. scale   synthetic corpora (1k/10k/100k chunks and two points between):
           exact FAISS vs HNSW latency, size, memory and recall@10; bm25s
           latency; and the recommended ``exact_search_max``.

Timings are medians or percentiles because other processes may share the
machine; the load average is recorded at the start and end of every section.
``--quick`` runs everything reduced (1k and 10k only, fewer repetitions and
queries) and writes ``bench-quick.*`` so it never overwrites a full report.

The pure functions (synthetic data, recall, percentiles, the recommendation,
the report) need no model and are exercised by tests/test_bench.py.
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

import numpy as np

from ingest.config import PROJECT_ROOT, Settings, load_settings

DIM = 384
NOTES_DIR = PROJECT_ROOT / "corpus" / "notes"
PY = ".venv/bin/python"  # how commands are shown; they are run with sys.executable

FULL_SCALES = (1_000, 10_000, 25_000, 50_000, 100_000)
QUICK_SCALES = (1_000, 10_000)
KEYWORD_FULL_SCALES = (1_000, 10_000, 100_000)

TARGETS = {
    "build_overhead_pct": 10.0,  # pipeline chunks/s within 10% of raw encode
    "search_vs_encode": 1.5,  # search p50 <= 1.5 x encode p50
    "cold_start_s": 5.0,
    "scale_p95_ms_100k": 50.0,
    "index_mb_100k": 400.0,
    "switch_budget_ms": 10.0,  # exact p95 above this -> switch to HNSW ...
    "switch_min_recall": 0.95,  # ... provided HNSW recall@10 is at least this
}

# Varied questions in the words people use: acronyms, numbers, paraphrase.
QUESTIONS = [
    "What is a LADO and when should I contact them?",
    "Who are the lead safeguarding partners?",
    "What happens at a strategy discussion?",
    "When does a section 47 enquiry start?",
    "How quickly should an initial child protection conference be held?",
    "What is early help and who provides it?",
    "Who can be the lead practitioner for early help?",
    "What must a child protection plan include?",
    "When can a child protection plan end?",
    "What is a child safeguarding practice review?",
    "How many working days to notify a serious incident?",
    "What does independent scrutiny of safeguarding arrangements involve?",
    "What goes in the yearly report of the safeguarding partners?",
    "Which agencies are relevant agencies?",
    "What is the role of the designated safeguarding lead in a school?",
    "How should practitioners share information about a child?",
    "Can I share information without consent?",
    "What is significant harm?",
    "What are emergency protection orders?",
    "What is police protection and how long does it last?",
    "What is a child in need under section 17?",
    "What is the role of the core group?",
    "How are parents involved in child protection conferences?",
    "What changed between Working Together 2018 and 2023?",
    "What do child death review partners do?",
    "How is funding for safeguarding arrangements agreed?",
    "What is contextual safeguarding and harm outside the home?",
    "How should disagreements between professionals be escalated?",
    "What should a teacher do if a child discloses abuse?",
    "What support is there for disabled children and their families?",
]
COLD_QUESTION = "What is a LADO?"


# ---------------------------------------------------------------- small helpers

def percentiles(seconds: Sequence[float]) -> dict:
    """p50/p95/p99/mean/min/max in milliseconds of a list of durations in seconds."""
    if not len(seconds):
        return {"n": 0, "p50": None, "p95": None, "p99": None, "mean": None, "min": None, "max": None}
    ms = np.asarray(seconds, dtype=np.float64) * 1000.0
    p50, p95, p99 = np.percentile(ms, [50, 95, 99])
    return {"n": int(len(ms)), "p50": round(float(p50), 3), "p95": round(float(p95), 3),
            "p99": round(float(p99), 3), "mean": round(float(ms.mean()), 3), "min": round(float(ms.min()), 3),
            "max": round(float(ms.max()), 3)}


def median(xs: Sequence[float]) -> float:
    return float(statistics.median(xs))


def loadavg() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:  # pragma: no cover
        return []


def rss_bytes() -> int:
    """Resident set size of this process (from /proc; 0 where unavailable)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):  # pragma: no cover
        return 0


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:  # pragma: no cover
        pass
    return platform.processor() or "unknown"


def machine() -> dict:
    try:
        mem = next(int(line.split()[1]) * 1024 for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal"))
    except (OSError, StopIteration):  # pragma: no cover
        mem = 0
    versions = {}
    for name in ("faiss-cpu", "bm25s", "onnxruntime", "torch", "sentence-transformers", "numpy", "tokenizers"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return {
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu_model": cpu_model(),
        "mem_gib": round(mem / 2**30, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "versions": versions,
        "loadavg_start": loadavg(),
    }


def nice_floor(n: float) -> int:
    """Round down to a number a config file would hold: 2 significant figures,
    and multiples of 5,000 from 10,000 up."""
    if n <= 0:
        return 0
    if n >= 10_000:
        return int(n // 5_000 * 5_000)
    step = 10 ** max(int(math.log10(n)) - 1, 0)
    return int(n // step * step)


def mb(nbytes: float | None) -> float | None:
    return None if nbytes is None else round(nbytes / 1e6, 1)


# ---------------------------------------------------------------- synthetic vectors

def unit_rows(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


LATENT_DIM = 48


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


def build_vector_index(vecs: np.ndarray, kind: str):
    """The production builder (index.vectors.build) forced to ``exact`` or ``hnsw``."""
    from index import vectors

    if kind not in ("exact", "hnsw"):
        raise ValueError(kind)
    return vectors.build(vecs, exact_search_max=len(vecs) if kind == "exact" else 0)


def search_ids(index, queries: np.ndarray, k: int) -> np.ndarray:
    """Ids from one production ``vectors.search`` call per query (-1 where fewer than k)."""
    from index import vectors

    ids = np.full((len(queries), k), -1, dtype=np.int64)
    for i, q in enumerate(queries):
        res = vectors.search(index, q, k)
        ids[i, :len(res)] = [r for r, _ in res]
    return ids


@contextmanager
def faiss_threads(n: int | None):
    """Run with ``n`` OpenMP threads in FAISS (None: leave the default)."""
    import faiss

    before = faiss.omp_get_max_threads()
    if n:
        faiss.omp_set_num_threads(n)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def time_interleaved(indexes: dict, queries: np.ndarray, k: int, threads: Sequence[int | None] = (None,),
                     repeats: int = 1) -> dict:
    """Per query, ``repeats`` rounds of one production ``vectors.search`` call on
    every index (and thread setting) in turn, so a burst of load from other
    processes hits them alike. Returns ``{(name, threads): [[seconds per
    repeat], ...one list per query]}``."""
    from index import vectors

    times: dict = {(name, th): [] for th in threads for name in indexes}
    for q in queries:
        for key in times:
            times[key].append([])
        for _ in range(repeats):
            for th in threads:
                with faiss_threads(th):
                    for name, idx in indexes.items():
                        t = time.perf_counter()
                        vectors.search(idx, q, k)
                        times[(name, th)][-1].append(time.perf_counter() - t)
    return times


def latency_figures(per_query: list[list[float]]) -> tuple[dict, dict]:
    """(every call as measured, steady state = each query's fastest repeat).
    The second takes out preemption by other processes but keeps the
    query-to-query variation; with one repeat the two are the same."""
    return percentiles([t for ts in per_query for t in ts]), percentiles([min(ts) for ts in per_query])


MEM_CODE = """import gc, sys
from evals.bench import rss_bytes
kind, path = sys.argv[1], sys.argv[2]
if kind == "faiss":
    from index import vectors
    import faiss
    gc.collect(); r0 = rss_bytes(); obj = vectors.load(path)
else:
    from index.keyword import KeywordIndex
    import bm25s, Stemmer
    gc.collect(); r0 = rss_bytes(); obj = KeywordIndex.load(path)
gc.collect(); print(rss_bytes() - r0)
"""


def load_rss_delta(kind: str, path: Path) -> int | None:
    """Resident memory an index takes once loaded, measured in a fresh process
    (RSS after minus before ``vectors.load`` / ``KeywordIndex.load``, libraries
    already imported). None if the measurement fails."""
    proc = subprocess.run([sys.executable, "-c", MEM_CODE, kind, str(path)], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, timeout=600)
    try:
        return int(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None


def vector_scale_point(n: int, queries: int = 300, seed: int = 0, k: int = 50, data: str = "structured",
                       noise: float = 0.75, tick: Callable[[], None] | None = None, measure_memory: bool = True,
                       single_thread: bool = True, repeats: int = 3) -> dict:
    """Exact vs HNSW at one corpus size: build time, size on disk, memory once
    loaded, search latency (no encoding; default FAISS threads and, for
    comparison, one thread) and recall of HNSW against the exact index's answers."""
    import faiss

    from index import vectors

    tick = tick or (lambda: None)
    base = synthetic_vectors(n, seed=seed, kind=data)
    qs, src = perturbed_queries(base, queries, noise=noise, seed=seed + 1)
    k = min(k, n)
    default_threads = faiss.omp_get_max_threads()
    out: dict = {"n": n, "dim": int(base.shape[1]), "data": data, "queries": queries, "k": k,
                 "faiss_threads": default_threads, "repeats": repeats,
                 "query_source_cosine": round(float(np.mean(np.sum(qs * base[src], axis=1))), 3)}
    indexes = {}
    with tempfile.TemporaryDirectory(prefix="wtkb-bench-faiss-") as tmp:
        for kind in ("exact", "hnsw"):
            t = time.perf_counter()
            idx = build_vector_index(base, kind)
            build_s = time.perf_counter() - t
            path = Path(tmp) / f"{kind}.faiss"
            vectors.save(idx, path)
            indexes[kind] = vectors.load(path)  # searched as the app would: loaded from disk
            del idx
            out[kind] = {"faiss_class": type(indexes[kind]).__name__, "build_s": round(build_s, 3),
                         "bytes": path.stat().st_size, "vector_bytes": n * int(base.shape[1]) * 4,
                         "load_rss_delta_bytes": load_rss_delta("faiss", path) if measure_memory else None}
            if kind == "hnsw":
                h = indexes[kind].hnsw
                out[kind].update(M=int(h.nb_neighbors(1)), ef_search=int(h.efSearch),
                                 ef_construction=int(h.efConstruction))
            tick()
    threads = (None, 1) if single_thread and default_threads > 1 else (None,)
    time_interleaved(indexes, qs[:min(20, len(qs))], k, threads)  # warm up
    times = time_interleaved(indexes, qs, k, threads, repeats)
    for kind in indexes:
        out[kind]["latency_ms"], out[kind]["latency_ms_steady"] = latency_figures(times[(kind, None)])
        if (kind, 1) in times:
            out[kind]["latency_ms_1thread"], out[kind]["latency_ms_1thread_steady"] = latency_figures(times[(kind, 1)])
    truth = search_ids(indexes["exact"], qs, k)
    found = search_ids(indexes["hnsw"], qs, k)
    out["exact"]["recall@10_vs_numpy"] = round(recall_at_k(truth, brute_force_neighbours(base, qs, 10), 10), 4)
    out["hnsw"]["recall@10"] = round(recall_at_k(found, truth, 10), 4)
    out["hnsw"]["recall@50"] = round(recall_at_k(found, truth, k), 4)
    out["source_in_top10"] = round(float(np.mean([s in row[:10] for s, row in zip(src, truth)])), 4)
    tick()
    return out


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


# ---------------------------------------------------------------- synthetic text (bm25s)

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


def dir_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in Path(folder).rglob("*") if f.is_file())


def keyword_scale_point(n: int, queries: int = 300, seed: int = 0, k: int = 50,
                        tick: Callable[[], None] | None = None, measure_memory: bool = True, repeats: int = 3) -> dict:
    """bm25s (the production KeywordIndex) at one corpus size: build time, size on
    disk, memory and search latency."""
    from index.keyword import KeywordIndex

    tick = tick or (lambda: None)
    texts = synthetic_texts(n, seed=seed)
    qs = keyword_queries(texts, queries, seed=seed + 2)
    t = time.perf_counter()
    kw = KeywordIndex.build(texts)
    build_s = time.perf_counter() - t
    tick()
    with tempfile.TemporaryDirectory(prefix="wtkb-bench-bm25-") as tmp:
        kw.save(Path(tmp) / "bm25")
        size = dir_bytes(Path(tmp) / "bm25")
        rss = load_rss_delta("bm25", Path(tmp) / "bm25") if measure_memory else None
        kw = KeywordIndex.load(Path(tmp) / "bm25")  # searched as the app would: loaded from disk
    for q in qs[:20]:
        kw.search(q, k)
    times, found = [], 0
    for q in qs:
        times.append([])
        for _ in range(repeats):
            t = time.perf_counter()
            res = kw.search(q, k)
            times[-1].append(time.perf_counter() - t)
        found += bool(res)
    tick()
    measured, steady = latency_figures(times)
    return {"n": n, "queries": queries, "k": k, "mean_words": round(float(np.mean([len(x.split()) for x in texts])), 1),
            "vocab": len(kw.vocab), "build_s": round(build_s, 3), "bytes": size, "load_rss_delta_bytes": rss,
            "repeats": repeats, "latency_ms": measured, "latency_ms_steady": steady,
            "queries_with_hits": round(found / max(len(qs), 1), 4)}


# ---------------------------------------------------------------- the recommendation

LATENCY_LABELS = {"latency_ms": "as-measured", "latency_ms_steady": "steady",
                  "latency_ms_1thread": "one-thread as-measured", "latency_ms_1thread_steady": "one-thread steady"}


def recommend_exact_search_max(points: list[dict], budget_ms: float = TARGETS["switch_budget_ms"],
                               min_recall: float = TARGETS["switch_min_recall"], current: int | None = None,
                               latency: str = "latency_ms", stat: str = "p95") -> dict:
    """Where exact search stops meeting ``budget_ms`` at ``stat`` (linear
    interpolation between measured sizes, linear extrapolation past the largest),
    provided HNSW reaches ``min_recall`` recall@10 at every measured size above
    that point. ``latency`` picks the figures: "latency_ms" (default FAISS
    threads, as the app runs) or "latency_ms_1thread"."""
    pts = sorted(((p["n"], p["exact"][latency][stat], p["hnsw"]["recall@10"]) for p in points),
                 key=lambda x: x[0])
    if not pts:
        raise ValueError("no scale points")
    ns = [p[0] for p in pts]
    p95 = [p[1] for p in pts]
    crossing = None
    for (n0, l0, _), (n1, l1, _) in zip(pts, pts[1:]):
        if l0 <= budget_ms < l1:
            crossing = n0 + (budget_ms - l0) * (n1 - n0) / (l1 - l0)
            break
    extrapolated = False
    if crossing is None:
        if p95[0] > budget_ms:
            crossing = 0.0  # already over budget at the smallest size measured
        elif len(pts) >= 2:
            slope = (p95[-1] - p95[-2]) / (ns[-1] - ns[-2])
            crossing = ns[-1] + (budget_ms - p95[-1]) / slope if slope > 0 else math.inf
            extrapolated = True
        else:
            crossing = math.inf
            extrapolated = True
    above = [r for n, _, r in pts if n > crossing] or [pts[-1][2]]
    recall_ok = min(above) >= min_recall
    out = {"budget_ms": budget_ms, "min_recall": min_recall, "current": current, "latency": latency, "stat": stat,
           "crossing_estimate": None if math.isinf(crossing) else int(round(crossing)),
           "extrapolated": extrapolated, "hnsw_recall@10_above": round(min(above), 4), "recall_ok": recall_ok}
    if recall_ok and not math.isinf(crossing):
        out["recommended"] = nice_floor(crossing)
        out["why"] = (f"exact {LATENCY_LABELS.get(latency, latency)} {stat} reaches {budget_ms:g} ms at about "
                      f"{round(crossing):,} vectors"
                      f"{' (extrapolated past the largest size measured)' if extrapolated else ''}; HNSW "
                      f"recall@10 is >= {min(above):.3f} above that, so switch there.")
    elif not recall_ok:
        # HNSW is not accurate enough: keep exact search while it still meets the hard target.
        hard = TARGETS["scale_p95_ms_100k"]
        ok = [n for n, l, _ in pts if l <= hard]
        out["recommended"] = max(ok) if ok else ns[0]
        out["why"] = (f"HNSW recall@10 is only {min(above):.3f} (< {min_recall}) above the {budget_ms:g} ms "
                      f"crossing, so keep exact search while its p95 stays under {hard:g} ms, and raise "
                      "HNSW_EF_SEARCH before relying on HNSW.")
    else:
        out["recommended"] = ns[-1]
        out["why"] = f"exact {stat} never reached {budget_ms:g} ms; exact search is fine up to {ns[-1]:,} at least."
    return out


# ---------------------------------------------------------------- sections that use the model

class Bar:
    """A thin wrapper over a rich Progress (stderr); a no-op when ``progress`` is None."""

    def __init__(self, progress=None):
        self.progress = progress

    def task(self, description: str, total: float | None):
        if self.progress is None:
            return None
        return self.progress.add_task(description, total=total)

    def advance(self, task, n: float = 1):
        if self.progress is not None and task is not None:
            self.progress.advance(task, n)

    def update(self, task, **kw):
        if self.progress is not None and task is not None:
            self.progress.update(task, **kw)

    def log(self, msg: str):
        if self.progress is not None:
            self.progress.console.log(msg)


@contextmanager
def section(results: dict, name: str):
    block = results.setdefault(name, {})
    block["loadavg_start"] = loadavg()
    t = time.perf_counter()
    yield block
    block["section_seconds"] = round(time.perf_counter() - t, 1)
    block["loadavg_end"] = loadavg()


def _settings(index_dir: Path, **kw) -> Settings:
    return load_settings(index_dir=index_dir, corpus_dirs=(NOTES_DIR,), **kw)


def bench_build(work: Path, reps: int, bar: Bar) -> tuple[dict, dict]:
    """Full builds of the bundled notes vs raw encode throughput; ONNX export; no-change rebuild.
    Returns the figures and the index folders later sections reuse."""
    import torch

    import index
    from index import store
    from index.build import ingest_corpus
    from index.embed import Embedder
    from index.onnx_encoder import export

    base = _settings(work / "unused")
    bs = base.embed_batch_size
    emb = Embedder(base.model, bs)
    t = time.perf_counter()
    st = emb.sentence_transformer()
    model_load_s = time.perf_counter() - t
    emb.encode(["warm up the model"] * 4)

    task = bar.task("build: fresh builds + raw encode", total=4 * reps + 1 + 3)
    embed_task = bar.task("  embedding", total=None)

    def progress(stage, done, total):
        if stage == "embed":
            bar.update(embed_task, completed=done, total=total)

    def encode_raw(texts: list[str]) -> float:
        t = time.perf_counter()
        st.encode(texts, batch_size=bs, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
        return time.perf_counter() - t

    def encode_batched(texts: list[str]) -> float:
        """As Embedder.encode drives the model: one encode call per batch, in chunk order."""
        t = time.perf_counter()
        for i in range(0, len(texts), bs):
            st.encode(texts[i:i + bs], batch_size=bs, normalize_embeddings=True, convert_to_numpy=True,
                      show_progress_bar=False)
        return time.perf_counter() - t

    # Fresh builds without and with the ONNX export, raw encode, per-batch encode: interleaved
    # and in a rotating order, so drifting load from other processes hits all four alike.
    st_builds, onnx_builds, raws, batched = [], [], [], []
    # the very texts a build embeds (same ingestion, same header choice)
    ingested, _ = ingest_corpus(base, emb, [NOTES_DIR])
    texts = [c.embed_text if base.header_in_embedding else c.text for f in ingested for c in f.chunks]
    onnx_dir = work / "build-onnx-0"

    def fresh_build(i: int, onnx: bool):
        s = _settings(work / f"build-{'onnx' if onnx else 'st'}-{i}", onnx_query_encoder=onnx)
        r = index.build(s, corpus_dirs=[NOTES_DIR], embedder=emb, progress=progress)
        if r.embedded != r.chunks:
            raise RuntimeError("a fresh build must embed every chunk")
        (onnx_builds if onnx else st_builds).append(r)

    steps = [lambda i: fresh_build(i, False), lambda i: raws.append(encode_raw(texts)),
             lambda i: fresh_build(i, True), lambda i: batched.append(encode_batched(texts))]
    for i in range(reps):
        for j in range(len(steps)):
            steps[(i + j) % len(steps)](i)
            bar.advance(task)
    n = st_builds[0].chunks
    if n != len(texts):
        raise RuntimeError(f"the build embedded {n} chunks but ingestion gave {len(texts)} texts")
    build_s = median([r.seconds for r in st_builds])
    embed_s = median([r.embed_seconds for r in st_builds])
    raw_s = median(raws)
    paired = [r.seconds / x - 1 for r, x in zip(st_builds, raws)]
    paired_onnx = [r.seconds / x - 1 for r, x in zip(onnx_builds, raws)]
    # What the export adds to a first build, free of the (noisy) embed stage: the non-embed
    # time of each ONNX build minus that of the build without it in the same round.
    onnx_in_build = median([(o.seconds - o.embed_seconds) - (r.seconds - r.embed_seconds)
                            for o, r in zip(onnx_builds, st_builds)])
    s_onnx = _settings(onnx_dir)
    _, manifest = store.read_manifest(onnx_dir)
    t = time.perf_counter()
    ok = export(st, Path(emb.spec.location), work / "export-check.onnx")
    export_s = time.perf_counter() - t
    (work / "export-check.onnx").unlink(missing_ok=True)
    bar.advance(task)

    rebuilds = []
    for _ in range(3):
        r = index.build(s_onnx, corpus_dirs=[NOTES_DIR], embedder=emb, progress=progress)
        if r.embedded != 0:
            raise RuntimeError("a no-change rebuild must embed nothing")
        rebuilds.append(r.seconds)
        bar.advance(task)

    out = {
        "command": f"{PY} -m evals.bench --only build",
        "chunks": n, "texts": "chunk embed_text (header + text), as the build embeds them",
        "batch_size": bs, "repetitions": reps, "torch_threads": torch.get_num_threads(),
        "model_load_s": round(model_load_s, 2),
        "build_s_runs": [round(r.seconds, 2) for r in st_builds],
        "embed_s_runs": [round(r.embed_seconds, 2) for r in st_builds],
        "raw_encode_s_runs": [round(x, 2) for x in raws],
        "batched_encode_s_runs": [round(x, 2) for x in batched],
        "build_s": round(build_s, 2), "embed_s": round(embed_s, 2), "raw_encode_s": round(raw_s, 2),
        "batched_encode_s": round(median(batched), 2), "non_embed_s": round(build_s - embed_s, 2),
        "pipeline_chunks_per_s": round(n / build_s, 2), "raw_chunks_per_s": round(n / raw_s, 2),
        "overhead_pct_runs": [round(x * 100, 1) for x in paired],
        "overhead_pct": round(median(paired) * 100, 1),
        "embed_stage_overhead_pct": round(median([r.embed_seconds / x - 1 for r, x in zip(st_builds, raws)]) * 100, 1),
        "batching_overhead_pct": round(median([b / x - 1 for b, x in zip(batched, raws)]) * 100, 1),
        "first_build_onnx_s_runs": [round(r.seconds, 2) for r in onnx_builds],
        "first_build_onnx_embed_s_runs": [round(r.embed_seconds, 2) for r in onnx_builds],
        "first_build_onnx_s": round(median([r.seconds for r in onnx_builds]), 2),
        "onnx_in_build_s": round(onnx_in_build, 2),
        "first_build_onnx_overhead_pct_runs": [round(x * 100, 1) for x in paired_onnx],
        "first_build_onnx_overhead_pct": round(median(paired_onnx) * 100, 1),
        "onnx_export_s": round(export_s, 2), "onnx_export_ok": bool(ok),
        "query_encoder": manifest.get("query_encoder"),
        "rebuild_s_runs": [round(x, 3) for x in rebuilds], "rebuild_s": round(median(rebuilds), 3),
        "target_overhead_pct": TARGETS["build_overhead_pct"],
    }
    out["meets_target"] = out["overhead_pct"] <= TARGETS["build_overhead_pct"]
    live, _ = store.read_manifest(onnx_dir)  # the rebuilds published new versions
    out["real_neighbour_profile"] = neighbour_profile(np.load(live / "vectors.npy"))
    out["bytes_per_chunk"] = {
        "chunks.jsonl": round((live / "chunks.jsonl").stat().st_size / n), "docs": round(dir_bytes(live / "docs") / n),
        "manifest": round((live / "manifest.json").stat().st_size / n),
        "encoder.onnx_total": (live / "encoder.onnx").stat().st_size if (live / "encoder.onnx").exists() else 0}
    # keep the last fresh sentence-transformers build for the query section
    return out, {"onnx": onnx_dir, "st": st_builds[-1].index_dir}


def build_indexes(work: Path, bar: Bar) -> dict:
    """Just the two indexes of the notes that the query and cold-start sections use."""
    import index
    from index.embed import Embedder

    base = _settings(work / "unused")
    emb = Embedder(base.model, base.embed_batch_size)
    task = bar.task("indexes for query/cold", total=2)
    dirs = {}
    for key, onnx in (("onnx", True), ("st", False)):
        dirs[key] = work / f"index-{key}"
        index.build(_settings(dirs[key], onnx_query_encoder=onnx), corpus_dirs=[NOTES_DIR], embedder=emb)
        bar.advance(task)
    return dirs


def bench_query(dirs: dict, count: int, bar: Bar) -> dict:
    """Warm latency of kb.search and index.answer against the bare query encoding,
    interleaved per question so load changes hit all three alike."""
    import index
    from index.retrieve import prepare_query

    out = {"command": f"{PY} -m evals.bench --only query", "questions": len(QUESTIONS), "timed_queries": count,
           "cache": "Embedder._query_cache cleared before every timed call (answer() still reuses the vector "
                    "it computed for retrieval, as in production)", "backends": {}}
    for backend, key in (("onnxruntime", "onnx"), ("sentence-transformers", "st")):
        kb = index.load(_settings(dirs[key]))
        if kb.embedder.backend != backend:
            raise RuntimeError(f"expected the {backend} backend, got {kb.embedder.backend}")
        for q in QUESTIONS[:5]:
            index.answer(kb, q)
        enc, srch, ans, parts, abstained = [], [], [], [], 0
        task = bar.task(f"query: {backend}", total=count)
        for i in range(count):
            q = QUESTIONS[i % len(QUESTIONS)]
            dense_text = prepare_query(q, kb.settings, kb.glossary).dense_text
            kb.embedder._query_cache.clear()
            t = time.perf_counter()
            kb.embedder.encode_query(dense_text)
            enc.append(time.perf_counter() - t)
            kb.embedder._query_cache.clear()
            timings: dict = {}
            t = time.perf_counter()
            kb.search(q, timings=timings)
            srch.append(time.perf_counter() - t)
            parts.append(timings)
            kb.embedder._query_cache.clear()
            t = time.perf_counter()
            a = index.answer(kb, q)
            ans.append(time.perf_counter() - t)
            abstained += a.abstained
            bar.advance(task)
        e, s_, a_ = percentiles(enc), percentiles(srch), percentiles(ans)
        out["backends"][backend] = {
            "encode_ms": e, "search_ms": s_, "answer_ms": a_,
            "search_parts_p50_ms": {k: round(median([p[k] for p in parts]), 3)
                                    for k in ("encode_ms", "dense_ms", "keyword_ms", "fuse_ms")},
            "search_over_encode_p50": round(s_["p50"] / e["p50"], 2),
            "meets_target": s_["p50"] <= TARGETS["search_vs_encode"] * e["p50"],
            "abstained": abstained,
        }
        if backend == "onnxruntime":
            out["keyword_threads_check"] = keyword_threads_check(kb, QUESTIONS, rounds=max(2, count // len(QUESTIONS)))
        del kb
        gc.collect()
    out["target_ratio"] = TARGETS["search_vs_encode"]
    return out


def keyword_threads_check(kb, questions: Sequence[str], rounds: int = 3) -> dict:
    """bm25s ``retrieve`` as index/keyword.py calls it (n_threads=1, which in bm25s
    0.3 starts a one-thread pool on every call) against n_threads=0 (runs in the
    calling thread), interleaved on the same tokens. A diagnostic for the lead."""
    from index.retrieve import prepare_query

    ret = kb.keyword.retriever
    n = ret.scores["num_docs"] if isinstance(getattr(ret, "scores", None), dict) else len(kb.chunks)
    toks = [kb.keyword.tokens(prepare_query(q, kb.settings, kb.glossary).keyword_text) for q in questions]
    toks = [t for t in toks if t]
    times: dict = {1: [], 0: []}
    for _ in range(rounds):
        for t_ in toks:
            for nt in (1, 0):
                t = time.perf_counter()
                ret.retrieve([t_], k=min(kb.settings.candidates, n), show_progress=False, n_threads=nt)
                times[nt].append(time.perf_counter() - t)
    return {"n_threads=1 (as now)": percentiles(times[1]), "n_threads=0": percentiles(times[0])}


COLD_SHOWN = ("import index; from ingest.config import load_settings; "
              "kb = index.load(load_settings()); print(index.answer(kb, {q!r}).abstained)")
COLD_CODE = ("import time, json; t0 = time.time(); import index; from ingest.config import load_settings; "
             "t1 = time.time(); kb = index.load(load_settings()); t2 = time.time(); "
             "r = index.answer(kb, {q!r}); t3 = time.time(); "
             "print(json.dumps({{'import': t1 - t0, 'load': t2 - t1, 'answer': t3 - t2, 'done_at': t3, "
             "'abstained': r.abstained, 'backend': kb.embedder.backend}}))")


def _cold_once(cmd: list[str], env: dict) -> tuple[float, float | None, dict]:
    """(seconds to exit, seconds to the answer when the child reports it, child's phases)."""
    start = time.time()
    t = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600)
    exit_s = time.perf_counter() - t
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[:3]} failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
    phases: dict = {}
    answer_s = None
    last = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    if last.startswith("{") and "done_at" in last:
        phases = json.loads(last)
        answer_s = phases.pop("done_at") - start
    return exit_s, answer_s, phases


def bench_cold(dirs: dict, reps: int, bar: Bar) -> dict:
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    env.pop("WTKB_PROGRESS", None)
    wtkb = str(Path(sys.executable).parent / "wtkb")
    code = COLD_CODE.format(q=COLD_QUESTION)
    shown = COLD_SHOWN.format(q=COLD_QUESTION)
    out = {"question": COLD_QUESTION, "repetitions": reps, "target_s": TARGETS["cold_start_s"],
           "note": "a fresh interpreter each run; the OS file cache is warm (the index was just read), "
                   "so this is process cold start, not disk cold start",
           "command": f"{PY} -m evals.bench --only cold",
           "index": "$IDX is an index of corpus/notes built with the default settings "
                    "(`.venv/bin/wtkb build --corpus corpus/notes --index $IDX`), $IDX_ST the same built without the "
                    "ONNX encoder (`WTKB_ONNX_QUERY_ENCODER=0 .venv/bin/wtkb build --corpus corpus/notes --index "
                    "$IDX_ST`). The benchmark runs the library case with a few time stamps added to split the phases",
           "runs": {}}
    cases = [
        ("library (onnxruntime)", "onnx", [sys.executable, "-c", code],
         f'time WTKB_INDEX_DIR=$IDX {PY} -c "{shown}"'),
        ("wtkb ask --json (onnxruntime)", "onnx", [wtkb, "ask", "--json", "--index", "{idx}", COLD_QUESTION],
         f"time .venv/bin/wtkb ask --json --index $IDX '{COLD_QUESTION}'"),
        ("library (sentence-transformers, no ONNX)", "st", [sys.executable, "-c", code],
         f'time WTKB_INDEX_DIR=$IDX_ST {PY} -c "{shown}"'),
    ]
    task = bar.task("cold start", total=reps * len(cases))
    for name, key, cmd, shown in cases:
        idx = str(dirs[key])
        cmd = [c.replace("{idx}", idx) for c in cmd]
        e = dict(env, WTKB_INDEX_DIR=idx)
        runs = []
        for _ in range(reps):
            runs.append(_cold_once(cmd, e))
            bar.advance(task)
        exit_med = median([r[0] for r in runs])
        ans = [r[1] for r in runs if r[1] is not None]
        phases = [r[2] for r in runs if r[2]]
        rec = {"command": shown, "exit_s_runs": [round(r[0], 2) for r in runs], "exit_s": round(exit_med, 2)}
        if ans:
            rec["first_answer_s_runs"] = [round(x, 2) for x in ans]
            rec["first_answer_s"] = round(median(ans), 2)
            rec["phases_median_s"] = {k: round(median([p[k] for p in phases]), 2) for k in ("import", "load", "answer")}
            rec["backend"] = phases[0].get("backend")
        headline = rec.get("first_answer_s", rec["exit_s"])
        rec["meets_target"] = headline <= TARGETS["cold_start_s"]
        out["runs"][name] = rec
    return out


def bench_scale(scales: Sequence[int], keyword_scales: Sequence[int], queries: int, seed: int, bar: Bar,
                current_max: int, per_chunk: dict | None = None) -> dict:
    out = {"command": f"{PY} -m evals.bench --only scale" +
           (f" --scales {','.join(str(s) for s in scales)}" if tuple(scales) != FULL_SCALES else ""),
           "queries": queries, "seed": seed, "k": 50, "search": "index.vectors.search, one query per call, "
           "k = settings.candidates (50); recall@10 from the same calls; encoding excluded",
           "structured": [], "isotropic": [], "keyword": []}
    task = bar.task("scale: vectors", total=len(scales) * 6)
    for n in scales:
        bar.update(task, description=f"scale: vectors n={n:,}")
        out["structured"].append(vector_scale_point(n, queries, seed, data="structured",
                                                    tick=lambda: bar.advance(task)))
        out["isotropic"].append(vector_scale_point(n, queries, seed, data="isotropic", single_thread=False,
                                                   repeats=1, measure_memory=False,
                                                   tick=lambda: bar.advance(task)))
    ktask = bar.task("scale: bm25s", total=len(keyword_scales) * 2)
    for n in keyword_scales:
        bar.update(ktask, description=f"scale: bm25s n={n:,}")
        out["keyword"].append(keyword_scale_point(n, queries, seed, tick=lambda: bar.advance(ktask)))
    out["synthetic_neighbour_profile"] = neighbour_profile(synthetic_vectors(min(scales[-1], 10_000), seed=seed))
    rec = functools.partial(recommend_exact_search_max, current=current_max)
    out["recommendation"] = rec(out["structured"], latency="latency_ms_steady")
    # exact latency does not depend on the data; the worst case changes only HNSW's recall
    worst = [{"n": p["n"], "exact": p["exact"], "hnsw": {"recall@10": i["hnsw"]["recall@10"]}}
             for p, i in zip(out["structured"], out["isotropic"])]
    out["recommendation_isotropic"] = rec(worst, latency="latency_ms_steady")
    sens = {"p95 as measured (with load spikes)": rec(out["structured"], latency="latency_ms"),
            "p50 steady": rec(out["structured"], latency="latency_ms_steady", stat="p50")}
    if all("latency_ms_1thread_steady" in p["exact"] for p in out["structured"]):
        sens["p95 steady, one FAISS thread"] = rec(out["structured"], latency="latency_ms_1thread_steady")
    out["recommendation_sensitivity"] = sens
    out["footprint"] = footprint(out, per_chunk, current_max)
    return out


def footprint(scale: dict, per_chunk: dict | None, exact_max: int) -> list[dict]:
    """Index size at each measured size with the configured switch-over: the FAISS
    file (the figure the 400 MB target is about), plus what else a version folder holds."""
    rows = []
    kw = {p["n"]: p for p in scale.get("keyword", [])}
    for p in scale.get("structured", []):
        n = p["n"]
        kind = "exact" if n <= exact_max else "hnsw"
        faiss_b = p[kind]["bytes"]
        row = {"n": n, "vector_index": kind, "faiss_mb": mb(faiss_b),
               "faiss_rss_mb": mb(p[kind]["load_rss_delta_bytes"]),
               "vectors_npy_mb": mb(n * p["dim"] * 4 + 128)}
        if n in kw:
            row["bm25_mb"] = mb(kw[n]["bytes"])
            row["bm25_rss_mb"] = mb(kw[n]["load_rss_delta_bytes"])
        if per_chunk:
            per = per_chunk["chunks.jsonl"] + per_chunk["docs"] + per_chunk["manifest"]
            row["chunks_docs_manifest_mb_est"] = mb(n * per)
            row["encoder_onnx_mb"] = mb(per_chunk["encoder.onnx_total"])
        row["search_index_mb"] = round(row["faiss_mb"] + row.get("bm25_mb", 0.0), 1)
        parts = ("faiss_mb", "bm25_mb", "vectors_npy_mb", "chunks_docs_manifest_mb_est", "encoder_onnx_mb")
        row["version_folder_mb_est"] = round(sum(row[k] for k in parts), 1) \
            if all(row.get(k) is not None for k in parts) else None
        rows.append(row)
    return rows


# ---------------------------------------------------------------- the report

def _fmt(x, unit: str = "", nd: int = 1) -> str:
    if x is None:
        return "–"
    if isinstance(x, bool):
        return "yes" if x else "**no**"
    if isinstance(x, float):
        return f"{x:,.{nd}f}{unit}"
    if isinstance(x, int):
        return f"{x:,}{unit}"
    return f"{x}{unit}"


def _ok(flag: bool | None) -> str:
    return "–" if flag is None else ("✅" if flag else "❌")


def key_figures(results: dict) -> list[tuple[str, str, str, str, str]]:
    """(figure, value, target, met, command) rows for the summary table."""
    rows = []
    b = results.get("build")
    if b and "overhead_pct" in b:
        rows.append(("Build: pipeline vs raw encode (sentence-transformers)",
                     f"{b['pipeline_chunks_per_s']:.2f} vs {b['raw_chunks_per_s']:.2f} chunks/s → "
                     f"overhead {b['overhead_pct']:+.1f}%", f"≤ {TARGETS['build_overhead_pct']:g}%",
                     _ok(b["meets_target"]), b["command"]))
        rows.append(("Build: first build with ONNX export", f"{b['first_build_onnx_s']:.1f} s "
                     f"(export alone {b['onnx_export_s']:.1f} s; overhead incl. export "
                     f"{b['first_build_onnx_overhead_pct']:+.1f}%)", "reported", "–", b["command"]))
        rows.append(("Build: no-change rebuild (median of 3)", f"{b['rebuild_s']:.2f} s", "–", "–", b["command"]))
    q = results.get("query")
    if q:
        for backend, d in q["backends"].items():
            rows.append((f"Query ({backend}): search p50/p95/p99",
                         f"{d['search_ms']['p50']:.1f} / {d['search_ms']['p95']:.1f} / {d['search_ms']['p99']:.1f} ms "
                         f"(encode p50 {d['encode_ms']['p50']:.1f} ms → ×{d['search_over_encode_p50']:.2f})",
                         f"≤ {TARGETS['search_vs_encode']:g}× encode", _ok(d["meets_target"]), q["command"]))
            rows.append((f"Query ({backend}): answer p50/p95/p99",
                         f"{d['answer_ms']['p50']:.1f} / {d['answer_ms']['p95']:.1f} / {d['answer_ms']['p99']:.1f} ms",
                         "–", "–", q["command"]))
    c = results.get("cold")
    if c:
        for name, d in c["runs"].items():
            val = d.get("first_answer_s", d["exit_s"])
            what = "to first answer" if "first_answer_s" in d else "to exit"
            rows.append((f"Cold start: {name}", f"{val:.2f} s {what} (median of {c['repetitions']})",
                         f"≤ {TARGETS['cold_start_s']:g} s", _ok(d["meets_target"]),
                         f"{c['command']}` or `{d['command']}"))
    s = results.get("scale")
    if s:
        big = max(s["structured"], key=lambda p: p["n"])
        n = big["n"]
        for kind in ("exact", "hnsw"):
            lat, raw = big[kind]["latency_ms_steady"], big[kind]["latency_ms"]
            within = lat["p95"] <= TARGETS["scale_p95_ms_100k"] and mb(big[kind]["bytes"]) <= TARGETS["index_mb_100k"]
            extra = f", recall@10 {big['hnsw']['recall@10']:.3f}" if kind == "hnsw" else ""
            one = big[kind].get("latency_ms_1thread_steady")
            one = f"; 1 FAISS thread {one['p50']:.2f} / {one['p95']:.2f}" if one else ""
            rows.append((f"Scale {n:,}: {kind} dense search p50/p95 (steady)",
                         f"{lat['p50']:.2f} / {lat['p95']:.2f} ms (as measured p95 {raw['p95']:.1f}{one}), "
                         f"{mb(big[kind]['bytes']):.0f} MB{extra}", f"p95 ≤ {TARGETS['scale_p95_ms_100k']:g} ms, "
                         f"≤ {TARGETS['index_mb_100k']:g} MB", _ok(within) if n >= 100_000 else "–", s["command"]))
        kw = max(s["keyword"], key=lambda p: p["n"]) if s["keyword"] else None
        if kw:
            lat = kw["latency_ms_steady"]
            rows.append((f"Scale {kw['n']:,}: bm25s search p50/p95 (steady)",
                         f"{lat['p50']:.2f} / {lat['p95']:.2f} ms (as measured p95 {kw['latency_ms']['p95']:.1f}), "
                         f"{mb(kw['bytes']):.0f} MB", "–", "–", s["command"]))
        r = s["recommendation"]
        rows.append(("Recommended exact_search_max", f"**{r['recommended']:,}** (now {r['current']:,})",
                     f"exact p95 ≤ {r['budget_ms']:g} ms, HNSW recall@10 ≥ {r['min_recall']}", "–", s["command"]))
    return rows


def render_markdown(results: dict) -> str:
    m = results["machine"]
    L = [f"# wtkb speed and scale benchmark{' (quick)' if results.get('quick') else ''}", "",
         f"Run {results['started']} · {results['total_seconds']:.0f} s · command: `{results['command']}`", "",
         f"**Machine:** {m['nproc']} CPUs ({m['cpu_model']}), {m['mem_gib']} GiB RAM, {m['os']}, Python {m['python']}; "
         + ", ".join(f"{k} {v}" for k, v in m["versions"].items()) + ".", "",
         f"**Load:** load average (1/5/15 min) {m['loadavg_start']} at the start, {m.get('loadavg_end')} at the end. "
         "Other processes (tests, evals) shared this machine, so figures are medians/percentiles and "
         "absolute times are pessimistic; each section records its own load below.", "",
         "## Key figures", "", "| figure | value | target | met | reproduce |", "|---|---|---|---|---|"]
    for f, v, t, ok, cmd in key_figures(results):
        L.append(f"| {f} | {v} | {t} | {ok} | `{cmd}` |")
    b = results.get("build")
    if b:
        L += ["", "## 1. Build", "",
              f"Reproduce: `{b['command']}` · load {b['loadavg_start']} → {b['loadavg_end']}", "",
              f"Full builds of `corpus/notes` ({b['chunks']} chunks) into a fresh temporary index with the model "
              f"already loaded (loading it took {b['model_load_s']:.1f} s, which `wtkb build` also pays), "
              f"`onnx_query_encoder=False`, against `SentenceTransformer.encode` on the same {b['chunks']} texts "
              f"in one call, batch size {b['batch_size']}, torch threads {b['torch_threads']}; interleaved, "
              f"median of {b['repetitions']}.", "",
              "| | seconds (median) | runs | chunks/s |", "|---|---|---|---|",
              f"| raw encode, one call | {b['raw_encode_s']:.2f} | {b['raw_encode_s_runs']} | "
              f"{b['raw_chunks_per_s']:.2f} |",
              f"| raw encode, one call per batch in chunk order (as `Embedder.encode`) | {b['batched_encode_s']:.2f} | "
              f"{b['batched_encode_s_runs']} | {b['chunks'] / b['batched_encode_s']:.2f} |",
              f"| build: embed stage | {b['embed_s']:.2f} | {b['embed_s_runs']} | {b['chunks'] / b['embed_s']:.2f} |",
              f"| build: everything else (read, chunk, FAISS, bm25s, write, fsync) | {b['non_embed_s']:.2f} | – | – |",
              f"| **build total (no ONNX)** | {b['build_s']:.2f} | {b['build_s_runs']} | "
              f"{b['pipeline_chunks_per_s']:.2f} |",
              f"| first build with default settings (exports ONNX) | {b['first_build_onnx_s']:.2f} | "
              f"{b['first_build_onnx_s_runs']} | {b['chunks'] / b['first_build_onnx_s']:.2f} |",
              f"| ONNX export + parity check, timed alone | {b['onnx_export_s']:.2f} | 1 run | – |",
              f"| no-change rebuild | {b['rebuild_s']:.3f} | {b['rebuild_s_runs']} | – |", "",
              f"Pipeline overhead (median of the paired build/raw ratios {b['overhead_pct_runs']}): "
              f"**{b['overhead_pct']:+.1f}%** without the export. The embed stage alone is "
              f"{b['embed_stage_overhead_pct']:+.1f}% and encoding batch by batch in chunk order costs "
              f"{b['batching_overhead_pct']:+.1f}% by itself (sentence-transformers sorts texts by length only "
              "within a call, so per-batch calls pad more), the rest of the pipeline adds "
              f"{b['non_embed_s']:.2f} s. A first build also exports the ONNX query encoder: "
              f"+{b['onnx_in_build_s']:.1f} s (median over rounds of its non-embed time minus that of the build "
              f"without it), and such a first build is **{b['first_build_onnx_overhead_pct']:+.1f}%** over raw "
              f"encode (paired ratios {b['first_build_onnx_overhead_pct_runs']}). Later builds "
              "with the same model hard-link the live encoder instead of exporting.", ""]
    q = results.get("query")
    if q:
        L += ["## 2. Query (warm)", "",
              f"Reproduce: `{q['command']}` · load {q['loadavg_start']} → {q['loadavg_end']}", "",
              f"{q['timed_queries']} timed calls cycling {q['questions']} safeguarding questions, against an index of "
              f"`corpus/notes`. Per question: bare `kb.embedder.encode_query`, then `kb.search` (hybrid, k=5), "
              f"then `index.answer`. {q['cache']}.", "",
              "| backend | encode p50/p95/p99 ms | search p50/p95/p99 ms | search/encode p50 | answer p50/p95/p99 ms | "
              "search parts p50 ms (encode/dense/keyword/fuse) | abstained |", "|---|---|---|---|---|---|---|"]
        for backend, d in q["backends"].items():
            e, s_, a = d["encode_ms"], d["search_ms"], d["answer_ms"]
            pp = d["search_parts_p50_ms"]
            L.append(f"| {backend} | {e['p50']:.1f} / {e['p95']:.1f} / {e['p99']:.1f} | {s_['p50']:.1f} / "
                     f"{s_['p95']:.1f} / {s_['p99']:.1f} | ×{d['search_over_encode_p50']:.2f} "
                     f"{_ok(d['meets_target'])} | {a['p50']:.1f} / {a['p95']:.1f} / {a['p99']:.1f} | "
                     f"{pp['encode_ms']:.1f} / {pp['dense_ms']:.2f} / "
                     f"{pp['keyword_ms']:.1f} / {pp['fuse_ms']:.2f} | {d['abstained']}/{q['timed_queries']} |")
        L += ["", "`index.answer` = search + encoding up to 36 candidate sentences for the key points, which is "
              "why it costs several encodings.", ""]
        kc = q.get("keyword_threads_check")
        if kc:
            a, b2 = kc["n_threads=1 (as now)"], kc["n_threads=0"]
            L += [f"Keyword diagnostic: bm25s `retrieve` over this index as `index/keyword.py` calls it "
                  "(`n_threads=1`, "
                  f"which starts a one-thread pool on every call) p50/p95 {a['p50']:.2f} / {a['p95']:.2f} ms, against "
                  f"`n_threads=0` (runs in the calling thread) {b2['p50']:.2f} / {b2['p95']:.2f} ms, interleaved, "
                  f"{a['n']} calls each.", ""]
    c = results.get("cold")
    if c:
        note = c["note"][0].upper() + c["note"][1:]
        L += ["## 3. Cold start", "", f"load {c['loadavg_start']} → {c['loadavg_end']}. {note}. "
              f"{c['index']}.", "",
              f"Reproduce all: `{c['command']}`.", "",
              "| case | first answer s (median) | runs | to exit s (median) | runs | "
              "phases: import / load / answer s | "
              "target |", "|---|---|---|---|---|---|---|"]
        for name, d in c["runs"].items():
            ph = d.get("phases_median_s")
            phs = f"{ph['import']:.2f} / {ph['load']:.2f} / {ph['answer']:.2f}" if ph else "–"
            L.append(f"| {name} | {_fmt(d.get('first_answer_s'), nd=2)} | {d.get('first_answer_s_runs', '–')} "
                     f"| {d['exit_s']:.2f} | {d['exit_s_runs']} | {phs} | ≤ {c['target_s']:g} s "
                     f"{_ok(d['meets_target'])} |")
        L += ["", "Standalone commands (each prints its own wall time):", "", "```sh"]
        L += [f"{d['command']}   # {name}" for name, d in c["runs"].items()]
        L += ["```", "", "For the CLI only the time to exit can be seen from outside (it includes printing the JSON "
              "and interpreter teardown); its target is judged on that.", ""]
    s = results.get("scale")
    if s:
        L += ["## 4. Scale (synthetic)", "", f"Reproduce: `{s['command']}` · load {s['loadavg_start']} → "
              f"{s['loadavg_end']}", "",
              f"Dense: {s['structured'][0]['dim']}-d unit vectors from seed {s['seed']}, {s['queries']} queries per "
              "size, each a stored vector plus noise (cosine to its source ≈ "
              f"{s['structured'][0]['query_source_cosine']}). "
              f"{s['search']}. HNSW uses the production constants (M, efConstruction, efSearch from "
              "index/vectors.py) and its recall is measured against the exact index's answers. "
              "*Structured* vectors imitate sentence embeddings (shared direction, topics, low-dimensional "
              "variation); *isotropic* ones are uniformly random, the worst case for HNSW.", "",
              f"Neighbour profile (mean cosine of random pairs / 1st / 10th nearest neighbour): real note embeddings "
              f"{_profile(results.get('build', {}).get('real_neighbour_profile'))}, structured synthetic "
              f"{_profile(s['synthetic_neighbour_profile'])}.", "",
              f"Each query is searched {s['structured'][0]['repeats']}× on every index in turn (interleaved). "
              "*Steady* percentiles take each query's fastest repeat, which removes preemption by the other "
              "processes on this machine but keeps the variation between queries; *as measured* counts every call. "
              f"Default FAISS threads ({s['structured'][0]['faiss_threads']}, as the app runs) and, for comparison, "
              "one FAISS thread. Memory is the RSS growth of a fresh process loading the saved index.", "",
              "| n | exact steady p50/p95 ms | exact as measured p95/p99 | exact 1-thread steady p50/p95 | "
              "HNSW steady p50/p95 ms | HNSW as measured p95/p99 | HNSW 1-thread steady p50/p95 | recall@10 | "
              "recall@50 | exact disk / RSS MB | HNSW disk / RSS MB | HNSW build s |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for p in s["structured"]:
            e, h = p["exact"], p["hnsw"]
            L.append(f"| {p['n']:,} | {_pp(e, 'latency_ms_steady')} | {_pp(e, 'latency_ms', 'p95', 'p99')} | "
                     f"{_pp(e, 'latency_ms_1thread_steady')} | {_pp(h, 'latency_ms_steady')} | "
                     f"{_pp(h, 'latency_ms', 'p95', 'p99')} | {_pp(h, 'latency_ms_1thread_steady')} | "
                     f"{h['recall@10']:.3f} | {h['recall@50']:.3f} | {_fmt(mb(e['bytes']))} / "
                     f"{_fmt(mb(e['load_rss_delta_bytes']))} | {_fmt(mb(h['bytes']))} / "
                     f"{_fmt(mb(h['load_rss_delta_bytes']))} | {h['build_s']:.1f} |")
        L += ["", "Isotropic (worst case for HNSW; one repeat, default threads):", "",
              "| n | exact p50/p95 ms | HNSW p50/p95 ms | HNSW recall@10 | recall@50 | HNSW build s |",
              "|---|---|---|---|---|---|"]
        for p in s["isotropic"]:
            e, h = p["exact"], p["hnsw"]
            L.append(f"| {p['n']:,} | {_pp(e, 'latency_ms')} | {_pp(h, 'latency_ms')} | {h['recall@10']:.3f} | "
                     f"{h['recall@50']:.3f} | {h['build_s']:.1f} |")
        h0 = s["structured"][0]["hnsw"]
        L += ["", f"HNSW parameters: M={h0['M']}, efConstruction={h0['ef_construction']}, efSearch={h0['ef_search']}. "
              f"Exact index vs numpy brute force recall@10: "
              + ", ".join(f"{p['n']:,}: {p['exact']['recall@10_vs_numpy']:.3f}" for p in s["structured"]) + ".", ""]
        if s["keyword"]:
            L += ["Keyword: synthetic chunk texts (Zipf word frequencies over a 30,000-word pseudo-vocabulary, "
                  f"~{s['keyword'][0]['mean_words']:.0f} words each), the production `KeywordIndex` (bm25s, English "
                  "stopwords, stemmer), queries of 6 words from one stored text, k = 50.", "",
                  "| n | steady p50/p95 ms | as measured p95/p99 ms | build s | on disk MB | RSS once loaded MB | "
                  "vocabulary |", "|---|---|---|---|---|---|---|"]
            for p in s["keyword"]:
                L.append(f"| {p['n']:,} | {_pp(p, 'latency_ms_steady')} | {_pp(p, 'latency_ms', 'p95', 'p99')} | "
                         f"{p['build_s']:.1f} | {_fmt(mb(p['bytes']))} | "
                         f"{_fmt(mb(p['load_rss_delta_bytes']))} | {p['vocab']:,} |")
            L.append("")
        r = s["recommendation"]
        ri = s["recommendation_isotropic"]
        L += ["### Recommended `exact_search_max`", "",
              f"**{r['recommended']:,}** (currently {r['current']:,}). {r['why']} "
              f"Estimated crossing: {_fmt(r['crossing_estimate'])} vectors. "
              f"On isotropic (worst-case) vectors the rule gives {ri['recommended']:,}: {ri['why']} "
              + "Sensitivity of the rule: " + "; ".join(
                  f"judged on exact {k}: {v['recommended']:,} (crossing {_fmt(v['crossing_estimate'])})"
                  for k, v in s.get("recommendation_sensitivity", {}).items()) + "."
              + " Not applied: `ingest/config.py` is left to the lead.", ""]
        if s.get("footprint"):
            L += ["### Footprint with the current setting", "",
                  "| n | vector index | vectors.faiss MB | FAISS RSS MB | bm25 MB | search indexes MB | "
                  "vectors.npy MB | chunks+docs+manifest MB (est.) | encoder.onnx MB | version folder MB (est.) |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
            for row in s["footprint"]:
                L.append(f"| {row['n']:,} | {row['vector_index']} | {_fmt(row['faiss_mb'])} | "
                         f"{_fmt(row['faiss_rss_mb'])} | {_fmt(row.get('bm25_mb'))} | {_fmt(row['search_index_mb'])} | "
                         f"{_fmt(row['vectors_npy_mb'])} | {_fmt(row.get('chunks_docs_manifest_mb_est'))} | "
                         f"{_fmt(row.get('encoder_onnx_mb'))} | {_fmt(row.get('version_folder_mb_est'))} |")
            L += ["", "The 400 MB target is judged on the search indexes (FAISS + bm25s). The version folder "
                  "estimate adds the vectors.npy re-embedding cache, chunk records and document texts at this "
                  "corpus's bytes per chunk (measured on the notes build), and the ONNX encoder.", ""]
    found = findings(results)
    if found:
        L += ["## Findings for the lead", ""] + [f"- {f}" for f in found] + [""]
    L += ["## Notes", "",
          "- Every figure above comes from `bench.json` next to this file, which also holds the raw runs.",
          "- Timings on a shared 2-CPU machine: treat p95/p99 as upper bounds; ratios (search/encode, "
          "pipeline/raw) were measured interleaved so that load affects both sides alike.", ""]
    return "\n".join(L)


def findings(results: dict) -> list[str]:
    """Plain-language conclusions drawn from the figures (so a re-run updates them)."""
    out = []
    b = results.get("build")
    if b and "overhead_pct" in b:
        met = b["overhead_pct"] <= TARGETS["build_overhead_pct"]
        text = (f"Build overhead is {b['overhead_pct']:+.1f}% ({'within' if met else 'over'} the "
                f"{TARGETS['build_overhead_pct']:g}% target); the embed stage takes {b['embed_s']:.1f} s vs "
                f"{b['raw_encode_s']:.1f} s for the raw encode and the rest of the pipeline {b['non_embed_s']:.2f} s.")
        if b["batching_overhead_pct"] > TARGETS["build_overhead_pct"]:
            text += (" Encoding batch by batch in chunk order, as `Embedder.encode` does, is by itself "
                     f"{b['batching_overhead_pct']:+.1f}% slower than one encode call "
                     f"({b['batched_encode_s']:.1f} s vs {b['raw_encode_s']:.1f} s), because sentence-transformers sorts texts by length only within "
                     "a call. Handing the whole list to one `encode` call (or sorting by length before batching "
                     "and restoring the order) in index/embed.py should recover most of that.")
        out.append(text)
    q = results.get("query")
    if q:
        on = q["backends"].get("onnxruntime")
        kc = q.get("keyword_threads_check")
        if on:
            extra = on["search_ms"]["p50"] - on["encode_ms"]["p50"]
            kw = on["search_parts_p50_ms"]["keyword_ms"]
            text = (f"Search costs ×{on['search_over_encode_p50']:.2f} the bare encoding (p50, ONNX), "
                    f"{extra:.1f} ms more; the keyword retriever takes {kw:.1f} ms of it (p50).")
            if kc:
                a, z = kc["n_threads=1 (as now)"], kc["n_threads=0"]
                if a["p50"] > 1.5 * z["p50"]:
                    text += (f" bm25s starts a thread pool on every call because index/keyword.py passes "
                             f"`n_threads=1`: {a['p50']:.2f} ms vs {z['p50']:.2f} ms p50 with `n_threads=0` in "
                             "the interleaved diagnostic.")
            out.append(text)
            out.append(
                f"`index.answer` p50 is {on['answer_ms']['p50']:.0f} ms vs {on['search_ms']['p50']:.0f} ms for search "
                "(ONNX): the key points encode up to 36 candidate sentences per answer. Sentence vectors computed at "
                "build time would remove that cost, if answer latency matters.")
    c = results.get("cold")
    if c:
        lib = c["runs"].get("library (onnxruntime)", {})
        st = c["runs"].get("library (sentence-transformers, no ONNX)", {})
        if lib.get("first_answer_s") and st.get("first_answer_s"):
            out.append(f"The ONNX query encoder is what keeps cold start in budget: {lib['first_answer_s']:.1f} s to "
                       f"the first answer with it, {st['first_answer_s']:.1f} s without.")
    s = results.get("scale")
    if s and s.get("structured"):
        big = max(s["structured"], key=lambda p: p["n"])
        e = big["exact"]
        one = e.get("latency_ms_1thread_steady")
        if one and one["p50"] < 0.9 * e["latency_ms_steady"]["p50"]:
            out.append(
                f"FAISS's OpenMP threads slow single-query exact search on this shared machine: at {big['n']:,} "
                f"vectors p50 {e['latency_ms_steady']['p50']:.1f} ms with the default {big['faiss_threads']} "
                f"threads vs {one['p50']:.1f} ms with one (interleaved). `faiss.omp_set_num_threads(1)` at query "
                "time would move the switch-over up (see the sensitivity line above).")
        iso = max(s.get("isotropic", []), key=lambda p: p["n"], default=None)
        if iso:
            out.append(
                f"HNSW (M={big['hnsw']['M']}, efSearch={big['hnsw']['ef_search']}) keeps recall@10 "
                f"{big['hnsw']['recall@10']:.3f} at {big['n']:,} structured vectors but only "
                f"{iso['hnsw']['recall@10']:.3f} on isotropic ones, so its quality depends on the embedding "
                "distribution: check recall on the real corpus (vectors.npy of a large build) before relying on it.")
        fp = [r for r in s.get("footprint", []) if r.get("version_folder_mb_est")]
        if fp:
            r = max(fp, key=lambda r: r["n"])
            out.append(
                f"At {r['n']:,} chunks the search indexes take {r['search_index_mb']:.0f} MB (target "
                f"{TARGETS['index_mb_100k']:g} MB), but a whole index version is about "
                f"{r['version_folder_mb_est']:.0f} MB: vectors.npy ({r['vectors_npy_mb']:.0f} MB) duplicates the "
                "vectors FAISS already holds, the chunk records and document texts add about "
                f"{r['chunks_docs_manifest_mb_est']:.0f} MB and the ONNX encoder {r['encoder_onnx_mb']:.0f} MB.")
    return out


def _pp(d: dict, key: str, a: str = "p50", b: str = "p95") -> str:
    lat = d.get(key)
    return "–" if not lat else f"{lat[a]:.2f} / {lat[b]:.2f}"


def _profile(p: dict | None) -> str:
    return "–" if not p else f"{p['random_pair_cos']:.2f} / {p['nn1_cos']:.2f} / {p['nn10_cos']:.2f}"


# ---------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evals.bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="reduced run (1k and 10k, fewer repetitions and queries)")
    ap.add_argument("--out", type=Path, default=PROJECT_ROOT / "evals" / "reports", help="report folder")
    ap.add_argument("--only", default="build,query,cold,scale", help="comma-separated sections to run")
    ap.add_argument("--scales", default=None, help="comma-separated vector corpus sizes (default 1k..100k)")
    ap.add_argument("--queries", type=int, default=None, help="queries per scale point (default 300; quick 100)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--render", type=Path, default=None, metavar="JSON",
                    help="only rewrite the markdown report from an existing bench JSON (no measuring)")
    args = ap.parse_args(argv)
    if args.render:
        results = json.loads(args.render.read_text(encoding="utf-8"))
        args.render.with_suffix(".md").write_text(render_markdown(results), encoding="utf-8")
        print(f"wrote {args.render.with_suffix('.md')}")
        return 0

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    sections = {s.strip() for s in args.only.split(",") if s.strip()}
    unknown = sections - {"build", "query", "cold", "scale"}
    if unknown:
        ap.error(f"unknown section(s): {', '.join(sorted(unknown))}")
    scales = tuple(int(x) for x in args.scales.split(",")) if args.scales else \
        (QUICK_SCALES if args.quick else FULL_SCALES)
    kw_scales = tuple(n for n in scales if n in KEYWORD_FULL_SCALES) or (scales[-1],)
    queries = args.queries or (100 if args.quick else 300)
    reps = 1 if args.quick else 3
    query_count = 60 if args.quick else 120
    settings = load_settings()

    cmd = " ".join([PY, "-m", "evals.bench", *(argv if argv is not None else sys.argv[1:])])
    results: dict = {"command": cmd.strip(), "quick": args.quick, "started": time.strftime("%Y-%m-%d %H:%M:%S %z"),
                     "machine": machine(), "targets": TARGETS, "exact_search_max_now": settings.exact_search_max}
    t0 = time.perf_counter()
    console = Console(stderr=True)
    work = Path(tempfile.mkdtemp(prefix="wtkb-bench-"))
    try:
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console, transient=False) as progress:
            bar = Bar(progress)
            dirs = None
            if "build" in sections:
                with section(results, "build") as block:
                    figures, dirs = bench_build(work, reps, bar)
                    block.update(figures)
                bar.log("build done")
            elif sections & {"query", "cold"}:
                dirs = build_indexes(work, bar)
            if "query" in sections:
                with section(results, "query") as block:
                    block.update(bench_query(dirs, query_count, bar))
                bar.log("query done")
            if "cold" in sections:
                with section(results, "cold") as block:
                    block.update(bench_cold(dirs, reps, bar))
                bar.log("cold start done")
            if "scale" in sections:
                per_chunk = (results.get("build") or {}).get("bytes_per_chunk")
                with section(results, "scale") as block:
                    block.update(bench_scale(scales, kw_scales, queries, args.seed, bar, settings.exact_search_max,
                                             per_chunk))
                bar.log("scale done")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results["machine"]["loadavg_end"] = loadavg()
    results["total_seconds"] = round(time.perf_counter() - t0, 1)

    args.out.mkdir(parents=True, exist_ok=True)
    stem = "bench-quick" if args.quick else "bench"
    (args.out / f"{stem}.json").write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    md = render_markdown(results)
    (args.out / f"{stem}.md").write_text(md, encoding="utf-8")
    console.print(f"wrote {args.out / (stem + '.md')} and {stem}.json")
    for f, v, t, ok, _ in key_figures(results):
        console.print(f"  {ok} {f}: {v} (target {t})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
