"""Hostile input: every bad file gets one clear line naming it, the build goes
on with the rest, nothing prints a traceback, and a working index survives."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import index
from evals.fixture_pdf import build_fixture
from index import store
from ingest import discover, ingest_file
from ingest.records import IngestError

GOOD_NOTE = """---
id: good-note
title: Good note
kind: notes
covers: {doc: wt2023-guidance, chapter: "2", chapter_title: "Multi-agency safeguarding arrangements"}
---

## Independent scrutiny

An independent scrutineer looks at how well the partnership arrangements work and reports what to improve.
"""


def _fpdf():
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_font("Helvetica", size=11)
    return pdf


def make_inputs(folder: Path, fixture: Path) -> dict[str, str]:
    """Write the hostile corpus; return {file name: expected phrase in its message}
    (an empty phrase means the file must be indexed without complaint)."""
    good = fixture.read_bytes()
    expect: dict[str, str] = {}

    def put(name: str, data: bytes | str, phrase: str):
        path = folder / name
        path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
        expect[name] = phrase

    put("corrupt.pdf", b"%PDF-1.7\n" + os.urandom(3000), "not a readable PDF")
    put("truncated.pdf", good[: len(good) // 3], "")  # pypdf recovers some pages, or says not readable
    put("not-a-pdf.pdf", b"<html>this is a web page saved as .pdf</html>", "not a readable PDF")

    from pypdf import PdfReader, PdfWriter

    w = PdfWriter()
    for page in PdfReader(io.BytesIO(good)).pages:
        w.add_page(page)
    w.encrypt(user_password="secret", owner_password="owner")
    buf = io.BytesIO()
    w.write(buf)
    put("encrypted.pdf", buf.getvalue(), "encrypted")

    buf = io.BytesIO()
    PdfWriter().write(buf)
    put("zero-pages.pdf", buf.getvalue(), "has no pages")

    pdf = _fpdf()
    pdf.add_page()
    pdf.rect(20, 20, 150, 200, style="F")  # a "scan": marks on the page, no text layer
    put("scanned.pdf", bytes(pdf.output()), "OCR")

    pdf = _fpdf()
    for n in range(1, 201):
        pdf.add_page()
        pdf.cell(0, 8, f"{n}. Page {n} of a long document repeats its point about record keeping.",
                 new_x="LMARGIN", new_y="NEXT")
    put("two-hundred-pages.pdf", bytes(pdf.output()), "")

    pdf = _fpdf()
    pdf.add_page()
    left = "1. The left column explains how concerns are shared between teachers and the designated lead. " * 3
    right = "2. The right column explains how records are stored securely and reviewed every term. " * 3
    with pdf.text_columns(ncols=2, gutter=10) as cols:
        cols.write(left)
        cols.new_column()
        cols.write(right)
    put("two-columns.pdf", bytes(pdf.output()), "")

    put("empty.md", b"", "the file is empty")
    put("blank.txt", b"  \n\t \n ", "only white space")
    put("cp1252.txt", "The child\u2019s wishes are recorded \u2013 always.".encode("cp1252"), "")
    put("utf16.txt", "Records are shared with the designated lead.".encode("utf-16"), "")
    put("hostile.html", "<html><body><script>alert('x')</script><iframe src='https://evil.invalid'></iframe>"
        "<form><input value='steal'></form><main><h2>Chapter 1: Safe</h2><p>1. Staff report concerns the same "
        "day.</p><p onclick=\"alert(1)\">2. A second paragraph with an <img src=x onerror=alert(1)> image.</p>"
        "</main></body></html>", "")
    put("scripts-only.html", "<html><script>var a = 1;</script><style>p{}</style></html>", "no readable text")
    put("broken-front-matter.md", "---\ntitle: [unclosed\n---\n\n## A\n\nSome text that is long enough.\n",
        "not valid YAML")
    put("unterminated-front-matter.md", "---\ntitle: x\n\n## A\n\nText.\n", "never ends")
    put("front-matter-list.md", "---\n- a\n- b\n---\n\nText.\n", "must be a YAML mapping")
    put("good-note.md", GOOD_NOTE, "")
    put("zz-copy-of-good-note.md", GOOD_NOTE, "duplicate")
    put("binary.txt", os.urandom(2000), "binary file")
    put("spreadsheet.xlsx", b"PK\x03\x04 not supported", "unsupported file type")
    put("one-long-line.txt", ("word " * 20000).encode(), "")
    return expect


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, fixture_pdf):
    folder = tmp_path_factory.mktemp("hostile")
    expect = make_inputs(folder, fixture_pdf[0])
    os.symlink(folder, folder / "loop")  # a symlink loop
    return folder, expect


def test_each_bad_file_gets_one_line_naming_it(hostile):
    folder, expect = hostile
    for name, phrase in expect.items():
        path = folder / name
        if path.suffix not in (".pdf", ".md", ".txt", ".html"):
            continue
        try:
            result = ingest_file(path)
        except IngestError as e:
            msg = str(e)
            assert "\n" not in msg and str(path) in msg, msg
            if phrase:
                assert phrase in msg, (name, msg)
            else:
                assert name == "truncated.pdf", f"{name} should have been indexed: {msg}"
        else:
            assert not phrase or phrase == "duplicate", f"{name} should have failed with '{phrase}'"
            assert result.chunks


def test_structure_survives_layout_oddities(hostile):
    folder, _ = hostile
    big = ingest_file(folder / "two-hundred-pages.pdf")
    assert [p.label for p in big.paragraphs] == [str(n) for n in range(1, 201)]
    assert [p.page for p in big.paragraphs] == list(range(1, 201))
    cols = ingest_file(folder / "two-columns.pdf")
    text = " ".join(p.text for p in cols.paragraphs)
    assert "left column" in text and "right column" in text
    html = ingest_file(folder / "hostile.html")
    text = " ".join(p.text for p in html.paragraphs)
    assert "alert" not in text and "steal" not in text and "evil" not in text
    assert [p.label for p in html.paragraphs] == ["1", "2"]


def test_discover_survives_symlink_loops_and_missing_paths(hostile, tmp_path):
    folder, _ = hostile
    files, warnings = discover([folder, tmp_path / "does-not-exist"])
    assert len(files) == len(set(files)) and all("loop" not in f.parts for f in files)
    assert any("does-not-exist" in w and "no such file" in w for w in warnings)
    assert any("spreadsheet.xlsx" in w for w in warnings)


@pytest.mark.slow
def test_build_over_hostile_corpus_reports_and_continues(hostile, tmp_path, embedder):
    folder, expect = hostile
    settings = index.load_settings(index_dir=tmp_path / "index", corpus_dirs=(folder,), onnx_query_encoder=False)
    report = index.build(settings, embedder=embedder)
    joined = "\n".join(report.warnings)
    for name, phrase in expect.items():
        if phrase and name != "truncated.pdf":
            assert any(name in w and phrase in w for w in report.warnings), f"{name}: {joined}"
    indexed = {d["path"].split("/")[-1] for d in report.documents}
    assert {"good-note.md", "two-hundred-pages.pdf", "two-columns.pdf", "cp1252.txt", "utf16.txt",
            "hostile.html"} <= indexed
    assert all("\n" not in w for w in report.warnings)
    kb = index.load(settings)
    assert kb.search("independent scrutiny of the partnership")[0].chunk.meta.doc_id == "good-note"


@pytest.mark.slow
def test_file_disappearing_mid_build(tmp_path, embedder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a-note.md").write_text(GOOD_NOTE)
    victim = corpus / "b-vanishing.txt"
    victim.write_text("This file will be deleted while the build is reading the folder.")

    def progress(stage, done, total):
        if stage == "read" and done == 1:
            victim.unlink()

    settings = index.load_settings(index_dir=tmp_path / "index", corpus_dirs=(corpus,), onnx_query_encoder=False)
    report = index.build(settings, progress=progress, embedder=embedder)
    assert any("b-vanishing.txt" in w and "disappeared" in w for w in report.warnings)
    assert [d["doc_id"] for d in report.documents] == ["good-note"]


@pytest.mark.slow
def test_cli_build_never_prints_a_traceback(hostile, tmp_path):
    folder, _ = hostile
    env = dict(os.environ, WTKB_INDEX_DIR=str(tmp_path / "index"), COLUMNS="250")
    p = subprocess.run([str(Path(sys.executable).parent / "wtkb"), "build", "--corpus", str(folder)], env=env,
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    assert "Traceback" not in p.stdout + p.stderr
    assert "encrypted.pdf" in p.stderr and "skipped" in p.stdout


@pytest.mark.slow
def test_failed_build_leaves_index_untouched(tmp_path, embedder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good-note.md").write_text(GOOD_NOTE)
    settings = index.load_settings(index_dir=tmp_path / "index", corpus_dirs=(corpus,), onnx_query_encoder=False)
    index.build(settings, embedder=embedder)
    before = store.current_version(settings.index_dir)
    listing = sorted(p.name for p in before.rglob("*"))
    for bad in ([tmp_path / "missing"], [tmp_path / "empty-dir"]):
        (tmp_path / "empty-dir").mkdir(exist_ok=True)
        with pytest.raises(index.IndexError_):
            index.build(settings, corpus_dirs=bad, embedder=embedder)
        assert store.current_version(settings.index_dir) == before
        assert sorted(p.name for p in before.rglob("*")) == listing
    index.load(settings)


def test_second_build_is_refused_while_one_runs(tmp_path):
    with store.build_lock(tmp_path):
        with pytest.raises(store.IndexError_) as e:
            with store.build_lock(tmp_path):
                pass
    assert "another build is running" in str(e.value)
    with store.build_lock(tmp_path):  # released again
        pass


def test_directory_named_like_a_file(tmp_path):
    d = tmp_path / "folder.pdf"
    d.mkdir()
    (d / "inner.md").write_text(GOOD_NOTE)
    files, _ = discover([tmp_path])
    assert files == [d / "inner.md"]


def test_fixture_copy_with_another_name_is_a_duplicate(tmp_path, fixture_pdf):
    shutil.copy(fixture_pdf[0], tmp_path / "a.pdf")
    shutil.copy(fixture_pdf[0], tmp_path / "b.pdf")
    from index.build import ingest_corpus
    from index.embed import Embedder
    from ingest.config import load_settings

    done, warnings = ingest_corpus(load_settings(), Embedder("all-MiniLM-L6-v2"), [tmp_path])
    assert len(done) == 1 and any("b.pdf" in w and "duplicate" in w for w in warnings)


def test_generated_fixture_builds(tmp_path):
    key = build_fixture(tmp_path / "x.pdf")
    assert key["pages"] >= 5


# ---------------------------------------------------------------- issue 22: names and titles that are not text

def test_a_file_name_that_is_not_utf8_is_skipped_with_a_printable_line(tmp_path):
    """Such a name (bytes Python keeps as lone surrogates) used to stop the whole build with a TypeError."""
    (tmp_path / "good.md").write_text(GOOD_NOTE)
    bad = os.fsdecode(bytes(tmp_path) + b"/bad\xffname.md")
    Path(bad).write_text(GOOD_NOTE.replace("good-note", "bad-note"))
    Path(os.fsdecode(bytes(tmp_path) + b"/odd\xfe.docx")).write_text("x")
    files, warnings = discover([tmp_path])
    assert [p.name for p in files] == ["good.md"]
    assert any("bad\\xffname.md" in w and "not valid UTF-8" in w for w in warnings), warnings
    assert any("odd\\xfe.docx" in w for w in warnings), warnings
    for w in warnings:
        w.encode("utf-8")  # printable, and storable in the manifest


def test_a_front_matter_surrogate_escape_skips_the_file_with_a_reason(tmp_path):
    """YAML turns "\\ud800" into a lone surrogate, which no tokenizer, index file or terminal accepts."""
    f = tmp_path / "n.md"
    f.write_text(GOOD_NOTE.replace("title: Good note", 'title: "Bad \\ud800 title"'))
    with pytest.raises(IngestError) as e:
        ingest_file(f)
    assert str(f) in str(e.value) and "'title'" in str(e.value) and "surrogate" in str(e.value)
    f.write_text(GOOD_NOTE.replace("title: Good note", 'title: "Fine \\U0001F600 and \\x1b[31m title"'))
    assert ingest_file(f).document.meta.title.startswith("Fine \U0001f600")  # controls are cleaned on output
