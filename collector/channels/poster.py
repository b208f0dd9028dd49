"""A printable poster (A4 or A5 PDF) for an office without a kiosk: the question, the three faces and a
QR code to the service point's rating page, in Italian and English.

The HTML is laid out by WeasyPrint (as the monthly report's PDF is); the faces are the kiosk's drawings,
the QR code is drawn by segno as SVG, so the print is sharp at any size.
"""

from __future__ import annotations

from typing import Literal

import segno

from collector.channels.page import environment
from face_art import FACES, INK, face_svg
from i18n import N_, translator
from i18n.citizen import FACES as FACE_LABELS
from i18n.citizen import PROMPT_FACE

PaperSize = Literal["A4", "A5"]
PAPER_SIZES: tuple[PaperSize, ...] = ("A4", "A5")

# Translators: the poster of a web rating page, under its QR code.
SCAN = N_("Scan the code with your phone's camera")
# Translators: the poster, before the rating page's address written out.
OR_OPEN = N_("or open")
# Translators: the poster's footer.
ANONYMOUS = N_("Anonymous: no personal data is collected.")


def qr_svg(url: str) -> str:
    """The QR code of `url` as inline SVG (error correction M: a scuffed poster still scans)."""
    svg: str = segno.make(url, error="m", micro=False).svg_inline(dark=INK, light="#ffffff", scale=10, border=4)
    return svg


def poster_html(url: str, place: str, size: PaperSize = "A4", lang: str = "it") -> str:
    other = "en" if lang != "en" else "it"
    first, second = translator(lang), translator(other)
    faces = [{"svg": face_svg(f, 200), "label": first(FACE_LABELS[f]), "label2": second(FACE_LABELS[f])} for f in FACES]
    return (
        environment()
        .get_template("poster.html")
        .render(
            size=size,
            lang=lang,
            other=other,
            place=place,
            question=first(PROMPT_FACE),
            question2=second(PROMPT_FACE),
            faces=faces,
            qr=qr_svg(url),
            url=url,
            scan=first(SCAN),
            scan2=second(SCAN),
            or_open=first(OR_OPEN),
            anonymous=first(ANONYMOUS),
            anonymous2=second(ANONYMOUS),
        )
    )


def poster_pdf(url: str, place: str, size: PaperSize = "A4", lang: str = "it") -> bytes:
    from weasyprint import HTML  # loads pango: only when a poster is made

    pdf: bytes = HTML(string=poster_html(url, place, size, lang)).write_pdf()
    return pdf
