"""`wtkb chunks` and `wtkb outline`: see what the parser understood.

Evaluators check chunking against the document; trainers check that a
citation names the right chapter. Both read the live index without loading a
model, so these commands answer in about a second.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated, Optional

import typer

from wtkb.cli import IndexOpt, app, friendly_errors
from wtkb.config import load_settings

DocOpt = Annotated[Optional[str], typer.Option("--doc", help="Only this document id (see `wtkb info`).")]


@app.command()
def chunks(
    doc: DocOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON Lines: one chunk and its citation per line.")] = False,
    index_dir: IndexOpt = None,
):
    """Every chunk with its citation, in document order (JSON Lines with --json)."""
    import index as lib

    settings = load_settings(index_dir=index_dir)
    with friendly_errors():
        records = lib.read_chunks(settings, doc_id=doc)
    for c in records:
        if as_json:
            row = {"chunk_id": c.chunk_id, "citation": lib.citation(c), "text": c.text}
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
        else:
            sys.stdout.write(f"{c.chunk_id}\t{lib.label(c)}\n")
    sys.stdout.flush()
