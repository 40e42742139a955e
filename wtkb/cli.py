"""The `wtkb` command: a thin shell over the `index` library API.

Every known failure (bad file, missing index, wrong model, empty question, no
network) ends with one red line saying what to do, never a traceback; set
WTKB_DEBUG=1 to see tracebacks when reporting a bug.
"""

from __future__ import annotations

import os
import stat
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from wtkb.progress import progress_bar

from wtkb.cli_base import (IndexOpt, ModelOpt, _progress, app, err, fail, friendly_errors, out, plain,  # noqa: F401
                           safe, safe_json, settings_or_fail)  # re-exported: tests and the console script use wtkb.cli


@app.command()
def build(
    corpus: Annotated[Optional[list[Path]], typer.Option("--corpus", help="Folder or file to index; repeatable. "
                      "Default: corpus/notes and corpus/official.")] = None,
    index_dir: IndexOpt = None,
    model: ModelOpt = None,
    if_stale: Annotated[bool, typer.Option("--if-stale", metavar="", help="Only build when the index is "
                        "missing or the "
                        "corpus files changed since the last build.")] = False,
):
    """Build (or update) the index from PDF, HTML, Markdown and text files."""
    from index import build as build_index
    from index import staleness

    settings = settings_or_fail(index_dir=index_dir, model=model)
    if if_stale:
        with friendly_errors():
            reason = staleness(settings, corpus)
        if not reason:
            out.print(f"Index is up to date: {safe(settings.index_dir)}")
            return
        out.print(f"Building: {safe(reason)}")
    stages = {"read": "Reading files", "embed": "Embedding chunks"}
    with friendly_errors(), progress_bar(lambda stage: stages.get(stage, stage), err) as progress:
        report = build_index(settings, corpus_dirs=corpus, progress=progress)
    for w in report.warnings:
        err.print(f"[yellow]skipped:[/] {safe(w)}")
    official = sum(1 for d in report.documents if d["official"])
    out.print(f"Indexed {len(report.documents)} documents ({official} official) as {report.chunks} chunks "
              f"in {report.seconds:.1f} s: {report.embedded} embedded, {report.reused} reused unchanged. "
              f"{len(report.warnings)} file(s) skipped.")
    out.print(f"Index: {safe(report.version)}")


EMERGENCY = ("If a child is in immediate danger, call 999. wtkb points you to the guidance; it does not replace "
             "your local procedures or professional judgement.")
NOTES_ONLY = ("No official text is indexed: these answers come from study notes, not the guidance itself. "
              "Run `wtkb fetch` (needs internet), then `wtkb build`.")


def _print_notices(kb) -> None:
    """What a person reading an answer must know first: the 999 line, and
    whether the official guidance itself is in the index at all."""
    from index import info

    out.print(f"[bold red]{EMERGENCY}[/]")
    if not info(kb=kb).has_official:
        out.print(f"[yellow]{safe(NOTES_ONLY)}[/]")
    out.print()


def _print_answer(result) -> None:
    from index import OFFICIAL, Citation

    if result.urgent:
        for line in result.urgent.lines:
            out.print(f"[bold red]! {safe(line.text)}[/]")
            out.print(f"    [cyan]{safe(line.citation.label)}[/]")
        out.print()
    if result.message:
        style = "yellow" if result.abstained else "dim"
        out.print(f"[{style}]{safe(result.message)}[/]")
    if result.abstained:
        return
    if result.terms:
        out.print("[dim]Terms: " + "; ".join(safe(f"{t.abbr} = {t.expansion}") for t in result.terms) + "[/]")
    out.print("[bold]Key points[/]")
    for i, kp in enumerate(result.key_points, start=1):
        out.print(f" {i}. {safe(kp.text)}")
        out.print(f"    [cyan]{safe(kp.citation.label)}[/]")
    out.print()
    out.print("[bold]Passages[/]")
    for h in result.hits:
        cit = Citation.of(h.chunk)
        tag = cit.label_badge.lower()
        badge = f"[{'green' if cit.provenance == OFFICIAL else 'yellow'}]{tag}[/]" if tag else ""
        out.print(f"[bold]{h.rank}.[/] [cyan]{safe(cit.label)}[/] {badge}")
        out.print(f"   {safe(h.chunk.text, keep_newlines=True)}")
        if cit.caveat:
            out.print(f"   [dim]{safe(cit.caveat)}[/]")
        out.print()


