"""wtkb's own files are opened without blocking and must be regular files (issue 22, item 10).

A named pipe where CURRENT, a manifest, the chunk list, a version marker, the
registry, the build lock, sources.toml, fetch.lock.json or the glossary should
be used to make `wtkb` wait forever for a writer. Each case runs a real `wtkb`
process with a time limit: it must end within it with one line naming the
file, or (for a file wtkb can do without) carry on. No model is loaded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index import store
from ingest.records import Chunk, DocMeta
from ingest.safe_open import NotRegularFile, open_regular, read_regular

WTKB = [str(Path(sys.executable).parent / "wtkb")]
LIMIT_S = 60  # far above a normal run (a few seconds); a blocked open never ends


def fake_index(root: Path) -> Path:
    """An index folder as far as info, chunks and outline read it (no vectors: no model needed)."""
    text = "A strategy discussion decides what happens next."
    chunk = Chunk(chunk_id="doc:p1", meta=DocMeta(doc_id="doc", title="A document"), chapter_number="1",
                  chapter_title="One", section=("Two",), paragraphs=("1",), pages=(1, 1), text=text, start=0,
                  end=len(text))
    version = root / "v-handmade"
    version.mkdir(parents=True)
    (version / store.MARKER).write_text("wtkb index version\n")
    store.write_chunks(version, [chunk])
    manifest = {"format_version": store.FORMAT_VERSION, "model": {"name": "m", "identity": "m", "dim": 3},
                "chunk_count": 1, "sources": [], "checksums": {}, "built_at": "now"}
    (version / "manifest.json").write_text(json.dumps(manifest))
    (root / "CURRENT").write_text(version.name)
    return version


def pipe_at(path: Path) -> None:
    path.unlink(missing_ok=True)
    os.mkfifo(path)


def run(args, **env) -> tuple[subprocess.CompletedProcess, float]:
    t = time.monotonic()
    p = subprocess.run(WTKB + args, env=dict(os.environ, COLUMNS="250", **env), capture_output=True, text=True,
                       timeout=LIMIT_S, stdin=subprocess.DEVNULL)
    return p, time.monotonic() - t


def one_line(p, *words) -> str:
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert p.returncode == 1 and len(lines) == 1, (p.returncode, p.stdout, p.stderr)
    assert "Traceback" not in p.stderr
    for w in words:
        assert w in lines[0], (w, lines[0])
    return lines[0]


# ---------------------------------------------------------------- opening an index

@pytest.mark.parametrize("args", [["info"], ["ask", "what is a strategy discussion?"], ["chunks"], ["outline"]])
def test_a_pipe_as_current_never_hangs(tmp_path, args):
    root = tmp_path / "idx"
    fake_index(root)
    pipe_at(root / "CURRENT")
    p, _ = run(args, WTKB_INDEX_DIR=str(root))
    one_line(p, "CURRENT", "not a regular file", "wtkb build")


@pytest.mark.parametrize("name, args", [("manifest.json", ["info"]), ("manifest.json", ["chunks"]),
                                        ("chunks.jsonl", ["chunks"]), ("chunks.jsonl", ["outline"])])
def test_a_pipe_inside_the_version_never_hangs(tmp_path, name, args):
    root = tmp_path / "idx"
    version = fake_index(root)
    pipe_at(version / name)
    p, _ = run(args, WTKB_INDEX_DIR=str(root))
    one_line(p, name, "wtkb build")


def test_a_pipe_as_the_version_marker_is_not_held_and_does_not_hang(tmp_path):
    root = tmp_path / "idx"
    version = fake_index(root)
    pipe_at(version / store.MARKER)
    p, _ = run(["chunks"], WTKB_INDEX_DIR=str(root))
    assert p.returncode == 0 and "doc:p1" in p.stdout, p.stderr


def test_a_current_pointer_grown_huge_is_refused(tmp_path):
    root = tmp_path / "idx"
    fake_index(root)
    with open(root / "CURRENT", "wb") as f:
        f.truncate(200 * 1024 * 1024)  # sparse: costs no disk
    p, _ = run(["info"], WTKB_INDEX_DIR=str(root))
    one_line(p, "CURRENT", "larger than")


# ---------------------------------------------------------------- building and fetching

@pytest.mark.parametrize("name", [store.REGISTRY, ".build.lock"])
def test_a_pipe_as_registry_or_build_lock_stops_a_build_in_one_line(tmp_path, name):
    root = tmp_path / "idx"
    fake_index(root)
    pipe_at(root / name)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.md").write_text("## A\n\nSome text about sharing information.\n")
    p, _ = run(["build", "--corpus", str(corpus)], WTKB_INDEX_DIR=str(root))
    one_line(p, name, "not a regular file")
    assert (root / name).exists()  # named, never deleted: wtkb did not write it


def test_a_pipe_as_sources_toml_is_one_line(tmp_path):
    pipe_at(tmp_path / "sources.toml")
    env = dict(WTKB_SOURCES_FILE=str(tmp_path / "sources.toml"), WTKB_OFFICIAL_DIR=str(tmp_path / "official"))
    p, _ = run(["fetch"], **env)
    one_line(p, "sources.toml", "not a regular file")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.md").write_text("## A\n\nSome text about sharing information.\n")
    p, _ = run(["build", "--corpus", str(corpus), "--index", str(tmp_path / "idx")], **env)
    one_line(p, "sources.toml", "not a regular file")


def test_a_pipe_as_the_fetch_lock_is_ignored_like_a_missing_one(tmp_path):
    official = tmp_path / "official"
    official.mkdir()
    pipe_at(official / "fetch.lock.json")
    (tmp_path / "sources.toml").write_text('[[source]]\nid = "doc"\ntitle = "Doc"\n'
                                           'file_url = "https://127.0.0.1:9/doc.pdf"\nallowed_hosts = ["127.0.0.1"]\n')
    p, _ = run(["fetch", "--timeout", "5"], WTKB_SOURCES_FILE=str(tmp_path / "sources.toml"),
                  WTKB_OFFICIAL_DIR=str(official))
    assert p.returncode == 1 and "doc" in p.stdout and "Traceback" not in p.stderr, (p.stdout, p.stderr)


def test_a_pipe_as_the_glossary_is_refused_without_waiting(tmp_path):
    pipe_at(tmp_path / "glossary.toml")
    code = ("import sys\nfrom index.glossary import load_glossary\n"
            "try:\n    load_glossary(sys.argv[1])\nexcept OSError as e:\n    print(type(e).__name__, e)\n")
    p = subprocess.run([sys.executable, "-c", code, str(tmp_path / "glossary.toml")], capture_output=True,
                       text=True, timeout=LIMIT_S)
    assert p.stdout.startswith("NotRegularFile") and "glossary.toml" in p.stdout, (p.stdout, p.stderr)


# ---------------------------------------------------------------- the app

def test_the_app_shows_a_pipe_as_current_as_an_error_line(tmp_path):
    """AppTest in a child process: a page blocked on the pipe must fail this test, not hang the suite."""
    from ingest.config import PROJECT_ROOT

    root = tmp_path / "idx"
    fake_index(root)
    pipe_at(root / "CURRENT")
    code = ("import sys\nfrom streamlit.testing.v1 import AppTest\n"
            "at = AppTest.from_file(sys.argv[1], default_timeout=60)\nat.run()\n"
            "print('EXCEPTION' if at.exception else 'OK')\nfor e in [*at.error, *at.markdown]:\n    print(e.value)\n")
    p = subprocess.run([sys.executable, "-c", code, str(PROJECT_ROOT / "app.py")], capture_output=True, text=True,
                       timeout=LIMIT_S + 30, env=dict(os.environ, WTKB_INDEX_DIR=str(root)))
    lines = p.stdout.splitlines()
    assert lines and lines[0] == "OK", (p.stdout, p.stderr[-2000:])
    # The practitioner sees that the index could not be opened; the details (which file, why) are under
    # About and admin, for whoever runs the app.
    assert any("could not be opened" in ln for ln in lines[1:]), p.stdout
    assert any("CURRENT" in ln and "not a regular file" in ln for ln in lines[1:]), p.stdout


# ---------------------------------------------------------------- the helper itself

def test_open_regular_refuses_devices_and_folders_and_reads_files(tmp_path):
    for path in ("/dev/zero", "/dev/null", tmp_path):
        with pytest.raises(NotRegularFile) as e:
            open_regular(path)
        assert str(path) in str(e.value) and "not a regular file" in str(e.value)
    (tmp_path / "f").write_bytes(b"abc")
    assert read_regular(tmp_path / "f") == b"abc"
    with pytest.raises(OSError, match="larger than"):
        read_regular(tmp_path / "f", max_bytes=2)
    with open_regular(tmp_path / "new.lock", append=True) as f:
        assert f.read() == b""
    assert (tmp_path / "new.lock").is_file()


def test_temporary_files_are_never_written_through_a_planted_link(tmp_path):
    """The registry and CURRENT are written to a temporary name first; a symlink planted under that
    name must not make wtkb write into the file it points at."""
    root = tmp_path / "idx"
    version = fake_index(root)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    for name in (f"{store.REGISTRY}.{os.getpid()}.tmp", f".CURRENT.{os.getpid()}.tmp"):
        (root / name).symlink_to(victim)
    store.publish(root, version, grace_s=0)
    assert victim.read_text() == "precious\n"
    assert (root / "CURRENT").read_text() == version.name and version.name in store.read_registry(root)
