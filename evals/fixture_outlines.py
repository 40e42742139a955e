"""Generate PDFs whose bookmarks mislead, each reproducing a way pages were lost.

Real PDFs taught these (the text here is invented for the fixtures):

- ``late_contents``: an appendix reprints a regulation with its own "CONTENTS"
  bookmark near the end; it was once taken for the document's contents list
  and every page before it dropped;
- ``contents_and_annex``: bookmarks only at "Contents" (page 2) and "Annex A"
  (page 9); the pages between vanished as if they were all contents;
- ``annex_contents``: a "Contents" bookmark inside an annex (page 6 of 7);
- ``structure_tree``: a tagged PDF's structure tree dumped as bookmarks (one
  root "Structure Bookmarks", entries such as "Figure", "•", "Contents 2")
  with a printed contents page that is the real map.

Each builder writes the PDF and returns its answer key: the paragraph numbers
printed on each page and the chapters as printed.
"""

from __future__ import annotations

from pathlib import Path

TOPICS = ("early help", "referrals", "assessment", "planning", "review", "records", "training", "escalation",
          "information sharing", "supervision")


WHO = ("practitioners", "teachers", "nurses", "social workers", "managers", "volunteers", "leaders")
WHEN = ("the same day", "within a week", "before the next meeting", "at the review", "without delay")


def _sentences(label: int, n: int) -> str:
    """Invented sentences that differ from one paragraph to the next, so no body
    line repeats at the top of many pages the way a running header does."""
    topic, who, when = TOPICS[label % len(TOPICS)], WHO[label % len(WHO)], WHEN[label % len(WHEN)]
    base = [f"{who.capitalize()} who work on {topic} write down what they notice and why it matters",
            f"and agree with a named colleague who will act next on {topic} {when}",
            f"so that a family is never left waiting for {who} between two services",
            f"and the child is asked what they think about {topic} before any decision is made"]
    return ", ".join(base[i % len(base)] for i in range(n)) + "."


class _Writer:
    """A thin layer over fpdf2 that records which numbered paragraph lands on which page."""

    def __init__(self, title: str):
        from fpdf import FPDF

        self.pdf = FPDF(format="A4")
        self.pdf.set_auto_page_break(auto=True, margin=25)
        self.pdf.set_title(title)
        self.label = 0
        self.key: dict = {"pages": {}, "chapters": []}
        self.pdf.add_page()
        self.pdf.set_font("Helvetica", "B", 24)
        self.pdf.ln(50)
        self.pdf.multi_cell(0, 12, title, new_x="LMARGIN", new_y="NEXT")
        self.pdf.set_font("Helvetica", "", 12)
        self.pdf.multi_cell(0, 8, "Invented guidance for tests\nMarch 2026", new_x="LMARGIN", new_y="NEXT")

    def page(self) -> None:
        self.pdf.add_page()

    def bookmark(self, title: str, level: int = 0) -> None:
        self.pdf.start_section(title, level=level)

    def heading(self, text: str, size: int = 18, chapter: bool = True) -> None:
        self.pdf.set_font("Helvetica", "B", size)
        self.pdf.multi_cell(0, 10, text, new_x="LMARGIN", new_y="NEXT")
        if chapter:
            self.key["chapters"].append({"title": text, "page": self.pdf.page_no()})

    def contents(self, entries: list[tuple[str, int]], title: str = "Contents") -> None:
        self.pdf.set_font("Helvetica", "B", 18)
        self.pdf.cell(0, 12, title, new_x="LMARGIN", new_y="NEXT")
        self.pdf.set_font("Helvetica", "", 12)
        for text, page in entries:
            self.pdf.cell(170, 7, text)
            self.pdf.cell(0, 7, str(page), align="R", new_x="LMARGIN", new_y="NEXT")

    def paragraphs(self, count: int) -> None:
        """``count`` numbered paragraphs, numbered straight through the document."""
        self.pdf.set_font("Helvetica", "", 11)
        for _ in range(count):
            self.label += 1
            if self.pdf.will_page_break(20):
                self.pdf.add_page()
            self.key["pages"].setdefault(self.pdf.page_no(), []).append(str(self.label))
            text = _sentences(self.label, 2 + self.label % 3)
            self.pdf.multi_cell(0, 6, f"{self.label}. {text}", new_x="LMARGIN", new_y="NEXT")
            self.pdf.ln(2)

    def save(self, path: Path) -> dict:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.pdf.output(str(path))
        self.key["page_count"] = self.pdf.page_no()
        return self.key


