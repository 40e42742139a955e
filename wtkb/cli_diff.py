"""`wtkb diff OLD_ID NEW_ID`: what changed between two editions, paragraph by paragraph.

Registered on the `wtkb` typer app when ``wtkb.cli`` is imported. Prints a
per-chapter summary (counts by kind) and every change, each citing both
editions by paragraph label and page; or writes it as JSON, Markdown or Word.
Also holds the printing of ``wtkb ask``'s answers to "what changed about X".
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from wtkb import sanitize
from wtkb.cli_base import IndexOpt, ModelOpt, app, fail, friendly_errors, out, safe, safe_json, settings_or_fail

SHORT = {"unchanged": "same", "renumbered": "ref no.", "footnote": "fn no.", "reworded": "reworded", "moved": "moved", "split": "split", "merged": "merged",
         "new": "new", "removed": "removed"}


HEADING = {"renumbered": "renumbered reference", "footnote": "footnote number"}


def _doc_label(kb, doc_id: str) -> str:
    from index import comparable_documents

    m = comparable_documents(kb).get(doc_id)
    if m is None:
        return doc_id
    return m.edition_label


def change_heading(change, old_label: str, new_label: str) -> str:
    """"reworded: Working Together 2018 para 12 · p. 5 → Working Together 2023 para 14 · p. 6"."""
    old = " + ".join(p.where for p in change.old)
    new = " + ".join(p.where for p in change.new)
    parts = []
    if change.old:
        parts.append(f"{old_label} {old}")
    if change.new:
        parts.append(f"{new_label} {new}")
    text = " \u2192 ".join(parts)
    if change.kind == "moved":
        o, n = change.old[0], change.new[0]
        text += f" (was Ch {o.chapter} \u203a {o.section or o.chapter_title}; now Ch {n.chapter} \u203a " \
                f"{n.section or n.chapter_title})"
    return f"{HEADING.get(change.kind, change.kind)}: {text}"


def _selected(alignment, only: str | None, chapter: str | None):
    from index import CHANGE_KINDS as KINDS
    from index import CHANGED

    kinds = tuple(k.strip().lower() for k in (only or "").split(",") if k.strip()) or CHANGED
    bad = [k for k in kinds if k not in KINDS]
    if bad:
        fail(f"--only: unknown kind '{bad[0]}'; use any of {', '.join(KINDS)}, separated by commas")
    return alignment.select(kinds, chapter)


# ---------------------------------------------------------------- terminal

def _print(alignment, changes, old_label: str, new_label: str) -> None:
    from index import CHANGE_KINDS as KINDS

    table = Table(title=f"{old_label} \u2192 {new_label}")
    table.add_column("chapter")
    for k in KINDS:
        table.add_column(SHORT[k], justify="right")
    for row in alignment.summary():
        name = f"Ch {row.new_chapter}" if row.new_chapter else f"(old Ch {row.old_chapter})"
        if row.old_chapter and row.old_chapter != row.new_chapter and row.new_chapter:
            name += f" (was {row.old_chapter})"
        table.add_row(safe(f"{name}: {row.title}"), *[str(row.counts[k]) for k in KINDS])
    out.print(table)
    for ch in changes:
        out.print(f"[bold]{safe(change_heading(ch, old_label, new_label))}[/]")
        if ch.diff:
            out.print("   " + "".join(_rich_segment(s) for s in ch.diff))
        elif ch.kind != "unchanged":
            out.print("   " + safe(" ".join(p.text for p in (ch.new or ch.old))))
        out.print()
    out.print(f"[dim]{len(changes)} change(s) shown; aligned in {alignment.seconds:.1f} s. Deleted words are "
              "struck through in red, inserted words underlined in green.[/]")


def _print_json(data) -> None:
    """Indented JSON with every control, bidi or invisible character escaped."""
    sys.stdout.write(safe_json(data, indent=2) + "\n")
    sys.stdout.flush()


def _rich_segment(seg) -> str:
    text = safe(seg.text)
    return {"del": f"[red strike]{text}[/]", "ins": f"[green underline]{text}[/]"}.get(seg.op, text)


# ---------------------------------------------------------------- files

def to_markdown(alignment, changes, old_label: str, new_label: str) -> str:
    """The summary and the changes as Markdown: ~~deleted~~ and **inserted** words."""
    from index import CHANGE_KINDS as KINDS
    from wtkb.export import md_escape

    lines = [f"# What changed: {md_escape(old_label)} \u2192 {md_escape(new_label)}", "",
             "| Chapter | " + " | ".join(SHORT[k] for k in KINDS) + " |",
             "|---|" + "---:|" * len(KINDS)]
    for row in alignment.summary():
        name = f"Ch {row.new_chapter}" if row.new_chapter else f"old Ch {row.old_chapter}"
        lines.append(f"| {md_escape(name + ': ' + row.title)} | " + " | ".join(str(row.counts[k]) for k in KINDS)
                     + " |")
    lines.append("")
    for ch in changes:
        lines += [f"## {md_escape(change_heading(ch, old_label, new_label))}", ""]
        if ch.diff:
            body = "".join(_md_segment(s) for s in ch.diff)
        else:
            body = md_escape(" ".join(p.text for p in (ch.new or ch.old)))
        lines += [body, ""]
    return "\n".join(lines)


def _md_segment(seg) -> str:
    from wtkb.export import md_escape

    text = md_escape(seg.text.replace("\n", " "))
    core, space = text.rstrip(), text[len(text.rstrip()):]
    if not core:
        return text
    return {"del": f"~~{core}~~{space}", "ins": f"**{core}**{space}"}.get(seg.op, text)


def to_docx(alignment, changes, old_label: str, new_label: str) -> bytes:
    """The same as Word: deletions struck through in red, insertions underlined in green."""
    import io

    from docx import Document
    from docx.shared import RGBColor

    from index import CHANGE_KINDS as KINDS

    doc = Document()
    word = sanitize.for_word  # every string passes it: python-docx refuses control characters
    doc.core_properties.title = word(f"What changed: {old_label} to {new_label}", single_line=True)
    doc.add_heading(word(f"What changed: {old_label} \u2192 {new_label}", single_line=True), level=1)
    rows = alignment.summary()
    table = doc.add_table(rows=1, cols=len(KINDS) + 1)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, ["Chapter"] + [SHORT[k] for k in KINDS]):
        cell.text = text
    for row in rows:
        cells = table.add_row().cells
        cells[0].text = word((f"Ch {row.new_chapter}" if row.new_chapter else f"old Ch {row.old_chapter}")
                             + f": {row.title}")
        for cell, k in zip(cells[1:], KINDS):
            cell.text = str(row.counts[k])
    for ch in changes:
        doc.add_heading(word(change_heading(ch, old_label, new_label), single_line=True), level=2)
        para = doc.add_paragraph()
        for seg in ch.diff or ():
            run = para.add_run(word(seg.text))
            if seg.op == "del":
                run.font.strike = True
                run.font.color.rgb = RGBColor(0xB0, 0x00, 0x20)
            elif seg.op == "ins":
                run.font.underline = True
                run.font.color.rgb = RGBColor(0x1B, 0x5E, 0x20)
        if not ch.diff:
            para.add_run(word(" ".join(p.text for p in (ch.new or ch.old))))
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _write(path: Path, data: bytes) -> None:
    """Write beside the target, then rename, so a failure never leaves half a file."""
    path = Path(path)
    if path.is_dir():
        fail(f"{path}: is a folder; give a file name")
    if not path.parent.exists():
        fail(f"{path}: the folder {path.parent} does not exist; create it or choose another path")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        fail(f"{path}: cannot be written ({e.strerror}); check the folder's permissions")


# ---------------------------------------------------------------- the command

@app.command()
def diff(
    old_id: Annotated[Optional[str], typer.Argument(help="Older edition's document id (see `wtkb info`).")] = None,
    new_id: Annotated[Optional[str], typer.Argument(help="Newer edition's document id.")] = None,
    chapter: Annotated[Optional[str], typer.Option("--chapter", help="Only this chapter (either edition's "
                       "number).")] = None,
    only: Annotated[Optional[str], typer.Option("--only", help="Only these kinds, comma-separated: renumbered "
                    "(a cross-reference number only), footnote (a footnote number only), reworded, moved, split, "
                    "merged, new, removed, unchanged. Default: every change.")] = None,
    as_json: Annotated[bool, typer.Option("--json", metavar="", help="Machine-readable output.")] = False,
    md: Annotated[Optional[Path], typer.Option("--md", help="Write the changes to this Markdown file.")] = None,
    docx: Annotated[Optional[Path], typer.Option("--docx", help="Write the changes to this Word file.")] = None,
    index_dir: IndexOpt = None,
    model: ModelOpt = None,
):
    """What changed between two editions: a per-chapter summary and every change, citing both."""
    import index as lib
    from index import DiffError, default_pair, edition_pairs, missing_editions

    if sum(bool(x) for x in (as_json, md, docx)) > 1:
        fail("choose one of --json, --md FILE and --docx FILE")
    if (old_id is None) != (new_id is None):
        fail("give both document ids (OLD_ID NEW_ID), or neither to use the editions declared in sources.toml")
    settings = settings_or_fail(index_dir=index_dir)
    with friendly_errors():
        kb = lib.load(settings, model=model)
        if old_id is None:
            pair = default_pair(kb)
            if pair is None:
                need = ", ".join(missing_editions(kb))
                fail(f"fewer than two editions are indexed; fetch {need} (`wtkb fetch`, then `wtkb build`) or "
                     "name two document ids")
            old_id, new_id = pair
        try:
            alignment = lib.diff_documents(kb, old_id, new_id)
        except DiffError as e:
            fail(str(e))
        changes = _selected(alignment, only, chapter)
        old_label, new_label = _doc_label(kb, old_id), _doc_label(kb, new_id)
        if as_json:
            data = alignment.to_dict()
            data["changes"] = [c.to_dict() for c in changes]
            data["pairs"] = [list(p) for p in edition_pairs(kb)]
            _print_json(data)
        elif md:
            _write(md, to_markdown(alignment, changes, old_label, new_label).encode("utf-8"))
            out.print(f"{len(changes)} change(s) written to {safe(str(md))}")
        elif docx:
            _write(docx, to_docx(alignment, changes, old_label, new_label))
            out.print(f"{len(changes)} change(s) written to {safe(str(docx))}")
        else:
            _print(alignment, changes, old_label, new_label)


# ---------------------------------------------------------------- ask: "what changed about X"

def print_change_answer(kb, question: str, as_json: bool, k: int = 5) -> bool:
    """Answer a question about change from the diff; False when it is not one or two editions are not indexed."""
    from index import changes_about, is_change_question

    if not is_change_question(question):
        return False
    result = changes_about(kb, question, k=k)
    if result is None:
        return False
    if as_json:
        _print_json(result.to_dict())
        return True
    old_label, new_label = _doc_label(kb, result.old_doc), _doc_label(kb, result.new_doc)
    out.print(f"[bold]What changed about {safe(result.topic)}[/] ({safe(old_label)} \u2192 "
              f"{safe(new_label)}, Ch {safe(result.chapter)}: {safe(result.chapter_title)}; "
              f"{result.total} change(s) in that chapter, the {len(result.changes)} closest shown)")
    for ch in result.changes:
        out.print(f"[bold]{safe(change_heading(ch, old_label, new_label))}[/]")
        body = "".join(_rich_segment(s) for s in ch.diff) if ch.diff else \
            safe(" ".join(p.text for p in (ch.new or ch.old)))
        out.print("   " + body)
        out.print()
    if not result.changes:
        out.print("[yellow]No changes were found in that chapter.[/]")
    return True
