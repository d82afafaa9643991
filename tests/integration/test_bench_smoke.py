"""`birge bench fanout` on a small n: it runs, prints its figures, and leaves nothing behind.

The figures themselves are not checked: a benchmark measures, a test does not time.
"""

from __future__ import annotations

import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import PG_ADMIN_URL
from tests.integration.bench_runs import (
    processes_in,
    scratch_databases,
    started_bench,
    working_folder,
)

pytestmark = pytest.mark.slow

RUN_SECONDS = 240


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
    with started_bench(tmp_path, "fanout", "--n", "50", "--database-url", PG_ADMIN_URL) as (
        process,
        out,
        err,
    ):
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
    # Large enough that the measurement is still running when the signal arrives.
    with started_bench(tmp_path, "fanout", "--n", "5000") as (process, _out, err):
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
