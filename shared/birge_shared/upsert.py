"""`INSERT … ON CONFLICT DO NOTHING` on PostgreSQL and SQLite alike.

Used wherever a unique key is the guard against doing a thing twice (one message per
invitation and purpose, one row per webhook delivery): the losing insert simply does nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Session


def insert_ignoring_conflict(
    session: Session, model: type[DeclarativeBase], values: dict[str, Any]
) -> Any | None:
    """Insert one row unless a unique key already holds it.

    Returns the new row's primary key, or None when the row existed. RETURNING is used rather
    than the row count, which drivers do not report reliably for this statement.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    primary_key = inspect(model).primary_key[0]
    statement = insert(model).values(**values).on_conflict_do_nothing().returning(primary_key)
    return session.execute(statement).scalar_one_or_none()
