"""Reading an uploaded participant list (CSV or XLSX) into numbered rows of text.

Only the format is checked here; what the cells mean is the schema's business. Errors name
columns and rows, never cell contents, because the cells are phone numbers and names.

An upload is hostile until its bounds are checked: the entries and unpacked size of a workbook
are read from its directory before anything is inflated, the cells a sheet really holds (not
the size its `<dimension>` claims) are counted before it is parsed, every check on the header
is linear, and reading stops at a deadline.
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import io
import re
import time
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Generator, Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

import charset_normalizer
from python_calamine import CalamineError, CalamineWorkbook

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

# Header names as people write them in English, Russian and Kyrgyz, after `_header_key`.
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("full_name", "аты", "аты_жөнү", "аты_жону", "толук_аты", "имя", "фио", "имя_фамилия"),
    "phone": (
        "phone_number",
        "mobile",
        "телефон",
        "тел",
        "телефон_номери",
        "номер_телефона",
        "мобильный",
    ),
    "email": ("e_mail", "mail", "электрондук_почта", "эл_почта", "электронная_почта", "почта"),
    "language": ("lang", "тил", "язык"),
    "city": ("шаар", "город"),
    "community": ("жамаат", "коомчулук", "сообщество", "группа"),
    "consent_method": ("макулдук_ыкмасы", "макулдук_жолу", "способ_согласия"),
    "consent_text_version": (
        "consent_version",
        "макулдук_тексти",
        "макулдук_версиясы",
        "версия_согласия",
        "версия_текста_согласия",
    ),
    "consent_given_at": (
        "consent_date",
        "макулдук_күнү",
        "макулдук_берилген_күн",
        "макулдук_датасы",
        "дата_согласия",
    ),
}
_ALIASES = {
    alias: column for column, aliases in HEADER_ALIASES.items() for alias in (column, *aliases)
}


class ImportFormat(enum.StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


_EXTENSIONS = {".csv": ImportFormat.CSV, ".txt": ImportFormat.CSV, ".xlsx": ImportFormat.XLSX}
_MEDIA_TYPES = {
    "text/csv": ImportFormat.CSV,
    "application/csv": ImportFormat.CSV,
    "text/comma-separated-values": ImportFormat.CSV,
    "text/tab-separated-values": ImportFormat.CSV,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ImportFormat.XLSX,
}
_ZIP_MAGIC = b"PK\x03\x04"
# A workbook written by a spreadsheet holds a dozen entries, a few dozen with pictures.
MAX_XLSX_ENTRIES = 200
# Text holds no control characters but tab and line ends; binary files always do.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BINARY = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class ImportLimits:
    max_rows: int
    max_columns: int
    max_unpacked_bytes: int
    time_limit_seconds: float

    @property
    def max_cells(self) -> int:
        # The header and every allowed row at the widest allowed width.
        return (self.max_rows + 1) * self.max_columns


class Deadline:
    """The moment the request's work stops, checked between rows."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._at = time.monotonic() + seconds

    def check(self) -> None:
        if time.monotonic() >= self._at:
            raise _file_problem(
                422,
                "import-too-slow",
                "The file takes too long to import",
                f"Importing stopped after {self.seconds:g} s; split the file.",
            )


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


def _unreadable_workbook() -> Problem:
    return _unsupported("The file is not a readable XLSX workbook.")


def _too_large(detail: str) -> Problem:
    return _file_problem(422, "file-too-large", "The file is larger than an import may be", detail)


def _too_many_columns(limit: int) -> Problem:
    return _file_problem(
        422,
        "too-many-columns",
        "The file has too many columns",
        f"At most {limit} columns can be imported; delete the extra ones.",
    )


def _columns_problem(missing: Iterable[str], detail: str) -> Problem:
    names = list(missing)
    return Problem(
        status=422,
        type_="missing-columns",
        title="The file lacks required columns",
        detail=f"{detail} Required columns: {', '.join(names)}.",
        errors=[{"field": name, "detail": "missing column"} for name in names],
    )


