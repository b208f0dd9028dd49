"""A picture of a spreadsheet's first rows and columns, drawn from what openpyxl reads back (fills, bold
header, number formats), for the README: no spreadsheet program runs here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl.worksheet.worksheet import Worksheet
from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


def shown(value: Any, number_format: str) -> str:
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if number_format.endswith("%"):
            return f"{value * 100:.1f}%"
        if "pp" in number_format:
            return f"{value:+.1f} pp"
        if number_format == "#,##0":
            return f"{value:,.0f}".replace(",", ".")
        return f"{value:.1f}"
    return str(value)


def draw(sheet: Worksheet, out: Path, rows: int = 9, columns: int = 13) -> None:
    font, bold = ImageFont.truetype(FONT, 12), ImageFont.truetype(BOLD, 12)
    widths = [int((sheet.column_dimensions[chr(65 + c)].width or 10) * 7.2) for c in range(columns)]
    heights = [52] + [22] * (rows - 1)
    image = Image.new("RGB", (sum(widths) + 40, sum(heights) + 22), "white")
    pen = ImageDraw.Draw(image)
    pen.rectangle((0, 0, image.width, 22), fill="#e9ecef")
    x = 40
    for c, w in enumerate(widths):
        pen.text((x + w // 2 - 4, 4), chr(65 + c), fill="#444", font=font)
        x += w
    y = 22
    for r in range(1, rows + 1):
        h = heights[r - 1]
        pen.text((10, y + 4), str(r), fill="#444", font=font)
        x = 40
        for c in range(columns):
            cell = sheet.cell(row=r, column=c + 1)
            fill = cell.fill.fgColor.rgb if cell.fill and cell.fill.fill_type == "solid" else None
            if isinstance(fill, str) and len(fill) == 8:
                pen.rectangle((x, y, x + widths[c], y + h), fill="#" + fill[2:])
            pen.rectangle((x, y, x + widths[c], y + h), outline="#d0d4d9")
            text = shown(cell.value, cell.number_format)
            colour = "#ffffff" if r == 1 else "#1b1c1e"
            face = bold if cell.font and cell.font.b else font
            if r == 1:  # the header wraps
                words, lines, line = text.split(), [], ""
                for word in words:
                    if pen.textlength(f"{line} {word}".strip(), font=face) > widths[c] - 8:
                        lines.append(line)
                        line = word
                    else:
                        line = f"{line} {word}".strip()
                lines.append(line)
                for i, part in enumerate(lines[:3]):
                    pen.text((x + 4, y + 3 + 15 * i), part, fill=colour, font=face)
            else:
                while text and pen.textlength(text, font=face) > widths[c] - 8:
                    text = text[:-2] + "…"
                right = isinstance(cell.value, (int, float))
                at = x + widths[c] - 4 - pen.textlength(text, font=face) if right else x + 4
                pen.text((at, y + 4), text, fill=colour, font=face)
            x += widths[c]
        y += h
    pen.line((40, 22 + heights[0], image.width, 22 + heights[0]), fill="#1f3864", width=2)  # the frozen row
    image.save(out, optimize=True)
