"""Opening wtkb's own small files without ever blocking, and writing its temporary files never through a link.

A plain ``open()`` of a named pipe waits until something writes to it, so a
pipe left where ``CURRENT``, a manifest or ``sources.toml`` should be would
hang ``wtkb ask``, ``wtkb info`` or the app for good; a device such as
``/dev/zero`` would never end. Each file is opened with ``O_NONBLOCK`` (which
returns at once for a pipe), checked to be a regular file, and only then read
normally. Anything else raises ``NotRegularFile``, an ``OSError``, so every
caller's existing "cannot be read" message covers it.

The other way round, ``create_new`` makes the temporary file a download or a
pointer is written to before it is renamed into place: a symlink planted under
that name (in a shared ``corpus/official``, say) would otherwise have wtkb pour
a download into whatever file the link points at.
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
from pathlib import Path
from typing import BinaryIO

WHY = "not a regular file (a named pipe or device?)"


class NotRegularFile(OSError):
    """Something other than a regular file stands where wtkb expects one of its files."""

    def __init__(self, path):
        super().__init__(errno.EINVAL, WHY, str(path))

    def __str__(self) -> str:
        return f"{self.filename}: {WHY}; replace it with the file wtkb expects"


def open_regular(path, append: bool = False) -> BinaryIO:
    """``path`` opened for binary reading (or, with ``append``, created if
    missing and opened for appending), never blocking, and only if it is a
    regular file."""
    flags = (os.O_RDWR | os.O_CREAT | os.O_APPEND) if append else os.O_RDONLY
    fd = os.open(path, flags | os.O_NONBLOCK | os.O_CLOEXEC, 0o644)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotRegularFile(path)
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
        return os.fdopen(fd, "ab+" if append else "rb")
    except BaseException:
        os.close(fd)
        raise


def read_regular(path, max_bytes: int | None = None) -> bytes:
    """The bytes of a regular file; past ``max_bytes`` is an ``OSError`` (EFBIG),
    so a pointer grown huge cannot fill memory."""
    with open_regular(path) as f:
        data = f.read() if max_bytes is None else f.read(max_bytes + 1)
    if max_bytes is not None and len(data) > max_bytes:
        raise OSError(errno.EFBIG, f"larger than the {max_bytes:,} bytes it should hold", str(Path(path)))
    return data


def read_regular_text(path, max_bytes: int | None = None) -> str:
    """``read_regular`` decoded as UTF-8 (UnicodeDecodeError when it is not)."""
    return read_regular(path, max_bytes).decode("utf-8")


def create_new(path) -> BinaryIO:
    """A new, empty file at ``path`` for writing, never reached through a link.

    For wtkb's own temporary names only (``<id>.pdf.part``, ``.CURRENT.<pid>.tmp``):
    whatever stands there (the leftover of a killed run, or a planted symlink)
    is removed first, the entry itself and never what a link points at, and
    the file is then created with ``O_EXCL | O_NOFOLLOW``, so a link put back
    in between makes this fail instead of writing elsewhere."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    return os.fdopen(fd, "wb")