def decode_text(content: bytes) -> str | None:
    """The text of a CSV in whichever encoding a spreadsheet saved it, or None if not text.

    Excel writes UTF-8 with a BOM ("CSV UTF-8"), cp1251 in a Russian or Kyrgyz locale ("CSV")
    and UTF-16 ("Unicode text"); charset-normalizer tells them apart.
    """
    try:
        # Valid UTF-8 without NULs is UTF-8: the common case needs no detection. (UTF-16 of
        # Latin text is valid UTF-8 too, NULs between the letters.)
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = None
    if text is None or "\x00" in text:
        match = charset_normalizer.from_bytes(content).best()
        if match is None:
            return None
        text = str(match).removeprefix("\ufeff")
    return None if _CONTROL.search(text) else text


def _sniff(content: bytes) -> tuple[ImportFormat | None, str | None]:
    if content.startswith(_ZIP_MAGIC):
        return ImportFormat.XLSX, None
    text = decode_text(content)
    return (ImportFormat.CSV, text) if text is not None else (None, None)


def _classify(
    *, filename: str | None, content_type: str | None, content: bytes
) -> tuple[ImportFormat, str | None]:
    suffix = PurePosixPath(filename or "").suffix.lower()
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    claimed = {_EXTENSIONS.get(suffix), _MEDIA_TYPES.get(media_type)} - {None}
    if not claimed:
        raise _unsupported("Only .csv and .xlsx files can be imported.")
    if not content.strip():
        raise _columns_problem(REQUIRED_COLUMNS, "The file is empty.")
    actual, text = _sniff(content)
    if actual is None and ImportFormat.CSV in claimed and _BINARY.search(content) is None:
        # Text, but in no encoding a spreadsheet writes.
        raise _file_problem(
            422,
            "invalid-encoding",
            "The file's encoding cannot be read",
            "Save the file as 'CSV UTF-8' and upload it again.",
        )
    if actual is None or actual not in claimed:
        raise _unsupported("The file's content is not the CSV or XLSX its name or type claims.")
    return actual, text


def detect_format(
    *, filename: str | None, content_type: str | None, content: bytes
) -> ImportFormat:
    """What the upload claims to be (extension or media type) must be what its bytes are."""
    return _classify(filename=filename, content_type=content_type, content=content)[0]


def _header_key(cell: str) -> str:
    # `Аты-жөнү`, ` E-mail `, `Дата  согласия` -> `аты_жөнү`, `e_mail`, `дата_согласия`.
    name = unicodedata.normalize("NFC", cell).casefold().replace("ё", "е")
    return "_".join(re.findall(r"\w+", name))


def _header_name(cell: str) -> str:
    key = _header_key(cell)
    return _ALIASES.get(key, key)


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


def _trimmed(cells: Sequence[str]) -> Sequence[str]:
    end = len(cells)
    while end and not cells[end - 1]:
        end -= 1
    return cells[:end]


