"""Generate a PDF laid out like the official guidance, with a known answer key.

The official PDFs cannot be downloaded on test machines, so tests and the
parsing gold set use this generated stand-in. It has everything the cleaner and
structure finder must cope with: a cover, a contents page with dot leaders, a
running header, page-number footers, chapters, sections, numbered paragraphs,
a bullet list, a word hyphenated across lines, a paragraph that crosses a page
break, and a footnote with a superscript marker. All text is invented for the
fixture; it is not taken from any real document.

``build_fixture(path)`` writes the PDF and returns the answer key: for every
numbered paragraph, its chapter, section and the page it starts on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

HEADER = "Sample safeguarding guidance - layout fixture"
FOOTNOTE = "The fixture footnote explains a term and must never appear inside a chunk."
TITLE = "Sample safeguarding guidance"


@dataclass
class Para:
    number: int
    lines: list[str]
    bullets: list[str] = field(default_factory=list)
    footnote_after: str = ""  # the word that carries the footnote marker


@dataclass
class Section:
    title: str
    paras: list[Para]


@dataclass
class Chapter:
    number: int
    title: str
    sections: list[Section]


def _filler(topic: str, n: int) -> list[str]:
    """Invented, plausible-sounding lines so paragraphs have realistic length."""
    base = [
        f"Practitioners working on {topic} record what they see and hear,",
        "share the record with the right colleague without delay, and agree",
        "who will act next so that no family falls between two services.",
        "Managers check that the plan is understood by everyone involved and",
        "that the child's own view has been sought and written down.",
    ]
    return [base[i % len(base)] for i in range(n)]


def chapters() -> list[Chapter]:
    return [
        Chapter(1, "Shared work with families", [
            Section("Listening to children", [
                Para(1, ["Every practitioner who meets a child is expected to listen carefully and",
                         "to take what the child says seriously, writing it down in the child\u2019s words."]),
                Para(2, ["When a concern is raised, the practitioner should speak to the designated",
                         "lead the same day. The lead decides with them whether a referral is needed:"],
                     bullets=["a referral to the local authority when harm is suspected;",
                              "advice from a senior colleague when the picture is unclear;",
                              "a note on the file when no further action is needed."]),
                Para(3, ["Records should be accurate, dated and signed so that another practitioner",
                         "can understand the decision without asking the author."] + _filler("listening", 2)),
            ]),
            Section("Working with parents", [
                Para(4, ["Parents are told about concerns unless telling them would put the child at",
                         "greater risk. The practitioner explains the process in plain language and",
                         "checks that the parents understood it."]),
                Para(5, ["A respectful relationship with parents helps practitioners to safe-",
                         "guard children, because families who trust the service tell it more."],
                     footnote_after="service"),
            ]),
        ]),
        Chapter(2, "Local partnership arrangements", [
            Section("The three partners", [
                Para(6, ["The fixture partnership has three partners who share responsibility for",
                         "local arrangements and publish a plan describing how they will work."]),
                Para(7, ["Each partner names a senior officer who can commit money and staff. The",
                         "officers meet at least four times a year to review the arrangements."]
                     + _filler("partnership", 3)),
            ]),
            Section("Scrutiny and reporting", [
                Para(8, ["An independent person reviews the arrangements every year and writes a",
                         "short report that the partners publish on their website."] + _filler("scrutiny", 34)),
                Para(9, ["The yearly report explains what the partners learned and what they will",
                         "change, and it is shared with the schools and health services in the area."]),
            ]),
        ]),
        Chapter(3, "Reviewing serious incidents", [
            Section("Notifying an incident", [
                Para(10, ["When a child is seriously harmed and abuse is suspected, the fixture",
                          "authority tells the review panel within five working days."]),
                Para(11, ["The notification names the child's age, the agencies involved and the",
                          "reason the incident is thought to meet the criteria for review."]
                     + _filler("notification", 8)),
            ]),
            Section("Learning lessons", [
                Para(12, ["A review looks for the reasons behind decisions rather than for someone",
                          "to blame, and it ends with actions that each agency agrees to take."]),
            ]),
        ]),
    ]


def layout_pdf(running_header: str):
    """An A4 fpdf2 document with the official layout's running header (from
    page 3: cover and contents carry none) and page-number footer (from page 2)."""
    from fpdf import FPDF  # test/eval dependency, imported only when used

    class Doc(FPDF):
        def header(self):
            if self.page_no() > 2:
                self.set_font("Helvetica", "", 9)
                self.cell(0, 8, running_header, new_x="LMARGIN", new_y="NEXT")
                self.ln(2)

        def footer(self):
            if self.page_no() > 1:
                self.set_y(-14)
                self.set_font("Helvetica", "", 9)
                self.cell(0, 8, str(self.page_no()), align="C")

    return Doc(format="A4")


def build_fixture(path: Path) -> dict:
    """Write the fixture PDF to ``path``; return the answer key."""
    key: dict = {"title": TITLE, "header": HEADER, "footnote": FOOTNOTE, "paragraphs": {}, "chapters": {},
                 "sections": []}

    pdf = layout_pdf(HEADER)
    pdf.core_fonts_encoding = "windows-1252"  # gives the core fonts a bullet and curly quotes
    pdf.set_auto_page_break(auto=True, margin=28)
    pdf.set_title(TITLE)
    _write_cover(pdf)
    _write_contents(pdf)
    for ch in chapters():
        _write_chapter(pdf, ch, key)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))
    key["pages"] = pdf.page_no()
    return key


def _write_cover(pdf) -> None:
    """Page 1: the title in large type, which the cleaner must keep out of the text."""
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 24)
    pdf.ln(60)
    pdf.multi_cell(0, 12, TITLE, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 14)
    pdf.multi_cell(0, 8, "A layout fixture for testing\nDecember 2023", new_x="LMARGIN", new_y="NEXT")


def _write_contents(pdf) -> None:
    """Page 2: a contents page with dot leaders, which must never become text or headings."""
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, "Contents", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    for ch in chapters():
        pdf.cell(0, 7, f"Chapter {ch.number}: {ch.title} " + "." * 40 + f" {ch.number + 2}",
                 new_x="LMARGIN", new_y="NEXT")
        for sec in ch.sections:
            pdf.cell(0, 7, f"    {sec.title} " + "." * 50 + f" {ch.number + 2}", new_x="LMARGIN", new_y="NEXT")


def _write_chapter(pdf, ch: Chapter, key: dict) -> None:
    """A chapter on a new page, its sections and paragraphs, each recorded in the answer key."""
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, f"Chapter {ch.number}: {ch.title}", new_x="LMARGIN", new_y="NEXT")
    key["chapters"][str(ch.number)] = ch.title
    for sec in ch.sections:
        key["sections"].append((str(ch.number), sec.title))
        pdf.ln(2)
        pdf.set_font("Helvetica", "B", 13)
        pdf.cell(0, 9, sec.title, new_x="LMARGIN", new_y="NEXT")
        for para in sec.paras:
            start_page = _write_para(pdf, para)
            key["paragraphs"][para.number] = _para_answer(ch, sec, para, start_page)


def _write_para(pdf, para: Para) -> int:
    """One numbered paragraph line by line (so it can cross a page break), then
    its bullets and, on the page of its marker, its footnote. Returns the page
    the paragraph starts on."""
    pdf.set_font("Helvetica", "", 11)
    start_page = None
    footnote_page = None
    for i, line in enumerate(para.lines):
        if pdf.will_page_break(6):
            pdf.add_page()
        if start_page is None:
            start_page = pdf.page_no()
        text = f"{para.number}. {line}" if i == 0 else line
        if para.footnote_after and para.footnote_after in text:
            _write_marked_line(pdf, text, para.footnote_after)
            footnote_page = pdf.page_no()
        else:
            pdf.cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
    for b in para.bullets:
        pdf.cell(0, 6, f"\u2022 {b}", new_x="LMARGIN", new_y="NEXT")
    if footnote_page:
        _write_footnote(pdf)
    pdf.ln(2)
    return start_page


def _write_marked_line(pdf, text: str, word: str) -> None:
    """A body line with a small superscript "1" after ``word``: the marker the
    loader must drop from the paragraph text."""
    before, after = text.split(word, 1)
    pdf.write(6, before + word)
    pdf.set_font("Helvetica", "", 7)
    pdf.write(4, "1")
    pdf.set_font("Helvetica", "", 11)
    pdf.write(6, after)
    pdf.ln(6)


def _write_footnote(pdf) -> None:
    """The footnote in small type at the foot of the current page; writing
    resumes where the body left off."""
    y = pdf.get_y()
    pdf.set_auto_page_break(auto=False)
    pdf.set_y(-24)
    pdf.set_font("Helvetica", "", 8)
    pdf.cell(0, 5, f"1 {FOOTNOTE}")
    pdf.set_auto_page_break(auto=True, margin=28)
    pdf.set_y(y)


def _para_answer(ch: Chapter, sec: Section, para: Para, start_page: int) -> dict:
    """The answer key's entry for one paragraph: the text a chunk should hold,
    with the hyphenated word rejoined and the bullets on their own lines."""
    body = " ".join(para.lines).replace("safe- guard", "safeguard")
    if para.bullets:
        body += "\n" + "\n".join(f"\u2022 {b}" for b in para.bullets)
    return {
        "chapter": str(ch.number),
        "chapter_title": ch.title,
        "section": sec.title,
        "page": start_page,
        "text": body,
    }


if __name__ == "__main__":  # pragma: no cover - manual use
    import json
    import sys

    out = Path(sys.argv[1] if len(sys.argv) > 1 else "fixture.pdf")
    print(json.dumps(build_fixture(out), indent=2, default=str))
