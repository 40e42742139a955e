"""Download the official documents listed in ``corpus/sources.toml``.

``fetch_all(settings)`` downloads each ``[[source]]`` entry's ``file_url`` into
``settings.official_dir`` (or ``dest``) as ``<id>.pdf`` or ``<id>.html`` and
returns one :class:`FetchResult` per document. It never raises for a network,
server or disk problem: each failure is a result with status ``"failed"`` and a
one-line message naming the document and the fix.

Safety rules:

* HTTPS only. Plain ``http://`` is refused, except to a loopback address
  (127.0.0.0/8, ::1, localhost) when the environment variable
  ``WTKB_FETCH_ALLOW_LOOPBACK_HTTP=1`` is set. That exception exists for the
  tests, which serve files from a local HTTP server; do not set it otherwise.
* Hosts must be in ``settings.fetch_allowed_hosts`` or the entry's own
  ``allowed_hosts`` list. Redirects are followed here, not by urllib, so the
  scheme and host rules are checked on every hop (at most 5 hops; loops are
  reported).
* ``settings.fetch_timeout_s`` bounds the host name lookup, the connection and
  every read; ``settings.fetch_max_seconds`` bounds the whole download of one
  document, however slowly a server trickles (ingest/deadline.py: a watchdog
  shuts the connection); ``settings.fetch_max_bytes`` is checked against
  Content-Length before downloading and against the bytes actually received while streaming.
* The Content-Type must fit the entry's ``format`` (pdf: application/pdf or
  application/octet-stream; html: text/html); a PDF must start with ``%PDF-``,
  end with ``%%EOF`` and be at least ``settings.min_pdf_bytes`` long.
* File names come only from manifest ids, which must match
  ``^[a-z0-9][a-z0-9._-]{0,80}$``. A download is streamed to ``<name>.part`` in
  the destination folder, fsynced and moved into place with ``os.replace``, so
  a failed or interrupted download never leaves a partial file behind.

``<dest>/fetch.lock.json`` records, per id, the url, final_url (after
redirects), sha256, bytes, fetched_at, etag and last_modified of the file on
disk. When the file on disk still has the recorded sha256, the next run sends
If-None-Match / If-Modified-Since; a 304, or a 200 with identical content, is
reported as ``"unchanged"`` and the file is left alone.
"""

from __future__ import annotations

import http.client
import json
import os
import urllib.error
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .config import display_path
from .deadline import Deadline
from .download import (FORMATS, ID_RE, LOOPBACK_ENV, USER_AGENT, BadContent, Fail, HTTPStatus, NotModified,  # noqa: F401
                       Progress, Refused, check_url, failure_reason, mb, open_url)  # LOOPBACK_ENV, ID_RE: re-exported
from .provenance import LOCK_NAME, load_sources, read_lock
from .receive import DiskError, stream
from .safe_open import create_new
from .records import file_sha256


@dataclass
class FetchResult:
    doc_id: str
    status: str  # "fetched" | "unchanged" | "failed" | "missing"
    message: str  # one line, names the document and the fix when failed
    path: Path | None = None
    bytes: int = 0
    sha256: str = ""


# ---------------------------------------------------------------- helpers

def _write_lock(dest: Path, lock: dict[str, dict]) -> None:
    path = Path(dest) / LOCK_NAME
    tmp = path.with_name(path.name + ".part")
    try:
        with create_new(tmp) as f:  # never through a link planted as fetch.lock.json.part
            f.write((json.dumps(dict(sorted(lock.items())), indent=2, sort_keys=True) + "\n").encode("utf-8"))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


# ---------------------------------------------------------------- one document

@dataclass
class _Job:
    """One document's download as decided before any network traffic: what to
    ask for, from which hosts, where it lands, and what is on disk already."""
    doc_id: str
    fmt: str
    url: str
    landing: str
    target: Path
    part: Path  # the download goes here first, so a failed one never replaces the file
    shown: str
    allowed: set[str]
    timeout: float
    max_bytes: int
    record: dict
    current_sha: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    conditional: bool = False


def _entry_format(doc_id, entry: dict) -> str | FetchResult:
    """The entry's format, or a refusal: the id becomes a file name and the
    format picks the checks, so neither may be left to chance."""
    if not isinstance(doc_id, str) or not ID_RE.match(doc_id):
        return FetchResult(str(doc_id), "failed",
                           f"{doc_id!r}: refusing this id; ids must match {ID_RE.pattern} "
                           "(lower-case letters, digits, '.', '_', '-'); fix it in corpus/sources.toml")
    fmt = str(entry.get("format") or "pdf").strip().lower()
    if fmt not in FORMATS:
        return FetchResult(doc_id, "failed",
                           f"{doc_id}: unknown format {fmt!r}; set format = \"pdf\" or \"html\" in corpus/sources.toml")
    return fmt


def _allowed_hosts(settings, entry: dict) -> set[str]:
    """The global host list plus the entry's own; one string counts as a list of one."""
    extra = entry.get("allowed_hosts") or []
    if isinstance(extra, str):
        extra = [extra]
    return {str(h).strip().lower() for h in (*settings.fetch_allowed_hosts, *extra) if str(h).strip()}


