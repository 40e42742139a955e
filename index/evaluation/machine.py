"""The machine a figure was measured on, and the small timing summaries every report uses.

One record for every report (evaluation, speed benchmark, edition alignment), so a
reader can compare figures across reports knowing they describe the same kind of box.
"""

from __future__ import annotations

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
