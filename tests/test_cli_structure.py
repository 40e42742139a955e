"""`wtkb chunks` and `wtkb outline` as an evaluator runs them: a real build, a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from evals.fixture_layouts import build_layout

pytestmark = pytest.mark.slow
WTKB = [str(Path(sys.executable).parent / "wtkb")]


def run(args, env, check=True):
    p = subprocess.run(WTKB + args, env=env, capture_output=True, text=True, timeout=300)
    if check and p.returncode != 0:
        raise AssertionError(f"wtkb {' '.join(args)} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    return p


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("structure-cli")
    corpus = root / "corpus"
    key = build_layout(corpus / "layout-guidance.pdf", scheme="simple", outline=False)
    env = dict(os.environ, WTKB_INDEX_DIR=str(root / "index"), COLUMNS="200")
    run(["build", "--corpus", str(corpus)], env)
    return env, key


def test_chunks_json_lines_carry_the_citation(built):
    env, key = built
    rows = [json.loads(line) for line in run(["chunks", "--json"], env).stdout.splitlines()]
    assert rows and all(set(r) == {"chunk_id", "citation", "text", "footnotes"} for r in rows)
    cited = {lab: r["citation"] for r in rows for lab in r["citation"]["paragraphs"]}
    assert sorted(cited, key=int) == sorted(key["paragraphs"], key=int)
    for lab, want in key["paragraphs"].items():
        c = cited[lab]
        assert (c["chapter_kind"], c["chapter"], c["chapter_title"], c["section"]) == \
            (want["kind"], want["number"], want["top"], want["section"]), lab
        assert c["pages"][0] <= want["page"] <= c["pages"][-1]


def test_outline_tree_in_document_order(built):
    env, key = built
    tree = [json.loads(line) for line in run(["outline", "--json"], env).stdout.splitlines()]
    assert [t["title"] for t in tree] == [t["title"] for t in key["tops"]]
    part_one = tree[1]
    assert part_one["label"] == "Part one: Information for all staff"
    assert [s["title"] for s in part_one["sections"]] == ["What staff should know", "What staff should do"]
    assert part_one["sections"][0]["paragraphs"] == ["1", "5"]
    human = run(["outline", "--doc", "layout-guidance"], env).stdout
    assert "Part two: Concerns or allegations" in human and "paras 1\u20135" in human


def test_unknown_document_is_one_line(built):
    env, _ = built
    p = run(["chunks", "--doc", "no-such-doc"], env, check=False)
    assert p.returncode == 1 and "no document 'no-such-doc'" in p.stderr and "Traceback" not in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1


def test_build_records_text_coverage_and_info_and_outline_show_it(tmp_path):
    from evals.fixture_outlines import contents_and_annex

    corpus = tmp_path / "corpus"
    contents_and_annex(corpus / "sparse-outline.pdf")
    env = dict(os.environ, WTKB_INDEX_DIR=str(tmp_path / "index"), COLUMNS="250")
    run(["build", "--corpus", str(corpus)], env)
    version = tmp_path / "index" / (tmp_path / "index" / "CURRENT").read_text().strip()
    (doc,) = json.loads((version / "manifest.json").read_text())["sources"]
    cov = doc["coverage"]
    assert cov["lost"] == 0 and cov["accounted"] == 1.0 and cov["words"] > 500
    assert set(cov["removed"]) == {"cover", "contents list"}  # pages 3-8 are text, not front matter
    assert cov["kept"] + sum(cov["removed"].values()) == cov["words"]
    for command in (["info"], ["outline", "--doc", "sparse-outline"]):
        shown = run(command, env).stdout
        assert f"100.00% of {cov['words']:,} words accounted for" in shown, shown
