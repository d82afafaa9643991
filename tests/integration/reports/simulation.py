"""A simulated event: 50 participants, invitations in every status, attendance and surveys.

The plan (who has which status, who answered what) is kept beside the rows, so each test can
compute the expected figures from the plan by hand, independently of the report service.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from birge_shared.crypto import get_cipher
from birge_shared.models import (
    ActivityType,
    Community,
    Event,
    InvitationStatus,
    Participant,
    SurveyResponse,
)
from birge_shared.pseudonyms import pseudonym
from tests.factories import make_event, make_invitation, make_participant

S = InvitationStatus
HOST, MIGRANT = Community.HOST, Community.MIGRANT

# (status, community, how many): 50 people in every status an invitation can reach.
PLAN: list[tuple[InvitationStatus, Community | None, int]] = [
    (S.ATTENDED, HOST, 15),
    (S.ATTENDED, MIGRANT, 14),
    (S.ATTENDED, None, 1),
    (S.NO_SHOW, HOST, 2),
    (S.NO_SHOW, MIGRANT, 2),
    (S.ACCEPTED, HOST, 1),
    (S.ACCEPTED, MIGRANT, 1),
    (S.DECLINED, HOST, 3),
    (S.DECLINED, MIGRANT, 2),
    (S.EXPIRED, MIGRANT, 2),
    (S.EXPIRED, None, 1),
    (S.SENT, HOST, 1),
    (S.WAITLISTED, HOST, 2),
    (S.WAITLISTED, MIGRANT, 1),
    (S.FAILED, MIGRANT, 1),
    (S.PLANNED, HOST, 1),
]


@dataclass(frozen=True)
class Post:
    attitude: int | None
    rating: int | None
    talk: bool | None
    channel: str


@dataclass(frozen=True)
class Person:
    participant: Participant
    community: Community | None
    status: InvitationStatus
    pre: int | None  # the pre attitude, None when the person gave no pre answer
    pre_answered: bool
    post: Post | None
    event_id: uuid.UUID


@dataclass(frozen=True)
class Simulation:
    event: Event
    people: list[Person]


def _answers(
    rng: random.Random, number: int, status: InvitationStatus
) -> tuple[bool, int | None, Post | None]:
    """Who answered what: every accepted person may answer pre; attendees may answer post."""
    answered_pre = status in (S.ATTENDED, S.NO_SHOW, S.ACCEPTED) and number % 7 != 3
    pre = rng.randint(1, 5) if answered_pre else None
    if pre is not None and number % 13 == 5:
        pre = None  # answered the pre survey but skipped the attitude item
    post = None
    if status is S.ATTENDED and number % 5 != 4:
        base = pre if pre is not None else 3
        attitude = None if number % 11 == 0 else min(5, max(1, base + rng.choice([-1, 0, 1, 1, 2])))
        post = Post(
            attitude=attitude,
            rating=None if number % 9 == 0 else rng.randint(2, 5),
            talk=None if number % 8 == 6 else rng.random() < 0.7,
            channel="sms" if number % 3 == 0 else "page",
        )
    return answered_pre, pre, post


def simulate(
    db: Session,
    *,
    city: str = "bishkek",
    starts_at: datetime = datetime(2031, 3, 14, 9, 0, tzinfo=UTC),
    plan: list[tuple[InvitationStatus, Community | None, int]] = PLAN,
    seed: int = 20261201,
    activity_type: ActivityType = ActivityType.COOKING,
) -> Simulation:
    rng = random.Random(seed)
    cipher = get_cipher()
    event = make_event(db, city=city, capacity=40, min_share=0.4)
    event.starts_at, event.ends_at = starts_at, starts_at + timedelta(hours=2)
    event.activity_type = activity_type
    people: list[Person] = []
    number = 0
    for status, community, count in plan:
        for _ in range(count):
            number += 1
            participant = make_participant(
                db,
                community=community,
                city=city,
                name=f"Participant {seed}-{number}",
                email=f"participant-{seed}-{number}@example.org",
            )
            make_invitation(db, event=event, participant=participant, status=status)
            answered_pre, pre, post = _answers(rng, number, status)
            key = pseudonym(participant.id)
            if answered_pre:
                db.add(
                    SurveyResponse(
                        event_id=event.id,
                        pseudonym=key,
                        kind="pre",
                        community=community,
                        attitude=pre,
                        channel="sms" if number % 2 else "page",
                    )
                )
            if post is not None:
                db.add(
                    SurveyResponse(
                        event_id=event.id,
                        pseudonym=key,
                        kind="post",
                        community=community,
                        attitude=post.attitude,
                        rating=post.rating,
                        cross_group_talk=post.talk,
                        comment_encrypted=cipher.encrypt(f"Comment {number}")
                        if number % 4 == 0
                        else None,
                        channel=post.channel,
                    )
                )
            people.append(Person(participant, community, status, pre, answered_pre, post, event.id))
    db.flush()
    return Simulation(event=event, people=people)
