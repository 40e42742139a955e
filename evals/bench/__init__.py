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

Where things are (each module does one job):

- ``__main__``     the command line: which sections run, progress, writing the report
- ``common``       targets, questions, scales and the helpers every section shares
- ``build``, ``query``, ``cold``, ``scale``   the four sections
- ``vector_scale``, ``keyword_scale``          one dense / keyword scale point
- ``synthetic``, ``neighbours``, ``measure``   synthetic corpora, ground truth, timing and memory
- ``recommend``    the recommended ``exact_search_max``
- ``figures``, ``findings``                    the key-figures table and the conclusions
- ``report``, ``report_scale``, ``cells``      the Markdown report

The benchmarks reach the library only through ``index``'s public names. The
pure functions (synthetic data, recall, percentiles, the recommendation, the
report) need no model and are exercised by tests/test_bench.py.
"""
