"""Shared fixtures. Everything is real: generated PDFs, the bundled MiniLM
model, FAISS and bm25s indexes on disk."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from evals.fixture_pdf import build_fixture
from ingest.config import PROJECT_ROOT, load_settings

os.environ.setdefault("HF_HUB_OFFLINE", "1")

GOVUK_HTML = """<!DOCTYPE html>
<html lang="en"><head><title>Sample HTML guidance - GOV.UK</title>
<script>window.tracking = "must not be indexed";</script></head>
<body><header class="govuk-header">GOV.UK navigation text</header>
<main id="content"><h1 class="gem-c-title__text">Sample HTML guidance</h1>
<div class="govspeak">
<h2 id="introduction">Introduction</h2>
<p>This invented page shows how a GOV.UK publication is laid out for the parser.</p>
<h2 id="chapter-1">Chapter 1: Early support</h2>
<h3 id="section-a">Offering help early</h3>
<p>1. Help offered early stops small problems becoming large ones for a family.</p>
<p>2. A practitioner who spots an emerging need talks with the family first:</p>
<ul><li>about what is going well;</li><li>about what support they would accept.</li></ul>
<h3 id="section-b">Recording consent</h3>
<p>3. Consent to share information is recorded with the date and who gave it.</p>
<iframe src="https://example.invalid/ad">advert text must not be indexed</iframe>
<form><input name="q" value="form text must not be indexed"></form>
<h2 id="chapter-2">Chapter 2 &#8211; Reviews</h2>
<h3 id="section-c">Looking back</h3>
<p>4. A review asks what helped and what got in the way, without blaming anyone.</p>
</div></main>
<footer>Footer links must not be indexed</footer></body></html>
"""

NOTE_MD = """---
id: note-sample
title: "Study note: sample chapter"
kind: notes
official: false
edition: "test edition"
covers:
  doc: wt2023-guidance
  chapter: "3"
  chapter_title: "Providing help, support and protection"
---

## Strategy discussions

A strategy discussion brings social care, police and health together to decide
whether enquiries are needed and what should happen first.

- who attends;
- what is decided.

### Recording the outcome

The decisions from a strategy discussion are written down and shared with the
agencies that took part.

## Section 47 enquiries

The local authority leads the enquiry and the other agencies help it to
understand what has happened to the child.
"""


@pytest.fixture(scope="session")
def fixture_pdf(tmp_path_factory) -> tuple[Path, dict]:
    path = tmp_path_factory.mktemp("pdf") / "sample-guidance.pdf"
    return path, build_fixture(path)


@pytest.fixture(scope="session")
def sample_corpus(tmp_path_factory, fixture_pdf) -> Path:
    """A small corpus in every supported format."""
    folder = tmp_path_factory.mktemp("corpus")
    shutil.copy(fixture_pdf[0], folder / "sample-guidance.pdf")
    (folder / "sample-html.html").write_text(GOVUK_HTML, encoding="utf-8")
    (folder / "note-sample.md").write_text(NOTE_MD, encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def embedder():
    """The bundled model, loaded once for the whole session."""
    from index.embed import Embedder

    e = Embedder("all-MiniLM-L6-v2")
    e.dim  # noqa: B018 - forces the load
    return e


@pytest.fixture()
def settings_for(tmp_path):
    def make(corpus: Path, **kw):
        return load_settings(index_dir=tmp_path / "index", corpus_dirs=(corpus,),
                             glossary_file=PROJECT_ROOT / "corpus" / "glossary.toml", **kw)
    return make
