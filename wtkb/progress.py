"""The one progress bar of the shells (the CLI, the benchmarks): rich, on stderr.

Long jobs report progress as ``update(stage, done, total)``, the same shape the
library's build and fetch callbacks have, so a shell can hand the callback
straight to the library. Each stage gets its own bar the first time it is seen.

The bar draws only when stderr is a terminal, so logs, pipes and CI output stay
free of control codes; set ``WTKB_PROGRESS=1`` to draw it anyway.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

Update = Callable[[str, int, int | None], None]  # (stage, done, total)


def wanted(console: Console) -> bool:
    """Draw on a terminal, or anywhere when ``WTKB_PROGRESS`` is set."""
    return console.is_terminal or bool(os.environ.get("WTKB_PROGRESS"))


def rich_progress(console: Console | None = None) -> Progress:
    """The bar every shell draws: description, bar, done/total, elapsed time.

    For callers that manage tasks themselves; most want ``progress_bar``.
    """
    console = console or Console(stderr=True)
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, transient=False, disable=not wanted(console))


@contextmanager
def progress_bar(label: Callable[[str], str] | None = None, console: Console | None = None) -> Iterator[Update]:
    """Yield an ``update(stage, done, total)`` callback drawing one bar per stage.

    ``label`` turns a stage name into the text shown beside its bar (default:
    the stage name itself); ``total`` may be None while it is unknown.
    """
    bar = rich_progress(console)
    tasks: dict[str, int] = {}

    def update(stage: str, done: int, total: int | None) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(label(stage) if label else stage, total=total)
        bar.update(tasks[stage], completed=done, total=total)

    with bar:
        yield update
