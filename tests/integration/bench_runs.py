"""Running a `birge bench` command as its user does, for the benchmarks' smoke tests."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import psycopg

from tests.conftest import PG_ADMIN_URL


def run_bench(tmp_path: Path, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    """`birge bench ARGS` on the suite's PostgreSQL server, in `tmp_path`."""
    env = {**os.environ}
    env.pop("DATABASE_URL", None)  # the suite's own database is not the benchmark's business
    return subprocess.run(  # noqa: S603 - this interpreter and our own arguments
        [sys.executable, "-m", "birge_cli", "bench", *args, "--database-url", PG_ADMIN_URL],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_bench_on_sqlite(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`birge bench ARGS` with DATABASE_URL a SQLite file, which a PostgreSQL bench refuses."""
    return subprocess.run(  # noqa: S603 - this interpreter and our own arguments
        [sys.executable, "-m", "birge_cli", "bench", *args],
        cwd=tmp_path,
        env={**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def assert_scratch_database_dropped(notes: str) -> None:
    """The scratch database the run's notes name is gone from the server."""
    found = re.search(r"scratch database (birge_bench_[0-9a-f]+)", notes)
    assert found is not None, notes
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
        left = connection.execute(
            "SELECT count(*) FROM pg_database WHERE datname = %s", (found.group(1),)
        ).fetchone()
    assert left == (0,)
