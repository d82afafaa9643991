"""`birge bench webhooks` runs end to end on a tiny load (a behaviour check, not a timing)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import PG_ADMIN_URL


@pytest.mark.slow
def test_a_small_webhook_benchmark_runs_and_stores_each_callback_once() -> None:
    env = {**os.environ, "DATABASE_URL": PG_ADMIN_URL}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "birge_cli",
            "bench",
            "webhooks",
            "--rates",
            "10,20",
            "--seconds",
            "1",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    assert lines[0] == "birge bench webhooks"
    assert sum(line.startswith("offered ") for line in lines) == 2
    assert "| ratio " in lines[-2]
    assert lines[-1] == "stored: 30 of 30 accepted callbacks (each once)"
