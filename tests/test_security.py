"""Reliability and security, second pass (issue 13): no user data touched, no
spoofed authority, bounded inputs, readers that survive rebuilds, settings
checked on load, and nothing from a file reaching the terminal raw.

Real builds (the bundled model, FAISS, bm25s) on small copies of the bundled
notes; real `wtkb` processes where the user would see the output.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import index
from index import store
from ingest import discover, ingest_file, load_sources, trusted_hashes
from ingest.limits import Limits
from ingest.records import IngestError
from ingest.config import PROJECT_ROOT, SettingsError, load_settings

WTKB = [str(Path(sys.executable).parent / "wtkb")]
NOTES = ["note-ch2.md", "note-ch6.md"]
SOURCES = """
[[source]]
id = "wt2023-guidance"
title = "Working together to safeguard children 2023: statutory guidance"
short_title = "Working Together 2023"
kind = "guidance"
official = true
landing_page = "https://www.gov.uk/government/publications/working-together-to-safeguard-children--2"
file_url = "https://assets.publishing.service.gov.uk/media/x/wt.pdf"
format = "pdf"
"""
BODY = ("## Independent scrutiny\n\nAn independent scrutineer looks at how well the local arrangements work "
        "and reports what the partners should improve for children.\n")


def note(front: str, body: str = BODY) -> str:
    return f"---\n{front.strip()}\n---\n\n{body}"


def run(args, env=None, stdin=None, timeout=300):
    env = dict(os.environ, COLUMNS="250", **(env or {}))
    return subprocess.run(WTKB + args, env=env, input=stdin, capture_output=True, text=True, timeout=timeout)


def one_line_error(p, *words):
    """Exit 1, one line on stderr naming what is wrong, no traceback."""
    assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, p.stderr
    assert "Traceback" not in p.stderr + p.stdout
    for w in words:
        assert w in lines[0], (w, lines[0])
    return lines[0]


def small_corpus(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for n in NOTES:
        shutil.copy(PROJECT_ROOT / "corpus" / "notes" / n, folder / n)
    return folder


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# ---------------------------------------------------------------- 1. only delete what wtkb wrote

def test_build_refuses_a_folder_holding_user_files(tmp_path):
    docs = tmp_path / "my-documents"
    (docs / "v-2023-tax-return").mkdir(parents=True)
    (docs / "v-2023-tax-return" / "return.pdf").write_bytes(b"precious")
    (docs / "letter.txt").write_text("also precious")
    before = tree(docs)
    settings = load_settings(index_dir=docs, corpus_dirs=(small_corpus(tmp_path / "c"),))
    with pytest.raises(store.IndexError_) as e:
        index.build(settings)
    assert "did not write" in str(e.value) and "--index" in str(e.value)
    assert tree(docs) == before


def test_cli_build_into_user_folder_and_empty_paths_are_one_line_errors(tmp_path):
    docs = tmp_path / "my-documents"
    (docs / "v-2023-tax-return").mkdir(parents=True)
    (docs / "v-2023-tax-return" / "return.pdf").write_bytes(b"precious")
    corpus = small_corpus(tmp_path / "c")
    one_line_error(run(["build", "--index", str(docs), "--corpus", str(corpus)]), str(docs), "did not write")
    assert (docs / "v-2023-tax-return" / "return.pdf").read_bytes() == b"precious"
    one_line_error(run(["build", "--index", "", "--corpus", str(corpus)]), "--index", "empty")
    one_line_error(run(["build", "--corpus", str(corpus)], env={"WTKB_INDEX_DIR": ""}), "WTKB_INDEX_DIR")
    assert not (Path.cwd() / "CURRENT").exists()


def test_only_recorded_versions_are_ever_deleted(tmp_path):
    """Version folders wtkb made are tidied; a look-alike wtkb did not record stays."""
    idx = tmp_path / "index"
    store.prepare(idx)
    built = []
    for _ in range(3):
        v = store.new_version_dir(idx)
        (v / "manifest.json").write_text("{}")
        built.append(v)
        store.publish(idx, v, grace_s=0)
    debris = store.new_version_dir(idx)  # a build killed before it published
    stranger = idx / "v-2023-tax-return"  # appeared later, not recorded by wtkb
    stranger.mkdir()
    (stranger / "return.pdf").write_bytes(b"precious")
    (stranger / store.MARKER).write_text("forged marker")
    store.remove_stale(idx, grace_s=0)
    left = sorted(p.name for p in idx.glob("v-*"))
    assert left == sorted([built[-1].name, stranger.name])
    assert (stranger / "return.pdf").read_bytes() == b"precious"
    assert not debris.exists()


def test_a_replaced_version_is_kept_for_the_grace_period(tmp_path):
    idx = tmp_path / "index"
    store.prepare(idx)
    old = store.new_version_dir(idx)
    store.publish(idx, old, grace_s=3600)
    new = store.new_version_dir(idx)
    store.publish(idx, new, grace_s=3600)
    assert old.is_dir() and store.current_version(idx) == new
    store.remove_stale(idx, grace_s=0)
    assert not old.exists() and new.is_dir()


# ---------------------------------------------------------------- 2. official means verified bytes

def official_setup(tmp_path: Path, fixture_pdf):
    """A manifest, an 'official' folder with a lock as `wtkb fetch` writes it, and spoofs."""
    sources_file = tmp_path / "sources.toml"
    sources_file.write_text(SOURCES)
    official = tmp_path / "official"
    official.mkdir()
    pdf = official / "wt2023-guidance.pdf"
    shutil.copy(fixture_pdf[0], pdf)
    digest = hashlib.sha256(pdf.read_bytes()).hexdigest()
    (official / "fetch.lock.json").write_text(json.dumps({"wt2023-guidance": {
        "url": "https://assets.publishing.service.gov.uk/media/x/wt.pdf", "sha256": digest, "bytes": 1}}))
    return sources_file, official, pdf


def test_only_verified_bytes_are_official(tmp_path, fixture_pdf):
    sources_file, official, pdf = official_setup(tmp_path, fixture_pdf)
    sources = load_sources(sources_file)
    trusted = trusted_hashes(sources, official)
    real = ingest_file(pdf, sources, trusted=trusted)
    assert real.document.meta.official and real.document.meta.title.startswith("Working together")
    assert not real.warnings

    # The same name with other bytes (anywhere) is not official and gets no official title or link.
    spoofs = tmp_path / "spoofs"
    spoofs.mkdir()
    (spoofs / "wt2023-guidance.txt").write_text("Chapter 1\n\n1. Anything at all can be written in this file.\n")
    fake = ingest_file(spoofs / "wt2023-guidance.txt", sources, trusted=trusted)
    m = fake.document.meta
    assert not m.official and "gov.uk" not in m.url and not m.title.startswith("Working together")
    assert fake.warnings and "sha256" in fake.warnings[0]

    # Front matter cannot claim it either, in any spelling.
    claims = {"claim-bool.md": "id: claim-a\ntitle: Claimed\nkind: guidance\nofficial: true",
              "claim-id.md": "id: wt2023-guidance\ntitle: Working together 2023\nkind: guidance\nofficial: true",
              "claim-note.md": "id: claim-n\nkind: notes\nofficial: true"}
    for name, front in claims.items():
        (spoofs / name).write_text(note(front))
        assert not ingest_file(spoofs / name, sources, trusted=trusted).document.meta.official, name

    # A hash pinned in sources.toml is the other proof; an edited byte breaks it.
    pinned_file = tmp_path / "pinned.toml"
    digest = hashlib.sha256(pdf.read_bytes()).hexdigest()
    pinned_file.write_text(SOURCES + f'sha256 = "{digest}"\n')
    pinned = load_sources(pinned_file)
    assert ingest_file(pdf, pinned, trusted=trusted_hashes(pinned, None)).document.meta.official
    edited = tmp_path / "edited" / "wt2023-guidance.pdf"
    edited.parent.mkdir()
    edited.write_bytes(pdf.read_bytes() + b"\n% one more byte\n")
    assert not ingest_file(edited, pinned, trusted=trusted_hashes(pinned, official)).document.meta.official


def test_front_matter_links_must_be_https(tmp_path):
    f = tmp_path / "link.md"
    f.write_text(note("id: link\nkind: other\nurl: javascript:alert(1)"))
    assert ingest_file(f).document.meta.url == ""


@pytest.mark.parametrize("front, field", [
    ("official: \"false\"", "official"), ("official: yes please", "official"), ("title: [a, b]", "title"),
    ("covers: {doc: [x]}", "covers.doc"), ("kind: statute", "kind"), ("url: [1]", "url"),
])
def test_front_matter_fields_are_checked_by_type(tmp_path, front, field):
    f = tmp_path / "typed.md"
    f.write_text(note(f"id: typed\n{front}"))
    with pytest.raises(IngestError) as e:
        ingest_file(f)
    msg = str(e.value)
    assert str(f) in msg and f"'{field}'" in msg and "\n" not in msg


# ---------------------------------------------------------------- 3. ids

@pytest.mark.parametrize("bad", ["../../x", "/etc/cron.d/x", "a/b", "..", "A B", "x\\\\y", "é"])
def test_bad_front_matter_ids_skip_the_file_with_a_reason(tmp_path, bad):
    f = tmp_path / "bad-id.md"
    f.write_text(note(f"id: {json.dumps(bad)}\nkind: notes"))
    with pytest.raises(IngestError) as e:
        ingest_file(f)
    assert str(f) in str(e.value) and "front matter id" in str(e.value) and "\n" not in str(e.value)


def test_file_names_become_safe_ids(tmp_path):
    f = tmp_path / "My Notes (v2) ..md"
    f.write_text(BODY)
    doc_id = ingest_file(f).document.meta.doc_id
    assert doc_id == "my-notes-v2" and "/" not in doc_id


# ---------------------------------------------------------------- 6. limits

def raw_pdf(lines_on_page: int) -> bytes:
    """A minimal, valid one-page PDF that shows ``lines_on_page`` lines."""
    ops = ["BT /F1 2 Tf 1 0 0 1 10 830 Tm 2 TL"]
    ops += [f"(Line {i} of a page that never ends.) Tj T*" for i in range(lines_on_page)]
    stream = "\n".join(ops + ["ET"]).encode()
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
            b"/Contents 5 0 R >>", b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream"]
    out, offsets = b"%PDF-1.4\n", []
    for i, body in enumerate(objs, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)


ALIAS_BOMB = "\n".join(["id: bomb", "a: &a [x, x, x, x, x, x, x, x, x]"] + [
    f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]" for i in range(8)] + ["title: *i"])


def hostile_limits(folder: Path) -> dict[str, str]:
    """{file name: phrase its one-line reason must hold}."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "alias-bomb.md": (note(ALIAS_BOMB), "alias"),
        "huge-front-matter.md": (note("id: big\ntitle: " + "x" * 40_000), "max_front_matter_bytes"),
        "forty-thousand-lines.pdf": (raw_pdf(40_000), "max_lines_per_page"),
        "five-thousand-lines.pdf": (raw_pdf(5_000), "max_lines_per_page"),
        "tiny.pdf": (b"%PDF-1.4\n%%EOF\n", "min_pdf_bytes"),
        "big.txt": ("Some words about safeguarding children.\n\n" * 60_000, "max_text_bytes"),
    }
    for name, (data, _) in files.items():
        (folder / name).write_bytes(data if isinstance(data, bytes) else data.encode())
    return {name: phrase for name, (_, phrase) in files.items()}


