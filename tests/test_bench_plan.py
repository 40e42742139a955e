"""The benchmark's command line without measuring anything: which sections and
sizes each flag selects, and ``--render`` rewriting a report from its JSON."""

from __future__ import annotations

import json
import shutil

import pytest

from evals.bench.__main__ import _parser, _plan, main
from evals.bench.common import FULL_SCALES, QUICK_SCALES
from evals.bench.report import render_markdown
from index import PROJECT_ROOT


def plan_of(*argv: str):
    ap = _parser()
    return _plan(ap.parse_args(list(argv)), ap)


def test_default_and_quick_sizes():
    full = plan_of()
    assert full.sections == {"build", "query", "cold", "scale"}
    assert full.scales == FULL_SCALES and full.keyword_scales == (1_000, 10_000, 100_000)
    assert (full.queries, full.reps, full.query_count) == (300, 3, 120)
    quick = plan_of("--quick")
    assert quick.scales == QUICK_SCALES and quick.keyword_scales == (1_000, 10_000)
    assert (quick.queries, quick.reps, quick.query_count) == (100, 1, 60)


def test_only_scales_queries_and_seed():
    p = plan_of("--only", " scale , cold", "--scales", "2000,5000", "--queries", "7", "--seed", "3")
    assert p.sections == {"scale", "cold"}
    assert p.scales == (2_000, 5_000)
    assert p.keyword_scales == (5_000,)  # no keyword size among them: the largest vector size
    assert (p.queries, p.seed) == (7, 3)


def test_unknown_section_is_refused(capsys):
    with pytest.raises(SystemExit) as e:
        plan_of("--only", "build,speed")
    assert e.value.code == 2 and "unknown section(s): speed" in capsys.readouterr().err


def test_render_rewrites_the_markdown_from_the_json(tmp_path):
    src = PROJECT_ROOT / "evals" / "reports" / "bench.json"
    path = tmp_path / "bench.json"
    shutil.copy(src, path)
    assert main(["--render", str(path)]) == 0
    md = (tmp_path / "bench.md").read_text(encoding="utf-8")
    assert md == render_markdown(json.loads(src.read_text(encoding="utf-8")))
    assert md.startswith("# wtkb speed and scale benchmark") and "## 4. Scale (synthetic)" in md
