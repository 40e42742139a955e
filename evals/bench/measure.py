"""Latency summaries and memory measurements shared by the scale points.

Other processes share the benchmark machine, so each query is timed several
times: "as measured" keeps every call, "steady" keeps each query's fastest
repeat. Memory is measured in a fresh interpreter, where nothing else this
process loaded can hide in the figure.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from index import PROJECT_ROOT
from index import percentiles

# Run in a child: RSS growth of loading one saved index, libraries already imported.
MEM_CODE = """import gc, sys
from index import rss_bytes
import index
kind, path = sys.argv[1], sys.argv[2]
if kind == "faiss":
    import faiss
    gc.collect(); r0 = rss_bytes(); obj = index.load_vector_index(path)
else:
    import bm25s, Stemmer
    gc.collect(); r0 = rss_bytes(); obj = index.KeywordIndex.load(path)
gc.collect(); print(rss_bytes() - r0)
"""


def latency_figures(per_query: list[list[float]]) -> tuple[dict, dict]:
    """(every call as measured, steady state = each query's fastest repeat).
    The second takes out preemption by other processes but keeps the
    query-to-query variation; with one repeat the two are the same."""
    return percentiles([t for ts in per_query for t in ts]), percentiles([min(ts) for ts in per_query])


def load_rss_delta(kind: str, path: Path) -> int | None:
    """Resident memory an index takes once loaded, measured in a fresh process
    (RSS after minus before loading the FAISS file / ``KeywordIndex.load``, libraries
    already imported). None if the measurement fails."""
    proc = subprocess.run([sys.executable, "-c", MEM_CODE, kind, str(path)], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, timeout=600)
    try:
        return int(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None
