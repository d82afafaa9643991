"""A PostgreSQL database filled in bulk with a programme's history, for the benchmarks.

Events and participants go in by multi-row INSERT, invitations and survey answers by COPY, then
`VACUUM ANALYZE` leaves the statistics and visibility map autovacuum would. Every event is a
completed one with invitations in every closing status and pre and post answers; the report
rollups are rebuilt from them once the rows are in. Without a
`PiiCipher` participants are anonymous rows (the reports never read a name); with one each gets
a name and a phone number encrypted and hashed as the application stores them, so pages that
show or search people have something to show and find.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert, text
from sqlalchemy.orm import Session

from birge_cli.bench.seed import bench_phone
from birge_shared import name_index, rollups
from birge_shared.crypto import PiiCipher
from birge_shared.models import (
    ActivityType,
    Community,
    ConsentMethod,
    Event,
    EventStatus,
    InvitationStatus,
    Language,
    Participant,
)

Say = Callable[[str], None]

CITIES = ("bishkek", "osh")
#: Participants per city unless asked otherwise: each event invites about 150 of its city's,
#: so people meet the programme several times, as they would over a year.
POOL_PER_CITY = 10_000
#: The first event's start; the next start every HOURS_APART hours.
FIRST_START = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
HOURS_APART = 7
INSERT_SLICE = 5_000

# Given and family names common in Bishkek and Osh: 48 x 48 combinations, so a full name is
# shared by a few dozen people of 100,000, as a common name is.
GIVEN_NAMES = (
    "Айгерим", "Азамат", "Нурлан", "Бермет", "Эрлан", "Жылдыз", "Улан", "Гульнара", "Бакыт",
    "Айжан", "Тимур", "Асель", "Данияр", "Чолпон", "Мирлан", "Нургуль", "Адилет", "Элнура",
    "Руслан", "Айпери", "Бекзат", "Мээрим", "Канат", "Жибек", "Алмаз", "Назгуль", "Эмир",
    "Динара", "Самат", "Гулзат", "Марат", "Айдана", "Ильяс", "Салтанат", "Дастан", "Аида",
    "Sardor", "Dilnoza", "Bobur", "Malika", "Jasur", "Nodira", "Rustam", "Zarina", "Farrukh",
    "Madina", "Anvar", "Shahlo",
)  # fmt: skip
FAMILY_NAMES = (
    "Асанов", "Асанова", "Токтогулов", "Токтогулова", "Мамытов", "Мамытова", "Бакиров",
    "Бакирова", "Жумабаев", "Жумабаева", "Осмонов", "Осмонова", "Абдыкадыров", "Абдыкадырова",
    "Кадыров", "Кадырова", "Исаков", "Исакова", "Султанов", "Султанова", "Эсенов", "Эсенова",
    "Турдубаев", "Турдубаева", "Иманалиев", "Иманалиева", "Садыков", "Садыкова", "Алиев",
    "Алиева", "Nazarov", "Nazarova", "Yusupov", "Yusupova", "Karimov", "Karimova",
    "Rakhimov", "Rakhimova", "Ergashev", "Ergasheva", "Tursunov", "Tursunova", "Mirzaev",
    "Mirzaeva", "Kholmatov", "Kholmatova", "Umarov", "Umarova",
)  # fmt: skip


def bench_name(index: int) -> str:
    """The full name of participant `index` of a fill: the same index, the same name."""
    given = GIVEN_NAMES[index % len(GIVEN_NAMES)]
    family = FAMILY_NAMES[(index // len(GIVEN_NAMES)) % len(FAMILY_NAMES)]
    return f"{given} {family}"


@dataclass(frozen=True)
class Filled:
    events: int
    participants: int
    invitations: int
    answers: int
    seconds: float
    #: The participants of each city, in the order they were numbered (see `bench_name`).
    pools: dict[str, list[uuid.UUID]] = field(repr=False)
    #: The rng after the fill, so a benchmark adding rows stays reproducible from the seed.
    rng: random.Random = field(repr=False)


def _people_columns(cipher: PiiCipher, index: int, now: datetime) -> dict[str, Any]:
    # Consented, as everyone an import or the API registers is.
    name, phone = bench_name(index), bench_phone(index)
    return {
        "name_encrypted": cipher.encrypt(name),
        "phone_encrypted": cipher.encrypt(phone),
        "phone_hash": cipher.lookup_hash("phone", phone),
        "consent_method": ConsentMethod.PAPER_FORM,
        "consent_text_version": "bench",
        "consent_given_at": now,
    }


def _participants(
    session: Session, rng: random.Random, per_city: int, cipher: PiiCipher | None
) -> dict[str, list[uuid.UUID]]:
    pools: dict[str, list[uuid.UUID]] = {}
    rows: list[dict[str, Any]] = []
    now = datetime.now(UTC)
    for city in CITIES:
        pools[city] = [uuid.UUID(int=rng.getrandbits(128)) for _ in range(per_city)]
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
    if cipher is not None:
        # Numbered across both cities, so every phone number of the fill is distinct.
        for index, row in enumerate(rows):
            row.update(_people_columns(cipher, index, now))
    for start in range(0, len(rows), INSERT_SLICE):
        session.execute(insert(Participant), rows[start : start + INSERT_SLICE])
    return pools


def event_row(
    rng: random.Random,
    *,
    city: str,
    title: dict[str, str],
    starts_at: datetime,
    status: EventStatus,
    capacity: int = 200,
) -> dict[str, Any]:
    """One event's columns for a bulk INSERT, with a random id and activity."""
    return {
        "id": uuid.UUID(int=rng.getrandbits(128)),
        "city_code": city,
        "title": title,
        "description": {},
        "activity_type": rng.choice(list(ActivityType)),
        "venue_name": "Hall",
        "venue_address": "Chuy Avenue 1",
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(hours=2),
        "capacity": capacity,
        "min_share": 0.4,
        "status": status,
    }


