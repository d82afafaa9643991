"""`birge bench import` prints a figure and the answer for every list it reads."""

from __future__ import annotations

from birge_cli.bench import imports
from birge_shared.settings import get_settings


def test_the_import_benchmark_reports_every_list_and_the_refusals() -> None:
    lines: list[str] = []
    assert imports.run(get_settings(), rows=20, runs=1, say=lines.append) == 0
    assert lines[0].startswith("machine: ")
    figures = lines[2:]
    assert len(figures) == 6
    assert all(" ms " in line for line in figures)
    assert figures[0].endswith("20 rows read")
    assert figures[1].endswith("20 rows read")
    assert figures[2].endswith("1 rows read")
    assert [line.rsplit(" ", 1)[-1] for line in figures[3:]] == [
        "file-too-large",
        "file-too-large",
        "too-many-columns",
    ]
