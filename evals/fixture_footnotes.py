"""Generate PDFs whose text is set the way real guidance sets footnotes, type sizes and tables.

fpdf2 starts a new text object for every change of font, so a PDF it writes
never shows the case that broke real documents: a footnote marker set by a
smaller *text matrix* in the same run as the words around it (no font change,
so a PDF reader reports marker and words as one piece of text). This module
writes such content streams directly with pypdf: lines of 12 pt Helvetica with

- a raised 8 pt marker inside a sentence and one right after a year
  ("Act 1998" + marker + ", the"), which must vanish without deleting or
  fusing a word;
- a phrase set in 8 pt on the baseline of a 12 pt line, which is text;
- footnotes in 10 pt at the foot of the page, opening with a raised number;
- a raised 8 pt number that no footnote carries, which stays text.

Every sentence is invented for the fixture. ``build_marker_pdf(path)``
returns the answer key.
"""

from __future__ import annotations

from pathlib import Path

BODY = 12.0
SMALL = 8.0
NOTE = 10.0

# Each body line: a list of (text, kind) pieces, kind "body", "small" (8 pt on the
# baseline) or "marker" (8 pt, raised 4 pt).
PAGE_ONE = [
    [("1. Practitioners must refer concerns to the named team", "body"), (" within one working day.", "small")],
    [("The team records the time of the call and the name of the caller.", "body")],
    [("2. All required pre-appointment checks must", "body"), ("41", "marker"), (" be carried out before", "body")],
    [("the new member of staff starts work with pupils in the school.", "body")],
    [("3. Governing bodies have duties under the Human Rights Act 1998", "body"), ("42", "marker"),
     (", the", "body")],
    [("Equality Act 2010 and the local arrangements for joint working.", "body")],
    [("4. A measurement of 40 m", "body"), ("7", "marker"), (" is recorded for the play area in each", "body")],
    [("annual review of the premises and kept with the site plan.", "body")],
]
FOOTNOTES = {
    "41": "The same checks apply to volunteers who help in the school every week.",
    "42": "A summary of the Act is published by the department for schools.",
}


def _stream(lines: list[list[tuple[str, str]]], notes: dict[str, str]) -> bytes:
    """A page's content stream: the body lines from the top, then the footnotes at the foot."""
    ops = ["BT", "/F1 1 Tf"]
    y = 760.0
    sized_by_font = False
    for pieces in lines:
        x = 72.0
        for text, kind in pieces:
            size = BODY if kind == "body" else SMALL
            if kind == "small":  # a change of font size, as a word processor writes one
                ops += [f"/F1 {size} Tf", f"1 0 0 1 {x:.2f} {y:.2f} Tm"]
            else:  # the size in the text matrix: a marker shares its run with the words around it
                ops += ["/F1 1 Tf"] if sized_by_font else []
                ops.append(f"{size} 0 0 {size} {x:.2f} {y + (4.0 if kind == 'marker' else 0.0):.2f} Tm")
            sized_by_font = kind == "small"
            ops.append(f"({_escape(text)}) Tj")
            x += _width(text, size)
        y -= 18.0
    y = 110.0
    ops.append("/F1 1 Tf")
    for marker, text in notes.items():
        ops.append(f"{SMALL * 0.8} 0 0 {SMALL * 0.8} 72 {y + 3:.2f} Tm")
        ops.append(f"({marker}) Tj")
        ops.append(f"{NOTE} 0 0 {NOTE} 84 {y:.2f} Tm")
        ops.append(f"({_escape(text)}) Tj")
        y -= 14.0
    ops.append("ET")
    return "\n".join(ops).encode("latin-1")


def _width(text: str, size: float) -> float:
    """The printed width of text in Helvetica, so pieces set one after another touch as typeset text does."""
    from fpdf.fonts import CORE_FONTS_CHARWIDTHS

    widths = CORE_FONTS_CHARWIDTHS["helvetica"]
    return sum(widths.get(ch, 556) for ch in text) * size / 1000


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def write_raw_pdf(path: Path, streams: list[bytes]) -> None:
    """An A4 PDF with one page per content stream, all in the standard Helvetica font."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica"),
                             NameObject("/Encoding"): NameObject("/WinAnsiEncoding")})
    font_ref = writer._add_object(font)
    for data in streams:
        page = writer.add_blank_page(595, 842)
        stream = DecodedStreamObject()
        stream.set_data(data)
        page[NameObject("/Contents")] = writer._add_object(stream)
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font_ref})})
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        writer.write(f)


def build_marker_pdf(path: Path) -> dict:
    """Write the fixture; return what the text and the footnotes must read."""
    write_raw_pdf(path, [_stream(PAGE_ONE, FOOTNOTES)])
    return {
        "kept": ["the named team within one working day. The team records",
                 "checks must be carried out before the new member of staff",
                 "Human Rights Act 1998, the Equality Act 2010",
                 "40 m7 is recorded"],
        "footnotes": FOOTNOTES,
        "cites": {"2": ["41"], "3": ["42"], "4": []},
    }