def _events(
    session: Session, rng: random.Random, count: int, first_start: datetime
) -> list[tuple[uuid.UUID, str]]:
    rows = [
        event_row(
            rng,
            city=CITIES[number % len(CITIES)],
            title={"en": f"Event {number}"},
            starts_at=first_start + timedelta(hours=HOURS_APART * number),
            status=EventStatus.COMPLETED,
        )
        for number in range(count)
    ]
    for start in range(0, len(rows), INSERT_SLICE):
        session.execute(insert(Event), rows[start : start + INSERT_SLICE])
    return [(row["id"], row["city_code"]) for row in rows]


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


def copy_rows(
    engine: Engine, table: str, columns: tuple[str, ...], rows: Iterator[tuple[Any, ...]]
) -> int:
    """COPY the rows in on a raw driver connection, committed there; return the table's rows."""
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
        # Counted back from the table: the figures rest on rows that really are there.
        return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())  # noqa: S608 - a table name of this module


INVITATION_COLUMNS = (
    "id",
    "event_id",
    "participant_id",
    "status",
    "token_hash",
    "token_encrypted",
    "created_at",
    "updated_at",
)


def invitation_row(
    rng: random.Random,
    event_id: uuid.UUID,
    participant_id: uuid.UUID,
    status: InvitationStatus,
    now: datetime,
) -> tuple[Any, ...]:
    """One invitation in INVITATION_COLUMNS order, with a random id."""
    return (
        uuid.UUID(int=rng.getrandbits(128)),
        event_id,
        participant_id,
        status.value,
        # No usable link: no benchmark looks a row up by its token, so a unique stand-in hash
        # and no ciphertext keep the copy fast.
        f"{rng.getrandbits(256):064x}",
        "",
        now,
        now,
    )


def _rollup_triggers(engine: Engine, *, enabled: bool) -> None:
    switch = "ENABLE" if enabled else "DISABLE"
    with engine.begin() as connection:
        for table in ("invitation", "survey_response"):
            connection.execute(text(f"ALTER TABLE {table} {switch} TRIGGER USER"))


def vacuum_analyze(engine: Engine, tables: str) -> None:
    """What autovacuum leaves behind on a live database: planner statistics, a visibility map."""
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(
            text(f"VACUUM ANALYZE {tables}")
        )


def _index_names(engine: Engine, cipher: PiiCipher, pools: dict[str, list[uuid.UUID]]) -> int:
    """The blind name index the participants page searches, as creating each person writes it."""
    key = cipher.name_token_key
    # Numbered across both cities in the order `_participants` numbered them.
    people = (participant_id for city in CITIES for participant_id in pools[city])

    def token_rows() -> Iterator[tuple[Any, ...]]:
        for index, participant_id in enumerate(people):
            for row in name_index.index_rows(key, participant_id, bench_name(index)):
                yield (row["token_hash"], row["participant_id"])

    return copy_rows(
        engine, "participant_name_token", ("token_hash", "participant_id"), token_rows()
    )


def fill(
    *,
    engine: Engine,
    events: int,
    answers: int,
    seed: int,
    note: Say,
    per_city: int = POOL_PER_CITY,
    first_start: datetime = FIRST_START,
    cipher: PiiCipher | None = None,
) -> Filled:
    started = time.monotonic()
    rng = random.Random(seed)  # noqa: S311 - synthetic data, reproducible from the seed
    with Session(engine) as session:
        pools = _participants(session, rng, per_city, cipher)
        event_list = _events(session, rng, events, first_start)
        session.commit()
    note(f"{events} events and {sum(map(len, pools.values()))} participants inserted")
    if cipher is not None:
        note(f"{_index_names(engine, cipher, pools)} name tokens indexed")
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
                yield invitation_row(rng, event_id, participant_id, status, now)

    # The rollup triggers would run once per copied row; they are off for the copies and the
    # rollups rebuilt from the rows in one pass afterwards, as the migration's backfill does.
    _rollup_triggers(engine, enabled=False)
    invitations = copy_rows(engine, "invitation", INVITATION_COLUMNS, invitation_rows())
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

    copied = copy_rows(
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
    with engine.begin() as connection:
        rollups.rebuild(connection)
    _rollup_triggers(engine, enabled=True)
    note(f"{copied} survey answers copied, rollups rebuilt; vacuuming and analysing")
    # The name index too: without its statistics the planner guesses how many people hold a
    # hash, a guess production's autovacuum would have corrected long before.
    vacuum_analyze(
        engine,
        f"participant, participant_name_token, event, invitation, survey_response, {rollups.TABLE}",
    )
    return Filled(
        events=events,
        participants=sum(map(len, pools.values())),
        invitations=invitations,
        answers=copied,
        seconds=time.monotonic() - started,
        pools=pools,
        rng=rng,
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
        FIRST_START,
    )
