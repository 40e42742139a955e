"""The `wtkb` command run as a user runs it: a real process, real index."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
WTKB = [str(Path(sys.executable).parent / "wtkb")]  # the installed console script


def run(args, env, stdin=None, check=True):
    p = subprocess.run(WTKB + args, env=env, input=stdin, capture_output=True, text=True, timeout=300)
    if check and p.returncode != 0:
        raise AssertionError(f"wtkb {' '.join(args)} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    return p


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory, sample_corpus):
    root = tmp_path_factory.mktemp("cli")
    corpus = root / "corpus"
    shutil.copytree(sample_corpus, corpus)
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    env = dict(os.environ, WTKB_INDEX_DIR=str(root / "index"), WTKB_CORPUS_DIRS=str(corpus), COLUMNS="200")
    p = run(["build"], env)
    return env, p, corpus


def test_build_reports_and_skips_bad_files(cli_env):
    _, p, _ = cli_env
    assert "Indexed 3 documents" in p.stdout
    assert "broken.pdf" in p.stderr and "not a readable PDF" in p.stderr
    assert "Traceback" not in p.stderr


def test_ask_json_contract(cli_env):
    env, _, _ = cli_env
    p = run(["ask", "who must the authority tell about a serious incident, and when?", "--json", "--k", "3"], env)
    d = json.loads(p.stdout)
    assert d["answer"]["abstained"] is False and len(d["hits"]) == 3
    assert d["hits"][0]["citation"]["doc_id"] == "sample-guidance"
    assert d["hits"][0]["citation"]["paragraphs"] == ["10", "11"]
    assert d["answer"]["key_points"][0]["citation"]["label"]
    assert "total_ms" in d["timings_ms"]


def test_ask_human_output_has_citations(cli_env):
    env, _, _ = cli_env
    p = run(["ask", "what happens at a strategy discussion?", "--kind", "notes"], env)
    assert "Key points" in p.stdout and "Study note" in p.stdout
    assert "Strategy discussions" in p.stdout
    # The emergency line comes first; this sample index holds no verified official text, and says so.
    assert p.stdout.lstrip().startswith("If a child is in immediate danger, call 999.")
    assert "No official text is indexed" in p.stdout


def test_help_shows_flags_without_a_type(cli_env):
    env, _, _ = cli_env
    p = run(["ask", "--help"], env)
    assert "--json" in p.stdout and "<bool>" not in p.stdout.replace("--help", "").split("--json")[1].split("\n")[0]


def test_batch_from_stdin_is_json_lines(cli_env):
    env, _, _ = cli_env
    p = run(["ask", "--batch", "-"], env, stdin="how is consent recorded?\n\n   \nlemon drizzle cake recipe\n")
    rows = [json.loads(line) for line in p.stdout.splitlines()]
    assert len(rows) == 2
    assert rows[0]["answer"]["abstained"] is False
    assert rows[1]["answer"]["abstained"] is True and rows[1]["hits"] == []


def test_info_lists_documents(cli_env):
    env, _, _ = cli_env
    p = run(["info"], env)
    for doc in ("sample-guidance", "sample-html", "note-sample"):
        assert doc in p.stdout
    assert "No official text is indexed yet" in p.stdout


def test_errors_are_one_line(cli_env, tmp_path):
    env, _, _ = cli_env
    p = run(["ask", "   "], env, check=False)
    assert p.returncode == 1 and "Please type a question" in p.stderr and "Traceback" not in p.stderr
    p = run(["ask", "anything", "--index", str(tmp_path / "nowhere")], env, check=False)
    assert p.returncode == 1 and "run `wtkb build` first" in p.stderr
    p = run(["ask", "anything", "--model", str(tmp_path)], env, check=False)
    assert p.returncode == 1 and "built with" in p.stderr
    p = run(["build", "--corpus", str(tmp_path / "missing"), "--index", str(tmp_path / "i")], env, check=False)
    assert p.returncode == 1 and "no readable documents" in p.stderr
    for out in (p.stdout, p.stderr):
        assert "Traceback" not in out


def test_long_question_is_truncated_visibly(cli_env):
    env, _, _ = cli_env
    p = run(["ask", "consent records " * 800, "--json"], env)
    d = json.loads(p.stdout)
    assert "only the first 1,000 were used" in d["answer"]["message"]
    assert len(d["query"]) <= 1000


def test_if_stale_skips_current_index(cli_env):
    env, _, _ = cli_env
    p = run(["build", "--if-stale"], env)
    assert "up to date" in p.stdout