@app.command()
def ask(
    question: Annotated[Optional[str], typer.Argument(help="Your question, in your own words.")] = None,
    k: Annotated[int, typer.Option("--k", min=1, max=50, help="How many passages.")] = 5,
    doc: Annotated[Optional[list[str]], typer.Option("--doc", help="Only this document id; repeatable.")] = None,
    chapter: Annotated[Optional[list[str]], typer.Option("--chapter", help="Only this chapter; repeatable.")] = None,
    kind: Annotated[Optional[list[str]], typer.Option("--kind", help="guidance, framework, summary or notes.")] = None,
    edition: Annotated[Optional[list[str]], typer.Option("--edition", help="Only this edition (\"2018\" matches "
                       "2018-07-04) or document id; repeatable.")] = None,
    as_json: Annotated[bool, typer.Option("--json", metavar="", help="Machine-readable output.")] = False,
    batch: Annotated[Optional[str], typer.Option("--batch", help="File of questions, one per line ('-' for "
                     "stdin); prints JSON Lines.")] = None,
    index_dir: IndexOpt = None,
    model: ModelOpt = None,
):
    """Ask a question; get key points and the passages they come from, with citations."""
    import index as lib

    if (question is None) == (batch is None):
        fail("give either a question or --batch FILE")
    settings = settings_or_fail(index_dir=index_dir)
    filters = lib.Filters(doc=tuple(doc or ()), chapter=tuple(chapter or ()), kind=tuple(kind or ()),
                          edition=tuple(edition or ()))
    with friendly_errors():
        kb = lib.load(settings, model=model)
        if batch is None:
            if not filters.active() and cli_diff.print_change_answer(kb, question, as_json, k):
                return  # "what changed about X", answered from the diff of two indexed editions
            result = lib.answer(kb, question, k=k, filters=filters)
            if as_json:
                sys.stdout.write(safe_json(result.to_dict(), indent=2) + "\n")
                sys.stdout.flush()
            else:
                _print_notices(kb)
                _print_answer(result)
            return
        questions, total = _batch_questions(batch, settings.max_query_chars)
        _run_batch(lib, kb, questions, total, k, filters, settings.batch_progress_every_s)


def _read_lines(stream, longest: int) -> Iterator[str]:
    """Non-blank lines as they arrive (a co-process writes one, waits for its
    answer, then writes the next). A line longer than ``longest`` characters is
    cut there and the rest of it skipped, so one endless line cannot fill memory."""
    while True:
        line = stream.readline(longest)
        if not line:
            return
        if not line.endswith("\n") and len(line) >= longest:
            rest = line
            while rest and not rest.endswith("\n"):
                rest = stream.readline(longest)
        if line.strip():
            yield line.rstrip("\r\n")


def _batch_questions(batch: str, max_query_chars: int) -> tuple[Iterator[str], int | None]:
    """The questions of ``--batch`` and how many there are (None when they
    stream in: stdin or a named pipe, answered one by one as each line arrives)."""
    longest = max_query_chars * 4 + 2  # far past the question cap, which prepare_query applies
    if batch == "-":
        sys.stdin.reconfigure(errors="replace")
        return _read_lines(sys.stdin, longest), None
    path = Path(batch)
    try:
        kind = path.stat().st_mode
        if stat.S_ISFIFO(kind):
            return _read_lines(open(path, encoding="utf-8", errors="replace"), longest), None
        if not stat.S_ISREG(kind):
            fail(f"{batch}: not a file of questions (a folder or device?); give a UTF-8 text file, or - for stdin")
        with open(path, encoding="utf-8") as f:
            questions = list(_read_lines(f, longest))
    except (OSError, UnicodeDecodeError) as e:
        fail(f"{batch}: cannot read the questions file ({type(e).__name__}); give a UTF-8 text file")
    return iter(questions), len(questions)


def _progress_line(done: int, total: int | None, seconds: float) -> str:
    if total is None:
        return f"answered {done} question{'' if done == 1 else 's'} in {seconds:.0f} s"
    return f"answered {done}/{total} questions ({done * 100 // max(total, 1)}%) in {seconds:.0f} s"


def _write_record(record: dict) -> None:
    """One JSON line, flushed at once so a co-process can read it before sending the next question."""
    sys.stdout.write(safe_json(record) + "\n")
    sys.stdout.flush()


def _run_batch(lib, kb, questions: Iterator[str], total: int | None, k: int, filters, every_s: float) -> None:
    """JSON Lines on stdout, one per question, each written as soon as it is
    answered; progress on stderr (a bar on a terminal, else a line at most
    every ``every_s`` seconds and at the end; no total while lines stream in)."""
    start = last = time.monotonic()
    bar = _progress() if err.is_terminal else None
    task = bar.add_task("Answering questions", total=total) if bar else None
    if bar:
        bar.start()
    done = shown = 0
    try:
        for done, line in enumerate(questions, start=1):
            try:
                record = lib.answer(kb, line, k=k, filters=filters).to_dict()
            except lib.QueryError as e:
                record = {"query": line, "error": str(e)}
            _write_record(record)
            now = time.monotonic()
            if bar:
                bar.update(task, completed=done)
            elif done == total or now - last >= every_s:
                last, shown = now, done
                err.print(_progress_line(done, total, now - start), highlight=False)
    except BrokenPipeError:
        # Whoever read the answers has gone; say so once and leave stdout alone.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        fail(f"the output was closed after {done} answer(s); nothing else was written")
    finally:
        if bar:
            bar.stop()
    if not bar and (shown != done or done == 0):
        err.print(_progress_line(done, total, time.monotonic() - start), highlight=False)