def late_contents(path: Path) -> dict:
    """12 pages: a printed contents page (no bookmark), chapters, and an
    appendix on page 10 whose reprinted regulation has its own "CONTENTS"
    bookmark and list."""
    w = _Writer("Guidance with a reprinted regulation")
    w.page()
    w.contents([("Chapter 1: Working together", 3), ("Chapter 2: Keeping records", 6),
                ("Appendix A: The regulation", 10)])
    for title, pages in (("Chapter 1: Working together", 3), ("Chapter 2: Keeping records", 4)):
        w.page()
        w.bookmark(title)
        w.heading(title)
        for i in range(pages):
            w.paragraphs(4)
            if i < pages - 1:
                w.page()
    w.page()
    w.bookmark("Appendix A: The regulation")
    w.heading("Appendix A: The regulation")
    w.bookmark("CONTENTS", level=1)
    w.contents([("Citation and commencement", 11), ("Duties of the authority", 11), ("Records to be kept", 12)],
               title="CONTENTS")
    for _ in range(2):
        w.page()
        w.paragraphs(4)
    return w.save(path)


def contents_and_annex(path: Path) -> dict:
    """10 pages: bookmarks only at "Contents" (page 2) and "Annex A" (page 9);
    pages 3-8 are body text no bookmark names."""
    w = _Writer("Guidance with a sparse outline")
    w.page()
    w.bookmark("Contents")
    w.contents([("Introduction", 3), ("Annex A: Forms", 9)])
    w.page()
    w.heading("Introduction")
    for i in range(6):
        w.paragraphs(4)
        if i < 5:
            w.page()
    w.page()
    w.bookmark("Annex A: Forms")
    w.heading("Annex A: Forms")
    w.paragraphs(4)
    w.page()
    w.paragraphs(4)
    return w.save(path)


def annex_contents(path: Path) -> dict:
    """7 pages: a "Contents" bookmark inside an annex on page 6."""
    w = _Writer("Guidance with an annex list")
    w.page()
    w.bookmark("Part one: Duties")
    w.heading("Part one: Duties")
    for i in range(3):
        w.paragraphs(4)
        w.page()
    w.bookmark("Annex A: Sources")
    w.heading("Annex A: Sources")
    w.paragraphs(3)
    w.page()
    w.bookmark("Contents", level=1)
    w.contents([("Sources for schools", 6), ("Sources for colleges", 7)])
    w.paragraphs(2)
    w.page()
    w.paragraphs(4)
    return w.save(path)


def structure_tree(path: Path) -> dict:
    """9 pages with a printed contents page and bookmarks that dump a structure
    tree: "Structure Bookmarks" at the root, then figures, bullets, blanks and
    contents lines with their page number stuck on, dozens a page."""
    w = _Writer("Guidance with a tagged structure")
    w.bookmark("Structure Bookmarks")
    w.bookmark("Figure", level=1)
    chapters = [("Part one: Duties", 3), ("Part two: Records", 5), ("Part three: Training", 7)]
    w.page()
    w.bookmark("Contents", level=1)
    for title, page in [("Contents", 2)] + chapters:
        w.bookmark(f"{title} {page}", level=1)
    w.contents(chapters)
    for n, (title, _) in enumerate(chapters):
        w.page()
        w.bookmark(title, level=1)
        w.heading(title)
        for i in range(2):
            for _ in range(4):
                w.bookmark("\u2022", level=1)
                w.bookmark("Figure", level=1)
                w.bookmark(" ", level=1)
            _typeset_sections(w, n, i)
            w.paragraphs(4)
            if i == 0:
                w.page()
    return w.save(path)


# Headings the printed contents does not list, set the way DfE guidance sets them.
WRAPPED_SECTION = ("Initial steps when a worry", "is first raised")  # its last line starts in lower case
NUMBERED_SECTION = "1. Acting early"  # bold at body size, numbered like a paragraph
BOX_LABEL = "Case study"  # printed on a box in every chapter: a label, not a section


def _typeset_sections(w: _Writer, chapter: int, half: int) -> None:
    """One unlisted heading per half chapter, and a box label in every chapter."""
    if half == 0:  # below the page's first paragraph, out of the running-header zone
        w.paragraphs(1)
        w.pdf.set_font("Helvetica", "B", 11)
        w.pdf.multi_cell(0, 6, BOX_LABEL, new_x="LMARGIN", new_y="NEXT")
    if chapter == 0 and half == 1:
        for part in WRAPPED_SECTION:
            w.heading(part, size=14, chapter=False)
    elif chapter == 1 and half == 1:
        w.heading(NUMBERED_SECTION, size=11, chapter=False)


def figure_list(path: Path) -> dict:
    """6 pages: a contents page, then a "Table of figures" page, then the first
    bookmark on page 4. The list of figures is contents too."""
    w = _Writer("Guidance with a list of figures")
    w.page()
    w.contents([("Chapter 1: Planning", 4), ("Chapter 2: Reviewing", 5)])
    w.page()
    w.contents([("Figure 1: The planning cycle", 4), ("Figure 2: Who reviews what", 5)], title="Table of figures")
    for title in ("Chapter 1: Planning", "Chapter 2: Reviewing"):
        w.page()
        w.bookmark(title)
        w.heading(title)
        w.paragraphs(4)
    return w.save(path)


BUILDERS = {"late_contents": late_contents, "contents_and_annex": contents_and_annex,
            "annex_contents": annex_contents, "structure_tree": structure_tree, "figure_list": figure_list}
