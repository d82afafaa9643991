"""`birge bench reports` on small sizes: it runs, prints its figures, and drops its database.

The figures themselves are not checked: a benchmark measures, a test does not time.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from tests.conftest import PG_ADMIN_URL

pytestmark = pytest.mark.slow


def test_a_small_run_prints_its_figures_and_leaves_nothing_behind(tmp_path: Path) -> None:
    env = {**os.environ}
    env.pop("DATABASE_URL", None)  # the suite's own database is not the benchmark's business
    finished = subprocess.run(  # noqa: S603 - this interpreter and our own arguments
        [
            sys.executable,
            "-m",
            "birge_cli",
            "bench",
            "reports",
            "--events",
            "20",
            "--answers",
            "3000",
            "--runs",
            "2",
            "--database-url",
            PG_ADMIN_URL,
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )

    assert finished.returncode == 0, finished.stderr
    out = finished.stdout
    assert "20 events" in out
    assert "3000 survey answers" in out
    for line in ("machine:", "baseline,", "summary report, every event:", "ratio summary / count"):
        assert line in out
    found = re.search(r"scratch database (birge_bench_[0-9a-f]+)", finished.stderr)
    assert found is not None
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
        left = connection.execute(
            "SELECT count(*) FROM pg_database WHERE datname = %s", (found.group(1),)
        ).fetchone()
    assert left == (0,)


def test_sqlite_is_refused_with_a_reason(tmp_path: Path) -> None:
    finished = subprocess.run(
        [sys.executable, "-m", "birge_cli", "bench", "reports", "--events", "2", "--answers", "4"],
        cwd=tmp_path,
        env={**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert finished.returncode == 2
    assert "needs PostgreSQL" in finished.stderr
