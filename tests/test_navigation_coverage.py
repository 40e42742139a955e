"""Bookmarks trusted only when they are navigation, only a front contents list
removed, and every word of a document accounted for (generated fixtures).

Each fixture reproduces a way whole pages once vanished from an index with a
clean build: a late "CONTENTS" bookmark in an appendix, an outline with only
"Contents" and "Annex A", a "Contents" bookmark inside an annex, and a tagged
PDF's structure tree used as the outline.
"""

from __future__ import annotations

import pytest

from evals.fixture_outlines import BOX_LABEL, BUILDERS, NUMBERED_SECTION, WRAPPED_SECTION
from ingest import ingest_file
from ingest.coverage import MIN_ACCOUNTED, measure, page_ranges, word_counts
from ingest.outline import navigation_problem
from ingest.records import Heading, Line


@pytest.fixture(scope="module", params=sorted(BUILDERS))
def built(request, tmp_path_factory):
    path = tmp_path_factory.mktemp("outlines") / f"{request.param}.pdf"
    key = BUILDERS[request.param](path)
    return request.param, ingest_file(path), key


def test_no_page_of_body_text_is_lost(built):
    name, result, key = built
    cited = {label for c in result.chunks for label in c.paragraphs}
    want = {label for labels in key["pages"].values() for label in labels}
    assert want and want <= cited, f"{name}: paragraphs {sorted(want - cited, key=int)} lost"
    by_label = {p.label: p.page for p in result.paragraphs if p.label}
    for page, labels in key["pages"].items():
        assert all(by_label[lab] == page for lab in labels), name


def test_every_word_is_accounted_for_exactly(built):
    name, result, _ = built
    cov = result.coverage
    assert cov["words"] > 300
    assert cov["lost"] == 0 and cov["accounted"] == 1.0, (name, cov)
    assert cov["kept"] + sum(cov["removed"].values()) == cov["words"]
    assert not [w for w in result.warnings if "words" in w]


def test_a_late_contents_list_is_content(tmp_path):
    key = BUILDERS["late_contents"](tmp_path / "late.pdf")
    result = ingest_file(tmp_path / "late.pdf")
    text = " ".join(c.text for c in result.chunks)
    assert "Duties of the authority" in text  # the appendix's own list stays, as content
    assert {c.chapter_title for c in result.chunks} >= {"Working together", "Keeping records", "The regulation"}
    assert min(c.pages[0] for c in result.chunks) == 3 and key["page_count"] == 12
    assert result.coverage["removed"].get("contents list", 0) > 0  # the front one is still removed


def test_structure_tree_bookmarks_give_way_to_the_printed_contents(tmp_path):
    key = BUILDERS["structure_tree"](tmp_path / "tagged.pdf")
    result = ingest_file(tmp_path / "tagged.pdf")
    printed = {c["title"].split(": ", 1)[1] for c in key["chapters"]}
    assert {c.chapter_title for c in result.chunks} == printed
    sections = {s for c in result.chunks for s in c.section}
    assert not sections & {"Figure", "\u2022", "Structure Bookmarks", BOX_LABEL}
    # Headings the contents does not list come from type: a wrapped one whole, a bold numbered one,
    # and a box label repeated in every chapter stays in the text.
    assert {" ".join(WRAPPED_SECTION), NUMBERED_SECTION} <= sections
    assert " ".join(c.text for c in result.chunks).count(BOX_LABEL) == 3


def test_a_list_of_figures_after_the_contents_is_part_of_it(tmp_path):
    BUILDERS["figure_list"](tmp_path / "figures.pdf")
    result = ingest_file(tmp_path / "figures.pdf")
    assert min(c.pages[0] for c in result.chunks) == 4
    assert not any("planning cycle" in c.text for c in result.chunks)
    printed = "Contents Chapter Planning Chapter Reviewing Table of figures Figure The planning cycle Figure Who reviews what"
    assert result.coverage["lost"] == 0 and result.coverage["removed"]["contents list"] == len(printed.split())


def _h(title: str, page: int, depth: int = 0) -> Heading:
    return Heading(depth, title, page)


def test_navigation_problem_names_why_bookmarks_are_not_a_map():
    toc = [_h("Introduction", 3), _h("Chapter 1: Duties", 4), _h("Local arrangements", 6, 1),
           _h("Annex A: Contacts", 20)]
    assert navigation_problem(toc, page_count=24) == ""
    tree = [_h("Figure", 1), _h("Contents 2", 2), _h("Summary 4", 2), _h("\u2022", 5), _h(" x", 5)] * 8
    assert "not headings" in navigation_problem(tree, page_count=60)
    dense = [_h(f"Heading {chr(65 + i % 26)}{i // 26}", 1 + i // 40) for i in range(400)]
    assert "bookmarks for 10 pages" in navigation_problem(dense, page_count=10)
    backwards = [_h(f"Part {w}", p) for w, p in zip(("one", "two", "three", "four", "five"), (9, 2, 8, 1, 7))]
    assert "go back" in navigation_problem(backwards, page_count=10)
    # a regulation reference is not a contents page number stuck on: it is below its own page
    refs = [_h("Counselling the child: AAR 13", 40), _h("Panels: AAR 4", 41), _h("Records", 42)]
    assert navigation_problem(refs, page_count=60) == ""


def test_lost_pages_are_named_in_one_warning_line():
    source = [(p, f"Page {p} text about planning meetings for family number {p}") for p in range(1, 11)]
    source += [(p, "practitioners record decisions carefully") for p in range(3, 9)]
    kept = [(p, p, t) for p, t in source if p not in range(3, 9)]
    removed = {"cover": [Line(source[0][1], page=1)],
               "front matter past the cover and contents": [Line(t, page=p) for p, t in source if 3 <= p <= 8]}
    cov = measure(source, removed, kept[1:])
    assert cov.lost == sum(sum(word_counts(t).values()) for p, t in source if 3 <= p <= 8)
    assert cov.removed == {"cover": sum(word_counts(source[0][1]).values())}
    assert cov.accounted < MIN_ACCOUNTED
    line = cov.warning("guide.pdf")
    assert line.startswith("guide.pdf: ") and "\n" not in line
    assert "pages 3-8" in line and "front matter past the cover and contents" in line
    assert measure(source, {}, [t for _, t in source]).warning("guide.pdf") == ""


def test_hyphenation_and_numbers_do_not_count_as_loss():
    source = [(1, "Practitioners safe-"), (1, "guard children 12 times"), (2, "3")]
    cov = measure(source, {"page number": [Line("3", page=2)]}, ["Practitioners safeguard children times"])
    assert (cov.words, cov.lost) == (4, 0)
    assert page_ranges([1, 2, 3, 5, 7, 8]) == "1-3, 5, 7-8"
