"""The `wtkb` command: a thin shell over the `index` library API.

Every known failure (bad file, missing index, wrong model, empty question, no
network) ends with one red line saying what to do, never a traceback; set
WTKB_DEBUG=1 to see tracebacks when reporting a bug.
"""

from __future__ import annotations

import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from wtkb.config import load_settings

app = typer.Typer(help="wtkb: cited answers from Working Together to Safeguard Children 2023.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def fail(message: str, code: int = 1):
    err.print(f"[bold red]error:[/] {escape(message)}")
    raise typer.Exit(code)


@contextmanager
def friendly_errors():
    """Turn the library's known errors into one line and an exit code."""
    from ingest.records import IngestError
    from index import IndexError_, ModelError, QueryError

    try:
        yield
    except (IngestError, IndexError_, ModelError, QueryError) as e:
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
        fail(f"unexpected {type(e).__name__}: {e}. Rerun with WTKB_DEBUG=1 and report it", 2)


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=err, transient=False, disable=not err.is_terminal and not os.environ.get("WTKB_PROGRESS"))


IndexOpt = Annotated[Optional[Path], typer.Option("--index", help="Index folder (default: var/index).")]
ModelOpt = Annotated[Optional[str], typer.Option("--model", help="sentence-transformers model: bundled "
                     "all-MiniLM-L6-v2 (default), a local folder, or a hub name when online.")]


