"""The rows a fan-out benchmark starts from: n consenting participants, one event, one admin.

Participants are inserted in bulk through the models, encrypted with the run's own keys, which
takes seconds where n API calls would take minutes and measure the wrong thing.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import insert
from sqlalchemy.orm import Session

from birge_shared.crypto import PiiCipher
from birge_shared.db import make_engine
from birge_shared.models import (
    ActivityType,
    Community,
    ConsentMethod,
    Event,
    Language,
    Participant,
    Role,
    utcnow,
)
from birge_shared.users import create_user

CITY = "osh"
ADMIN_EMAIL = "bench-admin@example.org"
# Numbers from one block, never printed: they only have to be distinct and look Kyrgyz.
PHONE_PREFIX = "+99655"
PHONE_DIGITS = 7
MAX_PARTICIPANTS = 10**PHONE_DIGITS - 1
_INSERT_SLICE = 2000


@dataclass(frozen=True, slots=True)
class Seeded:
    event_id: uuid.UUID
    participant_ids: list[uuid.UUID] = field(repr=False)
    phones: frozenset[str] = field(repr=False)


def bench_phone(index: int) -> str:
    return f"{PHONE_PREFIX}{index:0{PHONE_DIGITS}d}"


def seed(*, database_url: str, cipher: PiiCipher, n: int, admin_password: str) -> Seeded:
    if not 1 <= n <= MAX_PARTICIPANTS:
        raise ValueError(f"n must be between 1 and {MAX_PARTICIPANTS}")
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            admin = create_user(
                session=session, email=ADMIN_EMAIL, password=admin_password, role=Role.ADMIN
            )
            now = utcnow()
            starts_at = now.replace(microsecond=0) + timedelta(days=7)
            event = Event(
                city_code=CITY,
                title={"ky": "Бирге футбол", "ru": "Футбол вместе", "en": "Football together"},
                description={},
                activity_type=ActivityType.SPORT,
                venue_name="Stadium",
                venue_address="Lenin st. 1",
                starts_at=starts_at,
                ends_at=starts_at + timedelta(hours=2),
                capacity=n,
                # No mix band: every named person is invited, none waitlisted.
                min_share=0.0,
                created_by_id=admin.id,
            )
            session.add(event)
            session.flush()
            event_id = event.id
            # Languages and communities mixed as in a real list, so texts differ in length.
            languages = itertools.cycle(list(Language))
            communities = itertools.cycle(list(Community))
            ids: list[uuid.UUID] = []
            phones: list[str] = []
            rows: list[dict[str, object]] = []
            for index in range(n):
                phone = bench_phone(index)
                participant_id = uuid.uuid4()
                ids.append(participant_id)
                phones.append(phone)
                rows.append(
                    {
                        "id": participant_id,
                        "name_encrypted": cipher.encrypt(f"Bench Person {index}"),
                        "phone_encrypted": cipher.encrypt(phone),
                        "phone_hash": cipher.lookup_hash("phone", phone),
                        "language": next(languages),
                        "city_code": CITY,
                        "community": next(communities),
                        "consent_method": ConsentMethod.PAPER_FORM,
                        "consent_text_version": "bench",
                        "consent_given_at": now,
                        "created_at": now,
                        "updated_at": now,
                        "created_by_id": admin.id,
                    }
                )
            for start in range(0, n, _INSERT_SLICE):
                session.execute(insert(Participant), rows[start : start + _INSERT_SLICE])
            session.commit()
            return Seeded(event_id=event_id, participant_ids=ids, phones=frozenset(phones))
    finally:
        engine.dispose()
