"""`INSERT … ON CONFLICT DO NOTHING` on PostgreSQL and SQLite alike.

Used wherever a unique key is the guard against doing a thing twice (one message per
invitation and purpose, one row per webhook delivery): the losing insert simply does nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Session


def insert_ignoring_conflict(
    session: Session, model: type[DeclarativeBase], values: dict[str, Any]
) -> bool:
    """Insert one row unless a unique key already holds it; True when this call inserted."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(model).values(**values).on_conflict_do_nothing()
    result = session.execute(statement)
    return bool(result.rowcount)  # type: ignore[attr-defined]
