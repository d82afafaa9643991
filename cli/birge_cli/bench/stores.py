"""Database and broker of a benchmark run, made for it and removed after it.

PostgreSQL: a scratch database `birge_bench_<random>` on the server of the given URL, migrated
to the latest schema and dropped at the end. Redis: the database number of the given URL, which
must be empty, so the run's worker cannot take another application's tasks; at the end the keys
the run created are deleted. Without URLs: a SQLite file and a file broker in the run's
temporary folder, which work anywhere but measure SQLite's single writer more than Birge.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from birge_cli.bench import BenchError
from birge_shared.broker import is_filesystem
from birge_shared.db import is_sqlite, normalise_database_url
from birge_workers.sending.pacing import is_redis_url

SCRATCH_PREFIX = "birge_bench_"
# Keys are deleted in slices so one DEL never blocks Redis for long.
_DELETE_SLICE = 500


class BenchSetupError(BenchError):
    """The stores cannot be set up as asked; the message says what to change."""


@dataclass(frozen=True, slots=True)
class Database:
    url: str
    description: str
    #: The scratch database's name on the PostgreSQL server; None for SQLite.
    name: str | None = None
    #: PostgreSQL on this machine, so its backends' CPU time can be read from /proc.
    local_postgres: bool = False


@dataclass(frozen=True, slots=True)
class Broker:
    url: str
    #: The folder of the file broker, None for Redis.
    folder: Path | None
    description: str


@contextmanager
def scratch_database(server_url: str | None, folder: Path) -> Iterator[Database]:
    if server_url is None or is_sqlite(normalise_database_url(server_url)):
        # Never the caller's own SQLite file: the run adds ten thousand people to it.
        yield Database(url=f"sqlite:///{folder / 'bench.db'}", description="SQLite (temporary)")
        return
    server = normalise_database_url(server_url)
    if server.get_backend_name() != "postgresql":
        raise BenchSetupError("the database URL must be PostgreSQL or SQLite")
    name = SCRATCH_PREFIX + secrets.token_hex(4)
    # CREATE and DROP DATABASE cannot run inside a transaction.
    admin = create_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as connection:
            version = connection.execute(text("SHOW server_version")).scalar_one()
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield Database(
                url=_render(server.set(database=name)),
                description=f"PostgreSQL {str(version).split()[0]} (scratch database)",
                name=name,
                local_postgres=server.host in (None, "", "localhost", "127.0.0.1", "::1"),
            )
        finally:
            with admin.connect() as connection:
                # A worker killed mid-query may leave a session behind; it must not keep the
                # scratch database alive.
                connection.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": name},
                )
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    finally:
        admin.dispose()


def _render(url: URL) -> str:
    # The children read the URL from their environment, password included.
    return url.render_as_string(hide_password=False)


@contextmanager
def scratch_broker(broker_url: str | None, folder: Path) -> Iterator[Broker]:
    if broker_url is None or is_filesystem(broker_url):
        yield Broker(
            url="filesystem://", folder=folder / "broker", description="file broker (temporary)"
        )
        return
    if not is_redis_url(broker_url):
        raise BenchSetupError("the broker URL must be redis:// (or leave it unset)")
    client = redis.Redis.from_url(broker_url, socket_timeout=10, socket_connect_timeout=5)
    try:
        try:
            existing = set(client.scan_iter(count=1000))
        except redis.RedisError as exc:
            raise BenchSetupError(f"Redis does not answer ({type(exc).__name__})") from None
        number = client.connection_pool.connection_kwargs.get("db", 0)
        if existing:
            # Celery's queue and the send pacer have fixed key names: sharing a database would
            # let this run's worker take someone else's tasks.
            raise BenchSetupError(
                f"Redis database {number} already holds {len(existing)} keys; "
                "give a --broker-url with an empty database number"
            )
        try:
            yield Broker(url=broker_url, folder=None, description=f"Redis (database {number})")
        finally:
            created = [key for key in client.scan_iter(count=1000) if key not in existing]
            for start in range(0, len(created), _DELETE_SLICE):
                client.delete(*created[start : start + _DELETE_SLICE])
    finally:
        client.close()
