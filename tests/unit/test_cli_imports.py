"""`birge --help` and `birge sms reply` answer at once: each command imports what it needs when
it runs, so neither loads the API, the database layer, the migrations or Celery. (Checked by the
modules loaded, in a fresh interpreter; a timing would fail on a busy machine.)"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

from birge_cli.main import ROLES
from birge_shared.models import Role

#: Modules that cost a second or more together and that neither command needs.
HEAVY = (
    "alembic",
    "argon2",
    "birge_api",
    "celery",
    "fastapi",
    "kombu",
    "openpyxl",
    "requests",
    "sqlalchemy",
    "twilio.rest",
    "uvicorn",
)

_PROBE = """
import contextlib, json, sys
from birge_cli.main import main
with contextlib.redirect_stdout(sys.stderr):
    try:
        main(sys.argv[1:])
    except SystemExit:
        pass
print(json.dumps(sorted(sys.modules)))
"""


def _modules_loaded_by(*argv: str, **env: str) -> set[str]:
    result = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-c", _PROBE, *argv],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout))


def _heavy(modules: set[str]) -> list[str]:
    return sorted(
        name for name in modules if any(name == h or name.startswith(h + ".") for h in HEAVY)
    )


def test_help_loads_neither_the_settings_nor_any_server() -> None:
    modules = _modules_loaded_by("--help")
    assert _heavy(modules) == []
    assert "pydantic" not in modules


def test_sms_reply_loads_only_the_settings_the_number_check_and_the_signing() -> None:
    with socket.socket() as probe:  # a loopback port where nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    modules = _modules_loaded_by(
        "sms", "reply", "0555 123 456", "ДА", PUBLIC_BASE_URL=f"http://127.0.0.1:{port}"
    )
    assert "birge_cli.sms" in modules  # the command did run
    assert _heavy(modules) == []


def test_the_roles_offered_are_the_models_roles() -> None:
    assert set(ROLES) == {role.value for role in Role}
