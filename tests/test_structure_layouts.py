"""Real-document layouts, reproduced with generated fixtures (no real text in the repository).

Each test stands for a failure seen on real Department for Education PDFs: a
contents line taken as a chapter, "Part one"/"Annex A" not understood, "4.12."
numbering lost, headings cut at their line wrap, bold sentences and drop
capitals mangled, GOV.UK HTML paragraph labels dropped.
"""

from __future__ import annotations

import pytest

from evals.fixture_layouts import BOLD_SENTENCE, build_layout
from index.cite import citation, label
from ingest import ingest_file
from ingest.outline import contents_entries, contents_pages
from ingest.records import Line
from ingest.structure import continues, designator


@pytest.fixture(scope="module", params=[("simple", True), ("simple", False), ("dotted", True), ("dotted", False)],
                ids=["numbered-outline", "numbered-no-outline", "dotted-outline", "dotted-no-outline"])
def layout(request, tmp_path_factory):
    scheme, outline = request.param
    path = tmp_path_factory.mktemp("layout") / f"guidance-{scheme}.pdf"
    key = build_layout(path, scheme=scheme, outline=outline)
    return ingest_file(path), key, scheme


def test_every_paragraph_label_chapter_section_and_page(layout):
    result, key, _ = layout
    got = {p.label: p for p in result.paragraphs if p.label}
    assert sorted(got) == sorted(key["paragraphs"])
    for lab, want in key["paragraphs"].items():
        p = got[lab]
        assert (p.chapter_kind, p.chapter_number, p.chapter_title) == (want["kind"], want["number"], want["top"]), lab
        assert p.section == (want["section"],), lab
        assert p.page == want["page"], lab


def test_contents_and_cover_never_become_text_or_headings(layout):
    result, key, _ = layout
    tops = [t["title"] for t in key["tops"]]
    assert {p.chapter_title for p in result.paragraphs} == set(tops)
    for c in result.chunks:
        assert c.pages[0] > max(key["contents_pages"]), c.chunk_id
        assert "Contents" not in c.text and "Sample statutory guidance for tests" not in c.text


def test_wrapped_heading_is_one_title_and_markers_stay_out(layout):
    result, key, _ = layout
    long_title = key["tops"][2]["title"]
    assert any(p.chapter_title == long_title for p in result.paragraphs)
    sections = {s for p in result.paragraphs for s in p.section}
    assert sections <= set(key["sections"])  # no footnote digit glued to a heading, no body text as a heading


def test_bold_sentence_is_text_and_drop_capital_rejoined(layout):
    result, _, _ = layout
    text = " ".join(p.text for p in result.paragraphs)
    assert BOLD_SENTENCE in text
    assert not any(BOLD_SENTENCE in s for p in result.paragraphs for s in p.section)
    assert "Governing bodies make sure" in text and "G overning" not in text


def test_citations_use_the_documents_own_words(layout):
    result, key, scheme = layout
    lab = "2.3" if scheme == "dotted" else "13"  # both in the second numbered top level
    chunk = next(c for c in result.chunks if lab in c.paragraphs)
    want = key["paragraphs"][lab]
    text = label(chunk)
    printed = "Ch 2" if scheme == "dotted" else "Part two"
    assert f"{printed}: {want['top']} \u00b7 {want['section']} \u00b7 para" in text
    assert f"p. {want['page']}" in text
    cit = citation(chunk)
    assert all(isinstance(p, str) for p in cit["paragraphs"]) and lab in cit["paragraphs"]
    assert chunk.chunk_id.startswith(f"{result.document.meta.doc_id}:p{chunk.paragraphs[0]}")


def test_dotted_ranges_in_citations_and_ids(tmp_path):
    path = tmp_path / "dotted.pdf"
    build_layout(path, scheme="dotted")
    chunks = ingest_file(path).chunks
    multi = next(c for c in chunks if len(c.paragraphs) > 1)
    first, last = multi.paragraphs[0], multi.paragraphs[-1]
    assert f"paras {first}\u2013{last}" in label(multi)
    assert multi.chunk_id.endswith(f":p{first}-{last}")


def test_template_title_in_metadata_gives_way_to_the_cover(tmp_path):
    path = tmp_path / "templated.pdf"
    build_layout(path, metadata_title="DFE stat guidance template")
    assert ingest_file(path).document.meta.title == "Keeping learners safe: sample statutory guidance"


