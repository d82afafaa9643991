"""`birge bench console` on small sizes: every page row, its weights, and no database left behind.

The figures themselves are not checked: a benchmark measures, a test does not time.
"""

from __future__ import annotations

import re
import signal
import time
from pathlib import Path

import pytest

from birge_cli.bench.bulk_fill import bench_name
from birge_cli.bench.console import BASELINE, PAGES
from tests.conftest import PG_ADMIN_URL
from tests.integration.bench_runs import (
    assert_scratch_database_dropped,
    processes_in,
    run_bench,
    run_bench_on_sqlite,
    started_bench,
    working_folder,
)

pytestmark = pytest.mark.slow

RUN_SECONDS = 300
_FIGURE = r"\s+200\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[\d.]+"


def test_a_small_run_times_and_weighs_every_page_and_leaves_nothing_behind(
    tmp_path: Path,
) -> None:
    finished = run_bench(
        tmp_path,
        "console",
        "--participants",
        "400",
        "--events",
        "20",
        "--repeat",
        "3",
        "--warmup",
        "1",
        timeout=RUN_SECONDS,
    )
    out, notes = finished.stdout, finished.stderr

    assert finished.returncode == 0, f"{out}\n{notes[-4000:]}"
    assert "400 participants" in out
    assert "20 events (19 completed, 1 upcoming)" in out
    assert "200 messages" in out
    assert re.search(r"^machine: .+, \d+ cores", out, re.MULTILINE)
    assert re.search(rf"^{re.escape(BASELINE.label)}{_FIGURE}\s+-\s+-$", out, re.MULTILINE), out
    for page in PAGES:
        label = re.escape(page.label)
        # A timed row: status 200, p50, p95, both ratios, wall p50 and p95, then both weights.
        assert re.search(rf"^{label}{_FIGURE}\s+[\d.]+\s+[\d.]+$", out, re.MULTILINE), out
        verdict = (
            rf"^  {label}: p95 [\d.]+ ms (met|MISSED); first load [\d.]+ KB \(\d+ assets\) "
            r"(met|MISSED); HTML [\d.]+ KB (met|MISSED)$"
        )
        assert re.search(verdict, out, re.MULTILINE), out
    assert re.search(r"^verdict: \d+ of \d+ pages meet every goal", out, re.MULTILINE)
    # The searched name and number travel in a query string, never into the output.
    assert bench_name(0) not in out + notes
    assert not re.search(r"\+996\d{9}", out + notes)

    assert_scratch_database_dropped(notes)


def test_a_terminated_run_stops_its_server_and_drops_its_database(tmp_path: Path) -> None:
    args = ("console", "--participants", "400", "--events", "20", "--repeat", "100000")
    with started_bench(tmp_path, *args, "--database-url", PG_ADMIN_URL) as (process, _, err):
        deadline = time.monotonic() + RUN_SECONDS
        while "timed rounds" not in err.read_text():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the bench did not get to the timing:\n{err.read_text()[-4000:]}")
            time.sleep(0.2)
        folder = working_folder(err)
        assert processes_in(folder), "the server runs in the bench's folder"

        process.send_signal(signal.SIGTERM)
        returncode = process.wait(timeout=120)

    notes = err.read_text()
    assert returncode == 2, notes[-4000:]
    assert "interrupted" in notes
    assert processes_in(folder) == []
    assert not folder.exists()
    assert_scratch_database_dropped(notes)


def test_sqlite_is_refused_with_a_reason(tmp_path: Path) -> None:
    finished = run_bench_on_sqlite(tmp_path, "console", "--events", "2")
    assert finished.returncode == 2
    assert "needs PostgreSQL" in finished.stderr
