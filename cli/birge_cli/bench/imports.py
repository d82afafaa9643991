"""`birge bench import`: how long reading a participant list takes, hostile lists included.

Reads each file as the import endpoint does, with the configured bounds, and prints the time
(best of the runs) and the answer: rows read, or the problem that refused it. The valid 5,000
row lists are the baseline of the same run. Nothing is written to a database.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from birge_api.participants.import_files import ImportLimits, read_upload
from birge_api.problems import Problem
from birge_cli.bench import import_files
from birge_cli.bench.machine import this_machine
from birge_shared.settings import Settings


@dataclass(frozen=True)
class _Case:
    label: str
    filename: str
    build: Callable[[], bytes]


def _cases(rows: int) -> list[_Case]:
    return [
        _Case(
            f"valid CSV, cp1251 ';', {rows} rows", "list.csv", lambda: import_files.valid_csv(rows)
        ),
        _Case(
            f"valid XLSX, date cells, {rows} rows",
            "list.xlsx",
            lambda: import_files.valid_xlsx(rows),
        ),
        _Case("XLSX claiming A1:XFD3200", "bomb.xlsx", import_files.dimension_bomb),
        _Case(
            "XLSX, 2,000,000 shared strings",
            "bomb.xlsx",
            lambda: import_files.shared_strings_bomb(2_000_000),
        ),
        _Case(
            "XLSX, 900,000 shared strings (inside the size bound)",
            "bomb.xlsx",
            lambda: import_files.shared_strings_bomb(900_000),
        ),
        _Case("CSV header of 40,000 'name' cells", "wide.csv", import_files.wide_header_csv),
    ]


def _read(case: _Case, content: bytes, limits: ImportLimits) -> tuple[float, str]:
    started = time.perf_counter()
    try:
        sheet = read_upload(
            filename=case.filename, content_type=None, content=content, limits=limits
        )
        answer = f"{len(sheet.rows)} rows read"
    except Problem as problem:
        answer = f"{problem.status} {problem.type_}"
    return time.perf_counter() - started, answer


def run(settings: Settings, *, rows: int, runs: int, say: Callable[[str], None]) -> int:
    limits = ImportLimits(
        max_rows=settings.max_import_rows,
        max_columns=settings.max_import_columns,
        max_unpacked_bytes=settings.max_import_unpacked_bytes,
        time_limit_seconds=settings.import_time_limit_seconds,
    )
    say(f"machine: {this_machine().describe()}")
    say(
        f"bounds: {limits.max_rows} rows, {limits.max_columns} columns, "
        f"{limits.max_unpacked_bytes} bytes unpacked, {limits.time_limit_seconds:g} s"
    )
    baseline: float | None = None
    for case in _cases(rows):
        content = case.build()
        best, answer = min(_read(case, content, limits) for _ in range(runs))
        baseline = baseline if baseline is not None else best
        say(
            f"{case.label:<54} {len(content):>9} B  {best * 1000:8.1f} ms "
            f"({best / baseline:5.2f}x the valid CSV)  {answer}"
        )
    return 0
