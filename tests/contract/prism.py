"""Prism serving Twilio's published contract, started and stopped by the tests that need it.

Prism is installed by `make node` (`npm ci --prefix tests/contract`, pinned by the lock file
beside this file). When it is missing the tests that need it fail, saying how to install it:
a skipped contract test would let a broken Twilio integration pass.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.ports import free_port

CONTRACT_DIR = Path(__file__).parent
PRISM = CONTRACT_DIR / "node_modules" / ".bin" / "prism"
SPEC_DIR = CONTRACT_DIR / "node_modules/@twilio-alpha/mcp/twilio-oai/spec/json"
#: The Messages API (api.twilio.com) and the Content API (content.twilio.com, WhatsApp
#: templates and their approval), as Twilio publishes them.
TWILIO_SPEC = SPEC_DIR / "twilio_api_v2010.json"
CONTENT_SPEC = SPEC_DIR / "twilio_content_v1.json"
# Prism parses the whole 2010 API description before it listens; about 20 s on a slow machine.
PRISM_START_SECONDS = 60.0


@contextmanager
def running_prism(
    folder: Path, *, dynamic: bool = False, spec: Path = TWILIO_SPEC
) -> Iterator[str]:
    """The base URL of a Prism mock of one of Twilio's APIs (the 2010 API unless `spec` says
    another), its log kept in `folder`.

    `dynamic` answers with generated values instead of the contract's examples (whose sid is
    the same for every create); requests are checked against the contract either way.
    """
    missing = [str(path.relative_to(CONTRACT_DIR)) for path in (PRISM, spec) if not path.exists()]
    if missing:
        pytest.fail(
            f"Prism or Twilio's OpenAPI file is not installed (missing {', '.join(missing)} in "
            "tests/contract). Run `make node`, which runs "
            "`npm ci --no-audit --no-fund --prefix tests/contract`.",
            pytrace=False,
        )
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = folder / "prism.log"
    arguments = [str(PRISM), "mock", *(["--dynamic"] if dynamic else [])]
    with log_path.open("wb") as log:
        # A session of its own, so stopping it stops everything it started.
        process = subprocess.Popen(  # noqa: S603  # fixed arguments, no shell
            [*arguments, "-p", str(port), "-h", "127.0.0.1", str(spec)],
            cwd=CONTRACT_DIR,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_until_answering(base_url, process, log_path)
        yield base_url
    finally:
        _stop(process)


def _wait_until_answering(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + PRISM_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"Prism exited with code {process.returncode} before answering:\n{_tail(log)}",
                pytrace=False,
            )
        try:
            httpx.get(base_url + "/", timeout=2)
        except httpx.TransportError:
            time.sleep(0.25)
        else:
            return  # any HTTP answer, even a 404, means it is listening
    _stop(process)
    pytest.fail(
        f"Prism did not answer on {base_url} within {PRISM_START_SECONDS:.0f} s:\n{_tail(log)}",
        pytrace=False,
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _tail(log: Path, lines: int = 20) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