def _ask_only_if_changed(job: _Job) -> None:
    """Send the lock's validators only when the file on disk is the one the
    lock describes; otherwise a 304 would keep a file we never checked."""
    if job.target.is_file():
        try:
            job.current_sha = file_sha256(job.target)
        except OSError:
            job.current_sha = ""
    job.headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity",
                   "Accept": ", ".join(FORMATS[job.fmt]) + ", */*;q=0.1"}
    record = job.record
    job.conditional = bool(job.current_sha) and record.get("sha256") == job.current_sha and record.get("url") == job.url
    if job.conditional:
        if record.get("etag"):
            job.headers["If-None-Match"] = str(record["etag"])
        if record.get("last_modified"):
            job.headers["If-Modified-Since"] = str(record["last_modified"])


def _plan(doc_id, entry: dict, dest: Path, settings, lock: dict[str, dict]) -> _Job | FetchResult:
    """Everything about one document that can be settled offline; a bad id,
    an unknown format or a missing URL ends here with its own message."""
    fmt = _entry_format(doc_id, entry)
    if isinstance(fmt, FetchResult):
        return fmt
    target = dest / f"{doc_id}.{fmt}"
    shown = display_path(target)
    url = str(entry.get("file_url") or "").strip()
    landing = str(entry.get("landing_page") or "").strip()
    if not url:
        where = landing or "the publisher's website"
        return FetchResult(doc_id, "missing",
                           f"no file URL known for {doc_id}; download it from {where} into {shown}", path=None)
    job = _Job(doc_id, fmt, url, landing, target, target.with_name(target.name + ".part"), shown,
               _allowed_hosts(settings, entry), float(settings.fetch_timeout_s), int(settings.fetch_max_bytes),
               lock.get(doc_id) or {})
    _ask_only_if_changed(job)
    return job


def _failed(job: _Job, reason: str) -> FetchResult:
    """A download that went wrong on the way (network, server, deadline)."""
    return FetchResult(job.doc_id, "failed",
                       f"{job.doc_id}: could not download ({reason}); check your connection or download "
                       f"{job.url} by hand into {job.shown}")


def _open(job: _Job, down_hosts: dict[str, str], deadline: Deadline) -> tuple | FetchResult:
    """``(response, final_url)``, or the result when the server's answer
    already settles the matter (304, refused redirect, HTTP error)."""
    try:
        return open_url(job.url, job.allowed, job.headers, job.timeout, down_hosts, deadline)
    except NotModified:
        if not job.conditional:
            return _failed(job, "the server answered 304 Not Modified to a request for the whole file")
        return FetchResult(job.doc_id, "unchanged",
                           f"{job.doc_id}: unchanged since {job.record.get('fetched_at') or 'the last fetch'} "
                           f"({job.shown})", path=job.target, bytes=job.target.stat().st_size, sha256=job.current_sha)
    except Refused as e:
        return FetchResult(job.doc_id, "failed", f"{job.doc_id}: {e}; download {job.url} by hand into {job.shown} "
                           "if you trust where it leads")
    except HTTPStatus as e:
        if 400 <= e.code < 500:
            fix = f"the file may have moved: find the current link on {job.landing}" if job.landing \
                else "check the URL"
            return FetchResult(job.doc_id, "failed", f"{job.doc_id}: could not download ({e}); {fix} "
                               "and update file_url in corpus/sources.toml")
        return _failed(job, str(e))
    except Fail as e:
        return _failed(job, deadline.message() if deadline.passed() else str(e))


def _receive(job: _Job, response, final_url: str, settings, progress: Progress | None,
             deadline: Deadline) -> tuple[int, str] | FetchResult:
    """Stream the body into the ``.part`` file; each way it can fail gets its
    own message, and an expired deadline outranks whatever error it caused."""
    try:
        if deadline.passed():  # headers cut short by the watchdog look complete to http.client
            raise Fail(deadline.message())
        status = getattr(response, "status", 200)
        if status != 200:
            raise Fail(f"the server answered HTTP {status} instead of 200 for {final_url}")
        return stream(response, job.doc_id, job.fmt, job.part, job.max_bytes, progress, deadline,
                      int(getattr(settings, "min_pdf_bytes", 0)))
    except BadContent as e:
        if deadline.passed():
            return _failed(job, deadline.message())
        return FetchResult(job.doc_id, "failed", f"{job.doc_id}: could not use the download ({e}); check file_url "
                           f"in corpus/sources.toml or download {job.url} by hand into {job.shown}")
    except Fail as e:
        return _failed(job, deadline.message() if deadline.passed() else str(e))
    except DiskError as e:
        return FetchResult(job.doc_id, "failed", f"{job.doc_id}: could not write {display_path(job.part)} ({e}); "
                           "check free space and permissions")
    except (OSError, http.client.HTTPException, ValueError) as e:
        if deadline.passed():
            return _failed(job, deadline.message())
        host = urllib.parse.urlsplit(final_url).hostname or ""
        return _failed(job, failure_reason(e, host, None, job.timeout)[0])


