"""The shells' shared progress bar (wtkb/progress.py): it stays silent off a
terminal unless asked, and draws one labelled bar per stage when it does draw."""

from __future__ import annotations

import io

from rich.console import Console

from wtkb.progress import progress_bar, rich_progress


def _console(terminal: bool) -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(file=buf, force_terminal=terminal, width=100, color_system=None), buf


def test_silent_off_a_terminal(monkeypatch):
    monkeypatch.delenv("WTKB_PROGRESS", raising=False)
    console, buf = _console(terminal=False)
    with progress_bar(console=console) as update:
        update("embed", 3, 4)
    assert buf.getvalue() == ""
    assert rich_progress(console).disable


def test_drawn_off_a_terminal_when_asked(monkeypatch):
    monkeypatch.setenv("WTKB_PROGRESS", "1")
    console, buf = _console(terminal=False)
    labels = {"read": "Reading files", "embed": "Embedding chunks"}
    with progress_bar(label=labels.get, console=console) as update:
        update("read", 2, 2)
        update("embed", 1, 4)
        update("embed", 3, 4)  # the same stage moves its own bar on, no second bar
    text = buf.getvalue()
    assert "Reading files" in text and "2/2" in text
    assert "Embedding chunks" in text and "3/4" in text
    assert text.count("Embedding chunks") == 1


def test_drawn_on_a_terminal_and_total_may_be_unknown(monkeypatch):
    monkeypatch.delenv("WTKB_PROGRESS", raising=False)
    console, buf = _console(terminal=True)
    assert not rich_progress(console).disable
    with progress_bar(console=console) as update:
        update("download", 10, None)  # size not known yet
        update("download", 20, 40)
    assert "download" in buf.getvalue() and "20/40" in buf.getvalue()
