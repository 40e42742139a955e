""""Flag this answer": reports kept on the machine that runs the app, never sent anywhere.

Each report is one JSON line appended to ``feedback_path(settings)``
(``var/feedback.jsonl`` by default, next to the index). The question is stored
only when the user ticks the consent box: a practitioner may have typed a
child's details into it. What is always stored is what an administrator needs
to check the answer: the index version and the cited passages' ids.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import time
from pathlib import Path

PROBLEMS = ("The answer is wrong", "A citation points to the wrong place", "Something important is missing",
            "Other")
MAX_COMMENT = 2000


def feedback_path(settings) -> Path:
    """Where reports go: ``settings.feedback_file`` if the Settings object has one, else
    ``feedback.jsonl`` beside the index folder (``var/feedback.jsonl`` by default)."""
    explicit = getattr(settings, "feedback_file", None)
    return Path(explicit) if explicit else Path(settings.index_dir).parent / "feedback.jsonl"


def make_report(answer, problem: str, comment: str, include_question: bool, index_version: str) -> dict:
    """The record for one report; the question only with consent."""
    return {
        "at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "problem": problem if problem in PROBLEMS else "Other",
        "comment": str(comment or "").strip()[:MAX_COMMENT],
        "question": answer.query if include_question else None,
        "abstained": bool(answer.abstained),
        "passages": [h.chunk.chunk_id for h in answer.hits],
        "key_points": [kp.chunk_id for kp in answer.key_points],
        "index_version": index_version,
    }


def save_report(path: Path, report: dict) -> None:
    """Append one line; the folder is created if needed. One write call per line, so two app
    sessions reporting at once do not interleave within a line.

    The file is opened without following a symlink and without blocking, and must be a regular
    file: a link planted at this name would otherwise have the app append reports to whatever it
    points at, and a named pipe would hang the session that flags an answer."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(report, ensure_ascii=False) + "\n").encode("utf-8")
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    fd = os.open(path, flags, 0o600)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        os.write(fd, line)
    finally:
        os.close(fd)
