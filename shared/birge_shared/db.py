"""Engines and sessions for PostgreSQL (production) and SQLite (the embedded default)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from birge_shared.private_files import private_file, private_folder
from birge_shared.settings import get_settings


def normalise_database_url(raw: str) -> URL:
    """Accept the plain `postgresql://` and `sqlite:///` forms and pick the driver here."""
    url = make_url(raw)
    if url.drivername in ("postgres", "postgresql", "postgresql+psycopg2"):
        url = url.set(drivername="postgresql+psycopg")
    return url


def is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the API read while a worker writes; the busy timeout turns lock contention
    # between the processes of `birge dev` into a short wait instead of an error.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(raw_url: str) -> Engine:
    url = normalise_database_url(raw_url)
    if is_sqlite(url):
        if url.database and url.database != ":memory:":
            # Created 0600 before SQLite opens it; SQLite gives its -wal and -shm files the
            # database file's mode, so the three stay readable by their owner only.
            private_file(private_folder(Path(url.database).parent) / Path(url.database).name)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_engine(url, pool_size=10, max_overflow=10)
    _ping_when_idle(engine)
    return engine


#: A pooled connection unused for this long is pinged before it is handed out again.
PING_AFTER_IDLE_SECONDS = 5.0


def _ping_when_idle(engine: Engine) -> None:
    """Ping a pooled connection only when it has been idle a while (SQLAlchemy's recipe for
    pessimistic disconnect handling, narrowed).

    `pool_pre_ping` pings on every checkout: one more round trip for every request, the
    webhooks' hundreds a second included. A connection back in the pool a moment ago is as
    alive as a ping would show; one idle for long may have been cut (a restart, a failover,
    an idle timeout). A connection that drops anyway fails its statement, and SQLAlchemy then
    discards every connection of the pool that is as old.
    """
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def _idle_from_now(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as exc:
            # The pool discards this connection and hands out another (or a new one).
            raise DisconnectionError from exc


@lru_cache(maxsize=1)
def get_engine() -> Engine:
    return make_engine(get_settings().database_url)


@lru_cache(maxsize=1)
def get_sessionmaker() -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(), expire_on_commit=False)


@contextmanager
def session_scope(sessions: sessionmaker[Session] | None = None) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error.

    On the configured database, or on `sessions` (a test's own SQLite file, for one).
    """
    session = (sessions or get_sessionmaker())()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def take_sqlite_write_lock(session: Session) -> None:
    """On SQLite, open the transaction with a write, so SQLite's one writer lock is taken now.

    SQLite has no row locks, and Python's sqlite3 runs a SELECT outside any transaction, so
    two processes of the embedded set-up could both read a row as due and both act on it. A
    write that changes nothing takes the lock first: the second waits, then reads the row as
    the first left it. Nothing happens on PostgreSQL, whose row locks do this.
    """
    if session.get_bind().dialect.name != "sqlite":
        return
    session.execute(text("UPDATE periodic_run SET task_name = task_name WHERE 0"))
