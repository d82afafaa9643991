from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime

import pytest
from openpyxl import Workbook

from birge_api.participants.import_files import (
    ImportFormat,
    ImportLimits,
    detect_format,
    read_upload,
)
from birge_api.problems import Problem

HEADER = (
    "name,phone,email,language,city,community,consent_method,consent_text_version,consent_given_at"
)
ROW = "Aida,0555 123 456,,ky,osh,host,paper_form,2026-01,2026-11-20T10:00:00+06:00"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LIMITS = ImportLimits(
    max_rows=10, max_columns=50, max_unpacked_bytes=16 * 1024 * 1024, time_limit_seconds=30
)


def _xlsx(rows: Sequence[Sequence[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _problem(**kwargs: object) -> Problem:
    with pytest.raises(Problem) as caught:
        read_upload(limits=LIMITS, **kwargs)  # type: ignore[arg-type]
    return caught.value


def test_csv_rows_are_numbered_as_a_spreadsheet_shows_them() -> None:
    content = f"{HEADER}\n{ROW}\n\n{ROW}\n".encode()
    sheet = read_upload(
        filename="list.csv", content_type="text/csv", content=content, limits=LIMITS
    )
    assert sheet.format is ImportFormat.CSV
    assert [row.number for row in sheet.rows] == [2, 4]
    assert sheet.rows[0].values["phone"] == "0555 123 456"
    # Empty cells are left out so the schema reports them as missing.
    assert "email" not in sheet.rows[0].values


def test_semicolon_csv_with_a_bom_and_spaced_headers_is_read() -> None:
    header = HEADER.replace(",", ";").replace("consent_method", " Consent Method ")
    content = ("\ufeff" + header + "\n" + ROW.replace(",", ";") + "\n").encode()
    sheet = read_upload(filename="list.csv", content_type=None, content=content, limits=LIMITS)
    assert sheet.rows[0].values["consent_method"] == "paper_form"
    assert sheet.rows[0].values["name"] == "Aida"


def test_xlsx_cells_become_text_and_rows_keep_their_numbers() -> None:
    content = _xlsx(
        [
            [],
            HEADER.split(","),
            [
                "Aida",
                555123456,
                None,
                "KY",
                "osh",
                None,
                "paper_form",
                "2026-01",
                # Spreadsheets cannot hold an offset, so a typed date cell is naive.
                datetime(2026, 11, 20, 10, 0),  # noqa: DTZ001
            ],
        ]
    )
    sheet = read_upload(
        filename="list.xlsx", content_type=XLSX_TYPE, content=content, limits=LIMITS
    )
    assert sheet.format is ImportFormat.XLSX
    (row,) = sheet.rows
    assert row.number == 3
    assert row.values["phone"] == "555123456"
    assert row.values["consent_given_at"] == "2026-11-20T10:00:00"
    assert "community" not in row.values


def test_extension_or_media_type_must_match_the_content() -> None:
    csv_bytes = f"{HEADER}\n{ROW}\n".encode()
    xlsx_bytes = _xlsx([HEADER.split(",")])
    assert detect_format(filename="a.CSV", content_type=None, content=csv_bytes) is ImportFormat.CSV
    assert (
        detect_format(filename=None, content_type=XLSX_TYPE, content=xlsx_bytes)
        is ImportFormat.XLSX
    )
    for filename, content in [("a.csv", xlsx_bytes), ("a.xlsx", csv_bytes)]:
        with pytest.raises(Problem) as caught:
            detect_format(filename=filename, content_type=None, content=content)
        assert caught.value.status == 415


@pytest.mark.parametrize(
    ("filename", "content_type", "content"),
    [
        ("photo.png", "image/png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
        ("list.csv", "text/csv", b"name,phone\x00\x01\x02"),
        ("notes.md", "text/markdown", b"name,phone\n"),
        ("old.xls", "application/vnd.ms-excel", b"\xd0\xcf\x11\xe0\x00\x00"),
        ("broken.xlsx", XLSX_TYPE, b"PK\x03\x04 not really a zip"),
    ],
)
def test_anything_but_csv_or_xlsx_is_415(filename: str, content_type: str, content: bytes) -> None:
    problem = _problem(filename=filename, content_type=content_type, content=content)
    assert problem.status == 415
    assert problem.type_ == "unsupported-media-type"


def test_an_empty_file_names_the_required_columns() -> None:
    problem = _problem(filename="list.csv", content_type="text/csv", content=b"  \n")
    assert problem.status == 422
    assert problem.type_ == "missing-columns"
    assert problem.errors is not None
    assert {error["field"] for error in problem.errors} >= {"name", "phone", "consent_given_at"}


def test_missing_header_columns_are_named() -> None:
    content = b"name,language,city,consent_method,consent_text_version\nAida,ky,osh,verbal,1\n"
    problem = _problem(filename="list.csv", content_type="text/csv", content=content)
    assert problem.status == 422
    assert problem.errors is not None
    assert [error["field"] for error in problem.errors] == ["phone", "consent_given_at"]


def test_a_repeated_column_is_refused() -> None:
    content = f"{HEADER},phone\n{ROW},0555 000 111\n".encode()
    problem = _problem(filename="list.csv", content_type="text/csv", content=content)
    assert problem.type_ == "repeated-columns"


def test_a_header_without_rows_is_refused() -> None:
    problem = _problem(filename="list.csv", content_type="text/csv", content=HEADER.encode())
    assert problem.type_ == "empty-import"


def test_more_rows_than_allowed_is_refused() -> None:
    content = (HEADER + "\n" + "\n".join([ROW] * 11)).encode()
    problem = _problem(filename="list.csv", content_type="text/csv", content=content)
    assert problem.status == 422
    assert problem.type_ == "too-many-rows"


def test_text_in_no_known_encoding_is_a_422() -> None:
    # Not one encoding reads these bytes as text without control characters.
    content = HEADER.encode() + b"\n" + bytes(range(0x80, 0x100)) * 4
    problem = _problem(filename="list.csv", content_type="text/csv", content=content)
    assert problem.status == 422
    assert problem.type_ == "invalid-encoding"
