"""`birge bench reports`: how long the summary report takes over a million survey answers.

One run, everything its own: a scratch PostgreSQL database on the server of DATABASE_URL (or
--database-url), migrated, filled in bulk (events and participants by multi-row INSERT,
invitations and answers by COPY), vacuumed and analysed as autovacuum would leave it, timed,
and dropped. The figure is the report service function itself, on a session as a request gets
it; the baseline, in the same run and database, is `SELECT count(*) FROM survey_response`, the
least any figure over every answer could cost. Nothing is asserted about speed.
"""

from __future__ import annotations

import logging
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, text
from sqlalchemy.orm import Session

from birge_api.deps import Actor
from birge_api.reports.service import ReportFilter, event_reports, summary_report
from birge_cli.bench.machine import machine_busy_seconds, this_machine
from birge_cli.bench.stores import BenchSetupError, scratch_database
from birge_shared.db import is_sqlite, make_engine, normalise_database_url
from birge_shared.migrate import upgrade
from birge_shared.models import (
    ActivityType,
    Community,
    Event,
    EventStatus,
    InvitationStatus,
    Language,
    Participant,
    Role,
)

Say = Callable[[str], None]

CITIES = ("bishkek", "osh")
#: Participants per city: each event invites about 150 of its city's, so people meet the
#: programme several times, as they would over a year.
POOL_PER_CITY = 10_000
_INSERT_SLICE = 5_000
_FIRST = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
# Events start every seven hours from _FIRST, so March 2025 holds about a hundred of them.
_MONTH = (date(2025, 3, 1), date(2025, 3, 31))
# Admins see every city: the widest summary there is.
_ADMIN = Actor(user_id=uuid.UUID(int=0), role=Role.ADMIN, cities=None)


@dataclass(frozen=True)
class ReportsOptions:
    events: int
    answers: int
    runs: int
    database_url: str
    seed: int = 1


@dataclass(frozen=True)
class Timing:
    first: float
    warm: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.warm)

    def describe(self) -> str:
        return (
            f"first {self.first * 1000:.1f} ms, warm median {self.median * 1000:.1f} ms "
            f"(min {min(self.warm) * 1000:.1f}, max {max(self.warm) * 1000:.1f}, "
            f"{len(self.warm)} warm runs)"
        )


# ------------------------------------------------------------------ filling


@dataclass(frozen=True)
class Filled:
    events: int
    participants: int
    invitations: int
    answers: int
    seconds: float


def _participants(session: Session, rng: random.Random) -> dict[str, list[uuid.UUID]]:
    pools: dict[str, list[uuid.UUID]] = {}
    rows: list[dict[str, Any]] = []
    for city in CITIES:
        pools[city] = [uuid.UUID(int=rng.getrandbits(128)) for _ in range(POOL_PER_CITY)]
        rows.extend(
            {
                "id": participant_id,
                "language": rng.choice(list(Language)),
                "city_code": city,
                # Mostly declared, a few not: the mix counts declared people only.
                "community": rng.choices(
                    [Community.HOST, Community.MIGRANT, None], weights=[48, 48, 4]
                )[0],
            }
            for participant_id in pools[city]
        )
    for start in range(0, len(rows), _INSERT_SLICE):
        session.execute(insert(Participant), rows[start : start + _INSERT_SLICE])
    return pools


def _events(session: Session, rng: random.Random, count: int) -> list[tuple[uuid.UUID, str]]:
    events: list[tuple[uuid.UUID, str]] = []
    rows: list[dict[str, Any]] = []
    for number in range(count):
        event_id = uuid.UUID(int=rng.getrandbits(128))
        city = CITIES[number % len(CITIES)]
        starts_at = _FIRST + timedelta(hours=7 * number)
        events.append((event_id, city))
        rows.append(
            {
                "id": event_id,
                "city_code": city,
                "title": {"en": f"Event {number}"},
                "description": {},
                "activity_type": rng.choice(list(ActivityType)),
                "venue_name": "Hall",
                "venue_address": "Chuy Avenue 1",
                "starts_at": starts_at,
                "ends_at": starts_at + timedelta(hours=2),
                "capacity": 200,
                "min_share": 0.4,
                "status": EventStatus.COMPLETED,
            }
        )
    for start in range(0, len(rows), _INSERT_SLICE):
        session.execute(insert(Event), rows[start : start + _INSERT_SLICE])
    return events


