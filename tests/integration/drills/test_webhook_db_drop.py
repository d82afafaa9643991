"""The database connection drops while a Twilio webhook is being stored.

The webhook stores the callback and its outbox row in the request's transaction. When the
connection is cut (the backend terminated from another connection, as a failover or a
restarted PostgreSQL does), Twilio must get a 5xx, so that it delivers the callback again; the
repeated delivery is then stored once, with one outbox row, like any other repeat.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, delete, event, select
from sqlalchemy.orm import Session

from birge_api.app import create_app
from birge_shared.db import get_engine
from birge_shared.models import OutboxEntry, ProviderCallback
from birge_shared.tasks import CallbackReceived
from tests.conftest import PG_ADMIN_URL
from tests.integration.test_webhooks import STATUS_URL, sign, status_params

pytestmark = pytest.mark.slow


class ConnectionCutter:
    """Terminates the backend of the connection that is about to run the armed step, once."""

    def __init__(self, engine: Engine, step: str) -> None:
        self._engine = engine
        self._step = step
        self.armed = False
        self.cut = 0

    def _terminate(self, connection: Connection) -> None:
        if not self.armed:
            return
        self.armed = False
        pid = connection.connection.dbapi_connection.info.backend_pid  # type: ignore[union-attr]
        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        self.cut += 1

    def before_insert(
        self, connection: Connection, _cursor: object, statement: str, *_context: object
    ) -> None:
        # The callback's insert, alone or (on PostgreSQL) in the CTE that also queues it.
        if "INSERT INTO PROVIDER_CALLBACK" in statement.upper():
            self._terminate(connection)

    def before_commit(self, connection: Connection) -> None:
        self._terminate(connection)

    def __enter__(self) -> ConnectionCutter:
        if self._step == "insert":
            event.listen(self._engine, "before_cursor_execute", self.before_insert)
        else:
            event.listen(self._engine, "commit", self.before_commit)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._step == "insert":
            event.remove(self._engine, "before_cursor_execute", self.before_insert)
        else:
            event.remove(self._engine, "commit", self.before_commit)


@pytest.fixture
def api(database_url: str) -> Iterator[TestClient]:
    """The real application with its real request transaction (no test session override)."""
    with TestClient(create_app(), raise_server_exceptions=False) as client:
        yield client


def stored(engine: Engine, sid: str) -> tuple[list[int], list[int]]:
    with Session(engine) as session:
        callbacks = list(
            session.scalars(select(ProviderCallback.id).where(ProviderCallback.message_sid == sid))
        )
        outbox = [
            entry.id
            for entry in session.scalars(
                select(OutboxEntry).where(OutboxEntry.task_name == CallbackReceived.task_name)
            )
            if str(entry.payload.get("callback_id")) in {str(c) for c in callbacks}
        ]
    return callbacks, outbox


@pytest.mark.parametrize("step", ["insert", "commit"])
def test_a_dropped_connection_gives_a_5xx_and_the_retry_is_stored_once(
    api: TestClient, raw_engine: Engine, step: str
) -> None:
    sid = "SM" + uuid.uuid4().hex
    params = status_params(sid=sid, status="delivered")
    headers = {"X-Twilio-Signature": sign(STATUS_URL, params)}
    try:
        with ConnectionCutter(get_engine(), step) as cutter:
            cutter.armed = True
            first = api.post(STATUS_URL, data=params, headers=headers)
        assert cutter.cut == 1
        assert first.status_code >= 500, first.text
        assert stored(raw_engine, sid) == ([], [])

        # Twilio delivers it again, and once more for good measure: stored once, queued once.
        for _ in range(2):
            again = api.post(STATUS_URL, data=params, headers=headers)
            assert again.status_code == 204, again.text
        callbacks, outbox = stored(raw_engine, sid)
        assert len(callbacks) == 1
        assert len(outbox) == 1
    finally:
        with Session(raw_engine) as session:
            callbacks, outbox = stored(raw_engine, sid)
            session.execute(delete(OutboxEntry).where(OutboxEntry.id.in_(outbox)))
            session.execute(delete(ProviderCallback).where(ProviderCallback.id.in_(callbacks)))
            session.commit()