def test_every_input_limit_skips_the_file_quickly(tmp_path):
    folder = tmp_path / "limits"
    expect = hostile_limits(folder)
    limits = Limits(max_text_bytes=1024 * 1024)  # the 2.4 MB text file is over it
    for name, phrase in expect.items():
        t = time.perf_counter()
        with pytest.raises(IngestError) as e:
            ingest_file(folder / name, limits=limits)
        took = time.perf_counter() - t
        assert phrase in str(e.value) and str(folder / name) in str(e.value), (name, str(e.value))
        assert took < 10, (name, took)
    from ingest.load import load

    normal = folder / "one-page.pdf"
    normal.write_bytes(raw_pdf(1_500))  # under the limit: read in full
    assert len(load(normal, limits=limits).lines) == 1_500


def test_limits_come_from_settings(tmp_path):
    settings = load_settings(max_lines_per_page=50_000, max_front_matter_aliases=100)
    limits = Limits.from_settings(settings)
    assert (limits.max_lines_per_page, limits.max_front_matter_aliases) == (50_000, 100)
    assert Limits.from_settings(load_settings()) == Limits()


def test_pipes_in_the_corpus_are_skipped(tmp_path):
    os.mkfifo(tmp_path / "pipe.txt")
    (tmp_path / "ok.md").write_text(BODY)
    files, warnings = discover([tmp_path])
    assert files == [tmp_path / "ok.md"]
    assert any("pipe.txt" in w and "not a regular file" in w for w in warnings)


