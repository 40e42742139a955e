"""`wtkb verify DOC_ID`: make a document added by hand Official, by recording its checksum.

A real document copied into a corpus folder by hand is cited "Not verified": nothing
has checked that its bytes are the published file's. Whoever runs wtkb checks that
(compares it with the file on GOV.UK, or has the published file's sha256 from
someone who downloaded it) and this command records the result the one way wtkb
trusts: the file's sha256 pinned in its ``sources.toml`` entry (added when the
document has none). The next ``wtkb build`` cites it as Official.

Registered on the `wtkb` typer app when ``wtkb.cli`` is imported.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from wtkb.cli_base import IndexOpt, app, fail, friendly_errors, out, safe, settings_or_fail


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _entry(settings, doc_id: str):
    """The indexed document ``doc_id``, or one line naming the documents that can be verified."""
    import index as lib

    sources = lib.info(settings).sources
    found = next((d for d in sources if d.doc_id == doc_id), None)
    if found is None:
        waiting = [d.doc_id for d in sources if not d.official and not d.is_note]
        fail(f"no document '{doc_id}' in the index; "
             + (f"not verified: {', '.join(waiting[:12])}" if waiting else "every document in it is verified "
                "or a study note"))
    return found


@app.command()
def verify(
    doc_id: Annotated[str, typer.Argument(help="The document's id, as `wtkb info` lists it.")],
    sha256: Annotated[Optional[str], typer.Option(
        "--sha256", help="The published file's sha256, when you have it: the copy must match it.")] = None,
    yes: Annotated[bool, typer.Option("--yes", help="You compared the copy with the published file.")] = False,
    index_dir: IndexOpt = None,
):
    """Cite a document added by hand as Official: pin its sha256 in sources.toml."""
    import index as lib

    settings = settings_or_fail(index_dir=index_dir)
    with friendly_errors():
        doc = _entry(settings, doc_id)
        if doc.official:
            out.print(f"{safe(doc_id)} is already Official.")
            return
        if doc.is_note:
            fail(f"'{doc_id}' is a study note: notes are never official")
        path = Path(doc.path) if Path(doc.path).is_absolute() else Path(lib.PROJECT_ROOT) / doc.path
        if not path.is_file():
            fail(f"{doc.path}: the file '{doc_id}' was built from is gone; put it back or rebuild")
        now = _file_sha256(path)
        if doc.sha256 and now != doc.sha256:
            fail(f"{doc.path} changed since the index was built; run `wtkb build`, then verify it")
        if sha256 is not None and sha256.strip().lower() != now:
            fail(f"{doc.path} does not match the sha256 given: this copy is not that file; nothing recorded")
        if sha256 is None and not yes:
            if not sys.stdin.isatty():
                fail("say that you compared the copy with the published file: add --yes, or give "
                     "--sha256 HASH of the published file")
            typer.confirm(f"Did you compare {doc.path} with the published file?", abort=True)
        done = lib.pin_verified(settings, doc_id, now, doc.title, doc.kind)
    out.print(f"{safe(doc_id)}: sha256 {now[:12]}… {safe(done)} in {safe(settings.sources_file)}. "
              "Run `wtkb build` to cite it as Official.")
