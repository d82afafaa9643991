"""A pooled connection idle past the threshold is pinged, and replaced when its server is gone."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine.interfaces import DBAPIConnection

from birge_shared import db
from tests.conftest import PG_ADMIN_URL


def _backend_pid(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_an_idle_connection_cut_by_the_server_is_replaced_before_use(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = db.make_engine(database_url)
    try:
        first = _backend_pid(engine)
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (first,))
        # Idle "long enough" at once: the next checkout pings, finds it dead, and reconnects.
        monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)
        second = _backend_pid(engine)
        assert second != first
    finally:
        engine.dispose()


def test_a_connection_back_in_the_pool_a_moment_ago_is_not_pinged(database_url: str) -> None:
    engine = db.make_engine(database_url)
    pings: list[object] = []
    original = engine.dialect.do_ping

    def counted(connection: DBAPIConnection) -> bool:
        pings.append(connection)
        return original(connection)

    engine.dialect.do_ping = counted  # type: ignore[method-assign,assignment]
    try:
        for _ in range(3):
            _backend_pid(engine)
        assert pings == []
    finally:
        engine.dispose()
