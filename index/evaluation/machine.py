"""The machine a figure was measured on, and the small timing summaries every report uses.

One record for every report (evaluation, speed benchmark, edition alignment), so a
reader can compare figures across reports knowing they describe the same kind of box.
"""

from __future__ import annotations

import hashlib
import os
import platform
import statistics
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

import numpy as np

VERSIONED = ("faiss-cpu", "bm25s", "onnxruntime", "torch", "sentence-transformers", "numpy", "tokenizers")


def loadavg() -> list[float]:
    """1-, 5- and 15-minute load averages; a busy machine explains a slow figure."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:  # pragma: no cover - platforms without getloadavg
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


def _mem_bytes() -> int:
    try:
        return next(int(line.split()[1]) * 1024 for line in Path("/proc/meminfo").read_text().splitlines()
                    if line.startswith("MemTotal"))
    except (OSError, StopIteration):  # pragma: no cover
        return 0


def machine() -> dict:
    """Cores, CPU, memory, OS, Python, key package versions and the load at the start."""
    versions = {}
    for name in VERSIONED:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return {
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu_model": cpu_model(),
        "mem_gib": round(_mem_bytes() / 2**30, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "versions": versions,
        "loadavg_start": loadavg(),
    }


# ------------------------------------------------------------------ fingerprints
# What a report's figures depend on, hashed, so a reader (the app's Evaluation page) can say "stale"
# only when one of them changed, not after every rebuild of an unchanged corpus.

CODE_PACKAGES = ("ingest", "index")  # the library that produces every figure


def _project_root() -> Path:
    from ingest.config import PROJECT_ROOT

    return Path(PROJECT_ROOT)


def files_fingerprint(root: Path, pattern: str = "*") -> str:
    """sha256 over the relative paths and bytes of every regular file under ``root`` (hidden files and
    caches left out), in sorted order; a single file (a label-judged set's document) by its
    name and bytes; "" when ``root`` is neither."""
    root = Path(root)
    if root.is_file():
        named = root.name.encode("utf-8") + b"\0" + hashlib.sha256(root.read_bytes()).digest()
        return hashlib.sha256(named).hexdigest()
    if not root.is_dir():
        return ""
    digest = hashlib.sha256()
    for path in sorted(root.rglob(pattern)):
        rel = path.relative_to(root)
        if not path.is_file() or any(part.startswith(".") or part == "__pycache__" for part in rel.parts):
            continue
        digest.update(str(rel).encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def code_fingerprint() -> str:
    """The library's Python source (ingest/ and index/), hashed."""
    root = _project_root()
    digest = hashlib.sha256()
    for package in CODE_PACKAGES:
        digest.update(files_fingerprint(root / package, "*.py").encode("ascii"))
    return digest.hexdigest()


def gold_fingerprint(paths) -> str:
    """The gold files' bytes, hashed in the order given; "" when one is missing."""
    root = _project_root()
    digest = hashlib.sha256()
    for p in paths:
        path = Path(p) if Path(p).is_absolute() else root / p
        if not path.is_file():
            return ""
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def fingerprints(corpus: Path, gold_paths) -> dict:
    """What the figures depend on: the main set's corpus folder, the gold files and the code."""
    root = _project_root()
    try:
        shown = str(Path(corpus).resolve().relative_to(root))
    except ValueError:
        shown = str(corpus)
    return {"corpus_dir": shown, "corpus": files_fingerprint(corpus), "gold_paths": [str(p) for p in gold_paths],
            "gold": gold_fingerprint(gold_paths), "code": code_fingerprint()}


def changed_since(recorded: dict) -> list[str]:
    """Which of corpus, gold sets and code differ now from a report's ``fingerprints`` ([] when none do;
    ["unknown"] when the report recorded none, so staleness cannot be judged)."""
    if not isinstance(recorded, dict) or not recorded.get("code"):
        return ["unknown"]
    root = _project_root()
    corpus = Path(str(recorded.get("corpus_dir") or ""))
    now = {"corpus": files_fingerprint(corpus if corpus.is_absolute() else root / corpus),
           "gold": gold_fingerprint(recorded.get("gold_paths") or []), "code": code_fingerprint()}
    names = {"corpus": "the corpus", "gold": "the gold sets", "code": "the code"}
    return [names[k] for k in ("corpus", "gold", "code") if now[k] != recorded.get(k)]


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
