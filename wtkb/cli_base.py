"""What every `wtkb` subcommand shares: the typer app, the two consoles, safe
terminal output, settings that fail in one line, and the error funnel.

Kept apart from cli.py so the modules that add commands (cli.py, cli_browse.py,
cli_diff.py) all import downward from here and never from each other.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress

from wtkb import sanitize
from wtkb.progress import rich_progress

app = typer.Typer(help="wtkb: cited answers from Working Together to Safeguard Children 2023.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


# ---------------------------------------------------------------- safe output
#
# File names, titles and document text come from files anyone can write. Before
# anything reaches the terminal it passes wtkb/sanitize.py's terminal sanitiser
# (controls, bidi and invisible characters shown as visible escapes) and rich
# markup is escaped, so a file cannot recolour, rewrite or hide what wtkb says.


def plain(text, keep_newlines: bool = False) -> str:
    """``text`` with every control character escaped (newlines kept when asked)."""
    return sanitize.for_terminal(text, keep_newlines)


def safe(text, keep_newlines: bool = False) -> str:
    """Printable through rich: controls escaped, markup escaped."""
    return escape(plain(text, keep_newlines))


def safe_json(data, indent: int | None = None) -> str:
    """JSON whose strings carry no raw control, bidi or unencodable character; still valid."""
    return sanitize.terminal_json(data, indent)


def fail(message: str, code: int = 1):
    err.print(f"[bold red]error:[/] {safe(message)}")
    raise typer.Exit(code)


def settings_or_fail(**overrides):
    """Validated settings, or one line naming the bad setting and the fix."""
    import index

    index_dir = overrides.get("index_dir")
    if index_dir is not None and not str(index_dir).strip():
        fail("--index '': the index folder path is empty; give a folder, e.g. --index var/index")
    if index_dir is not None:
        overrides["index_dir"] = Path(index_dir)
    try:
        return index.load_settings(**overrides)
    except index.SettingsError as e:
        fail(str(e))


@contextmanager
def friendly_errors():
    """Turn the library's known errors into one line and an exit code."""
    from index import IndexError_, IngestError, ModelError, QueryError, SettingsError

    try:
        yield
    except (IngestError, IndexError_, ModelError, QueryError, SettingsError) as e:
        if os.environ.get("WTKB_DEBUG"):
            raise
        fail(str(e))
    except KeyboardInterrupt:
        fail("interrupted; nothing was changed", 130)
    except typer.Exit:
        raise
    except Exception as e:  # noqa: BLE001 - the last line of defence for users
        if os.environ.get("WTKB_DEBUG"):
            raise
        if isinstance(e, OSError) and e.filename:
            # A file the user can fix (unreadable, a pipe where a file belongs), not a bug.
            fail(f"{e.filename}: cannot be read ({e.strerror or type(e).__name__}); check that file")
        fail(f"unexpected {type(e).__name__}: {e}. Rerun with WTKB_DEBUG=1 and report it", 2)


def _progress() -> Progress:
    return rich_progress(err)


IndexOpt = Annotated[Optional[str], typer.Option("--index", help="Index folder (default: var/index).")]
ModelOpt = Annotated[Optional[str], typer.Option("--model", help="sentence-transformers model: bundled "
                     "all-MiniLM-L6-v2 (default), a local folder, or a hub name when online.")]
