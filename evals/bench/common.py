"""What the benchmark measures against, and the few helpers every section shares.

The targets and the question list live here, in one place, so that the figure a
section computes and the line of the report that judges it can never disagree.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from index import PROJECT_ROOT, Settings, load_settings
from index import loadavg
from wtkb.progress import Update  # the shells' progress callback: update(stage, done, total)

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

def stepper(update: Update, stage: str, total: int) -> Callable[[], None]:
    """A callable that moves ``stage`` on by one step each time it is called;
    sections count their own steps and report through the shared progress bar."""
    done = 0
    update(stage, 0, total)

    def step() -> None:
        nonlocal done
        done += 1
        update(stage, done, total)

    return step


def notes_settings(index_dir: Path, **kw) -> Settings:
    """Settings for an index of the bundled study notes only (a small, fixed corpus)."""
    return load_settings(index_dir=index_dir, corpus_dirs=(NOTES_DIR,), **kw)


@contextmanager
def section(results: dict, name: str) -> Iterator[dict]:
    """A section's block of the results, stamped with its duration and the load
    average before and after (a busy machine explains a slow figure)."""
    block = results.setdefault(name, {})
    block["loadavg_start"] = loadavg()
    t = time.perf_counter()
    yield block
    block["section_seconds"] = round(time.perf_counter() - t, 1)
    block["loadavg_end"] = loadavg()


def mb(nbytes: float | None) -> float | None:
    return None if nbytes is None else round(nbytes / 1e6, 1)


def dir_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in Path(folder).rglob("*") if f.is_file())
