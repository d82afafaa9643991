"""Migrations apply to PostgreSQL and SQLite and match the models."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select

from birge_shared.db import make_engine
from birge_shared.migrate import downgrade, upgrade
from birge_shared.models import Base, City


def _differences(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def test_postgres_schema_from_migrations_matches_the_models(database_url: str) -> None:
    assert _differences(database_url) == []


def test_migrations_apply_to_sqlite_down_and_up_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'birge.db'}"
    upgrade(url)
    assert _differences(url) == []
    downgrade(url, "base")
    engine = make_engine(url)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
    upgrade(url)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            cities = connection.execute(select(City.code, City.timezone)).all()
    finally:
        engine.dispose()
    assert sorted(cities) == [("bishkek", "Asia/Bishkek"), ("osh", "Asia/Bishkek")]
