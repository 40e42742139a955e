"""The `wtkb` command: a thin shell over the `index` library API.

Every known failure (bad file, missing index, wrong model, empty question, no
network) ends with one red line saying what to do, never a traceback; set
WTKB_DEBUG=1 to see tracebacks when reporting a bug.
"""

from __future__ import annotations

import json
import os
import sys
import time
import unicodedata
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

from wtkb.progress import rich_progress

app = typer.Typer(help="wtkb: cited answers from Working Together to Safeguard Children 2023.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


# ---------------------------------------------------------------- safe output
#
# File names, titles and document text come from files anyone can write. Before
# anything reaches the terminal, control characters (escape sequences, carriage
# returns, bidirectional overrides) are shown as visible escapes and rich
# markup is escaped, so a file cannot recolour, rewrite or hide what wtkb says.

_BIDI = {0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)}


def _visible(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def plain(text, keep_newlines: bool = False) -> str:
    """``text`` with every control character escaped (newlines kept when asked)."""
    out = []
    for ch in str(text):
        if keep_newlines and ch == "\n":
            out.append(ch)
        elif ch == "\t":
            out.append(" ")
        elif unicodedata.category(ch) == "Cc" or ord(ch) in _BIDI:
            out.append(_visible(ch))
        else:
            out.append(ch)
    return "".join(out)


def safe(text, keep_newlines: bool = False) -> str:
    """Printable through rich: controls escaped, markup escaped."""
    return escape(plain(text, keep_newlines))


def safe_json(data, indent: int | None = None) -> str:
    """JSON whose strings carry no raw control, C1 or bidi characters (json
    escapes only those below 0x20), so it is safe on a terminal and still valid."""
    text = json.dumps(data, ensure_ascii=False, indent=indent)
    return "".join(f"\\u{ord(ch):04x}" if (0x7F <= ord(ch) <= 0x9F or ord(ch) in _BIDI) else ch for ch in text)


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
        fail(f"unexpected {type(e).__name__}: {e}. Rerun with WTKB_DEBUG=1 and report it", 2)


def _progress() -> Progress:
    return rich_progress(err)


IndexOpt = Annotated[Optional[str], typer.Option("--index", help="Index folder (default: var/index).")]
ModelOpt = Annotated[Optional[str], typer.Option("--model", help="sentence-transformers model: bundled "
                     "all-MiniLM-L6-v2 (default), a local folder, or a hub name when online.")]


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
    with friendly_errors(), _progress() as bar:
        tasks: dict[str, int] = {}

        def progress(stage: str, done: int, total: int):
            label = {"read": "Reading files", "embed": "Embedding chunks"}.get(stage, stage)
            if stage not in tasks:
                tasks[stage] = bar.add_task(label, total=total)
            bar.update(tasks[stage], completed=done, total=total)

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
        if batch == "-":
            lines = sys.stdin.read().splitlines()
        else:
            try:
                lines = Path(batch).read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError) as e:
                fail(f"{batch}: cannot read the questions file ({type(e).__name__}); give a UTF-8 text file")
        _run_batch(lib, kb, [ln for ln in lines if ln.strip()], k, filters, settings.batch_progress_every_s)


def _run_batch(lib, kb, questions: list[str], k: int, filters, every_s: float) -> None:
    """JSON Lines on stdout, one per question; progress on stderr (a bar on a
    terminal, else a line at most every ``every_s`` seconds and at the end)."""
    total = len(questions)
    start = last = time.monotonic()
    bar = _progress() if err.is_terminal else None
    task = bar.add_task("Answering questions", total=total) if bar else None
    if bar:
        bar.start()
    try:
        for i, line in enumerate(questions, start=1):
            try:
                record = lib.answer(kb, line, k=k, filters=filters).to_dict()
            except lib.QueryError as e:
                record = {"query": line, "error": str(e)}
            sys.stdout.write(safe_json(record) + "\n")
            sys.stdout.flush()
            now = time.monotonic()
            if bar:
                bar.update(task, completed=i)
            elif i == total or now - last >= every_s:
                last = now
                err.print(f"answered {i}/{total} questions ({i * 100 // max(total, 1)}%) in {now - start:.0f} s",
                          highlight=False)
    finally:
        if bar:
            bar.stop()


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
    timeout: Annotated[Optional[float], typer.Option("--timeout", help="Seconds to wait for a server.")] = None,
):
    """Download the official documents listed in corpus/sources.toml."""
    import index as lib

    settings = settings_or_fail(fetch_timeout_s=timeout)
    with friendly_errors(), _progress() as bar:
        tasks: dict[str, int] = {}

        def progress(doc_id: str, done: int, total: int | None):
            if doc_id not in tasks:
                tasks[doc_id] = bar.add_task(f"Downloading {safe(doc_id)}", total=total)
            bar.update(tasks[doc_id], completed=done, total=total)

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
    corpus: Annotated[Optional[Path], typer.Option("--corpus", help="Folder holding the document a "
                      "paragraph-labelled gold set is about (e.g. the KCSIE 2025 PDF).")] = None,
):
    """Score retrieval against gold questions: baselines side by side, report in evals/reports/."""
    from index import evaluate as run_eval

    settings = settings_or_fail()
    with friendly_errors(), _progress() as bar:
        tasks: dict[str, int] = {}

        def progress(stage: str, done: int, total: int):
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

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

if __name__ == "__main__":  # pragma: no cover
    app()
