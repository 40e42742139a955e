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


# ---------------------------------------------------------------- model-free retrieval
# A toy index over invented passages, encoded by index.encoder.HashEncoder:
# real FAISS and bm25s code, no model, built in milliseconds.

TOY_DOCS = {  # doc_id: DocMeta fields
    "guide": dict(title="Invented guidance", kind="guidance", official=True, edition="2023-12-15"),
    "guide-old": dict(title="Invented guidance, older edition", kind="guidance", official=True,
                      edition="2018-07-04"),
    "frame": dict(title="Invented framework", kind="framework", official=True, edition="2023"),
    "note": dict(title="Study note on chapter 3", kind="notes", edition="notes 2026", covers_doc="guide",
                 covers_chapter="3", covers_chapter_title="Protection"),
}
TOY_PASSAGES = [  # (doc_id, own chapter number, text)
    ("guide", "1", "The designated officer manages allegations against staff who work with children."),
    ("guide", "3", "A strategy discussion brings police, health and social care together within hours."),
    ("guide-old", "3", "Under the older edition a strategy meeting gathered police and social workers."),
    ("frame", "2", "Local partners publish yearly reports describing their arrangements and spending."),
    ("note", "1", "Study summary. A conference reviews the protection plan. Families attend every conference."),
]


@pytest.fixture(scope="session")
def toy_chunks():
    from ingest.records import Chunk, DocMeta

    chunks = []
    for i, (doc_id, chapter, text) in enumerate(TOY_PASSAGES):
        meta = DocMeta(doc_id=doc_id, **TOY_DOCS[doc_id])
        chunks.append(Chunk(chunk_id=f"{doc_id}:{i}", meta=meta, chapter_number=chapter,
                            chapter_title=f"Chapter {chapter}", section=(f"Section {i}",), paragraphs=(str(i),),
                            pages=(), text=text, start=0, end=len(text)))
    return chunks


@pytest.fixture()
def toy_kb(toy_chunks):
    """``toy_kb(**settings)``: an in-memory KnowledgeBase over the toy passages
    with the hashed bag-of-words encoder and the word-overlap scorer."""
    from index import HashEncoder, KnowledgeBase, OverlapScorer

    def make(encoder=None, scorer=None, **overrides):
        settings = load_settings(glossary_file=PROJECT_ROOT / "corpus" / "glossary.toml", **overrides)
        return KnowledgeBase.from_chunks(toy_chunks, encoder or HashEncoder(), settings,
                                         reranker=scorer or OverlapScorer())
    return make
