"""Running a `birge bench` command as its user does, for the benchmarks' smoke tests."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from tests.conftest import PG_ADMIN_URL


def run_bench(tmp_path: Path, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    """`birge bench ARGS` on the suite's PostgreSQL server, in `tmp_path`."""
    return subprocess.run(  # noqa: S603 - this interpreter and our own arguments
        [sys.executable, "-m", "birge_cli", "bench", *args, "--database-url", PG_ADMIN_URL],
        cwd=tmp_path,
        env=bench_env(),
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


def working_folder(err: Path) -> Path:
    found = re.search(r"working in (\S+)", err.read_text())
    assert found is not None, err.read_text()
    return Path(found.group(1))


def processes_in(folder: Path) -> list[int]:
    """Processes whose working directory is inside `folder` (the bench's API, worker, beat)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cwd = (entry / "cwd").readlink()
        except OSError:
            continue
        if cwd == folder or folder in cwd.parents:
            found.append(int(entry.name))
    return found


def scratch_databases() -> set[str]:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as connection:
        rows = connection.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE 'birge_bench_%'"
        ).fetchall()
    return {name for (name,) in rows}


def bench_env() -> dict[str, str]:
    # The suite's own database and Redis database are not the bench's business: without them
    # it uses a scratch database on the server it is given and a file broker of its own, so
    # it cannot meet another run's Redis keys.
    env = {**os.environ}
    for name in ("DATABASE_URL", "BROKER_URL"):
        env.pop(name, None)
    return env


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@contextmanager
def started_bench(
    tmp_path: Path, *args: str
) -> Iterator[tuple[subprocess.Popen[bytes], Path, Path]]:
    """`birge bench ARGS` running in `tmp_path`, its output in files; stopped if still running."""
    out, err = tmp_path / "bench.out", tmp_path / "bench.err"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(  # noqa: S603 - this interpreter and our own arguments
            [sys.executable, "-m", "birge_cli", "bench", *args],
            cwd=tmp_path,
            env=bench_env(),
            stdout=stdout,
            stderr=stderr,
            # A run started in the background by a shell inherits SIGINT ignored, which would
            # make the Ctrl-C the tests send a no-op; a terminal's bench has the default.
            preexec_fn=_default_sigint,  # noqa: PLW1509 - no threads run in this test process's fork
        )
    try:
        yield process, out, err
    finally:
        if process.poll() is None:
            # SIGTERM first: the bench stops its own children and drops its scratch database.
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
