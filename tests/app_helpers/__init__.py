"""Shared by tests/test_app.py and tests/test_browser.py: one real index over
the sample corpus plus a hostile study note, built once per test session, and
a Streamlit server started as a subprocess."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from ingest.config import PROJECT_ROOT, load_settings

APP = PROJECT_ROOT / "app.py"
ARTIFACTS = PROJECT_ROOT / "test-artifacts"

# A study note whose text tries every way of escaping into HTML: a script
# tag, a Markdown image, a javascript: link, a raw <img onerror>, and a
# javascript: URL in its front matter. The app must show all of it as text.
HOSTILE_NOTE = """---
id: note-hostile
title: "Study note: <script>alert('title')</script> **hostile** title"
kind: notes
official: false
edition: "test edition"
url: "javascript:alert(3)"
covers:
  doc: wt2023-guidance
  chapter: "2"
  chapter_title: "Organisational responsibilities"
---

## Sharing information safely

Information about a child at risk of harm is shared quickly with the right people <script>alert(1)</script> and the reason for sharing is recorded.

The record keeps any picture ![x](http://evil/x.png) and any link [click here](javascript:alert(2)) exactly as it was written <img src=x onerror=alert(4)> by the practitioner.
"""
HOSTILE_QUESTION = "How quickly is information about a child at risk of harm shared with the right people?"

GLOSSARY = """
[[term]]
abbr = "LADO"
expansion = "local authority designated officer"
meaning = "manages allegations against adults who work with children"

[[term]]
abbr = "DSL"
expansion = "designated safeguarding lead"
meaning = "the senior member of staff who leads on safeguarding in a school or college"
aliases = ["designated lead"]
"""


@dataclass(frozen=True)
class AppIndex:
    root: Path
    index_dir: Path
    corpus: Path
    glossary: Path
    reports_dir: Path

    def env(self) -> dict[str, str]:
        return {
            "WTKB_INDEX_DIR": str(self.index_dir),
            "WTKB_CORPUS_DIRS": str(self.corpus),
            "WTKB_GLOSSARY_FILE": str(self.glossary),
            "WTKB_REPORTS_DIR": str(self.reports_dir),
        }

    def settings(self):
        return load_settings(index_dir=self.index_dir, corpus_dirs=(self.corpus,), glossary_file=self.glossary,
                             reports_dir=self.reports_dir)


_BUILT: dict[str, AppIndex] = {}


def app_index(tmp_path_factory, sample_corpus: Path, embedder) -> AppIndex:
    """Build (once per session) an index over the sample corpus plus the hostile note."""
    if "index" not in _BUILT:
        import index

        root = tmp_path_factory.mktemp("app-index")
        corpus = root / "corpus"
        shutil.copytree(sample_corpus, corpus)
        (corpus / "note-hostile.md").write_text(HOSTILE_NOTE, encoding="utf-8")
        glossary = root / "glossary.toml"
        glossary.write_text(GLOSSARY, encoding="utf-8")
        reports = root / "reports"  # empty: the Evaluation page explains how to make one
        reports.mkdir()
        built = AppIndex(root, root / "index", corpus, glossary, reports)
        report = index.build(built.settings(), embedder=embedder)
        assert report.warnings == [], report.warnings
        _BUILT["index"] = built
    return _BUILT["index"]


# ----------------------------------------------------------------- a real server

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    proc: subprocess.Popen
    url: str
    log: Path
    started: float  # time.perf_counter() when the process was started

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def start_streamlit(env: dict[str, str], log: Path, timeout: float = 60.0, port: int | None = None) -> Server:
    """Start `streamlit run app.py` on ``port`` (default: a free one) and wait for its health check.
    Restarting on the same port keeps the browser's origin, so its localStorage is still there."""
    port = port or free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(APP), "--server.headless", "true",
           "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none", "--server.runOnSave", "false"]
    full_env = {**os.environ, "HF_HUB_OFFLINE": "1", **env}
    out = open(log, "ab")
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT)
    out.close()
    server = Server(proc, f"http://127.0.0.1:{port}", log, started)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(server.url + "/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return server
        except OSError:
            time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"streamlit did not become healthy in {timeout:.0f} s:\n{server.log_tail()}")


# ----------------------------------------------------------------- the index for the views tests (issue 20)
# Written for these tests in our own words: a change summary with one top heading per chapter and
# subheadings under some, as the bundled note has, and two notes on untitled opening parts that a
# chapter filter must keep apart.
CHANGES_NOTE = """---
id: note-changes-test
title: "Study note: what changed between the two sample editions"
kind: notes
edition: "test edition"
covers:
  doc: sample-guidance
  chapter: "0"
  chapter_title: "Changes between editions"
---

## Chapter 1: Shared work with families

The newer edition asks every agency to agree one plan with the family before any service starts.

### Family plans

A family plan now names one lead worker, and the family keeps a copy of the plan.

## Chapter 3: Reviewing serious incidents

The deadline for telling the review panel about a serious incident did not change between the editions.
"""

OPENING_NOTE = """---
id: note-opening-{n}
title: "Study note: opening part {n}"
kind: notes
edition: "test edition"
covers:
  doc: sample-guidance
  chapter: "0"
  chapter_title: "{title}"
---

## {title}

This opening part explains {topic} in plain words for practitioners who are new to the guidance.
"""

VIEWS_CHANGES_NOTE_ID = "note-changes-test"
LAYOUT_TITLE = "Keeping learners safe: sample statutory guidance"


def views_index(tmp_path_factory, sample_corpus: Path, embedder) -> AppIndex:
    """Build (once per session) an index for the views tests: the sample corpus (its PDF is a real
    document added by hand, so "Not verified"), a PDF laid out in parts and annexes the way DfE
    guidance is, a change summary note and two notes on untitled opening parts; no two editions."""
    if "views" not in _BUILT:
        import index
        from evals.fixture_layouts import build_layout

        root = tmp_path_factory.mktemp("views-index")
        corpus = root / "corpus"
        shutil.copytree(sample_corpus, corpus)
        build_layout(corpus / "keeping-learners-safe.pdf", scheme="simple")
        (corpus / "note-changes-test.md").write_text(CHANGES_NOTE, encoding="utf-8")
        for n, (title, topic) in enumerate((("Introduction", "who the guidance is for"),
                                            ("Statutory framework", "the law behind the duties")), start=1):
            (corpus / f"note-opening-{n}.md").write_text(OPENING_NOTE.format(n=n, title=title, topic=topic),
                                                          encoding="utf-8")
        glossary = root / "glossary.toml"
        glossary.write_text(GLOSSARY, encoding="utf-8")
        reports = root / "reports"
        reports.mkdir()
        built = AppIndex(root, root / "index", corpus, glossary, reports)
        index.build(built.settings(), embedder=embedder)
        _BUILT["views"] = built
    return _BUILT["views"]
