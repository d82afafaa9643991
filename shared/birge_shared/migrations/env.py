"""Alembic environment: one code path for PostgreSQL and SQLite (batch mode for ALTERs)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from birge_shared.db import is_sqlite, make_engine, normalise_database_url
from birge_shared.models import Base
from birge_shared.settings import get_settings

config = context.config
target_metadata = Base.metadata


def _database_url() -> str:
    url = config.attributes.get("database_url")
    return str(url) if url else get_settings().database_url


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=is_sqlite(normalise_database_url(_database_url())),
        compare_type=True,
    )


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(_database_url())
    try:
        with engine.connect() as connection:
            _configure(connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Birge's migrations run online only: use `birge migrate`.")
run_migrations_online()
