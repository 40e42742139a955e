"""The index directory on disk, and how it is swapped in safely.

Layout::

    INDEX_DIR/
      CURRENT            name of the live version folder (replaced atomically)
      .build.lock        held while a build runs
      v-<time>-<pid>/    one complete index
        manifest.json    model, chunker settings, sources with sha256, versions,
                         build time, and a sha256 of every other file here
        chunks.jsonl     one chunk record per line, row order = vector order
        vectors.npy      float32 unit vectors (also the re-embedding cache)
        vectors.faiss    the FAISS index over them
        bm25/            the bm25s keyword index
        docs/<id>.txt    cleaned document text that chunk offsets point into

A build writes a new version folder completely, then replaces CURRENT with one
``os.replace``; a reader follows CURRENT once at load time. A crash at any
moment therefore leaves the previous version live and intact.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from contextlib import contextmanager
from pathlib import Path

from ingest.records import Chunk
from ingest.records import file_sha256 as sha256_file

FORMAT_VERSION = 1


class IndexError_(Exception):
    """A missing, locked or damaged index; the message says what to do."""


def current_version(index_dir: Path) -> Path | None:
    pointer = Path(index_dir) / "CURRENT"
    if not pointer.exists():
        return None
    name = pointer.read_text().strip()
    folder = Path(index_dir) / name
    return folder if name and folder.is_dir() else None


def new_version_dir(index_dir: Path) -> Path:
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    folder = index_dir / f"v-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 100000}"
    folder.mkdir()
    return folder


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass


def publish(index_dir: Path, version: Path) -> None:
    """Make ``version`` the live index with one atomic rename, then tidy up."""
    index_dir = Path(index_dir)
    for f in version.rglob("*"):
        if f.is_file():
            with open(f, "rb+") as fh:
                os.fsync(fh.fileno())
    tmp = index_dir / f".CURRENT.{os.getpid()}.tmp"
    with open(tmp, "w") as f:
        f.write(version.name)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, index_dir / "CURRENT")
    _fsync_dir(index_dir)
    remove_stale(index_dir)


def remove_stale(index_dir: Path) -> None:
    """Delete version folders that are not live (left by finished or killed builds)."""
    live = current_version(index_dir)
    for child in Path(index_dir).glob("v-*"):
        if child.is_dir() and child != live:
            shutil.rmtree(child, ignore_errors=True)
    for tmp in Path(index_dir).glob(".CURRENT.*.tmp"):
        tmp.unlink(missing_ok=True)


@contextmanager
def build_lock(index_dir: Path):
    """Hold an exclusive lock for a build; a second build fails at once with a clear message."""
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    fh = open(index_dir / ".build.lock", "a+")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as e:
        fh.close()
        raise IndexError_(f"{index_dir}: another build is running; wait for it to finish and try again") from e
    try:
        yield
    finally:
        fcntl.flock(fh, fcntl.LOCK_UN)
        fh.close()


def checksum_files(version: Path) -> dict[str, str]:
    return {str(p.relative_to(version)): sha256_file(p) for p in sorted(version.rglob("*"))
            if p.is_file() and p.name != "manifest.json"}


def write_chunks(version: Path, chunks: list[Chunk]) -> None:
    with open(version / "chunks.jsonl", "w", encoding="utf-8") as f:
        for c in chunks:
            f.write(json.dumps(c.to_dict(), ensure_ascii=False) + "\n")


def read_chunks(version: Path) -> list[Chunk]:
    with open(version / "chunks.jsonl", encoding="utf-8") as f:
        return [Chunk.from_dict(json.loads(line)) for line in f if line.strip()]


def write_manifest(version: Path, manifest: dict) -> None:
    manifest = dict(manifest, format_version=FORMAT_VERSION, checksums=checksum_files(version))
    with open(version / "manifest.json", "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2, ensure_ascii=False)


def read_manifest(index_dir: Path) -> tuple[Path, dict]:
    version = current_version(index_dir)
    if version is None:
        raise IndexError_(f"{index_dir}: no index here yet; run `wtkb build` first")
    try:
        with open(version / "manifest.json", encoding="utf-8") as f:
            manifest = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        raise IndexError_(f"{version}: manifest.json is missing or damaged; run `wtkb build` to rebuild") from e
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexError_(f"{version}: built by another wtkb version; run `wtkb build` to rebuild")
    return version, manifest


def verify(version: Path, manifest: dict) -> None:
    """Check every file against the manifest's sha256; a hand-edited or damaged
    index is refused rather than giving silently wrong answers."""
    expected = manifest.get("checksums", {})
    actual = checksum_files(version)
    if set(expected) != set(actual):
        missing = sorted(set(expected) - set(actual)) or sorted(set(actual) - set(expected))
        raise IndexError_(f"{version}: index files changed ({missing[0]}); run `wtkb build` to rebuild")
    for name, digest in expected.items():
        if actual[name] != digest:
            raise IndexError_(f"{version}: {name} does not match its checksum; run `wtkb build` to rebuild")
