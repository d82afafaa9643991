"""The database connection drops while what a provider sent back is being stored.

Run once per channel harness (`channels.py`): Twilio's status webhook for SMS, a calendar
answer in the reply mailbox for e-mail. The intake stores it in one transaction (the callback
and its outbox row; the answer and the invitation it changes). When the connection is cut (the
backend terminated from another connection, as a failover or a restarted PostgreSQL does),
nothing may be half stored and the provider must hand it over again: Twilio gets a 5xx, the
reply stays unread in the mailbox. The repeated hand-over is then stored once, like any other
repeat.
"""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import Connection, Engine, event

from birge_shared.db import get_engine
from tests.conftest import PG_ADMIN_URL
from tests.integration.calendar.dovecot import dovecot
from tests.integration.drills.channels import ChannelHarness
from tests.integration.sending.conftest import Rows

pytestmark = pytest.mark.slow

__all__ = ["dovecot"]  # the reply mailbox's IMAP server, for the e-mail harness


class ConnectionCutter:
    """Terminates the backend of the connection that is about to run the armed step, once:
    the statement that stores (`insert`), or the commit after it (`commit`)."""

    def __init__(self, engine: Engine, step: str, statement: str) -> None:
        self._engine = engine
        self._step = step
        self._statement = statement.upper()
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
        # The storing insert, alone or (on PostgreSQL) inside the CTE that also queues it.
        if self._statement in statement.upper():
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


@pytest.mark.parametrize("step", ["insert", "commit"])
def test_a_dropped_connection_is_handed_over_again_and_stored_once(
    request: pytest.FixtureRequest, rows: Rows, harness: ChannelHarness, step: str
) -> None:
    inbound = harness.inbound(request, rows)
    with ConnectionCutter(get_engine(), step, inbound.stored_by) as cutter:
        cutter.armed = True
        again = inbound.deliver()
    assert cutter.cut == 1
    assert again, "the provider was told it was stored"
    assert inbound.stored() == {}

    # The provider hands it over again, and once more for good measure: stored once.
    for _ in range(2):
        assert not inbound.deliver()
    stored = inbound.stored()
    assert stored
    assert set(stored.values()) == {1}