@pytest.mark.parametrize("label_, last, new_chapter, ok", [
    ("4.12", "4.11", False, True),
    ("4.2", "3.64", False, False),  # "4.2 of the Regulations" wrapped to a line start
    ("4.1", "3.93", False, True),
    ("5.2", "4.9", True, True),
    ("113", "112", False, True),
    ("7", "112", False, False),  # a numbered list inside a paragraph
    ("A.1", "3.9", False, True),
])
def test_label_sequence(label_, last, new_chapter, ok):
    assert continues(label_, last, new_chapter) is ok


@pytest.mark.parametrize("text, want", [
    ("Part two: The management of safeguarding", ("part", "two", "The management of safeguarding")),
    ("Annex A: Further information", ("annex", "A", "Further information")),
    ("Chapter 3 Preparing and approving", ("chapter", "3", "Preparing and approving")),
    ("Chapter IV – Reviews", ("chapter", "4", "Reviews")),
    ("Appendix B Glossary", ("appendix", "B", "Glossary")),
    ("Summary", None),
])
def test_top_level_designators(text, want):
    assert designator(text) == want


def test_contents_page_without_dot_leaders_and_wrapped_entries():
    page = [Line("Contents", page=2), Line("Summary 4", page=2), Line("Part one: Staff 7", page=2),
            Line("What staff should know 8", page=2),
            Line("Part two: Concerns about adults who work with learners, including", page=2),
            Line("volunteers and contractors 19", page=2), Line("Annex A: Sources 30", page=2)]
    body = [Line("Summary", page=4), Line("Some text that is a sentence.", page=4)]
    lines = [Line("Cover", page=1)] + page + body
    pages = contents_pages(lines, [], page_count=40)
    assert pages == {2}
    entries = contents_entries(lines, pages)
    assert [(e.title, e.page) for e in entries] == [
        ("Summary", 4), ("Part one: Staff", 7), ("What staff should know", 8),
        ("Part two: Concerns about adults who work with learners, including volunteers and contractors", 19),
        ("Annex A: Sources", 30)]


GOVUK_PUBLICATION = """<html><body><main><div class="govspeak">
<h2 id="foreword">Foreword</h2><p>An opening note from the minister about the plan.</p>
<h2 id="one">1. A more dependable service</h2>
<h3 id="net">A dependable network</h3>
<p>1.1\tThe network will be maintained to a higher standard each year.<sup id="fnref:1"><a class="footnote"
href="#fn:1">1</a></sup></p>
<p>1.2\tOperators will publish how often services run on time,<br>
station by station.</p>
<table><tr><th>Year</th><th>Target</th></tr><tr><td>2027</td><td>90 per cent</td></tr></table>
<h2 id="two">2. A wider network</h2>
<h3 id="new">New lines</h3>
<p>2.1\tNew lines will be planned with the communities they serve.</p>
<div class="footnotes"><ol><li id="fn:1"><p>A footnote that must stay out of paragraph 1.1.</p></li></ol></div>
</div></main></body></html>"""


def test_govuk_html_numbered_h2_chapters_and_tab_labels(tmp_path):
    f = tmp_path / "publication.html"
    f.write_text(GOVUK_PUBLICATION, encoding="utf-8")
    result = ingest_file(f)
    got = {p.label: p for p in result.paragraphs if p.label}
    assert sorted(got) == ["1.1", "1.2", "2.1"]
    assert (got["1.1"].chapter_number, got["1.1"].chapter_title, got["1.1"].section) == \
        ("1", "A more dependable service", ("A dependable network",))
    assert (got["2.1"].chapter_number, got["2.1"].chapter_title) == ("2", "A wider network")
    assert got["1.1"].text == "The network will be maintained to a higher standard each year."
    assert got["1.2"].text.endswith("run on time, station by station.")
    text = " ".join(p.text for p in result.paragraphs)
    assert "footnote that must stay out" not in text
    assert "Year | Target" in text and not any("Target" in p.text for p in got.values())


def test_plain_text_numbered_headings_and_links(tmp_path):
    f = tmp_path / "procedures.txt"
    f.write_text("1 Introduction\n\nThis procedure explains how concerns are passed on, following "
                 "[the local guidance](https://example.org/guide).\n\n2 Key additions\n\n"
                 "Staff now record every concern on the same day.\n", encoding="utf-8")
    paras = ingest_file(f).paragraphs
    assert [p.section for p in paras] == [("1 Introduction",), ("2 Key additions",)]
    assert "following the local guidance." in paras[0].text and "https://" not in paras[0].text