@app.command()
def build(
    corpus: Annotated[Optional[list[Path]], typer.Option("--corpus", help="Folder or file to index; repeatable. "
                      "Default: corpus/notes and corpus/official.")] = None,
    index_dir: IndexOpt = None,
    model: ModelOpt = None,
    if_stale: Annotated[bool, typer.Option("--if-stale", help="Only build when the index is missing or the "
                        "corpus files changed since the last build.")] = False,
):
    """Build (or update) the index from PDF, HTML, Markdown and text files."""
    from index import build as build_index
    from index import staleness

    settings = load_settings(index_dir=index_dir, model=model)
    if if_stale:
        reason = staleness(settings, corpus)
        if not reason:
            out.print(f"Index is up to date: {escape(str(settings.index_dir))}")
            return
        out.print(f"Building: {escape(reason)}")
    with friendly_errors(), _progress() as bar:
        tasks: dict[str, int] = {}

        def progress(stage: str, done: int, total: int):
            label = {"read": "Reading files", "embed": "Embedding chunks"}.get(stage, stage)
            if stage not in tasks:
                tasks[stage] = bar.add_task(label, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        report = build_index(settings, corpus_dirs=corpus, progress=progress)
    for w in report.warnings:
        err.print(f"[yellow]skipped:[/] {escape(w)}")
    official = sum(1 for d in report.documents if d["official"])
    out.print(f"Indexed {len(report.documents)} documents ({official} official) as {report.chunks} chunks "
              f"in {report.seconds:.1f} s: {report.embedded} embedded, {report.reused} reused unchanged. "
              f"{len(report.warnings)} file(s) skipped.")
    out.print(f"Index: {escape(str(report.version))}")


def _print_answer(result) -> None:
    from index import label

    if result.message:
        style = "yellow" if result.abstained else "dim"
        out.print(f"[{style}]{escape(result.message)}[/]")
    if result.abstained:
        return
    if result.terms:
        out.print("[dim]Terms: " + "; ".join(escape(f"{t.abbr} = {t.expansion}") for t in result.terms) + "[/]")
    out.print("[bold]Key points[/]")
    for i, kp in enumerate(result.key_points, start=1):
        out.print(f" {i}. {escape(kp.text)}")
        out.print(f"    [cyan]{escape(kp.citation['label'])}[/]")
    out.print()
    out.print("[bold]Passages[/]")
    for h in result.hits:
        # A note's label already begins "Unofficial study note".
        badge = "[green]official[/]" if h.chunk.meta.official else "" if h.chunk.meta.kind == "notes" \
            else "[yellow]unofficial[/]"
        out.print(f"[bold]{h.rank}.[/] [cyan]{escape(label(h.chunk))}[/] {badge}")
        out.print(f"   {escape(h.chunk.text)}")
        if h.chunk.meta.kind == "notes":
            out.print("   [dim]Study note written by wtkb, not the guidance itself: check the official chapter.[/]")
        out.print()


@app.command()
def ask(
    question: Annotated[Optional[str], typer.Argument(help="Your question, in your own words.")] = None,
    k: Annotated[int, typer.Option("--k", min=1, max=50, help="How many passages.")] = 5,
    doc: Annotated[Optional[list[str]], typer.Option("--doc", help="Only this document id; repeatable.")] = None,
    chapter: Annotated[Optional[list[str]], typer.Option("--chapter", help="Only this chapter; repeatable.")] = None,
    kind: Annotated[Optional[list[str]], typer.Option("--kind", help="guidance, framework, summary or notes.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    batch: Annotated[Optional[str], typer.Option("--batch", help="File of questions, one per line ('-' for "
                     "stdin); prints JSON Lines.")] = None,
    index_dir: IndexOpt = None,
    model: ModelOpt = None,
):
    """Ask a question; get key points and the passages they come from, with citations."""
    import index as lib

    if (question is None) == (batch is None):
        fail("give either a question or --batch FILE")
    settings = load_settings(index_dir=index_dir)
    filters = lib.Filters(doc=tuple(doc or ()), chapter=tuple(chapter or ()), kind=tuple(kind or ()))
    with friendly_errors():
        kb = lib.load(settings, model=model)
        if batch is None:
            result = lib.answer(kb, question, k=k, filters=filters)
            if as_json:
                out.print_json(json.dumps(result.to_dict(), ensure_ascii=False))
            else:
                _print_answer(result)
            return
        if batch == "-":
            lines = sys.stdin.read().splitlines()
        else:
            try:
                lines = Path(batch).read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError) as e:
                fail(f"{batch}: cannot read the questions file ({type(e).__name__}); give a UTF-8 text file")
        for line in lines:
            if not line.strip():
                continue
            try:
                record = lib.answer(kb, line, k=k, filters=filters).to_dict()
            except lib.QueryError as e:
                record = {"query": line, "error": str(e)}
            sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
        sys.stdout.flush()


@app.command()
def info(index_dir: IndexOpt = None):
    """What the index holds: documents, chunks, model and build time."""
    from index import store

    settings = load_settings(index_dir=index_dir)
    with friendly_errors():
        version, manifest = store.read_manifest(settings.index_dir)
    table = Table(title=f"Index {version}")
    for col in ("document", "kind", "official", "edition", "chunks", "source"):
        table.add_column(col)
    for d in manifest.get("sources", []):
        table.add_row(escape(f"{d['title']} ({d['doc_id']})"), d["kind"], "yes" if d["official"] else "no",
                      escape(d.get("edition") or ""), str(d["chunks"]), escape(d["path"]))
    out.print(table)
    m = manifest["model"]
    official = sum(1 for d in manifest.get("sources", []) if d["official"])
    out.print(f"{manifest['chunk_count']} chunks · model {escape(m['identity'])} ({m['dim']} dims) · "
              f"{manifest.get('vector_index', 'exact')} vector search · built {manifest['built_at']}")
    if not official:
        out.print("[yellow]No official text is indexed yet: run `wtkb fetch` (needs internet), then `wtkb build`.[/]")


@app.command()
def fetch(
    only: Annotated[Optional[list[str]], typer.Option("--only", help="Only this source id; repeatable.")] = None,
    dest: Annotated[Optional[Path], typer.Option("--dest", help="Folder (default corpus/official).")] = None,
    allow_missing: Annotated[bool, typer.Option("--allow-missing", help="Exit 0 even when a download fails.")] = False,
    timeout: Annotated[Optional[float], typer.Option("--timeout", help="Seconds to wait for a server.")] = None,
):
    """Download the official documents listed in corpus/sources.toml."""
    from ingest.fetch import fetch_all

    settings = load_settings(fetch_timeout_s=timeout)
    with friendly_errors(), _progress() as bar:
        tasks: dict[str, int] = {}

        def progress(doc_id: str, done: int, total: int | None):
            if doc_id not in tasks:
                tasks[doc_id] = bar.add_task(f"Downloading {doc_id}", total=total)
            bar.update(tasks[doc_id], completed=done, total=total)

        results = fetch_all(settings, only=only, dest=dest, progress=progress)
    bad = 0
    for r in results:
        colour = {"fetched": "green", "unchanged": "dim"}.get(r.status, "red")
        bad += r.status in ("failed", "missing")
        out.print(f"[{colour}]{r.status:>9}[/] {escape(r.message)}")
    if bad and not allow_missing:
        raise typer.Exit(1)


@app.command(name="eval")
def evaluate(
    gold: Annotated[Optional[list[Path]], typer.Option("--gold", help="Gold set (JSON Lines); repeatable. "
                    "Default: evals/gold/*.jsonl.")] = None,
    out_dir: Annotated[Optional[Path], typer.Option("--out", help="Report folder (default evals/reports).")] = None,
    system: Annotated[Optional[list[str]], typer.Option("--system", help="Only this system; repeatable.")] = None,
    corpus: Annotated[Optional[Path], typer.Option("--corpus", help="Folder holding the document a "
                      "paragraph-labelled gold set is about (e.g. the KCSIE 2025 PDF).")] = None,
):
    """Score retrieval against gold questions: baselines side by side, report in evals/reports/."""
    from evals.run import main as run_eval

    settings = load_settings()
    with friendly_errors():
        try:
            report = run_eval(settings, gold=gold, out_dir=out_dir, systems=system, corpus=corpus)
        except ValueError as e:
            fail(str(e))
    where = out_dir or settings.reports_dir
    out.print(f"Report written to {escape(str(where))}/report.md")
    return report


if __name__ == "__main__":  # pragma: no cover
    app()