# ---------------------------------------------------------------- 7. settings and config files

@pytest.mark.parametrize("var, value", [
    ("WTKB_K", "abc"), ("WTKB_K", "0"), ("WTKB_RRF_K", "-1"), ("WTKB_EMBED_BATCH_SIZE", "0"),
    ("WTKB_ABSTAIN_BELOW", "nan"), ("WTKB_ABSTAIN_BELOW", "inf"), ("WTKB_DENSE_WEIGHT", "-2"),
    ("WTKB_EXPAND_ACRONYMS", "maybe"), ("WTKB_INDEX_DIR", ""), ("WTKB_INDEX_DIR", "/proc/self/x"),
    ("WTKB_FETCH_TIMEOUT_S", "0"), ("WTKB_MAX_TOKENS", "1e9"),
])
def test_bad_settings_are_refused_on_load(monkeypatch, var, value):
    monkeypatch.setenv(var, value)
    with pytest.raises(SettingsError) as e:
        load_settings()
    msg = str(e.value)
    assert var in msg and "\n" not in msg and ("unset" in msg or "set" in msg)


def test_good_settings_still_load(monkeypatch):
    monkeypatch.setenv("WTKB_K", " 7 ")
    monkeypatch.setenv("WTKB_ABSTAIN_BELOW", "0.4")
    monkeypatch.setenv("WTKB_EXPAND_ACRONYMS", "off")
    s = load_settings()
    assert (s.k, s.abstain_below, s.expand_acronyms) == (7, 0.4, False)