@app.command()
def info(index_dir: IndexOpt = None):
    """What the index holds: documents, chunks, model and build time."""
    import index as lib

    settings = settings_or_fail(index_dir=index_dir)
    with friendly_errors():
        about = lib.info(settings)
    table = Table(title=f"Index {safe(about.path)}")
    for col in ("document", "kind", "official", "edition", "chunks", "source"):
        table.add_column(col)
    for d in about.sources:
        table.add_row(safe(f"{d.title} ({d.doc_id})"), safe(d.kind), "yes" if d.official else "no", safe(d.edition),
                      str(d.chunks), safe(d.path))
    out.print(table)
    for d in about.sources:
        if d.coverage_line:
            out.print(f"[dim]{safe(d.doc_id)}: {safe(d.coverage_line)}[/]")
    out.print(f"{about.chunk_count} chunks · model {safe(about.model_identity)} ({about.dim} dims) · "
              f"{safe(about.vector_index)} vector search · built {safe(about.built_at)}")
    if not about.has_official:
        out.print("[yellow]No official text is indexed yet: run `wtkb fetch` (needs internet), then `wtkb build`.[/]")


@app.command()
def fetch(
    only: Annotated[Optional[list[str]], typer.Option("--only", help="Only this source id; repeatable.")] = None,
    dest: Annotated[Optional[Path], typer.Option("--dest", help="Folder (default corpus/official).")] = None,
    allow_missing: Annotated[bool, typer.Option(
        "--allow-missing", metavar="", help="Exit 0 even when a download fails.")] = False,
    timeout: Annotated[Optional[float], typer.Option(
        "--timeout", min=0.001, help="Give up on a document after this many seconds in all: lookup, connection "
        "and the whole download, however slowly the server sends (default fetch_max_seconds, 300).")] = None,
):
    """Download the official documents listed in corpus/sources.toml."""
    import index as lib

    settings = settings_or_fail()
    if timeout is not None:  # bounds the whole download, and so every single wait within it too
        settings = settings_or_fail(fetch_max_seconds=timeout,
                                    fetch_timeout_s=min(settings.fetch_timeout_s, timeout))
    with friendly_errors(), progress_bar(lambda doc_id: f"Downloading {safe(doc_id)}", err) as progress:
        results = lib.fetch(settings, only=only, dest=dest, progress=progress)
    bad = 0
    for r in results:
        colour = {"fetched": "green", "unchanged": "dim"}.get(r.status, "red")
        bad += r.status in ("failed", "missing")
        out.print(f"[{colour}]{r.status:>9}[/] {safe(r.message)}")
    if bad and not allow_missing:
        raise typer.Exit(1)


@app.command(name="eval")
def evaluate(
    gold: Annotated[Optional[list[Path]], typer.Option("--gold", help="Gold set (JSON Lines); repeatable. "
                    "Default: evals/gold/*.jsonl.")] = None,
    out_dir: Annotated[Optional[Path], typer.Option("--out", help="Report folder (default evals/reports).")] = None,
    system: Annotated[Optional[list[str]], typer.Option("--system", help="Only this system; repeatable.")] = None,
    corpus: Annotated[Optional[Path], typer.Option("--corpus", help="Folder (or one file) holding the documents "
                      "paragraph-labelled gold sets are about (the KCSIE 2025 and Working Together 2023 PDFs); "
                      "each set uses the file named with its 'document' words.")] = None,
):
    """Score retrieval against gold questions: baselines side by side, report in evals/reports/."""
    from index import evaluate as run_eval

    settings = settings_or_fail()
    with friendly_errors(), progress_bar(console=err) as progress:
        try:
            report = run_eval(settings, gold=gold, out_dir=out_dir, systems=system, corpus=corpus,
                              progress=progress)
        except ValueError as e:
            fail(str(e))
    where = out_dir or settings.reports_dir
    out.print(f"Report written to {safe(where)}/report.md")
    return report


from wtkb import cli_browse  # noqa: E402,F401 - registers `chunks` and `outline` on the app
from wtkb import cli_diff  # noqa: E402 - registers `wtkb diff`; needs `app` above
from wtkb import cli_verify  # noqa: E402,F401 - registers `wtkb verify`

if __name__ == "__main__":  # pragma: no cover
    app()