def _rooms(
    rng: random.Random,
    events: list[tuple[uuid.UUID, str]],
    pools: dict[str, list[uuid.UUID]],
    answers: int,
) -> Iterator[tuple[uuid.UUID, list[tuple[uuid.UUID, InvitationStatus]], int, int]]:
    """Per event: who was invited with which status, and how many pre and post answers."""
    per_event, extra = divmod(answers, len(events))
    for number, (event_id, city) in enumerate(events):
        target = per_event + (1 if number < extra else 0)
        post = target // 2
        pre = target - post
        # Enough attendees for the post answers and accepted people for the pre answers,
        # plus the declines, expiries and waitlist a real event has.
        attended = post + post // 10
        no_show = max(pre - attended, 0) + attended // 10
        declined, expired, waitlisted = attended // 8, attended // 20, attended // 20
        size = attended + no_show + declined + expired + waitlisted
        people = rng.sample(pools[city], min(size, len(pools[city])))
        statuses = (
            [InvitationStatus.ATTENDED] * attended
            + [InvitationStatus.NO_SHOW] * no_show
            + [InvitationStatus.DECLINED] * declined
            + [InvitationStatus.EXPIRED] * expired
            + [InvitationStatus.WAITLISTED] * waitlisted
        )
        yield event_id, list(zip(people, statuses, strict=False)), pre, post


def _copy(
    engine: Engine, table: str, columns: tuple[str, ...], rows: Iterator[tuple[Any, ...]]
) -> int:
    """COPY the rows in on a raw driver connection, committed there; return how many."""
    raw = engine.raw_connection()
    try:
        # COPY is psycopg's own; SQLAlchemy's Connection would not know to commit it.
        driver: Any = raw.driver_connection
        with (
            driver.cursor() as cursor,
            cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        raw.commit()
    finally:
        raw.close()
    with engine.connect() as connection:
        # Counted back from the table: the figures below rest on rows that really are there.
        return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())  # noqa: S608 - a table name of this module


def fill(*, engine: Engine, events: int, answers: int, seed: int, note: Say) -> Filled:
    started = time.monotonic()
    rng = random.Random(seed)  # noqa: S311 - synthetic data, reproducible from the seed
    with Session(engine) as session:
        pools = _participants(session, rng)
        event_list = _events(session, rng, events)
        session.commit()
    note(f"{events} events and {sum(map(len, pools.values()))} participants inserted")
    community: dict[uuid.UUID, str | None] = {}
    with engine.connect() as connection:
        for participant_id, value in connection.execute(
            text("SELECT id, community FROM participant")
        ):
            community[participant_id] = value
    rooms = list(_rooms(rng, event_list, pools, answers))
    now = datetime.now(UTC)

    def invitation_rows() -> Iterator[tuple[Any, ...]]:
        for event_id, invited, _, _ in rooms:
            for participant_id, status in invited:
                yield (
                    uuid.UUID(int=rng.getrandbits(128)),
                    event_id,
                    participant_id,
                    status.value,
                    # No usable link: reports never look a row up by its token, so a unique
                    # stand-in hash and no ciphertext keep the copy fast.
                    f"{rng.getrandbits(256):064x}",
                    "",
                    now,
                    now,
                )

    invitations = _copy(
        engine,
        "invitation",
        (
            "id",
            "event_id",
            "participant_id",
            "status",
            "token_hash",
            "token_encrypted",
            "created_at",
            "updated_at",
        ),
        invitation_rows(),
    )
    note(f"{invitations} invitations copied")

    def answer_rows() -> Iterator[tuple[Any, ...]]:
        for event_id, invited, pre, post in rooms:
            accepted = [
                p for p, s in invited if s in (InvitationStatus.ATTENDED, InvitationStatus.NO_SHOW)
            ]
            attendees = [p for p, s in invited if s is InvitationStatus.ATTENDED]
            before: dict[uuid.UUID, int] = {}
            for participant_id in accepted[:pre]:
                attitude = rng.randint(1, 5)
                before[participant_id] = attitude
                yield _answer(
                    event_id=event_id,
                    participant_id=participant_id,
                    kind="pre",
                    community=community[participant_id],
                    attitude=attitude,
                    rng=rng,
                )
            for participant_id in attendees[:post]:
                base = before.get(participant_id, 3)
                attitude = min(5, max(1, base + rng.choice((-1, 0, 0, 1, 1, 2))))
                yield _answer(
                    event_id=event_id,
                    participant_id=participant_id,
                    kind="post",
                    community=community[participant_id],
                    attitude=attitude,
                    rng=rng,
                )

    copied = _copy(
        engine,
        "survey_response",
        (
            "id",
            "event_id",
            "pseudonym",
            "kind",
            "community",
            "attitude",
            "rating",
            "cross_group_talk",
            "channel",
            "answered_at",
        ),
        answer_rows(),
    )
    note(f"{copied} survey answers copied; vacuuming and analysing")
    with engine.connect() as connection:
        # What autovacuum leaves behind on a live database: statistics for the planner and a
        # visibility map, so the count can use an index-only scan as it would in production.
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(
            text("VACUUM ANALYZE participant, event, invitation, survey_response")
        )
    return Filled(
        events=events,
        participants=sum(map(len, pools.values())),
        invitations=invitations,
        answers=copied,
        seconds=time.monotonic() - started,
    )