@pytest.mark.parametrize("var, value", [("WTKB_K", "abc"), ("WTKB_RRF_K", "-1"), ("WTKB_ABSTAIN_BELOW", "nan")])
def test_cli_reports_bad_settings_in_one_line(tmp_path, var, value):
    one_line_error(run(["ask", "what is a LADO?", "--index", str(tmp_path)], env={var: value}), var)


@pytest.mark.parametrize("text, words", [
    ("[[source]\nid = 'x'", "not valid TOML"),
    ("[[source]]\ntitle = 'no id here'", "has no id"),
    ("[[source]]\nid = '../etc'", "ids must be"),
    ("[[source]]\nid = 'a'\nofficial = 'yes'", "official must be true or false"),
    ("source = 'not a list'", "must be a list"),
])
def test_broken_sources_toml_is_one_line(tmp_path, text, words):
    f = tmp_path / "sources.toml"
    f.write_text(text)
    with pytest.raises(IngestError) as e:
        load_sources(f)
    assert str(f) in str(e.value) and words in str(e.value) and "\n" not in str(e.value)
    p = run(["build", "--index", str(tmp_path / "idx"), "--corpus", str(small_corpus(tmp_path / "c"))],
            env={"WTKB_SOURCES_FILE": str(f)})
    one_line_error(p, str(f))


