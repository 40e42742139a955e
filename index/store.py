"""The index directory on disk, and how it is swapped in safely.

Layout::

    INDEX_DIR/
      .wtkb-index        wtkb's record of the version folders it created
      CURRENT            name of the live version folder (replaced atomically)
      .build.lock        held while a build runs
      v-<time>-<pid>/    one complete index
        .wtkb-version    marker; readers hold a shared lock on it while they use the version
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

wtkb deletes only version folders listed in ``.wtkb-index`` (so never a
user's folder that happens to be called ``v-something``), and a replaced
version only after ``version_grace_s`` and when no reader holds it, so a
reader that opened a version keeps working through any number of rebuilds.
It refuses to build into a folder holding anything it did not write.
"""

from __future__ import annotations

import fcntl
import json
import math
import os
import re
import shutil
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from ingest.records import Chunk
from ingest.records import file_sha256 as sha256_file
from ingest.safe_open import NotRegularFile, create_new, open_regular, read_regular_text

from . import integrity

FORMAT_VERSION = 1
REGISTRY = ".wtkb-index"
MARKER = ".wtkb-version"
VERSION_RE = re.compile(r"^v-[0-9A-Za-z._-]{1,100}$")
LEGACY_RE = re.compile(r"^v-\d{8}T\d{6}-\d+-\d+$")  # how new_version_dir has always named versions
DEFAULT_GRACE_S = 900.0
_HELD: dict[str, list] = {}  # index dir -> [(version path, open marker file)], newest last
HELD_PER_INDEX = 2
_HELD_LOCK = threading.Lock()
POINTER_MAX_BYTES = 4096  # CURRENT holds one folder name
REGISTRY_MAX_BYTES = 16 * 1024 * 1024


class IndexError_(Exception):
    """A missing, locked or damaged index; the message says what to do."""


def _check_folder(index_dir: Path) -> None:
    """A path that cannot be an index folder (a file, a system folder) gets one clear line."""
    if os.path.lexists(index_dir) and not Path(index_dir).is_dir():
        raise IndexError_(f"{index_dir}: is a file, not a folder; give --index (or WTKB_INDEX_DIR) a folder path")


def _unreadable(path: Path, e: Exception) -> IndexError_:
    """One line for an index file that cannot be read, with the fix that fits why."""
    if isinstance(e, NotRegularFile):
        return IndexError_(f"{path}: {e.strerror}; remove it, then run `wtkb build`")
    return IndexError_(f"{path}: cannot be read ({getattr(e, 'strerror', None) or type(e).__name__}); "
                       "check its permissions or run `wtkb build`")


def current_version(index_dir: Path) -> Path | None:
    """The live version folder named by ``CURRENT`` (opened without blocking:
    it must be a small regular file), or None when there is none."""
    _check_folder(index_dir)
    pointer = Path(index_dir) / "CURRENT"
    try:
        name = read_regular_text(pointer, POINTER_MAX_BYTES).strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as e:
        raise _unreadable(pointer, e) from e
    if not VERSION_RE.match(name):
        return None
    folder = Path(index_dir) / name
    return folder if folder.is_dir() else None


# ---------------------------------------------------------------- what wtkb wrote

def read_registry(index_dir: Path) -> dict:
    """The version folders this index folder's builds created: {name: {created, published, retired}}."""
    path = Path(index_dir) / REGISTRY
    try:
        data = json.loads(read_regular_text(path, REGISTRY_MAX_BYTES))
    except NotRegularFile as e:
        raise _unreadable(path, e) from e
    except (OSError, ValueError):
        return {}
    versions = data.get("versions") if isinstance(data, dict) else None
    if not isinstance(versions, dict):
        return {}
    return {k: v for k, v in versions.items() if VERSION_RE.match(str(k)) and isinstance(v, dict)}


def _write_registry(index_dir: Path, versions: dict) -> None:
    path = Path(index_dir) / REGISTRY
    tmp = path.with_name(f"{REGISTRY}.{os.getpid()}.tmp")
    with create_new(tmp) as f:
        f.write(json.dumps({"wtkb_index": 1, "note": "written by wtkb: the version folders it may delete",
                            "versions": versions}, indent=1, sort_keys=True).encode("utf-8"))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _ours(index_dir: Path, name: str, registry: dict) -> bool:
    """Whether a folder entry is something wtkb writes in an index folder."""
    if name in (REGISTRY, "CURRENT", ".build.lock") or name in registry:
        return True
    if re.match(r"^\.(CURRENT|wtkb-index)\.\d+\.tmp$", name):
        return True
    # Versions written before .wtkb-index existed (named as wtkb names them, or
    # holding a wtkb manifest): tolerated, never deleted.
    folder = Path(index_dir) / name
    return folder.is_dir() and not folder.is_symlink() and (
        bool(LEGACY_RE.match(name)) or (bool(VERSION_RE.match(name)) and (folder / "manifest.json").is_file()))


