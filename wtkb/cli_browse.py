"""`wtkb chunks` and `wtkb outline`: see what the parser understood.

Evaluators check chunking against the document; trainers check that a
citation names the right chapter. Both read the live index without loading a
model, so these commands answer in about a second.
"""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

from wtkb.cli_base import IndexOpt, app, friendly_errors, out, plain, safe, safe_json, settings_or_fail

DocOpt = Annotated[Optional[str], typer.Option("--doc", help="Only this document id (see `wtkb info`).")]


@app.command()
def chunks(
    doc: DocOpt = None,
    as_json: Annotated[bool, typer.Option(
        "--json", metavar="", help="JSON Lines: one chunk and its citation per line.")] = False,
    index_dir: IndexOpt = None,
):
    """Every chunk with its citation, in document order (JSON Lines with --json)."""
    import index as lib

    settings = settings_or_fail(index_dir=index_dir)
    with friendly_errors():
        records = lib.read_chunks(settings, doc_id=doc)
    for c in records:
        if as_json:
            row = {"chunk_id": c.chunk_id, "citation": lib.citation(c), "text": c.text,
                   "footnotes": [{"marker": f.marker, "text": f.text, "page": f.page} for f in c.footnotes]}
            sys.stdout.write(safe_json(row) + "\n")
        else:
            sys.stdout.write(f"{plain(c.chunk_id)}\t{plain(lib.label(c))}\n")
    sys.stdout.flush()


def _outline_record(ch) -> dict:
    return {"doc_id": ch.doc_id, "kind": ch.kind, "number": ch.number, "title": ch.title, "label": ch.label,
            "pages": list(ch.pages) if ch.pages else [],
            "sections": [{"path": list(s.path), "title": s.title, "paragraphs": [s.para_first, s.para_last]
                          if s.para_first else [], "pages": list(s.pages) if s.pages else [],
                          "chunks": len(s.chunk_ids)} for s in ch.sections]}


@app.command()
def outline(
    doc: DocOpt = None,
    as_json: Annotated[bool, typer.Option(
        "--json", metavar="", help="JSON Lines: one chapter with its sections per line.")] = False,
    index_dir: IndexOpt = None,
):
    """A document's recovered tree: chapters → sections → paragraph ranges with pages."""
    import index as lib
    from index import page_range, para_range

    settings = settings_or_fail(index_dir=index_dir)
    with friendly_errors():
        tree = lib.outline(lib.read_chunks(settings, doc_id=doc))
        coverage = {s.doc_id: s.coverage_line for s in lib.info(settings).sources}
    if as_json:
        for ch in tree:
            sys.stdout.write(safe_json(_outline_record(ch)) + "\n")
        sys.stdout.flush()
        return
    current = None
    for ch in tree:
        if ch.doc_id != current:
            current = ch.doc_id
            out.print(f"[bold]{safe(ch.doc_id)}[/]")
            if coverage.get(ch.doc_id):
                out.print(f"  [dim]text: {safe(coverage[ch.doc_id])}[/]")
        out.print(f"  [cyan]{safe(ch.label)}[/] [dim]{safe(page_range(ch.pages))}[/]")
        for s in ch.sections:
            where = " · ".join(x for x in (para_range(s.para_first, s.para_last), page_range(s.pages)) if x)
            indent = "    " * max(1, s.depth)
            out.print(f"{indent}{safe(s.title or '(opening text)')} [dim]{safe(where)}[/]")