def fake_index(root: Path, manifest: dict) -> Path:
    version = root / "v-handmade"
    version.mkdir(parents=True)
    (version / "manifest.json").write_text(json.dumps(manifest))
    (root / "CURRENT").write_text(version.name)
    return root


@pytest.mark.parametrize("change, words", [
    ({"sources": "not a list"}, "'sources'"), ({"sources": [{"doc_id": 1}]}, "sources[0]"),
    ({"model": {"identity": "x", "dim": "384", "name": "m"}}, "model.dim"), ({"chunk_count": None}, "chunk_count"),
])
def test_info_on_a_hand_edited_manifest_is_one_line(tmp_path, change, words):
    manifest = {"format_version": store.FORMAT_VERSION, "model": {"name": "m", "identity": "m", "dim": 3},
                "chunk_count": 0, "sources": [], "checksums": {}, "built_at": "now"}
    root = fake_index(tmp_path / "idx", dict(manifest, **change))
    one_line_error(run(["info", "--index", str(root)]), "manifest.json", words, "wtkb build")


def test_index_paths_that_cannot_be_index_folders(tmp_path):
    afile = tmp_path / "a-file"
    afile.write_text("x")
    one_line_error(run(["info", "--index", str(afile)]), str(afile), "not a folder")
    one_line_error(run(["build", "--index", str(afile)]), str(afile), "not a folder")
    one_line_error(run(["build", "--index", "/proc/wtkb-index"]), "/proc")
    assert afile.read_text() == "x"


