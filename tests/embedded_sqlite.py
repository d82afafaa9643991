"""The embedded default's database for a test: a migrated SQLite file and its unit of work.

`make run` keeps its rows in SQLite, which has no row locks; the senders' tests run several
workers against such a file to show each message still goes out once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from birge_shared.db import make_engine, session_scope
from birge_shared.migrate import upgrade


@dataclass(frozen=True)
class EmbeddedDatabase:
    engine: Engine
    #: One unit of work, as `birge_shared.db.session_scope` is one on the configured database.
    transaction: Callable[[], AbstractContextManager[Session]]


@contextmanager
def embedded_sqlite(folder: Path) -> Iterator[EmbeddedDatabase]:
    """A SQLite database in `folder`, migrated as `birge dev` migrates it; disposed after."""
    database_url = f"sqlite:///{folder / 'birge.db'}"
    upgrade(database_url)
    engine = make_engine(database_url)
    sessions = sessionmaker(engine, expire_on_commit=False)

    def transaction() -> AbstractContextManager[Session]:
        return session_scope(sessions)

    try:
        yield EmbeddedDatabase(engine=engine, transaction=transaction)
    finally:
        engine.dispose()
