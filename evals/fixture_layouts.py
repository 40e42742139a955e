"""Generate PDFs laid out the way Department for Education guidance is, with an answer key.

Real guidance cannot be bundled or fetched in tests, so this reproduces what
real documents do that the first parser got wrong, in invented words:

- top levels named "Part one: …", "Annex A: …", and unnumbered ("Summary");
- a contents page with right-aligned page numbers and no dot leaders, one
  entry wrapped onto a second line;
- bookmarks (a PDF outline) for every heading, or none at all;
- paragraphs numbered straight through ("12.") or per chapter ("4.12.");
- a top-level heading wrapped over two lines, a section that starts mid-page,
  a bold sentence in the body, a drop capital, a footnote marker on a heading.

``build_layout(path, scheme=..., outline=...)`` writes the PDF and returns the
key: every paragraph label with its top-level title, section and page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

TITLE = "Keeping learners safe: sample statutory guidance"
BOLD_SENTENCE = "Unless stated otherwise, every duty below applies to all settings."
DROP_CAP_WORD = "Governing"


@dataclass
class Top:
    printed: str  # as the heading and the contents print it
    title: str  # the title a citation should carry
    kind: str
    number: str
    sections: list[tuple[str, int]] = field(default_factory=list)  # (title, paragraphs)
    intro: int = 0  # unnumbered paragraphs before the first section


def tops(scheme: str) -> list[Top]:
    long_title = ("Concerns or allegations about adults who work with learners, including supply "
                  "staff, volunteers and contractors")
    if scheme == "dotted":
        return [
            Top("Summary", "Summary", "", "", [("About this guidance", 0)], intro=2),
            Top("Chapter 1: Arrangements within each setting", "Arrangements within each setting", "chapter", "1",
                [("Policies and procedures", 4), ("The lead person", 5)]),
            Top(f"Chapter 2: {long_title}", long_title, "chapter", "2",
                [("First response", 6), ("Record keeping", 3)]),
            Top("Chapter 3: Sharing information", "Sharing information", "chapter", "3",
                [("When to share", 4)]),
            Top("Annex A: Further sources", "Further sources", "annex", "A", [], intro=3),
        ]
    return [
        Top("Summary", "Summary", "", "", [("About this guidance", 0)], intro=2),
        Top("Part one: Information for all staff", "Information for all staff", "part", "one",
            [("What staff should know", 5), ("What staff should do", 6)]),
        Top(f"Part two: {long_title}", long_title, "part", "two",
            [("The initial response", 7), ("Outcomes", 3)]),
        Top("Part three: Recruiting safely", "Recruiting safely", "part", "three",
            [("Checks before appointment", 5)]),
        Top("Annex A: Further sources", "Further sources", "annex", "A", [], intro=3),
    ]


def _filler(topic: str, n: int) -> str:
    base = [f"Staff who notice a change in a learner's behaviour around {topic} write down what they saw",
            "and tell the lead person the same day, so that help is offered before a worry grows.",
            "The lead person decides what happens next and records the reason for the decision.",
            "Records are kept securely and shared only with those who need them to act."]
    return " ".join(base[i % len(base)] for i in range(n))


def build_layout(path: Path, scheme: str = "simple", outline: bool = True, metadata_title: str = TITLE) -> dict:
    """Write the PDF; return the answer key. ``scheme`` is "simple" or "dotted";
    ``metadata_title`` is what the PDF's properties claim (real ones often name the template)."""
    from fpdf import FPDF

    key: dict = {"paragraphs": {}, "tops": [], "sections": [], "contents_pages": [2], "bold": BOLD_SENTENCE}
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=25)
    pdf.set_title(metadata_title)
    _write_cover(pdf)
    pdf.add_page()
    pdf.insert_toc_placeholder(_write_contents, pages=1)
    label = 0
    for ci, top in enumerate(tops(scheme)):
        label = _write_top(pdf, ci, top, scheme, label, key)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))
    if not outline:
        strip_outline(path)
    key["pages"] = pdf.page_no()
    return key


def _write_cover(pdf) -> None:
    """Page 1: the title in the largest type, where a title is read from when the metadata names a template."""
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 24)
    pdf.ln(50)
    pdf.multi_cell(0, 12, TITLE, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 12)
    pdf.multi_cell(0, 8, "Sample statutory guidance for tests\nSeptember 2026", new_x="LMARGIN", new_y="NEXT")


