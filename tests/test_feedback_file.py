"""The feedback file ("Flag this answer") is written only as a regular file of its own.

A symlink planted where ``feedback.jsonl`` goes must not make the app append
reports to the file it points at, and a named pipe there must not hang the
session that flags an answer: both are an OSError the app reports in one line.
"""

from __future__ import annotations

import json
import os
import threading

import pytest

from wtkb.ui import feedback

REPORT = {"problem": "Other", "comment": "a comment"}


def test_a_report_is_appended_as_one_json_line(tmp_path):
    path = tmp_path / "var" / "feedback.jsonl"
    feedback.save_report(path, REPORT)
    feedback.save_report(path, REPORT)
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert rows == [REPORT, REPORT]


def test_a_symlink_at_the_feedback_path_is_refused_and_its_target_untouched(tmp_path):
    private = tmp_path / "private.txt"
    private.write_text("keep me\n", encoding="utf-8")
    path = tmp_path / "feedback.jsonl"
    path.symlink_to(private)
    with pytest.raises(OSError):
        feedback.save_report(path, REPORT)
    assert private.read_text(encoding="utf-8") == "keep me\n"


def test_a_named_pipe_at_the_feedback_path_is_an_error_not_a_hang(tmp_path):
    path = tmp_path / "feedback.jsonl"
    os.mkfifo(path)
    outcome: list[BaseException | None] = []

    def save() -> None:
        try:
            feedback.save_report(path, REPORT)
            outcome.append(None)
        except OSError as e:
            outcome.append(e)

    worker = threading.Thread(target=save, daemon=True)
    worker.start()
    worker.join(10)
    assert not worker.is_alive(), "saving a report to a named pipe blocked"
    assert outcome and isinstance(outcome[0], OSError)
