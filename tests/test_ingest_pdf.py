"""The official-layout PDF: structure recovered exactly, layout text left out."""

from __future__ import annotations

import pytest

from ingest import ingest_file
from ingest.chunk import approx_tokens


@pytest.fixture(scope="module")
def ingested(fixture_pdf):
    path, key = fixture_pdf
    return ingest_file(path), key


def test_paragraph_numbers_chapters_sections_and_pages(ingested):
    result, key = ingested
    numbered = {int(p.label): p for p in result.paragraphs if p.label is not None}
    assert sorted(numbered) == sorted(key["paragraphs"])
    for n, expected in key["paragraphs"].items():
        p = numbered[n]
        assert p.chapter_number == expected["chapter"], n
        assert p.chapter_title == expected["chapter_title"], n
        assert p.section == (expected["section"],), n
        assert p.page == expected["page"], n


def test_paragraph_text_is_clean(ingested):
    result, key = ingested
    numbered = {int(p.label): p for p in result.paragraphs if p.label is not None}
    for n, expected in key["paragraphs"].items():
        want = expected["text"].replace("\u2019", "'")
        assert numbered[n].text == want, n


def test_hyphenated_word_repaired_and_quotes_normalised(ingested):
    result, _ = ingested
    text = " ".join(p.text for p in result.paragraphs)
    assert "safeguard children" in text and "safe-" not in text
    assert "child's words" in text and "\u2019" not in text


def test_bullets_stay_with_their_paragraph(ingested):
    result, _ = ingested
    p2 = next(p for p in result.paragraphs if p.label == "2")
    assert p2.text.count("\n\u2022 ") == 3
    assert p2.text.startswith("When a concern is raised")


def test_no_layout_text_in_chunks(ingested):
    result, key = ingested
    for c in result.chunks:
        assert key["header"] not in c.text
        assert key["footnote"] not in c.text and "fixture footnote" not in c.text
        assert "Contents" not in c.text and "....." not in c.text
        assert "A layout fixture for testing" not in c.text  # cover
        for line in c.text.splitlines():
            assert not line.strip().isdigit(), "a bare page number leaked into a chunk"
    assert any(key["footnote"] in f for f in result.footnotes)
    # The footnote marker "1" after "service" is gone from the body.
    assert "the service tell it more" in next(p.text for p in result.paragraphs if p.label == "5")


def test_chunks_never_cross_sections_and_cite_pages(ingested):
    result, key = ingested
    for c in result.chunks:
        for n in c.paragraphs:
            assert key["paragraphs"][int(n)]["section"] == c.section[0]
            assert key["paragraphs"][int(n)]["chapter"] == c.chapter_number
        assert c.pages and c.pages[0] <= c.pages[-1]
        assert approx_tokens(c.embed_text) <= 240 + 8
    # Paragraph 8 crosses a page break: its chunks cite both pages.
    p8 = [c for c in result.chunks if "8" in c.paragraphs]
    assert p8 and p8[0].pages == (key["paragraphs"][8]["page"], key["paragraphs"][8]["page"] + 1)


def test_offsets_point_into_cleaned_text(ingested):
    result, _ = ingested
    for p in result.paragraphs:
        assert result.text[p.start:p.end] == p.text
    for c in result.chunks:
        assert result.text[c.start:c.end].startswith(c.text[:30])


def test_chunk_ids_are_stable(fixture_pdf):
    first = [c.chunk_id for c in ingest_file(fixture_pdf[0]).chunks]
    second = [c.chunk_id for c in ingest_file(fixture_pdf[0]).chunks]
    assert first == second and len(set(first)) == len(first)
    assert first[0] == "sample-guidance:p1-3"
