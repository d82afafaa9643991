"""The example participant list offered for download, as CSV and as XLSX.

The columns are the import's own; the example rows show the forms a spreadsheet in Kyrgyzstan
writes (a local phone number, a local date and time), and they are fictitious.
"""

from __future__ import annotations

import io
from datetime import datetime

from openpyxl import Workbook

from birge_api.participants.import_files import COLUMNS

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_EXAMPLES = (
    (
        "Айгүл Асанова",
        "0555 000 001",
        "",
        "ky",
        "osh",
        "host",
        "paper_form",
        "2026-01",
        datetime(2026, 11, 20, 10, 0),  # noqa: DTZ001 - a spreadsheet's local time
    ),
    (
        "Amina Yusuf",
        "+996 700 000 002",
        "amina@example.org",
        "en",
        "osh",
        "migrant",
        "web_form",
        "2026-01",
        datetime(2026, 11, 21, 0, 0),  # noqa: DTZ001 - a date alone
    ),
)


def template_csv() -> bytes:
    """`;`-separated UTF-8 with a BOM: Excel in a Russian or Kyrgyz locale opens it as is."""
    lines = [";".join(COLUMNS)]
    for example in _EXAMPLES:
        *cells, given_at = example
        stamp = given_at.strftime("%d.%m.%Y %H:%M" if given_at.hour else "%d.%m.%Y")
        lines.append(";".join([*(str(cell) for cell in cells), stamp]))
    return ("\r\n".join(lines) + "\r\n").encode("utf-8-sig")


def template_xlsx() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook always has its first sheet
    sheet.title = "participants"
    sheet.append(list(COLUMNS))
    for example in _EXAMPLES:
        sheet.append(list(example))
    for row in sheet.iter_rows(min_row=2):
        # Phone numbers stay text, so a leading zero is kept; consent dates are date cells.
        row[1].number_format = "@"
        row[-1].number_format = "DD.MM.YYYY HH:MM"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
