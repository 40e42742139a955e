"""Opening wtkb's own small files without ever blocking: index pointers, locks, manifests, settings files.

A plain ``open()`` of a named pipe waits until something writes to it, so a
pipe left where ``CURRENT``, a manifest or ``sources.toml`` should be would
hang ``wtkb ask``, ``wtkb info`` or the app for good; a device such as
``/dev/zero`` would never end. Each file is opened with ``O_NONBLOCK`` (which
returns at once for a pipe), checked to be a regular file, and only then read
normally. Anything else raises ``NotRegularFile``, an ``OSError``, so every
caller's existing "cannot be read" message covers it.
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