def _rows(
    numbered: Iterator[tuple[int, list[str]]],
    *,
    limits: ImportLimits,
    deadline: Deadline,
    columns: Sequence[str] | None = None,
) -> list[SheetRow]:
    """Maps cells to columns under the first non-blank row, which is the header.

    `columns`, when given, names the column of each header cell by position instead of the
    header's own words (a person mapped them); an empty name leaves that column out.
    """
    header: list[str] | None = None
    rows: list[SheetRow] = []
    for number, raw in numbered:
        deadline.check()
        # Spreadsheets pad rows with empty cells; only the filled ones count against the bound.
        cells = _trimmed(raw)
        if not cells or not any(cells):
            continue
        if len(cells) > limits.max_columns:
            raise _too_many_columns(limits.max_columns)
        if header is None:
            if columns is None:
                header = [_header_name(cell) for cell in cells]
            else:
                header = [
                    columns[index] if index < len(columns) else "" for index in range(len(cells))
                ]
            _check_header([column for column in header if column])
            continue
        if len(rows) == limits.max_rows:
            raise _file_problem(
                422,
                "too-many-rows",
                "The file has too many rows",
                f"At most {limits.max_rows} rows can be imported at once; split the file.",
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
    # One pass to count: a header of many repeated cells costs what its length costs.
    counts = Counter(header)
    missing = [column for column in REQUIRED_COLUMNS if column not in counts]
    if missing:
        raise _columns_problem(missing, "The header row lacks columns.")
    repeated = [column for column in COLUMNS if counts[column] > 1]
    if repeated:
        raise Problem(
            status=422,
            type_="repeated-columns",
            title="A column appears twice",
            detail=f"Keep one of each: {', '.join(repeated)}.",
            errors=[{"field": column, "detail": "column appears twice"} for column in repeated],
        )


def _csv_rows(text: str) -> Generator[tuple[int, list[str]], None, None]:
    first_line = text.lstrip().split("\n", 1)[0]
    # Spreadsheets in Russian and Kyrgyz locales write `;` between cells, "Unicode text" tabs.
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


# What a worksheet's XML holds, counted on its bytes before any parser sees them. A namespace
# prefix is allowed (`<x:c>`); anything that only looks like a cell or a reference (a comment,
# a text) can only make the counts larger, never smaller.
_CELL_TAG = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?c[\s/>]")
_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?row[\s/>]")
_SHARED_STRING_TAG = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?si[\s/>]")
_REF_ATTRIBUTE = re.compile(rb"""\sr\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_CELL_REF = re.compile(rb"([A-Za-z]{1,3})([0-9]{1,7})")
# Windows of the XML are counted one at a time, so no count holds millions of matches at once.
_WINDOW = 1 << 20


def _windows(xml: bytes) -> Iterator[bytes]:
    # A window ends before a `<`: a tag never holds one, so none is cut in two.
    start = 0
    while start < len(xml):
        end = xml.find(b"<", start + _WINDOW)
        end = len(xml) if end == -1 else end
        yield xml[start:end]
        start = end


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + letter - ord("A") + 1
    return number


def _check_sheet_xml(xml: bytes, limits: ImportLimits) -> None:
    """The area a reader will lay out is bounded by the cells the sheet really places.

    A reader builds a rectangle from the first to the last cell, so one cell far away costs
    as much as a full sheet: the furthest row and column any reference names are bounded, and
    each cell or row without a reference counts as one further. A reference that is not a
    plain `B12` (or `12` for a row) makes the sheet unreadable rather than unbounded.
    """
    cells = rows = cell_refs = row_refs = last_row = last_column = 0
    for window in _windows(xml):
        cells += len(_CELL_TAG.findall(window))
        if cells > limits.max_cells:
            raise _too_large(f"At most {limits.max_cells} cells can be imported; split the file.")
        rows += len(_ROW_TAG.findall(window))
        for double, single in _REF_ATTRIBUTE.findall(window):
            ref = double or single
            if ref.isdigit() and len(ref) <= 7:
                row_refs += 1
                last_row = max(last_row, int(ref))
                continue
            cell = _CELL_REF.fullmatch(ref)
            if cell is None:
                raise _unreadable_workbook()
            cell_refs += 1
            last_row = max(last_row, int(cell.group(2)))
            last_column = max(last_column, _column_number(cell.group(1)))
    columns = last_column + max(0, cells - cell_refs)
    if cells and columns > limits.max_columns:
        raise _too_many_columns(limits.max_columns)
    if (last_row + max(0, rows - row_refs)) * max(columns, 1) > limits.max_cells:
        raise _too_large(
            f"The sheet spans more than {limits.max_cells} cells; delete what lies beyond "
            "the list, or split it."
        )


def _checked_workbook(content: bytes, limits: ImportLimits) -> bytes:
    """The workbook re-packed without compression, once its bounds are known to hold.

    The directory's sizes are checked before anything is inflated; Python's reader stops each
    entry at its declared size and checks its CRC, and the re-packed copy carries exactly what
    was read, so the parser can never inflate more than was checked.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise _unreadable_workbook() from None
    entries = archive.infolist()
    if len(entries) > MAX_XLSX_ENTRIES:
        raise _too_large(f"A workbook may hold at most {MAX_XLSX_ENTRIES} parts.")
    if sum(entry.file_size for entry in entries) > limits.max_unpacked_bytes:
        raise _too_large(
            f"The workbook unpacks to more than {limits.max_unpacked_bytes} bytes; "
            "save the list alone in a new workbook."
        )
    packed = io.BytesIO()
    try:
        with zipfile.ZipFile(packed, "w", compression=zipfile.ZIP_STORED) as out:
            for entry in entries:
                data = archive.read(entry)
                name = entry.filename.lower()
                if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                    _check_sheet_xml(data, limits)
                elif name == "xl/sharedstrings.xml":
                    _check_shared_strings(data, limits)
                out.writestr(entry.filename, data)
    except (zipfile.BadZipFile, NotImplementedError, ValueError, OSError, EOFError):
        raise _unreadable_workbook() from None
    return packed.getvalue()


def _check_shared_strings(xml: bytes, limits: ImportLimits) -> None:
    count = 0
    for window in _windows(xml):
        count += len(_SHARED_STRING_TAG.findall(window))
        if count > limits.max_cells:
            raise _too_large(f"At most {limits.max_cells} cells can be imported; split the file.")


def _xlsx_rows(
    content: bytes, limits: ImportLimits
) -> Generator[tuple[int, list[str]], None, None]:
    workbook_bytes = _checked_workbook(content, limits)
    try:
        # calamine lays the sheet out from the cells it holds; the claimed dimension is unused.
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(workbook_bytes))
        sheet = workbook.get_sheet_by_index(0)
        end = sheet.end
        rows = list(sheet.iter_rows())
    except (CalamineError, ValueError, OSError, IndexError):
        raise _unreadable_workbook() from None
    # The rows run up to the last used cell: numbers match what a spreadsheet shows.
    first_row = end[0] + 2 - len(rows) if end is not None else 1
    for offset, values in enumerate(rows):
        yield first_row + offset, [_cell_text(value) for value in values]


def _numbered(
    *, filename: str | None, content_type: str | None, content: bytes, limits: ImportLimits
) -> tuple[ImportFormat, Generator[tuple[int, list[str]], None, None]]:
    file_format, text = _classify(filename=filename, content_type=content_type, content=content)
    numbered = (
        _csv_rows(text or "") if file_format is ImportFormat.CSV else _xlsx_rows(content, limits)
    )
    return file_format, numbered


def read_upload(
    *,
    filename: str | None,
    content_type: str | None,
    content: bytes,
    limits: ImportLimits,
    deadline: Deadline | None = None,
    columns: Sequence[str] | None = None,
) -> Sheet:
    deadline = deadline or Deadline(limits.time_limit_seconds)
    file_format, numbered = _numbered(
        filename=filename, content_type=content_type, content=content, limits=limits
    )
    # Closing the generator ends the reading even when it stops early.
    with closing(numbered):
        rows = _rows(numbered, limits=limits, deadline=deadline, columns=columns)
        return Sheet(format=file_format, rows=rows)


@dataclass(frozen=True)
class HeaderCell:
    text: str
    #: The column the header's words name (`COLUMNS`), or None when they name none.
    column: str | None


def read_header(
    *, filename: str | None, content_type: str | None, content: bytes, limits: ImportLimits
) -> list[HeaderCell]:
    """The first non-blank row's cells and the columns they are recognised as, for mapping."""
    _format, numbered = _numbered(
        filename=filename, content_type=content_type, content=content, limits=limits
    )
    with closing(numbered):
        for _number, raw in numbered:
            cells = _trimmed(raw)
            if not cells or not any(cells):
                continue
            if len(cells) > limits.max_columns:
                raise _too_many_columns(limits.max_columns)
            named = [_header_name(cell) for cell in cells]
            return [
                HeaderCell(text=cell, column=name if name in COLUMNS else None)
                for cell, name in zip(cells, named, strict=True)
            ]
    raise _columns_problem(REQUIRED_COLUMNS, "The file has no header row.")
