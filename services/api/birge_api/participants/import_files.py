"""Reading an uploaded participant list (CSV or XLSX) into numbered rows of text.

Only the format is checked here; what the cells mean is the schema's business. Errors name
columns and rows, never cell contents, because the cells are phone numbers and names.
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import io
import warnings
import zipfile
from collections.abc import Generator, Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from birge_api.problems import Problem

COLUMNS = (
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
OPTIONAL_COLUMNS = frozenset({"email", "community"})
REQUIRED_COLUMNS = tuple(column for column in COLUMNS if column not in OPTIONAL_COLUMNS)
_ALIASES = {"e_mail": "email"}


class ImportFormat(enum.StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


_EXTENSIONS = {".csv": ImportFormat.CSV, ".xlsx": ImportFormat.XLSX}
_MEDIA_TYPES = {
    "text/csv": ImportFormat.CSV,
    "application/csv": ImportFormat.CSV,
    "text/comma-separated-values": ImportFormat.CSV,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ImportFormat.XLSX,
}
_ZIP_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class SheetRow:
    number: int
    values: dict[str, str]


@dataclass(frozen=True)
class Sheet:
    format: ImportFormat
    rows: list[SheetRow]


def _file_problem(status: int, type_: str, title: str, detail: str) -> Problem:
    return Problem(
        status=status,
        type_=type_,
        title=title,
        detail=detail,
        errors=[{"field": "file", "detail": detail}],
    )


def _unsupported(detail: str) -> Problem:
    return _file_problem(415, "unsupported-media-type", "Upload a CSV or XLSX file", detail)


def _columns_problem(missing: Iterable[str], detail: str) -> Problem:
    names = list(missing)
    return Problem(
        status=422,
        type_="missing-columns",
        title="The file lacks required columns",
        detail=f"{detail} Required columns: {', '.join(names)}.",
        errors=[{"field": name, "detail": "missing column"} for name in names],
    )


def _sniff(content: bytes) -> ImportFormat | None:
    if content.startswith(_ZIP_MAGIC):
        return ImportFormat.XLSX
    # Text never holds NUL bytes; images, PDFs and old .xls files always do.
    if b"\x00" in content:
        return None
    return ImportFormat.CSV


def detect_format(
    *, filename: str | None, content_type: str | None, content: bytes
) -> ImportFormat:
    """What the upload claims to be (extension or media type) must be what its bytes are."""
    suffix = PurePosixPath(filename or "").suffix.lower()
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    claimed = {_EXTENSIONS.get(suffix), _MEDIA_TYPES.get(media_type)} - {None}
    if not claimed:
        raise _unsupported("Only .csv (UTF-8) and .xlsx files can be imported.")
    if not content.strip():
        raise _columns_problem(REQUIRED_COLUMNS, "The file is empty.")
    actual = _sniff(content)
    if actual is None or actual not in claimed:
        raise _unsupported("The file's content is not the CSV or XLSX its name or type claims.")
    return actual


def _header_name(cell: str) -> str:
    name = cell.strip().lower().replace(" ", "_").replace("-", "_")
    return _ALIASES.get(name, name)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        # Spreadsheets store a phone typed as digits as a number: 555123456.0.
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value).strip()


def _rows(numbered: Iterator[tuple[int, list[str]]], *, max_rows: int) -> list[SheetRow]:
    """Maps cells to columns under the first non-blank row, which is the header."""
    header: list[str] | None = None
    rows: list[SheetRow] = []
    for number, cells in numbered:
        if not any(cells):
            continue
        if header is None:
            header = [_header_name(cell) for cell in cells]
            _check_header(header)
            continue
        if len(rows) == max_rows:
            raise _file_problem(
                422,
                "too-many-rows",
                "The file has too many rows",
                f"At most {max_rows} rows can be imported at once; split the file.",
            )
        values = {
            column: cell
            for column, cell in zip(header, cells, strict=False)
            if column in COLUMNS and cell
        }
        rows.append(SheetRow(number=number, values=values))
    if header is None:
        raise _columns_problem(REQUIRED_COLUMNS, "The file has no header row.")
    if not rows:
        raise _file_problem(
            422, "empty-import", "The file has no rows", "The file has a header but no rows."
        )
    return rows


def _check_header(header: list[str]) -> None:
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise _columns_problem(missing, "The header row lacks columns.")
    repeated = sorted(
        {column for column in header if column in COLUMNS and header.count(column) > 1}
    )
    if repeated:
        raise Problem(
            status=422,
            type_="repeated-columns",
            title="A column appears twice",
            detail=f"Keep one of each: {', '.join(repeated)}.",
            errors=[{"field": column, "detail": "column appears twice"} for column in repeated],
        )


def _csv_rows(content: bytes) -> Generator[tuple[int, list[str]], None, None]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _file_problem(
            422,
            "invalid-encoding",
            "The file is not UTF-8",
            "Save the file as 'CSV UTF-8' and upload it again.",
        ) from None
    first_line = text.lstrip().split("\n", 1)[0]
    # Spreadsheets in Russian and Kyrgyz locales write `;` between cells, not `,`.
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        # A spreadsheet shows one record per row, even when a quoted cell spans lines.
        for number, cells in enumerate(reader, start=1):
            yield number, [cell.strip() for cell in cells]
    except csv.Error:
        raise _file_problem(
            422, "unreadable-file", "The CSV cannot be read", "The file is not well-formed CSV."
        ) from None


def _xlsx_rows(content: bytes) -> Generator[tuple[int, list[str]], None, None]:
    try:
        with warnings.catch_warnings():
            # openpyxl warns about styles and extensions it drops; only values are read here.
            warnings.simplefilter("ignore")
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise _unsupported("The file is not a readable XLSX workbook.") from None
    try:
        sheet = workbook.worksheets[0]
        # min_row=1 keeps leading blank rows, so numbers match what the spreadsheet shows.
        for number, values in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1):
            yield number, [_cell_text(value) for value in values]
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, SyntaxError):
        # A damaged sheet only shows itself once read (XML parse errors are SyntaxErrors).
        raise _unsupported("The file is not a readable XLSX workbook.") from None
    finally:
        workbook.close()


def read_upload(
    *, filename: str | None, content_type: str | None, content: bytes, max_rows: int
) -> Sheet:
    file_format = detect_format(filename=filename, content_type=content_type, content=content)
    numbered = _csv_rows(content) if file_format is ImportFormat.CSV else _xlsx_rows(content)
    # Closing the generator closes the workbook even when reading stops early.
    with closing(numbered):
        return Sheet(format=file_format, rows=_rows(numbered, max_rows=max_rows))