def _write_contents(pdf, sections) -> None:
    """fpdf2 calls this once every heading's page is known: page numbers set
    right, no dot leaders, and a long entry wrapped onto a second line."""
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(0, 12, "Contents", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 12)
    for s in sections:
        text = s.name
        if pdf.get_string_width(text) > 160:  # wrap a long entry onto a second line
            cut = text.rfind(" ", 0, len(text) * 3 // 5)
            pdf.cell(0, 7, text[:cut], new_x="LMARGIN", new_y="NEXT")
            text = text[cut + 1:]
        pdf.cell(170, 7, text)  # every level flush left, as DfE contents pages set them
        pdf.cell(0, 7, str(s.page_number), align="R", new_x="LMARGIN", new_y="NEXT")


def _write_top(pdf, ci: int, top: Top, scheme: str, label: int, key: dict) -> int:
    """One top level on a new page: its heading, unnumbered opening paragraphs
    and sections. Returns the last paragraph number used, since the simple
    scheme numbers straight through while the dotted one restarts per top level."""
    pdf.add_page()
    pdf.start_section(top.printed, level=0)
    pdf.set_font("Helvetica", "B", 18)
    pdf.multi_cell(0, 9, top.printed, new_x="LMARGIN", new_y="NEXT")
    key["tops"].append({"printed": top.printed, "title": top.title, "kind": top.kind, "number": top.number,
                        "page": pdf.page_no()})
    if scheme == "dotted":
        label = 0
    for _ in range(top.intro):
        _para(pdf, _filler(top.title.lower(), 3), None)
    prefix = f"{ci}." if scheme == "dotted" else ""
    for si, (sec, n) in enumerate(top.sections):
        # The first section of the first numbered top level carries the oddities.
        _write_section(pdf, sec, oddities=ci == 1 and si == 0)
        key["sections"].append(sec)
        label = _write_numbered(pdf, top, sec, n, prefix, label, key)
    return label


def _write_section(pdf, sec: str, oddities: bool) -> None:
    """A section heading (a new page only when little room is left, so most
    start mid-page). With ``oddities``: a footnote marker on the heading, then
    a bold sentence and a drop capital in the body."""
    if pdf.will_page_break(40):
        pdf.add_page()
    pdf.ln(3)
    pdf.start_section(sec, level=1)
    pdf.set_font("Helvetica", "B", 14)
    pdf.write(8, sec)
    if oddities:  # a footnote marker printed on a heading
        pdf.set_font("Helvetica", "", 7)
        pdf.write(5, "2")
    pdf.ln(9)
    if oddities:
        pdf.set_font("Helvetica", "B", 11)
        pdf.multi_cell(0, 6, BOLD_SENTENCE, new_x="LMARGIN", new_y="NEXT")
        _drop_cap(pdf, DROP_CAP_WORD, " bodies make sure that every adult knows who the lead person is.")


def _write_numbered(pdf, top: Top, sec: str, count: int, prefix: str, label: int, key: dict) -> int:
    """``count`` numbered paragraphs after ``label``, each recorded in the key;
    returns the last number used."""
    for _ in range(count):
        label += 1
        text_label = f"{prefix}{label}"
        page = _para(pdf, _filler(sec.lower(), 3 + label % 3), text_label)
        key["paragraphs"][text_label] = {"top": top.title, "kind": top.kind, "number": top.number,
                                         "section": sec, "page": page}
    return label


def _para(pdf, text: str, label: str | None) -> int:
    """One body paragraph; returns the page it starts on."""
    pdf.set_font("Helvetica", "", 11)
    if pdf.will_page_break(12):
        pdf.add_page()
    page = pdf.page_no()
    pdf.multi_cell(0, 6, f"{label}. {text}" if label else text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    return page


def _drop_cap(pdf, word: str, rest: str) -> None:
    """A first letter set at three times body size, apart from the rest of its word."""
    pdf.set_font("Helvetica", "B", 33)
    pdf.write(12, word[0])
    pdf.set_font("Helvetica", "", 11)
    pdf.write(12, " " + word[1:] + rest)
    pdf.ln(14)


def strip_outline(path: Path) -> None:
    """Remove the bookmarks, as a Word export without headings-as-bookmarks has none."""
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=str(path))
    writer._root_object.pop("/Outlines", None)  # noqa: SLF001 - pypdf has no public remover
    with open(path, "wb") as f:
        writer.write(f)
