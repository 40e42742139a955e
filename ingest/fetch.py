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

import hashlib
import http.client
import json
import os
import urllib.error
import urllib.parse
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from .config import display_path
from .deadline import Deadline
from .download import (CHUNK, FORMATS, ID_RE, LOOPBACK_ENV, USER_AGENT, BadContent, Fail, HTTPStatus, NotModified,  # noqa: F401
                       Progress, Refused, check_url, failure_reason, mb, open_url)  # LOOPBACK_ENV, ID_RE: re-exported
from .provenance import LOCK_NAME, load_sources, read_lock
from .records import file_sha256


@dataclass
class FetchResult:
    doc_id: str
    status: str  # "fetched" | "unchanged" | "failed" | "missing"
    message: str  # one line, names the document and the fix when failed
    path: Path | None = None
    bytes: int = 0
    sha256: str = ""


class _DiskError(Exception):
    """Writing the downloaded file failed (full disk, permissions, ...)."""



# ---------------------------------------------------------------- helpers

def _write_lock(dest: Path, lock: dict[str, dict]) -> None:
    path = Path(dest) / LOCK_NAME
    tmp = path.with_name(path.name + ".part")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(dict(sorted(lock.items())), f, indent=2, sort_keys=True)
            f.write("\n")
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

def _check_pdf(head: bytes, tail: bytes, size: int, min_bytes: int) -> None:
    """A complete PDF starts with %PDF-, ends with %%EOF and is not tiny."""
    if not head.startswith(b"%PDF-"):
        raise BadContent("the server did not send a PDF (the file does not start with %PDF-)")
    if size < min_bytes:
        raise BadContent(f"the server sent only {size} bytes, too small for a real PDF (min_pdf_bytes {min_bytes})")
    if b"%%EOF" not in tail:
        raise BadContent("the PDF is incomplete (no %%EOF marker at its end)")


def _read(response, deadline: Deadline | None) -> bytes:
    """One block: whatever has arrived (read1), so a trickle still reaches the deadline check."""
    if deadline is not None and deadline.passed():
        raise Fail(deadline.message())
    reader = getattr(response, "read1", None)
    return reader(CHUNK) if reader is not None else response.read(CHUNK)


def _stream(response, doc_id: str, fmt: str, part: Path, max_bytes: int,
            progress: Progress | None, deadline: Deadline | None = None,
            min_pdf_bytes: int = 0) -> tuple[int, str]:
    """Check type and size, stream the body into ``part``, fsync it; return (bytes, sha256)."""
    ctype = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if ctype not in FORMATS[fmt]:
        raise BadContent(f"the server sent {ctype or 'no content type'}, not {' or '.join(FORMATS[fmt])} "
                          f"as expected for format = \"{fmt}\"")
    total: int | None = None
    raw_length = response.headers.get("Content-Length")
    if raw_length is not None:
        try:
            total = int(raw_length.strip())
        except ValueError:
            total = None
        if total is not None and total > max_bytes:
            raise BadContent(f"the file is {mb(total)}, over the fetch_max_bytes limit of {mb(max_bytes)}; "
                              "raise WTKB_FETCH_MAX_BYTES if it is genuine")
    h = hashlib.sha256()
    done = 0
    head = b""
    tail = b""
    try:
        f = open(part, "wb")
    except OSError as e:
        raise _DiskError(e.strerror or type(e).__name__) from None
    with f:
        if progress:
            progress(doc_id, 0, total)
        while True:
            block = _read(response, deadline)
            if deadline is not None and deadline.passed():
                raise Fail(deadline.message())
            if not block:
                break
            tail = (tail + block)[-2048:]
            done += len(block)
            if done > max_bytes:
                raise BadContent(f"stopped at the fetch_max_bytes limit of {mb(max_bytes)}; "
                                  "raise WTKB_FETCH_MAX_BYTES if the file is genuine")
            if len(head) < 5:
                head += block[:5]
                if fmt == "pdf" and len(head) >= 5 and not head.startswith(b"%PDF-"):
                    raise BadContent("the server did not send a PDF (the file does not start with %PDF-)")
            h.update(block)
            try:
                f.write(block)
            except OSError as e:
                raise _DiskError(e.strerror or type(e).__name__) from None
            if progress:
                progress(doc_id, done, total)
        if total is not None and done != total:
            raise Fail(f"the download stopped after {done} of {total} bytes")
        if done == 0:
            raise BadContent("the server sent an empty file")
        if fmt == "pdf":
            _check_pdf(head, tail, done, min_pdf_bytes)
        try:
            f.flush()
            os.fsync(f.fileno())
        except OSError as e:
            raise _DiskError(e.strerror or type(e).__name__) from None
    return done, h.hexdigest()