def prepare(index_dir: Path) -> None:
    """Create the index folder, or check that an existing one holds only what
    wtkb wrote; anything else is refused rather than risked."""
    index_dir = Path(index_dir)
    _check_folder(index_dir)
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        registry = read_registry(index_dir)
        strangers = sorted(n for n in os.listdir(index_dir) if not _ours(index_dir, n, registry))
        if strangers:
            shown = ", ".join(repr(n) for n in strangers[:3]) + (" ..." if len(strangers) > 3 else "")
            raise IndexError_(f"{index_dir}: holds files wtkb did not write ({shown}); wtkb builds only into an "
                              "empty folder or one it created: choose another --index / WTKB_INDEX_DIR")
        if not (index_dir / REGISTRY).exists():
            _write_registry(index_dir, {})
    except OSError as e:
        raise IndexError_(f"{index_dir}: cannot be used as the index folder ({e.strerror or type(e).__name__}); "
                          "choose a writable folder with --index or WTKB_INDEX_DIR") from e


def new_version_dir(index_dir: Path) -> Path:
    """A new empty version folder, recorded as wtkb's before anything is written into it."""
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    name = f"v-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 100000}"
    registry = read_registry(index_dir)
    registry[name] = {"created": time.time(), "published": None, "retired": None}
    _write_registry(index_dir, registry)
    folder = index_dir / name
    folder.mkdir()
    (folder / MARKER).write_text("wtkb index version\n", encoding="utf-8")
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


def publish(index_dir: Path, version: Path, grace_s: float = DEFAULT_GRACE_S) -> None:
    """Make ``version`` the live index with one atomic rename, then tidy up."""
    index_dir = Path(index_dir)
    for f in version.rglob("*"):
        if f.is_file():
            with open(f, "rb+") as fh:
                os.fsync(fh.fileno())
    previous = current_version(index_dir)
    tmp = index_dir / f".CURRENT.{os.getpid()}.tmp"
    with create_new(tmp) as f:
        f.write(version.name.encode("utf-8"))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, index_dir / "CURRENT")
    _fsync_dir(index_dir)
    now = time.time()
    registry = read_registry(index_dir)
    registry.setdefault(version.name, {"created": now, "retired": None})["published"] = now
    if previous is not None and previous.name in registry and previous != version:
        registry[previous.name]["retired"] = now
    try:
        _write_registry(index_dir, registry)
    except OSError:
        return  # the new index is live; tidying can wait for the next build
    remove_stale(index_dir, grace_s)


def _in_use(folder: Path) -> bool:
    """Whether a reader (in any process) holds this version open."""
    try:
        fh = open_regular(folder / MARKER)
    except OSError:
        return False
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        fh.close()  # closing drops the probe lock
    return False


def _deletable(index_dir: Path, name: str, record: dict, live: Path | None, grace_s: float, now: float) -> bool:
    folder = Path(index_dir) / name
    if live is not None and folder == live:
        return False
    if folder.is_symlink() or not folder.is_dir() or not (folder / MARKER).is_file():
        return False  # not the folder wtkb made: leave it alone
    if record.get("published"):
        retired = record.get("retired")
        if not isinstance(retired, (int, float)) or not math.isfinite(retired) or now - retired < grace_s:
            return False
    # Never published: the debris of a killed or failed build (builds hold the
    # build lock, so none is in progress), which no reader can have opened.
    return not _in_use(folder)


def remove_stale(index_dir: Path, grace_s: float = DEFAULT_GRACE_S) -> None:
    """Delete version folders wtkb created that are no longer needed: never
    published, or replaced more than ``grace_s`` ago and held by no reader."""
    index_dir = Path(index_dir)
    live = current_version(index_dir)
    registry = read_registry(index_dir)
    now = time.time()
    changed = False
    for name, record in list(registry.items()):
        folder = index_dir / name
        if not os.path.lexists(folder):
            del registry[name]
            changed = True
        elif _deletable(index_dir, name, record, live, grace_s, now):
            shutil.rmtree(folder, ignore_errors=True)
            if not os.path.lexists(folder):
                del registry[name]
                changed = True
    if changed:
        try:
            _write_registry(index_dir, registry)
        except OSError:
            pass
    for tmp in index_dir.glob(".CURRENT.*.tmp"):
        tmp.unlink(missing_ok=True)


