"""Participant lists for the import benchmark and its tests: valid ones and hostile ones.

The hostile files are the ones an attacker with a coordinator's login could upload: an XLSX
whose `<dimension>` claims a vast sheet, an XLSX whose shared-strings table unpacks to hundreds
of MiB from a small upload, and a CSV header of tens of thousands of repeated cells.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime

from openpyxl import Workbook

HEADER = (
    "name",
    "phone",
    "email",
    "language",
    "city",
    "community",
    "consent_method",
    "consent_text_version",
    "consent_given_at",
)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_SHEET = "xl/worksheets/sheet1.xml"
_SHARED_STRINGS = "xl/sharedStrings.xml"
_WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
_CONTENT_TYPES = "[Content_Types].xml"


def _phone(number: int) -> str:
    # Numbers of the +996 555 range, consecutive from `first`: valid Kyrgyz mobiles.
    return f"0555 {number // 1000 % 1000:03d} {number % 1000:03d}"


def valid_rows(count: int, *, city: str = "osh", first: int = 0) -> list[list[object]]:
    return [
        [
            f"Participant {first + n}",
            _phone(first + n),
            "",
            ("ky", "ru", "en")[n % 3],
            city,
            ("host", "migrant")[n % 2],
            "paper_form",
            "2026-01",
            "20.11.2026 10:00",
        ]
        for n in range(count)
    ]


def valid_csv(count: int, *, city: str = "osh", first: int = 0) -> bytes:
    lines = [";".join(HEADER)] + [
        ";".join(map(str, row)) for row in valid_rows(count, city=city, first=first)
    ]
    return ("\r\n".join(lines) + "\r\n").encode("cp1251")


def _workbook_bytes(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def valid_xlsx(count: int, *, city: str = "osh", first: int = 0) -> bytes:
    rows: list[list[object]] = [list(HEADER)]
    for row in valid_rows(count, city=city, first=first):
        # A date cell, as a spreadsheet holds a typed date: local time, no offset.
        rows.append([*row[:-1], datetime(2026, 11, 20, 10, 0)])  # noqa: DTZ001
    return _workbook_bytes(rows)


def _rewrite(content: bytes, replacements: dict[str, bytes]) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for info in source.infolist():
            data = replacements.pop(info.filename, None)
            out.writestr(info.filename, data if data is not None else source.read(info))
        for name, data in replacements.items():
            out.writestr(name, data)
    return buffer.getvalue()


def dimension_bomb(ref: str = "A1:XFD3200", rows: int = 3200) -> bytes:
    """A list whose `<dimension>` claims `ref`, with empty rows down to `rows`.

    A reader that trusts the claim pads every row to column XFD: 52 million cells from a
    file of a few KB.
    """
    content = _workbook_bytes([list(HEADER), valid_rows(1)[0]])
    sheet = zipfile.ZipFile(io.BytesIO(content)).read(_SHEET)
    claimed = re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="{ref}"'.encode(), sheet)
    empty = b"".join(f'<row r="{n}"/>'.encode() for n in range(3, rows + 1))
    return _rewrite(content, {_SHEET: claimed.replace(b"</sheetData>", empty + b"</sheetData>")})


def shared_strings_bomb(strings: int = 2_000_000) -> bytes:
    """A workbook whose shared-strings table holds `strings` entries: small zipped, vast open."""
    content = _workbook_bytes([list(HEADER), valid_rows(1)[0]])
    entry = b"<si><t>x</t></si>"
    table = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
        + f' count="{strings}" uniqueCount="{strings}">'.encode()
        + entry * strings
        + b"</sst>"
    )
    archive = zipfile.ZipFile(io.BytesIO(content))
    rels = archive.read(_WORKBOOK_RELS).replace(
        b"</Relationships>",
        b'<Relationship Id="rIdSst" Target="sharedStrings.xml" Type="http://schemas.'
        b'openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/></Relationships>',
    )
    types = archive.read(_CONTENT_TYPES).replace(
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
        b'officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    )
    return _rewrite(content, {_SHARED_STRINGS: table, _WORKBOOK_RELS: rels, _CONTENT_TYPES: types})


def wide_header_csv(columns: int = 40_000) -> bytes:
    """A header of the real columns followed by `columns` more `name` cells, and one row."""
    header = [*HEADER, *(["name"] * columns)]
    return (",".join(header) + "\n" + ",".join(map(str, valid_rows(1)[0])) + "\n").encode()
