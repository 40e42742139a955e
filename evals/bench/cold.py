"""Section 3, cold start: a fresh process from start to first answer, for the
library and for ``wtkb ask --json``, with and without the ONNX query encoder.

Each case runs in a new interpreter; the library case stamps the time after
import, load and answer so the report can say where the seconds go.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from index import PROJECT_ROOT
from index import median

from .common import COLD_QUESTION, PY, TARGETS, Update, stepper

COLD_SHOWN = ("import index; from ingest.config import load_settings; "
              "kb = index.load(load_settings()); print(index.answer(kb, {q!r}).abstained)")
COLD_CODE = ("import time, json; t0 = time.time(); import index; from ingest.config import load_settings; "
             "t1 = time.time(); kb = index.load(load_settings()); t2 = time.time(); "
             "r = index.answer(kb, {q!r}); t3 = time.time(); "
             "print(json.dumps({{'import': t1 - t0, 'load': t2 - t1, 'answer': t3 - t2, 'done_at': t3, "
             "'abstained': r.abstained, 'backend': kb.embedder.backend}}))")
INDEX_NOTE = ("$IDX is an index of corpus/notes built with the default settings "
              "(`.venv/bin/wtkb build --corpus corpus/notes --index $IDX`), $IDX_ST the same built without the "
              "ONNX encoder (`WTKB_ONNX_QUERY_ENCODER=0 .venv/bin/wtkb build --corpus corpus/notes --index "
              "$IDX_ST`). The benchmark runs the library case with a few time stamps added to split the phases")


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


def _cases() -> list[tuple[str, str, list[str], str]]:
    """(name, which index, the command run, the command shown in the report)."""
    wtkb = str(Path(sys.executable).parent / "wtkb")
    code = COLD_CODE.format(q=COLD_QUESTION)
    shown = COLD_SHOWN.format(q=COLD_QUESTION)
    return [
        ("library (onnxruntime)", "onnx", [sys.executable, "-c", code],
         f'time WTKB_INDEX_DIR=$IDX {PY} -c "{shown}"'),
        ("wtkb ask --json (onnxruntime)", "onnx", [wtkb, "ask", "--json", "--index", "{idx}", COLD_QUESTION],
         f"time .venv/bin/wtkb ask --json --index $IDX '{COLD_QUESTION}'"),
        ("library (sentence-transformers, no ONNX)", "st", [sys.executable, "-c", code],
         f'time WTKB_INDEX_DIR=$IDX_ST {PY} -c "{shown}"'),
    ]


def _case_record(shown: str, runs: list[tuple[float, float | None, dict]]) -> dict:
    """Medians of one case's runs, judged against the cold-start target."""
    ans = [r[1] for r in runs if r[1] is not None]
    phases = [r[2] for r in runs if r[2]]
    rec = {"command": shown, "exit_s_runs": [round(r[0], 2) for r in runs],
           "exit_s": round(median([r[0] for r in runs]), 2)}
    if ans:
        rec["first_answer_s_runs"] = [round(x, 2) for x in ans]
        rec["first_answer_s"] = round(median(ans), 2)
        rec["phases_median_s"] = {k: round(median([p[k] for p in phases]), 2) for k in ("import", "load", "answer")}
        rec["backend"] = phases[0].get("backend")
    headline = rec.get("first_answer_s", rec["exit_s"])
    rec["meets_target"] = headline <= TARGETS["cold_start_s"]
    return rec


def bench_cold(dirs: dict[str, Path], reps: int, update: Update) -> dict:
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    env.pop("WTKB_PROGRESS", None)
    out = {"question": COLD_QUESTION, "repetitions": reps, "target_s": TARGETS["cold_start_s"],
           "note": "a fresh interpreter each run; the OS file cache is warm (the index was just read), "
                   "so this is process cold start, not disk cold start",
           "command": f"{PY} -m evals.bench --only cold", "index": INDEX_NOTE, "runs": {}}
    cases = _cases()
    step = stepper(update, "cold start", reps * len(cases))
    for name, key, cmd, shown in cases:
        idx = str(dirs[key])
        cmd = [c.replace("{idx}", idx) for c in cmd]
        e = dict(env, WTKB_INDEX_DIR=idx)
        runs = []
        for _ in range(reps):
            runs.append(_cold_once(cmd, e))
            step()
        out["runs"][name] = _case_record(shown, runs)
    return out
