"""`birge sms reply`: a signed inbound SMS posted to a running API, as Twilio would post it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from celery import Celery
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from birge_api.app import create_app
from birge_api.deps import get_settings_inline
from birge_api.webhooks.router import router as webhooks_router
from birge_cli import sms
from birge_shared.crypto import get_cipher
from birge_shared.models import Invitation, InvitationStatus, ProviderCallback
from birge_shared.providers.twilio import INBOUND_PATH
from birge_shared.settings import Settings, get_settings
from birge_shared.tasks import CallbackReceived
from birge_workers.app import create_celery
from tests.integration.callbacks.conftest import CommittedRows

SERVER_START_SECONDS = 15.0


@contextmanager
def _serving(listener: socket.socket, settings: Settings) -> Iterator[None]:
    """The application served on `listener` with `settings`, in a thread, until the block ends."""
    app = create_app()
    app.dependency_overrides[get_settings] = lambda: settings
    app.dependency_overrides[get_settings_inline] = lambda: settings
    server = uvicorn.Server(
        uvicorn.Config(app, http="h11", ws="none", lifespan="off", log_level="warning")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + SERVER_START_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            listener.close()
            pytest.fail("uvicorn did not start", pytrace=False)
        time.sleep(0.05)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()


PHONE_LOCAL = "0555 777 {:03d}"


@pytest.fixture(scope="module")
def live_api(database_url: str) -> Iterator[str]:
    """The real application under uvicorn on a free loopback port; its base URL.

    The server's PUBLIC_BASE_URL is its own address, as with `birge dev`, so the URL the command
    signs is the URL the webhook checks.
    """
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{listener.getsockname()[1]}"
    served_settings = get_settings().model_copy(update={"public_base_url": base})
    with _serving(listener, served_settings):
        yield base


@pytest.fixture(scope="module")
def api_on_port(database_url: str) -> Iterator[int]:
    """The application served on a free port with no PUBLIC_BASE_URL: as `PORT=… make run`."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = int(listener.getsockname()[1])
    # The environment of this run, with PORT set and PUBLIC_BASE_URL left to its default.
    served_settings = Settings(port=port, public_base_url="")
    assert served_settings.public_base_url == f"http://localhost:{port}"
    with _serving(listener, served_settings):
        yield port


@pytest.fixture
def committed(raw_engine: Engine) -> Iterator[CommittedRows]:
    rows = CommittedRows(raw_engine)
    yield rows
    rows.cleanup()


def birge_sms_reply(
    phone: str, text: str, *, cwd: Path, **settings: str
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **settings}
    return subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "birge_cli", "sms", "reply", phone, text],
        cwd=cwd,  # an empty folder: no stray .env is read
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _stored_callbacks(engine: Engine, from_hash: str) -> list[ProviderCallback]:
    with Session(engine) as session:
        return list(
            session.scalars(select(ProviderCallback).where(ProviderCallback.from_hash == from_hash))
        )


def test_the_command_posts_to_the_webhook_path_the_api_serves() -> None:
    served = {getattr(route, "path", None) for route in webhooks_router.routes}
    assert INBOUND_PATH in served
    assert sms.inbound_url(get_settings()) == get_settings().public_base_url + INBOUND_PATH


def test_the_form_looks_like_twilios() -> None:
    form = sms.inbound_form(
        settings=get_settings(), phone="0555 123 456", text="ДА", sid=sms.new_message_sid()
    )
    assert form["From"] == "+996555123456"
    assert form["Body"] == "ДА"
    assert form["MessageSid"].startswith("SM")
    assert len(form["MessageSid"]) == 34
    assert form["AccountSid"].startswith("AC")
    assert form["To"]


def test_a_reply_from_the_command_accepts_the_invitation(
    live_api: str, committed: CommittedRows, raw_engine: Engine, tmp_path: Path
) -> None:
    local = PHONE_LOCAL.format(1)
    e164 = "+996555777001"
    participant = committed.participant(phone=e164)
    invitation = committed.invitation(committed.event(), participant, InvitationStatus.SENT)

    result = birge_sms_reply(local, "ДА", cwd=tmp_path, PUBLIC_BASE_URL=live_api)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "The webhook answered HTTP 200."
    assert local not in result.stdout + result.stderr
    assert e164[1:] not in result.stdout + result.stderr
    [stored] = _stored_callbacks(raw_engine, get_cipher().lookup_hash("phone", e164))
    assert stored.kind == "inbound"
    assert get_cipher().decrypt(stored.body_encrypted or "") == "ДА"

    # The worker's task, run on what the webhook queued, accepts the invitation.
    worker: Celery = create_celery(get_settings())
    assert worker.tasks[CallbackReceived.task_name](callback_id=stored.id) == "processed"
    with Session(raw_engine) as session:
        row = session.get(Invitation, invitation.id)
        assert row is not None
        assert row.status is InvitationStatus.ACCEPTED


def test_port_alone_is_enough_for_the_command_and_the_webhook_to_agree(
    api_on_port: int, committed: CommittedRows, raw_engine: Engine, tmp_path: Path
) -> None:
    e164 = "+996555777004"
    committed.invitation(
        committed.event(), committed.participant(phone=e164), InvitationStatus.SENT
    )
    env = {key: value for key, value in os.environ.items() if key != "PUBLIC_BASE_URL"}

    result = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "birge_cli", "sms", "reply", PHONE_LOCAL.format(4), "ДА"],
        cwd=tmp_path,
        env={**env, "PORT": str(api_on_port)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    # Signed for http://localhost:{PORT}/webhooks/…, which is what the API checks against.
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "The webhook answered HTTP 200."
    assert len(_stored_callbacks(raw_engine, get_cipher().lookup_hash("phone", e164))) == 1


def test_a_reply_signed_with_another_token_is_refused(
    live_api: str, committed: CommittedRows, raw_engine: Engine, tmp_path: Path
) -> None:
    result = birge_sms_reply(
        PHONE_LOCAL.format(2),
        "YES",
        cwd=tmp_path,
        PUBLIC_BASE_URL=live_api,
        TWILIO_AUTH_TOKEN="not-the-token-the-api-knows",
    )

    assert result.returncode == 1
    assert result.stdout.strip() == "The webhook answered HTTP 403."
    assert _stored_callbacks(raw_engine, get_cipher().lookup_hash("phone", "+996555777002")) == []


def test_a_number_that_is_not_a_mobile_is_refused_without_repeating_it(tmp_path: Path) -> None:
    result = birge_sms_reply("12345", "YES", cwd=tmp_path, PUBLIC_BASE_URL="http://127.0.0.1:9")

    assert result.returncode == 2
    assert "phone number" in result.stderr
    assert "12345" not in result.stdout + result.stderr


def test_an_api_that_is_not_running_is_reported(tmp_path: Path) -> None:
    # Bound and closed again: a loopback port where nothing listens.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    result = birge_sms_reply(
        PHONE_LOCAL.format(3), "YES", cwd=tmp_path, PUBLIC_BASE_URL=f"http://127.0.0.1:{port}"
    )

    assert result.returncode == 2
    assert "is the API running?" in result.stderr
    assert "555777003" not in result.stdout + result.stderr
    assert PHONE_LOCAL.format(3) not in result.stdout + result.stderr
