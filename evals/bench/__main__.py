"""The command line of the benchmark: ``python -m evals.bench --help``.

Decides which sections run and at what size, runs them under one progress bar,
and writes ``bench.json`` (every figure and raw run) and ``bench.md`` (the
report rendered from it); ``--quick`` writes ``bench-quick.*`` instead.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from index import PROJECT_ROOT, load_settings
from index import loadavg, machine
from wtkb.progress import progress_bar

from . import __doc__ as PACKAGE_DOC
from .build import bench_build, build_indexes
from .cold import bench_cold
from .common import FULL_SCALES, KEYWORD_FULL_SCALES, PY, QUICK_SCALES, TARGETS, Update, section
from .figures import key_figures
from .query import bench_query
from .report import render_markdown
from .scale import bench_scale

SECTIONS = ("build", "query", "cold", "scale")


@dataclass(frozen=True)
class Plan:
    """What one run measures, and at what size."""

    sections: frozenset[str]
    scales: tuple[int, ...]
    keyword_scales: tuple[int, ...]
    queries: int  # per scale point
    reps: int  # builds, cold starts
    query_count: int  # timed calls per backend in the query section
    seed: int


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m evals.bench", description=PACKAGE_DOC.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="reduced run (1k and 10k, fewer repetitions and queries)")
    ap.add_argument("--out", type=Path, default=PROJECT_ROOT / "evals" / "reports", help="report folder")
    ap.add_argument("--only", default="build,query,cold,scale", help="comma-separated sections to run")
    ap.add_argument("--scales", default=None, help="comma-separated vector corpus sizes (default 1k..100k)")
    ap.add_argument("--queries", type=int, default=None, help="queries per scale point (default 300; quick 100)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--render", type=Path, default=None, metavar="JSON",
                    help="only rewrite the markdown report from an existing bench JSON (no measuring)")
    return ap


def _plan(args: argparse.Namespace, ap: argparse.ArgumentParser) -> Plan:
    sections = {s.strip() for s in args.only.split(",") if s.strip()}
    unknown = sections - set(SECTIONS)
    if unknown:
        ap.error(f"unknown section(s): {', '.join(sorted(unknown))}")
    scales = tuple(int(x) for x in args.scales.split(",")) if args.scales else \
        (QUICK_SCALES if args.quick else FULL_SCALES)
    return Plan(sections=frozenset(sections), scales=scales,
                keyword_scales=tuple(n for n in scales if n in KEYWORD_FULL_SCALES) or (scales[-1],),
                queries=args.queries or (100 if args.quick else 300), reps=1 if args.quick else 3,
                query_count=60 if args.quick else 120, seed=args.seed)


def _run_sections(results: dict, plan: Plan, work: Path, update: Update, console: Console,
                  exact_search_max: int) -> None:
    """Each requested section in order; query and cold reuse the build section's indexes."""
    dirs = None
    if "build" in plan.sections:
        with section(results, "build") as block:
            figures, dirs = bench_build(work, plan.reps, update)
            block.update(figures)
        console.log("build done")
    elif plan.sections & {"query", "cold"}:
        dirs = build_indexes(work, update)
    if "query" in plan.sections:
        with section(results, "query") as block:
            block.update(bench_query(dirs, plan.query_count, update))
        console.log("query done")
    if "cold" in plan.sections:
        with section(results, "cold") as block:
            block.update(bench_cold(dirs, plan.reps, update))
        console.log("cold start done")
    if "scale" in plan.sections:
        per_chunk = (results.get("build") or {}).get("bytes_per_chunk")
        with section(results, "scale") as block:
            block.update(bench_scale(plan.scales, plan.keyword_scales, plan.queries, plan.seed, update,
                                     exact_search_max, per_chunk))
        console.log("scale done")


def _write(results: dict, out: Path, quick: bool, console: Console) -> None:
    out.mkdir(parents=True, exist_ok=True)
    stem = "bench-quick" if quick else "bench"
    (out / f"{stem}.json").write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    (out / f"{stem}.md").write_text(render_markdown(results), encoding="utf-8")
    console.print(f"wrote {out / (stem + '.md')} and {stem}.json")
    for f, v, t, ok, _ in key_figures(results):
        console.print(f"  {ok} {f}: {v} (target {t})")


def _render_only(path: Path) -> int:
    """Rewrite the Markdown next to an existing bench JSON, measuring nothing."""
    results = json.loads(path.read_text(encoding="utf-8"))
    path.with_suffix(".md").write_text(render_markdown(results), encoding="utf-8")
    print(f"wrote {path.with_suffix('.md')}")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = _parser()
    args = ap.parse_args(argv)
    if args.render:
        return _render_only(args.render)
    plan = _plan(args, ap)
    settings = load_settings()
    cmd = " ".join([PY, "-m", "evals.bench", *(argv if argv is not None else sys.argv[1:])])
    results: dict = {"command": cmd.strip(), "quick": args.quick, "started": time.strftime("%Y-%m-%d %H:%M:%S %z"),
                     "machine": machine(), "targets": TARGETS, "exact_search_max_now": settings.exact_search_max}
    t0 = time.perf_counter()
    console = Console(stderr=True)
    work = Path(tempfile.mkdtemp(prefix="wtkb-bench-"))
    try:
        with progress_bar(console=console) as update:
            _run_sections(results, plan, work, update, console, settings.exact_search_max)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results["machine"]["loadavg_end"] = loadavg()
    results["total_seconds"] = round(time.perf_counter() - t0, 1)
    _write(results, args.out, args.quick, console)
    return 0


if __name__ == "__main__":
    sys.exit(main())
