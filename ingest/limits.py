"""Input limits: how much work one file may cause.

Every limit comes from ``Settings`` (README, "Limits"); a file past one is
skipped with a one-line reason, so a hostile or accidental giant cannot take
a build's memory or time.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

from .records import IngestError


@dataclass(frozen=True)
class Limits:
    max_pdf_bytes: int = 100 * 1024 * 1024
    max_text_bytes: int = 8 * 1024 * 1024
    min_pdf_bytes: int = 200
    max_lines_per_page: int = 2000
    max_pdf_pages: int = 2000
    max_front_matter_bytes: int = 16 * 1024
    max_front_matter_aliases: int = 0

    @classmethod
    def from_settings(cls, settings) -> "Limits":
        return cls(**{f.name: getattr(settings, f.name) for f in fields(cls)})


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB" if n >= 1024 * 1024 else f"{n:,} bytes"


def check_size(path: Path, size: int, fmt: str, limits: Limits) -> None:
    """Refuse a file too big for its format (or a PDF too small to be one)."""
    if fmt == "pdf":
        if size > limits.max_pdf_bytes:
            raise IngestError(f"{path}: {_size(size)} is over the max_pdf_bytes limit of "
                              f"{_size(limits.max_pdf_bytes)}; raise WTKB_MAX_PDF_BYTES if the file is genuine")
        if size < limits.min_pdf_bytes:
            raise IngestError(f"{path}: not a readable PDF: only {_size(size)}, under the min_pdf_bytes limit of "
                              f"{limits.min_pdf_bytes}; re-download or re-export it")
    elif size > limits.max_text_bytes:
        raise IngestError(f"{path}: {_size(size)} is over the max_text_bytes limit of "
                          f"{_size(limits.max_text_bytes)}; split the file or raise WTKB_MAX_TEXT_BYTES")


def check_pdf_header(path: Path) -> None:
    """A PDF must start with %PDF- (within the first kilobyte, as readers allow)."""
    try:
        with open(path, "rb") as f:
            head = f.read(1024)
    except OSError as e:
        raise IngestError(f"{path}: cannot be read ({e.strerror}); check its permissions") from e
    if b"%PDF-" not in head:
        raise IngestError(f"{path}: not a readable PDF (it does not start with %PDF-); re-download or re-export it")


def check_page_lines(path: Path, page: int, count: int, limits: Limits, what: str = "lines") -> None:
    if count > limits.max_lines_per_page:
        raise IngestError(f"{path}: page {page} holds {count:,} {what}, over the max_lines_per_page limit of "
                          f"{limits.max_lines_per_page:,}; check the file or raise WTKB_MAX_LINES_PER_PAGE")
