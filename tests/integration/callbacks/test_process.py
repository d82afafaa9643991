"""The `callbacks.process` and `invitations.expire_due` tasks, run as a worker runs them.

Rows are committed for real: the tasks open their own transactions, and concurrency and
retries only mean something against committed rows.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from celery import Celery
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from birge_api.app import create_app
from birge_shared.crypto import get_cipher
from birge_shared.db import make_engine
from birge_shared.migrate import upgrade
from birge_shared.models import (
    Invitation,
    InvitationStatus,
    Message,
    MessageDirection,
    OutboxEntry,
    Participant,
    ProviderCallback,
    utcnow,
)
from birge_shared.settings import get_settings
from birge_shared.tasks import OUTBOX_TASKS, CallbackReceived
from birge_workers.app import create_celery
from birge_workers.callbacks.process import (
    CALLBACK_MAX_ATTEMPTS,
    CallbackOutcome,
    process_callback,
)
from birge_workers.sms.signing import SIGNATURE_HEADER, signature
from birge_workers.tasks import callback_process, invitations_expire_due
from tests.factories import make_event, make_invitation, make_participant
from tests.integration.callbacks.conftest import CommittedRows, inbound_callback, new_sid

#: An accepting YES is followed by the pre-survey question.
PRE_QUESTION = "survey_question_attitude"

INBOUND_PATH = "/webhooks/twilio/messages"


@pytest.fixture(scope="module")
def worker_app() -> Celery:
    return create_celery(get_settings())


def _phone(participant: Participant) -> str:
    return get_cipher().decrypt(participant.phone_encrypted or "")


def _queued_payload(engine: Engine, callback_id: int) -> dict[str, Any]:
    """The payload the relay would publish for this callback, checked against the contract."""
    with Session(engine) as session:
        rows = session.scalars(
            select(OutboxEntry).where(OutboxEntry.task_name == CallbackReceived.task_name)
        ).all()
    [row] = [row for row in rows if row.payload == {"callback_id": callback_id}]
    contract = OUTBOX_TASKS[row.task_name]
    return contract.model_validate(row.payload).model_dump(mode="json")


def _outbound_purposes(engine: Engine, participant: Participant) -> list[str]:
    with Session(engine) as session:
        return list(
            session.scalars(
                select(Message.purpose).where(
                    Message.participant_id == participant.id,
                    Message.direction == MessageDirection.OUTBOUND,
                )
            )
        )


def _status(engine: Engine, invitation: Invitation) -> InvitationStatus:
    with Session(engine) as session:
        row = session.get(Invitation, invitation.id)
        assert row is not None
        return row.status


def _callback(engine: Engine, callback_id: int) -> ProviderCallback:
    with Session(engine, expire_on_commit=False) as session:
        row = session.get(ProviderCallback, callback_id)
        assert row is not None
        return row


def test_a_signed_sms_reply_accepts_the_invitation_end_to_end(
    committed: CommittedRows, raw_engine: Engine, worker_app: Celery
) -> None:
    event = committed.event()
    participant = committed.participant()
    invitation = committed.invitation(event, participant, InvitationStatus.SENT)
    params = {
        "MessageSid": new_sid(),
        "AccountSid": "AC" + "0" * 32,
        "From": _phone(participant),
        "To": "+15005550006",
        "Body": "Ооба!",
    }
    url = get_settings().public_base_url + INBOUND_PATH
    token = get_settings().twilio_auth_token.get_secret_value()

    # The real application and its own committing session, as Twilio would reach it.
    with TestClient(create_app()) as client:
        response = client.post(
            INBOUND_PATH, data=params, headers={SIGNATURE_HEADER: signature(url, params, token)}
        )
    assert response.status_code == 200
    stored = committed.session.scalars(
        select(ProviderCallback).where(ProviderCallback.message_sid == params["MessageSid"])
    ).one()

    # What the relay publishes, run by the worker's registered task.
    payload = _queued_payload(raw_engine, stored.id)
    assert worker_app.tasks[CallbackReceived.task_name](**payload) == "processed"

    assert _status(raw_engine, invitation) is InvitationStatus.ACCEPTED
    assert _outbound_purposes(raw_engine, participant) == ["accepted", PRE_QUESTION]
    assert _callback(raw_engine, stored.id).processed_at is not None
    # Published twice (the relay delivers at least once), the task does nothing the second time.
    assert worker_app.tasks[CallbackReceived.task_name](**payload) == "already_processed"
    assert _outbound_purposes(raw_engine, participant) == ["accepted", PRE_QUESTION]


def test_two_workers_applying_one_callback_at_once_have_one_effect(
    committed: CommittedRows, raw_engine: Engine, worker_app: Celery
) -> None:
    participant = committed.participant()
    callback = inbound_callback(committed.session, _phone(participant), "HELP")
    committed.session.commit()
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def work() -> None:
        barrier.wait(timeout=10)
        outcomes.append(worker_app.tasks[CallbackReceived.task_name](callback_id=callback.id))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert outcomes.count("processed") == 1
    assert set(outcomes) <= {"processed", "already_processed", "busy_or_missing"}
    assert _outbound_purposes(raw_engine, participant) == ["help"]


def test_a_callback_that_keeps_failing_is_retried_then_given_up(
    committed: CommittedRows,
    raw_engine: Engine,
    worker_app: Celery,
    caplog: pytest.LogCaptureFixture,
) -> None:
    participant = committed.participant()
    callback = inbound_callback(committed.session, _phone(participant), "STOP")
    # Text encrypted under a key this installation no longer has: it cannot be read.
    callback.body_encrypted = "gAAAAA-not-a-token-under-any-configured-key"
    committed.session.commit()

    with caplog.at_level(logging.INFO, logger="birge_workers"):
        # Run eagerly: each retry the task asks for runs at once, as the broker would later.
        result = worker_app.tasks[CallbackReceived.task_name].apply(
            kwargs={"callback_id": callback.id}
        )

    assert result.get() == "given_up"
    row = _callback(raw_engine, callback.id)
    assert row.attempts == CALLBACK_MAX_ATTEMPTS
    assert row.processed_at is None
    # Each failed attempt rolled back: the STOP was not half-applied.
    with Session(raw_engine) as session:
        stored = session.get(Participant, participant.id)
        assert stored is not None
        assert stored.opted_out_at is None
    assert _outbound_purposes(raw_engine, participant) == []
    given_up = [record for record in caplog.records if record.getMessage() == "callback given up"]
    assert [getattr(record, "callback_id", None) for record in given_up] == [callback.id]
    assert all(_phone(participant) not in record.getMessage() for record in caplog.records)
    # A late duplicate of the task leaves the row to a person.
    assert callback_process(worker_app.tasks[CallbackReceived.task_name], callback.id) == (
        CallbackOutcome.GIVEN_UP.value
    )


def test_expire_due_frees_seats_once_per_minute(
    committed: CommittedRows, raw_engine: Engine
) -> None:
    event = committed.event(capacity=1, min_share=0.0)
    silent = committed.invitation(event, committed.participant(), InvitationStatus.SENT)
    waiting_person = committed.participant()
    waiting = committed.invitation(event, waiting_person, InvitationStatus.WAITLISTED)
    row = committed.session.get(Invitation, silent.id)
    assert row is not None
    row.sent_at = utcnow() - timedelta(hours=3)
    row.expires_at = utcnow() - timedelta(minutes=1)
    committed.session.commit()

    assert invitations_expire_due() == 1

    assert _status(raw_engine, silent) is InvitationStatus.EXPIRED
    assert _status(raw_engine, waiting) is InvitationStatus.PLANNED
    assert _outbound_purposes(raw_engine, waiting_person) == ["invitation"]
    # A second beat in the same minute does not run the work again.
    assert invitations_expire_due() is None


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'birge.db'}"
    upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


def test_a_reply_is_applied_once_on_sqlite_too(sqlite_engine: Engine) -> None:
    """`birge dev` runs on a SQLite file, which has no row locks to skip."""
    with Session(sqlite_engine, expire_on_commit=False) as session:
        participant = make_participant(session)
        invitation = make_invitation(session, event=make_event(session), participant=participant)
        callback = inbound_callback(session, _phone(participant), "NO")
        session.commit()

    outcomes = []
    for _ in range(2):
        with Session(sqlite_engine) as session:
            outcomes.append(
                process_callback(session=session, callback_id=callback.id, now=utcnow())
            )
            session.commit()

    assert outcomes == [CallbackOutcome.PROCESSED, CallbackOutcome.ALREADY_PROCESSED]
    assert _status(sqlite_engine, invitation) is InvitationStatus.DECLINED
    assert _outbound_purposes(sqlite_engine, participant) == ["declined"]