def discard(index_dir: Path, version: Path) -> None:
    """Remove a version folder this build created and never published."""
    if (version / MARKER).is_file() and not version.is_symlink():
        shutil.rmtree(version, ignore_errors=True)
    registry = read_registry(index_dir)
    if version.name in registry and not os.path.lexists(version):
        del registry[version.name]
        try:
            _write_registry(index_dir, registry)
        except OSError:
            pass


def hold(index_dir: Path, version: Path) -> None:
    """Take a shared lock on ``version`` for this process, so builds leave it in
    place while it is used; the locks of older versions are let go once two
    newer versions of the same index have been opened."""
    try:
        fh = open_regular(version / MARKER)
    except OSError:
        return  # an index from before markers (or a marker that is not a file): the grace period still applies
    try:
        fcntl.flock(fh, fcntl.LOCK_SH)  # a build only probes for a moment, never holds
    except OSError:
        fh.close()
        return
    with _HELD_LOCK:
        held = _HELD.setdefault(str(Path(index_dir).resolve()), [])
        for i, (path, old) in enumerate(held):
            if path == version:
                old.close()
                del held[i]
                break
        held.append((version, fh))
        while len(held) > HELD_PER_INDEX:
            held.pop(0)[1].close()


@contextmanager
def build_lock(index_dir: Path):
    """Hold an exclusive lock for a build; a second build fails at once with a clear message."""
    index_dir = Path(index_dir)
    prepare(index_dir)
    try:
        fh = open_regular(index_dir / ".build.lock", append=True)
    except NotRegularFile as e:
        raise _unreadable(index_dir / ".build.lock", e) from e
    except OSError as e:
        raise IndexError_(f"{index_dir}: cannot write here ({e.strerror}); choose a writable folder with "
                          "--index or WTKB_INDEX_DIR") from e
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
            if p.is_file() and p.name not in ("manifest.json", MARKER)}


def write_chunks(version: Path, chunks: list[Chunk]) -> None:
    with open(version / "chunks.jsonl", "w", encoding="utf-8") as f:
        for c in chunks:
            f.write(json.dumps(c.to_dict(), ensure_ascii=False) + "\n")


def read_chunks(version: Path) -> list[Chunk]:
    path = version / "chunks.jsonl"
    try:
        with open_regular(path) as f:
            return [Chunk.from_dict(json.loads(line)) for line in f if line.strip()]
    except OSError as e:
        raise IndexError_(f"{path}: cannot be read ({e.strerror}); run `wtkb build` to rebuild") from e
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise IndexError_(f"{path}: is damaged or was edited by hand ({type(e).__name__}); "
                          "run `wtkb build` to rebuild") from e


def write_manifest(version: Path, manifest: dict) -> None:
    manifest = dict(manifest, format_version=FORMAT_VERSION, checksums=checksum_files(version))
    with open(version / "manifest.json", "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2, ensure_ascii=False)


def read_manifest(index_dir: Path, hold_version: bool = True) -> tuple[Path, dict]:
    """The live version and its checked manifest. Readers (``hold_version``)
    take a shared lock on the version so rebuilds leave it in place."""
    version = current_version(index_dir)
    if version is None:
        raise IndexError_(f"{index_dir}: no index here yet; run `wtkb build` first")
    if hold_version:
        hold(index_dir, version)
    path = version / "manifest.json"
    try:
        with open_regular(path) as f:
            manifest = json.load(f)
    except NotRegularFile as e:
        raise _unreadable(path, e) from e
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise IndexError_(f"{path}: missing or damaged; run `wtkb build` to rebuild") from e
    problem = integrity.manifest_problem(manifest, FORMAT_VERSION)
    if problem:
        raise IndexError_(f"{path}: {problem} (damaged or edited by hand?); run `wtkb build` to rebuild")
    return version, manifest


def verify(version: Path, manifest: dict) -> None:
    """Check every file against the manifest's sha256; a hand-edited or damaged
    index is refused rather than giving silently wrong answers."""
    expected = manifest.get("checksums", {})
    try:
        actual = checksum_files(version)
    except OSError as e:
        raise IndexError_(f"{version}: cannot read the index files ({e.strerror}); check permissions "
                          "or run `wtkb build`") from e
    if set(expected) != set(actual):
        missing = sorted(set(expected) - set(actual)) or sorted(set(actual) - set(expected))
        raise IndexError_(f"{version}: index files changed ({missing[0]}); run `wtkb build` to rebuild")
    for name, digest in expected.items():
        if actual[name] != digest:
            raise IndexError_(f"{version}: {name} does not match its checksum; run `wtkb build` to rebuild")
    problem = integrity.vectors_problem(version, manifest) or integrity.keyword_problem(version, manifest)
    if problem:
        raise IndexError_(f"{problem}; run `wtkb build` to rebuild")
