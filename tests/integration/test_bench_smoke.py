"""`birge bench fanout` on a small n: it runs, prints its figures, and leaves nothing behind.

The figures themselves are not checked: a benchmark measures, a test does not time.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

from tests.conftest import PG_ADMIN_URL

pytestmark = pytest.mark.slow

RUN_SECONDS = 240


def bench_env() -> dict[str, str]:
    # The suite's own database and Redis database are not the bench's business: without them
    # it uses a scratch database on the server it is given and a file broker of its own, so
    # it cannot meet another run's Redis keys.
    env = {**os.environ}
    for name in ("DATABASE_URL", "BROKER_URL"):
        env.pop(name, None)
    return env


@contextmanager
def bench(tmp_path: Path, *args: str) -> Iterator[tuple[subprocess.Popen[bytes], Path, Path]]:
    out, err = tmp_path / "bench.out", tmp_path / "bench.err"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(  # noqa: S603 - this interpreter and our own arguments
            [sys.executable, "-m", "birge_cli", "bench", "fanout", *args],
            cwd=tmp_path,
            env=bench_env(),
            stdout=stdout,
            stderr=stderr,
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


FIGURES = [
    r"^machine: .+, \d+ cores, .+ RAM, Python 3\.",
    r"^set-up: PostgreSQL [\d.]+ \(scratch database\), file broker",
    r"^end to end: 50 invitations in [\d.]+ s = [\d.]+ invitations/s",
    r"^raw twilio SDK, 2 processes: 50 messages in [\d.]+ s = [\d.]+ messages/s",
    r"^ratio end-to-end / raw: [\d.]+$",
    r"^worker peak memory \(VmHWM, \d+ processes\): sum [\d.]+ MiB, max [\d.]+ MiB",
    r"^exactly once: yes, each of the 50 numbers got exactly one create",
]


def test_bench_fanout_prints_its_figures_and_cleans_up(tmp_path: Path) -> None:
    with bench(tmp_path, "--n", "50", "--database-url", PG_ADMIN_URL) as (process, out, err):
        try:
            returncode = process.wait(timeout=RUN_SECONDS)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the bench did not finish in {RUN_SECONDS}s:\n{err.read_text()[-4000:]}")
    printed, notes = out.read_text(), err.read_text()
    assert returncode == 0, f"{printed}\n{notes[-4000:]}"

    for figure in FIGURES:
        assert re.search(figure, printed, re.MULTILINE), f"{figure!r} not in:\n{printed}"
    # Neither a number nor a name of the generated participants is printed.
    assert not re.search(r"\+996\d{9}", printed + notes)
    assert "Bench Person" not in printed + notes

    folder = working_folder(err)
    assert not folder.exists()
    assert processes_in(folder) == []
    scratch = re.search(r"scratch database (birge_bench_\w+)", notes)
    assert scratch is not None, notes
    assert scratch.group(1) not in scratch_databases()


def test_an_interrupted_bench_stops_its_processes_and_removes_its_folder(tmp_path: Path) -> None:
    with bench(tmp_path, "--n", "50") as (process, _out, err):
        deadline = time.monotonic() + RUN_SECONDS
        while "end to end: inviting" not in err.read_text():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the bench did not get to the measurement:\n{err.read_text()[-4000:]}")
            time.sleep(0.2)
        folder = working_folder(err)
        assert processes_in(folder), "the API, worker and beat run in the bench's folder"

        process.send_signal(signal.SIGINT)  # what Ctrl-C sends
        returncode = process.wait(timeout=120)

    assert returncode == 2
    assert "interrupted" in err.read_text()
    assert processes_in(folder) == []
    assert not folder.exists()