def _keep(job: _Job, dest: Path, lock: dict[str, dict], new_record: dict) -> FetchResult:
    """Put the checked download in place and record it, unless it is
    byte-for-byte the file already there (then the file is left untouched)."""
    size, sha = new_record["bytes"], new_record["sha256"]
    if job.current_sha == sha:
        if job.record.get("sha256") == sha and job.record.get("fetched_at"):
            new_record["fetched_at"] = job.record["fetched_at"]
        lock[job.doc_id] = new_record
        return FetchResult(job.doc_id, "unchanged", f"{job.doc_id}: unchanged ({job.shown}, same sha256)",
                           path=job.target, bytes=size, sha256=sha)
    os.replace(job.part, job.target)
    _fsync_dir(dest)
    lock[job.doc_id] = new_record
    return FetchResult(job.doc_id, "fetched", f"{job.doc_id}: downloaded {mb(size)} into {job.shown}",
                       path=job.target, bytes=size, sha256=sha)


def _download(job: _Job, dest: Path, settings, lock: dict[str, dict], progress: Progress | None,
              down_hosts: dict[str, str], deadline: Deadline) -> FetchResult:
    """Open, stream, then keep: the three network-to-disk steps for one document."""
    opened = _open(job, down_hosts, deadline)
    if isinstance(opened, FetchResult):
        return opened
    response, final_url = opened
    with response:
        received = _receive(job, response, final_url, settings, progress, deadline)
        if isinstance(received, FetchResult):
            return received
        size, sha = received
        etag = response.headers.get("ETag")
        last_modified = response.headers.get("Last-Modified")
    new_record = {"url": job.url, "final_url": final_url, "sha256": sha, "bytes": size, "fetched_at": _now(),
                  "etag": etag, "last_modified": last_modified}
    return _keep(job, dest, lock, new_record)


def _fetch_one(doc_id: str, entry: dict, dest: Path, settings, lock: dict[str, dict],
               progress: Progress | None, down_hosts: dict[str, str]) -> FetchResult:
    """Download one document. The deadline starts only once the URL passes the
    rules, and the ``.part`` file is removed however the attempt ends."""
    job = _plan(doc_id, entry, dest, settings, lock)
    if isinstance(job, FetchResult):
        return job
    try:
        check_url(job.url, job.allowed)
    except Fail as e:
        fix = "" if "sources.toml" in str(e) else "; fix file_url in corpus/sources.toml"
        return FetchResult(job.doc_id, "failed", f"{job.doc_id}: {e}{fix}")
    deadline = Deadline(float(getattr(settings, "fetch_max_seconds", 300.0)))
    try:
        return _download(job, dest, settings, lock, progress, down_hosts, deadline)
    except OSError as e:  # writing the .part file, replacing the old file, ...
        where = display_path(Path(e.filename)) if getattr(e, "filename", None) else job.shown
        return FetchResult(job.doc_id, "failed", f"{job.doc_id}: could not write {where} "
                           f"({e.strerror or type(e).__name__}); check free space and permissions")
    finally:
        deadline.cancel()
        job.part.unlink(missing_ok=True)


# ---------------------------------------------------------------- entry point

def fetch_all(settings, only: list[str] | None = None, dest: Path | None = None,
              progress: Progress | None = None, sources: dict | None = None) -> list[FetchResult]:
    """Download every manifest document (or those named in ``only``); one result each."""
    if sources is None:
        sources = load_sources(settings.sources_file)
    dest = Path(dest or settings.official_dir)
    results: list[FetchResult] = []
    if only:
        wanted = []
        for doc_id in only:
            if doc_id in sources:
                if doc_id not in wanted:
                    wanted.append(doc_id)
            else:
                valid = ", ".join(sorted(map(str, sources))) or "none"
                results.append(FetchResult(str(doc_id), "failed",
                                           f"{doc_id}: no such document in {display_path(Path(settings.sources_file))}; "
                                           f"valid ids: {valid}"))
    else:
        wanted = list(sources)
    if not sources and not only:
        return [FetchResult("", "failed", f"no documents listed in {display_path(Path(settings.sources_file))}; "
                            "add [[source]] entries with id and file_url")]
    if not wanted:
        return results
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        return results + [FetchResult(d, "failed", f"{d}: cannot create {display_path(dest)} ({e.strerror}); "
                                      "check the path and permissions") for d in wanted]
    lock = read_lock(dest)
    down_hosts: dict[str, str] = {}
    for doc_id in wanted:
        entry = sources.get(doc_id) or {}
        try:
            result = _fetch_one(doc_id, entry, dest, settings, lock, progress, down_hosts)
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as e:  # noqa: BLE001 - one bad document must not stop the rest
            detail = f": {str(e).splitlines()[0]}" if str(e).strip() else ""
            result = FetchResult(str(doc_id), "failed",
                                 f"{doc_id}: unexpected error ({type(e).__name__}{detail}); please report it")
        results.append(result)
        if result.status in ("fetched", "unchanged") and doc_id in lock:
            try:
                _write_lock(dest, lock)
            except OSError as e:
                result.message += f" (but {LOCK_NAME} could not be written: {e.strerror})"
    return results
