"""Crash safety (kill -9 during builds) and many readers on one loaded index."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import index
from index import store
from ingest.config import PROJECT_ROOT

pytestmark = pytest.mark.slow

NOTES = ["note-ch2.md", "note-ch5.md", "note-ch6.md"]
QUESTIONS = [
    "who are the lead safeguarding partners?",
    "how quickly must a serious incident be notified to the panel?",
    "what does the child death overview panel do?",
    "what is a rapid review",
    "who chairs the safeguarding partnership",
    "what happens after a child dies unexpectedly",
    "independent scrutiny of local arrangements",
    "what is a local child safeguarding practice review",
    "when is a national review carried out",
    "how are families supported after a child death",
]


def snapshot(kb):
    return [[(h.chunk.chunk_id, round(h.score, 6), round(h.dense or 0, 5)) for h in kb.search(q, k=5)]
            for q in QUESTIONS[:3]]


@pytest.fixture(scope="module")
def live(tmp_path_factory, embedder):
    root = tmp_path_factory.mktemp("crash")
    corpus = root / "corpus"
    corpus.mkdir()
    for n in NOTES:
        shutil.copy(PROJECT_ROOT / "corpus" / "notes" / n, corpus / n)
    settings = index.load_settings(index_dir=root / "index", corpus_dirs=(corpus,))
    index.build(settings, embedder=embedder)
    return root, corpus, settings


def test_kill_9_during_builds_never_harms_the_live_index(live):
    root, corpus, settings = live
    before_version = store.current_version(settings.index_dir)
    before = snapshot(index.load(settings))
    # Give the rebuild real work (a new document to embed) so kills land in
    # every phase: start-up, ingest, embed, write and publish.
    shutil.copy(PROJECT_ROOT / "corpus" / "notes" / "note-ch4.md", corpus / "note-ch4.md")
    env = dict(os.environ, WTKB_INDEX_DIR=str(settings.index_dir), WTKB_CORPUS_DIRS=str(corpus))
    # The installed console script, as users run it (python -m would put the
    # working folder, which holds an "index" folder, first on sys.path).
    cmd = [str(Path(sys.executable).parent / "wtkb"), "build"]

    t = time.perf_counter()
    probe = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600,
                           cwd=root)  # one complete run to learn how long a build takes
    full = time.perf_counter() - t
    assert probe.returncode == 0, probe.stderr
    # Put the old index back as the live one so every kill interrupts a build with work to do.
    shutil.rmtree(settings.index_dir)
    (corpus / "note-ch4.md").rename(root / "note-ch4.md")
    index.build(settings)
    before_version = store.current_version(settings.index_dir)
    before = snapshot(index.load(settings))
    shutil.copy(root / "note-ch4.md", corpus / "note-ch4.md")

    rng = random.Random(20261122)
    trials = 12
    survived = 0
    for i in range(trials):
        delay = rng.uniform(0.05, 1.0) * full
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=root)
        time.sleep(delay)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        live_version = store.current_version(settings.index_dir)
        kb = index.load(settings)  # verifies every checksum
        if live_version == before_version:
            assert snapshot(kb) == before, f"trial {i}: answers changed after kill at {delay:.1f}s"
        else:
            # The build finished before the kill landed: the new index must be complete.
            assert "note-ch4" in {d["doc_id"] for d in kb.documents()}
            before_version, before = live_version, snapshot(kb)
        survived += 1
    assert survived == trials
    print(f"\nkill -9 trials survived: {survived}/{trials} (full build {full:.1f}s)")
    # A normal build afterwards works and clears the debris of killed builds.
    index.build(settings)
    registry = store.read_registry(settings.index_dir)
    left = {p.name for p in settings.index_dir.glob("v-*")}
    # Killed builds never published: all gone. Replaced versions stay for the
    # grace period (readers may still use them), and every one is on record.
    assert left <= set(registry) and all(registry[name].get("published") for name in left)


def test_fifty_concurrent_queries_match_sequential(live):
    settings = live[2]
    kb = index.load(settings)
    questions = [QUESTIONS[i % len(QUESTIONS)] + (" please" * (i // len(QUESTIONS))) for i in range(50)]

    def run(q):
        a = index.answer(kb, q)
        return ([(h.chunk.chunk_id, round(h.score, 6)) for h in a.hits],
                [kp.text for kp in a.key_points], a.abstained)

    sequential = [run(q) for q in questions]
    kb.embedder._query_cache.clear()
    errors = []
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(run, q) for q in questions]
        concurrent = []
        for f in futures:
            try:
                concurrent.append(f.result(timeout=120))
            except Exception as e:  # noqa: BLE001 - counted and reported
                errors.append(repr(e))
    assert errors == []
    assert concurrent == sequential
    print(f"\nconcurrent queries: {len(questions)} on 8 threads, errors: {len(errors)}")