def test_unwritable_index_folder_is_one_line(tmp_path, monkeypatch):
    """A read-only folder (simulated: the tests may run as root, which ignores modes)."""
    real_mkdir = Path.mkdir

    def refuse(self, *a, **kw):
        if self.parent == tmp_path / "ro" or self == tmp_path / "ro":
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_mkdir(self, *a, **kw)

    monkeypatch.setattr(Path, "mkdir", refuse)
    with pytest.raises(store.IndexError_) as e:
        store.prepare(tmp_path / "ro")
    assert "Permission denied" in str(e.value) and "--index" in str(e.value)


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores folder permissions")
def test_read_only_index_folder_for_real(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        one_line_error(run(["build", "--index", str(ro), "--corpus", str(small_corpus(tmp_path / "c"))]), str(ro))
    finally:
        ro.chmod(0o755)


# ================================================================ real builds (the bundled model)

EVIL_NAME = "evil\x1b[2J\x1b]0;pwned\x07\u202e.md"
EVIL_NOTE = note("id: evil-note\ntitle: \"Zebra \\e[31mRED\\e[0m [bold red]markup[/bold red] \\u202e \\x9b2J\"\n"
                 "kind: other",
                 "## Zebra crossing patrols\n\nZebra crossing patrols \x1b[31mturn the screen red\x1b[0m and "
                 "\x1b]0;set the title\x07 near schools, says this file about zebra crossing patrols.\n")
RAW_CONTROLS = ("\x1b", "\x07", "\x9b", "\u202e")


def no_raw_controls(text: str) -> None:
    for ch in RAW_CONTROLS:
        assert ch not in text, f"raw {ch!r} reached the terminal"


@pytest.fixture(scope="module")
def cli_index(tmp_path_factory):
    """A real index built by `wtkb build` from notes plus files with hostile names and text."""
    root = tmp_path_factory.mktemp("sec-cli")
    corpus = small_corpus(root / "corpus")
    (corpus / EVIL_NAME).write_text(EVIL_NOTE, encoding="utf-8")
    (corpus / "broken\x1b[31m.pdf").write_bytes(b"%PDF-1.4\n" + b"\x00" * 300)
    env = {"WTKB_INDEX_DIR": str(root / "index"), "WTKB_CORPUS_DIRS": str(corpus)}
    p = run(["build"], env=env, timeout=600)
    assert p.returncode == 0, p.stderr
    return env, p


@pytest.mark.slow
def test_nothing_from_a_file_reaches_the_terminal_raw(cli_index):
    env, build = cli_index
    no_raw_controls(build.stdout + build.stderr)
    assert "broken\\x1b[31m.pdf" in build.stderr  # named, visibly escaped
    info = run(["info"], env=env)
    assert info.returncode == 0, info.stderr
    no_raw_controls(info.stdout + info.stderr)
    assert "evil-note" in info.stdout and "[bold red]markup[/bold red]" in info.stdout  # markup shown, not applied
    human = run(["ask", "zebra crossing patrols", "--k", "3"], env=env)
    assert human.returncode == 0, human.stderr
    no_raw_controls(human.stdout + human.stderr)
    assert "Zebra crossing patrols" in human.stdout
    as_json = run(["ask", "zebra crossing patrols", "--json"], env=env)
    no_raw_controls(as_json.stdout)
    data = json.loads(as_json.stdout)
    assert any("Zebra" in h["text"] for h in data["hits"])
    batch = run(["ask", "--batch", "-"], env=env, stdin="zebra crossing patrols\nwho chairs the partnership?\n")
    no_raw_controls(batch.stdout)
    assert [json.loads(line)["query"] for line in batch.stdout.splitlines()] == \
        ["zebra crossing patrols", "who chairs the partnership?"]


@pytest.mark.slow
def test_batch_shows_progress_on_stderr_and_keeps_stdout_json(cli_index):
    env, _ = cli_index
    questions = [f"question {i} about independent scrutiny" for i in range(6)] + ["", "   ", "\x00"]
    p = run(["ask", "--batch", "-"], env=dict(env, WTKB_BATCH_PROGRESS_EVERY_S="0"), stdin="\n".join(questions))
    assert p.returncode == 0, p.stderr
    records = [json.loads(line) for line in p.stdout.splitlines()]
    assert len(records) == 7  # blank lines are skipped; the NUL-only line gets an error record
    progress = [ln for ln in p.stderr.splitlines() if ln.startswith("answered ")]
    # From stdin the questions stream in, so the count is unknown: progress without a total (issue 22).
    assert progress[0].startswith("answered 1 question in") and progress[-1].startswith("answered 7 questions")
    assert len(progress) == 7
    questions_file = Path(env["WTKB_INDEX_DIR"]).parent / "questions.txt"
    questions_file.write_text("\n".join(questions), encoding="utf-8")
    from_file = run(["ask", "--batch", str(questions_file)], env=dict(env, WTKB_BATCH_PROGRESS_EVERY_S="0"))
    progress = [ln for ln in from_file.stderr.splitlines() if ln.startswith("answered ")]
    assert progress[0].startswith("answered 1/7") and progress[-1].startswith("answered 7/7") and len(progress) == 7


@pytest.fixture()
def live(tmp_path, embedder):
    corpus = small_corpus(tmp_path / "corpus")
    settings = index.load_settings(index_dir=tmp_path / "index", corpus_dirs=(corpus,), onnx_query_encoder=False)
    index.build(settings, embedder=embedder)
    return settings, corpus


def reader(settings, embedder):
    kb = index.KnowledgeBase.load(settings, embedder=embedder)
    return kb


@pytest.mark.slow
def test_a_reader_keeps_working_through_rebuilds(live, embedder):
    """Locks alone (grace 0): a version held open by a reader is never deleted under it."""
    settings, corpus = live
    settings = settings.replace(version_grace_s=0)
    kb = reader(settings, embedder)
    doc = kb.chunks[0].meta.doc_id
    for n in range(3):
        (corpus / f"extra-{n}.md").write_text(note(f"id: extra-{n}\nkind: other", BODY.replace("scrutineer",
                                                                                             f"scrutineer {n}")))
        index.build(settings, embedder=embedder)
    assert store.current_version(settings.index_dir) != kb.version
    assert kb.version.is_dir() and kb.document_text(doc)
    assert kb.search("who are the lead safeguarding partners?")
    fresh = reader(settings, embedder)  # the next question picks up the new version
    assert fresh.version == store.current_version(settings.index_dir)
    assert len(list(settings.index_dir.glob("v-*"))) <= 3  # the live one and at most two held by this process


@pytest.mark.slow
def test_a_reader_in_another_process_survives_rebuilds(live, embedder):
    settings, corpus = live
    settings = settings.replace(version_grace_s=0)
    code = ("import sys, index\n"
            f"s = index.load_settings(index_dir={str(settings.index_dir)!r}, onnx_query_encoder=False)\n"
            "kb = index.KnowledgeBase.load(s)\n"
            "print(kb.version, flush=True)\n"
            "sys.stdin.read()\n"
            "print(len(kb.document_text(kb.chunks[0].meta.doc_id)) > 0, kb.version.is_dir(), flush=True)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=str(PROJECT_ROOT))
    try:
        held = Path(proc.stdout.readline().strip())
        assert held == store.current_version(settings.index_dir), proc.stderr.read() if proc.poll() else ""
        for _ in range(2):
            index.build(settings, embedder=embedder)
        assert held.is_dir() and store.current_version(settings.index_dir) != held
        out, errs = proc.communicate("", timeout=120)
        assert out.split() == ["True", "True"], errs
    finally:
        if proc.poll() is None:
            proc.kill()
    index.build(settings, embedder=embedder)  # the reader has gone: its version is tidied now
    assert not held.exists()


@pytest.mark.slow
def test_concurrent_questions_and_rebuilds_never_fail(live, embedder):
    settings, corpus = live
    errors: list[str] = []
    answered = 0
    stop = threading.Event()
    lock = threading.Lock()

    def ask_loop():
        nonlocal answered
        while not stop.is_set():
            try:
                kb = reader(settings, embedder)
                assert kb.search("who are the lead safeguarding partners?")
                index.answer(kb, "what does independent scrutiny look at?")
                kb.document_text(kb.chunks[-1].meta.doc_id)
                with lock:
                    answered += 1
            except Exception as e:  # noqa: BLE001 - every failure is the finding
                errors.append(f"{type(e).__name__}: {e}")

    threads = [threading.Thread(target=ask_loop, daemon=True) for _ in range(3)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 240
    for n in range(5):
        # Interleave for certain: each rebuild starts only after a reader has finished an answer
        # since the previous one, however slow answers are on this machine.
        seen = answered
        while answered == seen and not errors and time.monotonic() < deadline:
            time.sleep(0.05)
        (corpus / "changing.md").write_text(note("id: changing\nkind: other", BODY + f"\nRevision {n}.\n"))
        index.build(settings, embedder=embedder)
        assert time.monotonic() < deadline
    stop.set()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors[:3]
    assert answered >= 5


@pytest.mark.slow
def test_disk_full_during_a_build_leaves_the_old_index(live, embedder, monkeypatch):
    settings, corpus = live
    before = store.current_version(settings.index_dir)
    listing = tree(before)
    (corpus / "new.md").write_text(note("id: new\nkind: other"))

    def full(*a, **kw):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store, "write_chunks", full)
    with pytest.raises(store.IndexError_) as e:
        index.build(settings, embedder=embedder)
    msg = str(e.value)
    assert "No space left" in msg and "free some disk space" in msg and "not changed" in msg
    assert store.current_version(settings.index_dir) == before and tree(before) == listing
    assert sorted(p.name for p in settings.index_dir.glob("v-*")) == [before.name]
    assert set(store.read_registry(settings.index_dir)) == {before.name}
    index.load(settings)


@pytest.mark.slow
def test_a_replaced_faiss_file_with_a_matching_checksum_is_refused(live, embedder):
    import faiss

    settings, _ = live
    version, manifest = store.read_manifest(settings.index_dir, hold_version=False)
    path = version / "vectors.faiss"
    for name, data in [("smaller", None), ("garbage", b"not a faiss index at all" * 10)]:
        if data is None:
            other = faiss.IndexFlatIP(manifest["model"]["dim"])
            other.add(np.eye(2, manifest["model"]["dim"], dtype=np.float32))
            faiss.write_index(other, str(path))
        else:
            path.write_bytes(data)
        manifest["checksums"]["vectors.faiss"] = hashlib.sha256(path.read_bytes()).hexdigest()
        (version / "manifest.json").write_text(json.dumps(manifest))
        with pytest.raises(store.IndexError_) as e:
            index.load(settings)
        assert "vectors.faiss" in str(e.value) and "wtkb build" in str(e.value), name
    p = run(["ask", "who chairs the partnership?", "--index", str(settings.index_dir)])
    one_line_error(p, "vectors.faiss")


@pytest.mark.slow
def test_a_replaced_keyword_index_with_a_matching_checksum_is_refused(live):
    settings, _ = live
    version, manifest = store.read_manifest(settings.index_dir, hold_version=False)
    params = version / "bm25" / "params.index.json"
    data = json.loads(params.read_text())
    params.write_text(json.dumps(dict(data, num_docs=data["num_docs"] + 5)))
    manifest["checksums"]["bm25/params.index.json"] = hashlib.sha256(params.read_bytes()).hexdigest()
    (version / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(store.IndexError_) as e:
        index.load(settings)
    assert "bm25" in str(e.value) and "wtkb build" in str(e.value)


@pytest.mark.slow
def test_build_keeps_official_for_verified_bytes_and_skips_bad_ids(tmp_path, fixture_pdf, embedder):
    sources_file, official, _ = official_setup(tmp_path, fixture_pdf)
    corpus = small_corpus(tmp_path / "corpus")
    shutil.copy(fixture_pdf[0], corpus / "wt2023-framework.pdf")  # named like a manifest id, not verified
    (corpus / "wt2023-guidance.txt").write_text("Chapter 1\n\n1. A spoof claims to be the guidance itself.\n")
    (corpus / "claims.md").write_text(note("id: claims\ntitle: Working together 2023\nkind: guidance\n"
                                           "official: true\nurl: https://www.gov.uk/x"))
    for i, bad in enumerate(["../../escaped", f"{tmp_path}/absolute", "a/b"]):
        (corpus / f"bad-{i}.md").write_text(note(f"id: {json.dumps(bad)}"))
    settings = load_settings(index_dir=tmp_path / "index", corpus_dirs=(corpus, official),
                             sources_file=sources_file, official_dir=official, onnx_query_encoder=False)
    report = index.build(settings, embedder=embedder)
    docs = {d["doc_id"]: d for d in report.documents}
    assert [d for d, v in docs.items() if v["official"]] == ["wt2023-guidance"]
    assert docs["wt2023-guidance"]["path"].endswith("official/wt2023-guidance.pdf")
    assert not docs["claims"]["official"]
    for i in range(3):
        assert any(f"bad-{i}.md" in w and "front matter id" in w for w in report.warnings)
    assert not (tmp_path / "escaped.txt").exists() and not (tmp_path / "absolute.txt").exists()
    names = {p.name for p in report.version.joinpath("docs").iterdir()}
    assert names == {f"{d}.txt" for d in docs}
    for f in report.version.rglob("*"):
        assert f.resolve().is_relative_to(settings.index_dir.resolve())