def _fetch_one(doc_id: str, entry: dict, dest: Path, settings, lock: dict[str, dict],
               progress: Progress | None, down_hosts: dict[str, str]) -> FetchResult:
    if not isinstance(doc_id, str) or not ID_RE.match(doc_id):
        return FetchResult(str(doc_id), "failed",
                           f"{doc_id!r}: refusing this id; ids must match {ID_RE.pattern} "
                           "(lower-case letters, digits, '.', '_', '-'); fix it in corpus/sources.toml")
    fmt = str(entry.get("format") or "pdf").strip().lower()
    if fmt not in FORMATS:
        return FetchResult(doc_id, "failed",
                           f"{doc_id}: unknown format {fmt!r}; set format = \"pdf\" or \"html\" in corpus/sources.toml")
    target = dest / f"{doc_id}.{fmt}"
    shown = display_path(target)
    url = str(entry.get("file_url") or "").strip()
    landing = str(entry.get("landing_page") or "").strip()
    if not url:
        where = landing or "the publisher's website"
        return FetchResult(doc_id, "missing",
                           f"no file URL known for {doc_id}; download it from {where} into {shown}", path=None)

    extra = entry.get("allowed_hosts") or []
    if isinstance(extra, str):
        extra = [extra]
    allowed = {str(h).strip().lower() for h in (*settings.fetch_allowed_hosts, *extra) if str(h).strip()}
    timeout = float(settings.fetch_timeout_s)
    max_bytes = int(settings.fetch_max_bytes)

    record = lock.get(doc_id) or {}
    current_sha = ""
    if target.is_file():
        try:
            current_sha = file_sha256(target)
        except OSError:
            current_sha = ""
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity",
               "Accept": ", ".join(FORMATS[fmt]) + ", */*;q=0.1"}
    conditional = bool(current_sha) and record.get("sha256") == current_sha and record.get("url") == url
    if conditional:
        if record.get("etag"):
            headers["If-None-Match"] = str(record["etag"])
        if record.get("last_modified"):
            headers["If-Modified-Since"] = str(record["last_modified"])

    def failed(reason: str) -> FetchResult:
        return FetchResult(doc_id, "failed",
                           f"{doc_id}: could not download ({reason}); check your connection or download "
                           f"{url} by hand into {shown}")

    try:
        check_url(url, allowed)
    except Fail as e:
        fix = "" if "sources.toml" in str(e) else "; fix file_url in corpus/sources.toml"
        return FetchResult(doc_id, "failed", f"{doc_id}: {e}{fix}")

    part = target.with_name(target.name + ".part")
    deadline = Deadline(float(getattr(settings, "fetch_max_seconds", 300.0)))
    try:
        try:
            response, final_url = open_url(url, allowed, headers, timeout, down_hosts, deadline)
        except NotModified:
            if not conditional:
                return failed("the server answered 304 Not Modified to a request for the whole file")
            return FetchResult(doc_id, "unchanged",
                               f"{doc_id}: unchanged since {record.get('fetched_at') or 'the last fetch'} ({shown})",
                               path=target, bytes=target.stat().st_size, sha256=current_sha)
        except Refused as e:
            return FetchResult(doc_id, "failed", f"{doc_id}: {e}; download {url} by hand into {shown} "
                               "if you trust where it leads")
        except HTTPStatus as e:
            if 400 <= e.code < 500:
                fix = f"the file may have moved: find the current link on {landing}" if landing else "check the URL"
                return FetchResult(doc_id, "failed", f"{doc_id}: could not download ({e}); {fix} "
                                   "and update file_url in corpus/sources.toml")
            return failed(str(e))
        except Fail as e:
            return failed(deadline.message() if deadline.passed() else str(e))
        with response:
            try:
                if deadline.passed():  # headers cut short by the watchdog look complete to http.client
                    raise Fail(deadline.message())
                status = getattr(response, "status", 200)
                if status != 200:
                    raise Fail(f"the server answered HTTP {status} instead of 200 for {final_url}")
                size, sha = _stream(response, doc_id, fmt, part, max_bytes, progress, deadline,
                                    int(getattr(settings, "min_pdf_bytes", 0)))
            except BadContent as e:
                if deadline.passed():
                    return failed(deadline.message())
                return FetchResult(doc_id, "failed", f"{doc_id}: could not use the download ({e}); check file_url "
                                   f"in corpus/sources.toml or download {url} by hand into {shown}")
            except Fail as e:
                return failed(deadline.message() if deadline.passed() else str(e))
            except _DiskError as e:
                return FetchResult(doc_id, "failed", f"{doc_id}: could not write {display_path(part)} ({e}); "
                                   "check free space and permissions")
            except (OSError, http.client.HTTPException, ValueError) as e:
                if deadline.passed():
                    return failed(deadline.message())
                host = urllib.parse.urlsplit(final_url).hostname or ""
                return failed(failure_reason(e, host, None, timeout)[0])
            etag = response.headers.get("ETag")
            last_modified = response.headers.get("Last-Modified")
        new_record = {"url": url, "final_url": final_url, "sha256": sha, "bytes": size, "fetched_at": _now(),
                      "etag": etag, "last_modified": last_modified}
        if current_sha == sha:
            if record.get("sha256") == sha and record.get("fetched_at"):
                new_record["fetched_at"] = record["fetched_at"]
            lock[doc_id] = new_record
            return FetchResult(doc_id, "unchanged", f"{doc_id}: unchanged ({shown}, same sha256)",
                               path=target, bytes=size, sha256=sha)
        os.replace(part, target)
        _fsync_dir(dest)
        lock[doc_id] = new_record
        return FetchResult(doc_id, "fetched", f"{doc_id}: downloaded {mb(size)} into {shown}",
                           path=target, bytes=size, sha256=sha)
    except OSError as e:  # writing the .part file, replacing the old file, ...
        where = display_path(Path(e.filename)) if getattr(e, "filename", None) else shown
        return FetchResult(doc_id, "failed", f"{doc_id}: could not write {where} "
                           f"({e.strerror or type(e).__name__}); check free space and permissions")
    finally:
        deadline.cancel()
        part.unlink(missing_ok=True)


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
