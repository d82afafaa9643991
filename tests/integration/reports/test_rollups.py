"""The report rollups equal the figures counted from the raw rows, after any programme of
answers, check-ins and their undoing, status changes, community corrections, erasures and
retention purges — on PostgreSQL, and once on SQLite (the embedded default)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy.orm import Session

from birge_api.deps import Actor
from birge_shared.db import make_engine
from birge_shared.migrate import upgrade
from birge_shared.models import Role, SurveyResponse
from birge_shared.surveys import Channel, Question, SurveyKind, record_answers
from birge_shared.users import create_user
from tests.conftest import UserFactory
from tests.factories import make_event
from tests.integration.reports.rollup_drill import (
    Stage,
    assert_rollups_match,
    play,
    raw_survey_cells,
    stage,
    steps,
)


@pytest.fixture
def admin(make_user: UserFactory) -> Actor:
    return Actor(user_id=make_user(Role.ADMIN).id, role=Role.ADMIN, cities=None)


# The database fixture is shared by the examples on purpose: each example runs in its own
# savepoint, rolled back at its end, so none sees another's rows.
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(programme=steps)
def test_rollups_equal_the_raw_rows_on_postgres(
    db: Session, admin: Actor, programme: list[tuple[Any, ...]]
) -> None:
    savepoint = db.begin_nested()
    try:
        cast = stage(db)
        assert_rollups_match(db, admin, cast)
        play(db, admin, cast, programme)
        assert_rollups_match(db, admin, cast)
    finally:
        savepoint.rollback()


def test_a_pre_and_post_answer_written_in_one_statement_count_one_pair(
    db: Session, admin: Actor
) -> None:
    """A multi-row INSERT (as the ORM batches a flush) holds both rows of a pair."""
    event = make_event(db)
    db.add_all(
        SurveyResponse(
            event_id=event.id, pseudonym="one-person", kind=kind, attitude=attitude, channel="page"
        )
        for kind, attitude in (("pre", 2), ("post", 5))
    )
    db.flush()
    assert_rollups_match(db, admin, Stage(events=[event], people=[]))
    (cell,) = raw_survey_cells(db, [event.id]).values()
    assert (cell.change.n, cell.change.total) == (1, 3)


@pytest.fixture
def sqlite_session(tmp_path: Path) -> Iterator[Session]:
    url = f"sqlite:///{tmp_path / 'birge.db'}"
    upgrade(url)
    engine = make_engine(url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            yield session
    finally:
        engine.dispose()


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(programme=steps)
def test_rollups_equal_the_raw_rows_on_sqlite(
    sqlite_session: Session, programme: list[tuple[Any, ...]]
) -> None:
    session = sqlite_session
    user = create_user(
        session=session,
        email=f"admin-{uuid.uuid4().hex[:8]}@example.org",
        password="a long test password 1",
        role=Role.ADMIN,
    )
    admin = Actor(user_id=user.id, role=Role.ADMIN, cities=None)
    # No savepoint (pysqlite's do not nest in SQLAlchemy's transaction): each example stages
    # its own events and people, and only their cells are compared.
    cast = stage(session)
    play(session, admin, cast, programme)
    # And the SMS channel's path once more, on top of whatever the programme left.
    record_answers(
        session=session,
        event_id=cast.events[0].id,
        participant=cast.people[0],
        kind=SurveyKind.POST,
        answers={Question.ATTITUDE: 4},
        channel=Channel.SMS,
    )
    assert_rollups_match(session, admin, cast)
    session.commit()
