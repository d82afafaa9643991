"""`birge bench dataset` on small sizes: it runs, prints its figures, and drops its database.

The figures themselves are not checked: a benchmark measures, a test does not time.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.bench_runs import (
    assert_scratch_database_dropped,
    run_bench,
    run_bench_on_sqlite,
)

pytestmark = pytest.mark.slow


def test_a_small_run_prints_its_figures_and_leaves_nothing_behind(tmp_path: Path) -> None:
    finished = run_bench(tmp_path, "dataset", "--events", "20", "--answers", "3000", timeout=240)

    assert finished.returncode == 0, finished.stderr
    out = finished.stdout
    assert "3000 survey answers" in out
    for line in (
        "machine:",
        "baseline, reading all 3000 answers",
        "dataset zip:",
        "answers_wide.sav:",
        "ratio dataset / reading the answers",
        "peak traced Python memory",
    ):
        assert line in out
    assert_scratch_database_dropped(finished.stderr)


def test_sqlite_is_refused_with_a_reason(tmp_path: Path) -> None:
    finished = run_bench_on_sqlite(tmp_path, "dataset", "--events", "2", "--answers", "4")
    assert finished.returncode == 2
    assert "needs PostgreSQL" in finished.stderr