def _answer(
    *,
    event_id: uuid.UUID,
    participant_id: uuid.UUID,
    kind: str,
    community: str | None,
    attitude: int,
    rng: random.Random,
) -> tuple[Any, ...]:
    post = kind == "post"
    return (
        uuid.UUID(int=rng.getrandbits(128)),
        event_id,
        # Stands in for the keyed pseudonym: the same person gets the same 64 characters.
        participant_id.hex * 2,
        kind,
        community,
        attitude,
        rng.randint(1, 5) if post else None,
        (rng.random() < 0.7) if post else None,
        "sms" if rng.random() < 0.3 else "page",
        _FIRST,
    )


# ------------------------------------------------------------------ timing


def _time(engine: Engine, runs: int, work: Callable[[Session], object]) -> Timing:
    def once() -> float:
        with Session(engine) as session:
            started = time.perf_counter()
            work(session)
            elapsed = time.perf_counter() - started
            session.rollback()
        return elapsed

    # The first run gets a connection of its own: nothing of this query is prepared or cached
    # by the backend yet (the operating system's page cache is not dropped; that needs root).
    engine.dispose()
    first = once()
    return Timing(first=first, warm=[once() for _ in range(runs)])


def _count(session: Session) -> object:
    return session.execute(text("SELECT count(*) FROM survey_response")).scalar_one()


def _summary(session: Session) -> object:
    return summary_report(session=session, actor=_ADMIN, filters=ReportFilter())


def _summary_month(session: Session) -> object:
    # What an M&E officer asks most: one month, here about a fortieth of the events.
    filters = ReportFilter(date_from=_MONTH[0], date_to=_MONTH[1])
    return summary_report(session=session, actor=_ADMIN, filters=filters)


def _summary_filtered(session: Session) -> object:
    filters = ReportFilter(city="osh", community=Community.MIGRANT)
    return summary_report(session=session, actor=_ADMIN, filters=filters)


def _export_rows(session: Session) -> object:
    return event_reports(session=session, actor=_ADMIN, filters=ReportFilter())


def run(options: ReportsOptions, *, say: Say, note: Say) -> int:
    url = normalise_database_url(options.database_url)
    if is_sqlite(url) or url.get_backend_name() != "postgresql":
        raise BenchSetupError("the reports benchmark needs PostgreSQL: set DATABASE_URL")
    machine = this_machine()
    # Migration lines would drown the progress notes; warnings still show.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    with (
        tempfile.TemporaryDirectory(prefix="birge-bench-") as folder,
        scratch_database(options.database_url, Path(folder)) as database,
    ):
        note(f"scratch database {database.name} ({database.description}), dropped at the end")
        upgrade(database.url)
        engine = make_engine(database.url)
        try:
            filled = fill(
                engine=engine,
                events=options.events,
                answers=options.answers,
                seed=options.seed,
                note=note,
            )
            note(f"filled in {filled.seconds:.1f} s; timing")
            busy_before, wall_before = machine_busy_seconds(), time.monotonic()
            baseline = _time(engine, options.runs, _count)
            summary = _time(engine, options.runs, _summary)
            month = _time(engine, options.runs, _summary_month)
            filtered = _time(engine, options.runs, _summary_filtered)
            export = _time(engine, max(1, options.runs // 2), _export_rows)
            with Session(engine) as session:
                seen = summary_report(session=session, actor=_ADMIN, filters=ReportFilter())
            busy = machine_busy_seconds() - busy_before
            available = (time.monotonic() - wall_before) * machine.cores
        finally:
            engine.dispose()
    say(
        f"birge bench reports --events {options.events} --answers {options.answers} "
        f"--runs {options.runs}"
    )
    say(f"machine: {machine.describe()}")
    say(
        f"data: {database.description}; {filled.events} events, {filled.participants} "
        f"participants, {filled.invitations} invitations, {filled.answers} survey answers "
        f"(filled in {filled.seconds:.1f} s)"
    )
    say(
        f"the summary saw: {seen.events} events, {seen.invitations.invited} invited, "
        f"{seen.invitations.attended} attended, {seen.survey.response_rate.n} post answers, "
        f"{seen.survey.attitude_change.n} pre/post pairs"
    )
    say(f"baseline, a plain count of every row of survey_response: {baseline.describe()}")
    say(f"summary report, every event: {summary.describe()}")
    say(f"summary report, one month (March 2025): {month.describe()}")
    say(f"summary report, city=osh community=migrant: {filtered.describe()}")
    say(f"per-event rows of the export, every event: {export.describe()}")
    say(
        f"ratio summary / count: warm {summary.median / baseline.median:.1f}, "
        f"first {summary.first / baseline.first:.1f}"
    )
    say(
        f"machine busy during the timings (other users' processes too): {busy:.1f} of "
        f"{available:.1f} core-seconds"
    )
    return 0
