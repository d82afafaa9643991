"""Hostile and locale-shaped uploads, read as the import reads them."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from birge_api.participants.import_files import (
    Deadline,
    ImportLimits,
    _check_sheet_xml,
    read_upload,
)
from birge_api.participants.import_values import local_instant
from birge_api.problems import Problem
from birge_cli.bench import import_files as lists

LIMITS = ImportLimits(
    max_rows=5000, max_columns=50, max_unpacked_bytes=16 * 1024 * 1024, time_limit_seconds=30
)
BISHKEK = ZoneInfo("Asia/Bishkek")


def _refused(filename: str, content: bytes, limits: ImportLimits = LIMITS) -> Problem:
    with pytest.raises(Problem) as caught:
        read_upload(filename=filename, content_type=None, content=content, limits=limits)
    assert 400 <= caught.value.status < 500
    return caught.value


def test_a_cp1251_semicolon_csv_with_kyrgyz_and_russian_headers_is_read() -> None:
    text = (
        "Аты-жөнү;Телефон;Тил;Шаар;Способ согласия;Версия согласия;Дата согласия\r\n"
        "Бакыт Иванов;0555 100 001;ru;osh;paper_form;2026-01;20.11.2026 10:00\r\n"
    )
    # cp1251 has no ө or ү: people write о and у in that code page.
    content = text.replace("ө", "о").replace("ү", "у").encode("cp1251")
    sheet = read_upload(filename="list.csv", content_type=None, content=content, limits=LIMITS)
    (row,) = sheet.rows
    assert row.values == {
        "name": "Бакыт Иванов",
        "phone": "0555 100 001",
        "language": "ru",
        "city": "osh",
        "consent_method": "paper_form",
        "consent_text_version": "2026-01",
        "consent_given_at": "20.11.2026 10:00",
    }


@pytest.mark.parametrize(
    "encode",
    [
        pytest.param(lambda text: text.encode("utf-16"), id="utf-16 with BOM"),
        pytest.param(lambda text: text.encode("utf-16-le"), id="utf-16-le without BOM"),
        pytest.param(lambda text: text.encode("utf-8-sig"), id="utf-8 with BOM"),
    ],
)
def test_unicode_text_with_tabs_is_read(encode: object) -> None:
    text = (
        "имя\tтелефон\tязык\tгород\tconsent method\tconsent version\tconsent date\r\n"
        "Чолпон Асанова\t0700 100 002\tky\tbishkek\tverbal\t2026-01\t01.12.2026\r\n"
    )
    content = encode(text)  # type: ignore[operator]
    sheet = read_upload(filename="list.txt", content_type=None, content=content, limits=LIMITS)
    (row,) = sheet.rows
    assert row.values["name"] == "Чолпон Асанова"
    assert row.values["consent_given_at"] == "01.12.2026"


def test_local_dates_are_the_city_time_and_a_date_alone_its_midnight() -> None:
    assert local_instant("20.11.2026 10:00", BISHKEK) == datetime(2026, 11, 20, 4, tzinfo=UTC)
    assert local_instant("2026-11-20T10:00:00", BISHKEK) == datetime(2026, 11, 20, 4, tzinfo=UTC)
    assert local_instant("20.11.2026", BISHKEK) == datetime(2026, 11, 19, 18, tzinfo=UTC)
    assert local_instant("2026-11-20", BISHKEK) == datetime(2026, 11, 19, 18, tzinfo=UTC)
    offset = local_instant("2026-11-20T10:00:00+00:00", BISHKEK)
    assert offset == datetime(2026, 11, 20, 10, tzinfo=UTC)
    assert local_instant("31.02.2026", BISHKEK) is None
    assert local_instant("tomorrow", BISHKEK) is None


def test_a_header_of_forty_thousand_repeated_cells_is_refused() -> None:
    problem = _refused("wide.csv", lists.wide_header_csv(40_000))
    assert problem.type_ == "too-many-columns"


def test_repeated_columns_within_the_bound_are_named_once() -> None:
    header = ",".join([*lists.HEADER, "name", "name", "phone"])
    content = (header + "\n" + ",".join(map(str, lists.valid_rows(1)[0])) + "\n").encode()
    problem = _refused("list.csv", content)
    assert problem.type_ == "repeated-columns"
    assert [error["field"] for error in problem.errors or []] == ["name", "phone"]


def test_a_workbook_claiming_a_vast_dimension_reads_only_its_real_cells() -> None:
    content = lists.dimension_bomb("A1:XFD1048576", rows=3200)
    sheet = read_upload(filename="list.xlsx", content_type=None, content=content, limits=LIMITS)
    (row,) = sheet.rows
    assert row.number == 2
    assert set(row.values) >= {"name", "phone", "consent_given_at"}


def test_a_shared_strings_bomb_is_refused_from_the_zip_directory() -> None:
    content = lists.shared_strings_bomb(2_000_000)
    assert len(content) < 256 * 1024
    problem = _refused("bomb.xlsx", content)
    assert problem.type_ == "file-too-large"


def test_shared_strings_inside_the_size_bound_are_still_counted() -> None:
    content = lists.shared_strings_bomb(LIMITS.max_cells + 1)
    problem = _refused("bomb.xlsx", content)
    assert problem.type_ == "file-too-large"


def test_one_cell_far_away_is_refused_before_the_sheet_is_laid_out() -> None:
    far = b'<sheetData><row r="1"><c r="A1"/></row><row r="1048576"><c r="XFD1048576"/></row>'
    with pytest.raises(Problem) as caught:
        _check_sheet_xml(far + b"</sheetData>", LIMITS)
    assert caught.value.type_ == "too-many-columns"
    deep = b'<sheetData><row r="1"><c r="A1"/></row><x:row r="900000"><x:c r="B900000"/></x:row>'
    with pytest.raises(Problem) as caught:
        _check_sheet_xml(deep + b"</sheetData>", LIMITS)
    assert caught.value.type_ == "file-too-large"


def test_a_reference_that_is_not_plain_makes_the_sheet_unreadable() -> None:
    hidden = b'<sheetData><row r="1"><c r="&#88;FD1"/></row></sheetData>'
    with pytest.raises(Problem) as caught:
        _check_sheet_xml(hidden, LIMITS)
    assert caught.value.status == 415


def test_a_workbook_of_too_many_parts_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for n in range(300):
            archive.writestr(f"xl/media/image{n}.png", b"")
    problem = _refused("list.xlsx", buffer.getvalue())
    assert problem.type_ == "file-too-large"


def test_an_entry_that_inflates_past_its_declared_size_is_unreadable() -> None:
    content = lists.valid_xlsx(3)
    # Declare the sheet smaller than it is: the reader stops there, and the CRC tells.
    archive = zipfile.ZipFile(io.BytesIO(content))
    info = archive.getinfo("xl/worksheets/sheet1.xml")
    lying = bytearray(content)
    # The central directory's record of the sheet: its name starts 46 bytes in.
    name_at = content.find(info.filename.encode(), content.find(b"PK\x01\x02"))
    size_at = name_at - 46 + 24
    assert int.from_bytes(content[size_at : size_at + 4], "little") == info.file_size
    lying[size_at : size_at + 4] = (info.file_size // 2).to_bytes(4, "little")
    problem = _refused("list.xlsx", bytes(lying))
    assert problem.status == 415


def test_reading_stops_at_the_deadline() -> None:
    content = lists.valid_csv(50)
    with pytest.raises(Problem) as caught:
        read_upload(
            filename="list.csv",
            content_type=None,
            content=content,
            limits=LIMITS,
            deadline=Deadline(1e-9),
        )
    assert caught.value.type_ == "import-too-slow"


def test_five_thousand_rows_within_the_bounds_are_read() -> None:
    for filename, content in [
        ("list.csv", lists.valid_csv(5000)),
        ("list.xlsx", lists.valid_xlsx(5000)),
    ]:
        sheet = read_upload(filename=filename, content_type=None, content=content, limits=LIMITS)
        assert len(sheet.rows) == 5000
        assert sheet.rows[-1].number == 5001
