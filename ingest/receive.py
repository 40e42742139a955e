"""Receiving one response body into a ``.part`` file for ``wtkb fetch``.

ingest/download.py decides which URLs may be opened and opens them;
ingest/fetch.py decides what each outcome means and keeps the lock. This module
is the step between: it refuses a body of the wrong type or size before storing
any of it, stops as soon as the size limit or the deadline is passed, and
checks that what arrived is whole before it is fsynced. Every refusal is an
exception carrying a one-line reason, so fetch.py can word the message.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from .deadline import Deadline
from .safe_open import create_new
from .download import CHUNK, FORMATS, BadContent, Fail, Progress, mb


class DiskError(Exception):
    """Writing the downloaded file failed (full disk, permissions, ...)."""


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


def _disk_error(e: OSError) -> DiskError:
    """The same short reason wherever writing the ``.part`` file fails."""
    return DiskError(e.strerror or type(e).__name__)


def _check_content_type(response, fmt: str) -> None:
    """Refuse a body of the wrong kind before a single byte of it is stored."""
    ctype = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if ctype not in FORMATS[fmt]:
        raise BadContent(f"the server sent {ctype or 'no content type'}, not {' or '.join(FORMATS[fmt])} "
                          f"as expected for format = \"{fmt}\"")


def _declared_length(response, max_bytes: int) -> int | None:
    """Content-Length when it is a number; an oversized file is refused here,
    before the download, rather than after filling the disk."""
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
    return total


@dataclass
class _Body:
    """What has arrived of one response so far: its size, its running sha256,
    and its first and last bytes (enough to judge whether a PDF is whole)."""
    sha: hashlib._Hash = field(default_factory=hashlib.sha256)
    size: int = 0
    head: bytes = b""
    tail: bytes = b""


def _take_block(body: _Body, block: bytes, fmt: str, max_bytes: int) -> None:
    """Count and hash one block, stopping early at the size limit or at a
    response that plainly is not a PDF, so neither is downloaded in full."""
    body.tail = (body.tail + block)[-2048:]
    body.size += len(block)
    if body.size > max_bytes:
        raise BadContent(f"stopped at the fetch_max_bytes limit of {mb(max_bytes)}; "
                          "raise WTKB_FETCH_MAX_BYTES if the file is genuine")
    if len(body.head) < 5:
        body.head += block[:5]
        if fmt == "pdf" and len(body.head) >= 5 and not body.head.startswith(b"%PDF-"):
            raise BadContent("the server did not send a PDF (the file does not start with %PDF-)")
    body.sha.update(block)


def _copy_body(response, f, doc_id: str, fmt: str, max_bytes: int, total: int | None,
               progress: Progress | None, deadline: Deadline | None) -> _Body:
    """Move the body into ``f`` block by block; the deadline is checked after
    every read because the watchdog's shutdown can look like a clean end."""
    body = _Body()
    while True:
        block = _read(response, deadline)
        if deadline is not None and deadline.passed():
            raise Fail(deadline.message())
        if not block:
            break
        _take_block(body, block, fmt, max_bytes)
        try:
            f.write(block)
        except OSError as e:
            raise _disk_error(e) from None
        if progress:
            progress(doc_id, body.size, total)
    return body


def _check_complete(body: _Body, total: int | None, fmt: str, min_pdf_bytes: int) -> None:
    """A connection that closes early looks like a normal end of body; these
    checks are what tell a truncated or empty download from a real one."""
    if total is not None and body.size != total:
        raise Fail(f"the download stopped after {body.size} of {total} bytes")
    if body.size == 0:
        raise BadContent("the server sent an empty file")
    if fmt == "pdf":
        _check_pdf(body.head, body.tail, body.size, min_pdf_bytes)


def stream(response, doc_id: str, fmt: str, part: Path, max_bytes: int,
           progress: Progress | None, deadline: Deadline | None = None,
           min_pdf_bytes: int = 0) -> tuple[int, str]:
    """Check type and size, stream the body into ``part``, fsync it; return (bytes, sha256)."""
    _check_content_type(response, fmt)
    total = _declared_length(response, max_bytes)
    try:
        f = create_new(part)  # never through a link planted as <id>.pdf.part
    except OSError as e:
        raise _disk_error(e) from None
    with f:
        if progress:
            progress(doc_id, 0, total)
        body = _copy_body(response, f, doc_id, fmt, max_bytes, total, progress, deadline)
        _check_complete(body, total, fmt, min_pdf_bytes)
        try:
            f.flush()
            os.fsync(f.fileno())
        except OSError as e:
            raise _disk_error(e) from None
    return body.size, body.sha.hexdigest()
