"""Demo data for a local try-out: staff logins, a few events and twenty fictional participants.

Loading twice changes nothing: each user, each city's events and each participant is skipped
when it already exists. The phone numbers and people are made up, so they are loaded only where
no message can reach anyone: SMS to the local simulator and e-mail to the local mail folder.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_api.deps import Actor
from birge_api.events.schemas import EventCreate
from birge_api.events.service import create_event
from birge_api.participants.schemas import ParticipantCreate
from birge_api.participants.service import create_participant
from birge_api.problems import Problem
from birge_shared.models import Event, Role, User
from birge_shared.passwords import verify_password
from birge_shared.settings import Environment, Settings
from birge_shared.users import create_user

ADMIN_EMAIL = "admin@birge.local"
# Known on purpose, and only ever used in development, where the whole point is to log in.
DEMO_PASSWORD = "birge-demo-admin"  # noqa: S105
COORDINATORS = {"bishkek": "bishkek@birge.local", "osh": "osh@birge.local"}
#: An M&E officer's login: reads events and reports of both cities, no participant data.
VIEWER_EMAIL = "viewer@birge.local"
LOCAL = ZoneInfo("Asia/Bishkek")


@dataclass(frozen=True)
class Login:
    email: str
    role: Role
    # Known only when it was just set, or when it is still the development demo password.
    password: str | None


@dataclass
class DemoReport:
    logins: list[Login] = field(default_factory=list)
    events_created: int = 0
    participants_created: int = 0


_EVENTS: dict[str, list[dict[str, Any]]] = {
    "bishkek": [
        {
            "days": 5,
            "hour": 16,
            "title": {"en": "Friday football", "ru": "Футбол в пятницу", "ky": "Жума күнү футбол"},
            "activity_type": "sport",
            "venue": {
                "name": "Dinamo sports ground",
                "address": "Bishkek, Frunze street 505",
                "latitude": 42.8812,
                "longitude": 74.6122,
            },
            "capacity": 20,
        },
        {
            "days": 9,
            "hour": 18,
            "title": {"en": "Plov cooking evening", "ru": "Вечер плова", "ky": "Палоо кечеси"},
            "activity_type": "cooking",
            "venue": {"name": "Community kitchen", "address": "Bishkek, Chuy avenue 120"},
            "capacity": 12,
        },
        {
            "days": 12,
            "hour": 17,
            "title": {"en": "Language café", "ru": "Языковое кафе", "ky": "Тил кафеси"},
            "activity_type": "language_exchange",
            "venue": {"name": "University library", "address": "Bishkek, Manas avenue 56"},
            "capacity": 16,
        },
    ],
    "osh": [
        {
            "days": 6,
            "hour": 10,
            "title": {
                "en": "Walk up Sulaiman-Too",
                "ru": "Прогулка на Сулайман-Тоо",
                "ky": "Сулайман-Тоого сейилдөө",
            },
            "activity_type": "cultural_visit",
            "venue": {
                "name": "Sulaiman-Too museum entrance",
                "address": "Osh, Kurmanjan Datka street",
                "latitude": 40.5283,
                "longitude": 72.7825,
            },
            "capacity": 14,
        },
        {
            "days": 13,
            "hour": 9,
            "title": {"en": "Tree planting", "ru": "Посадка деревьев", "ky": "Көчөт отургузуу"},
            "activity_type": "volunteering",
            "venue": {"name": "Ak-Buura riverside park", "address": "Osh, Lenin street 300"},
            "capacity": 24,
        },
    ],
}

# (name, language, community); numbers are assigned in order from a made-up block.
_PEOPLE: dict[str, list[tuple[str, str, str]]] = {
    "bishkek": [
        ("Aigerim Sadykova", "ky", "host"),
        ("Bakyt Osmonov", "ru", "host"),
        ("Nurlan Toktogulov", "ky", "host"),
        ("Elena Kim", "ru", "host"),
        ("Dinara Abdyrakhmanova", "ky", "host"),
        ("Rahul Sharma", "en", "migrant"),
        ("Ayesha Khan", "en", "migrant"),
        ("Farrukh Karimov", "ru", "migrant"),
        ("Ahmed Hassan", "en", "migrant"),
        ("Priya Nair", "en", "migrant"),
    ],
    "osh": [
        ("Gulnara Mamatova", "ky", "host"),
        ("Azamat Jusupov", "ky", "host"),
        ("Zarina Ergesheva", "ru", "host"),
        ("Temir Alimov", "ky", "host"),
        ("Saltanat Kadyrova", "ru", "host"),
        ("Imran Ali", "en", "migrant"),
        ("Sardor Yusupov", "ru", "migrant"),
        ("Fatima Noor", "en", "migrant"),
        ("Arjun Patel", "en", "migrant"),
        ("Zilola Rakhimova", "ru", "migrant"),
    ],
}


def refusal(settings: Settings) -> str | None:
    """Why demo data must not be loaded with these settings, or None when it may be."""
    if settings.environment is Environment.PRODUCTION:
        return "demo data is never loaded in production"
    real = []
    if settings.uses_twilio:
        real.append("SMS go through Twilio (TWILIO_ACCOUNT_SID is set)")
    if settings.smtp_url is not None:
        real.append("e-mail goes through SMTP_URL")
    if real:
        return " and ".join(real) + ", so its made-up people could receive real messages"
    return None


def load_demo_data(*, session: Session, settings: Settings, now: datetime) -> DemoReport:
    """Create what is missing of the demo set; the caller commits."""
    reason = refusal(settings)
    if reason is not None:
        raise RuntimeError(reason)
    report = DemoReport()
    admin = _ensure_user(
        session=session,
        settings=settings,
        email=ADMIN_EMAIL,
        role=Role.ADMIN,
        cities=(),
        report=report,
    )
    admin_actor = Actor(user_id=admin.id, role=Role.ADMIN, cities=None)
    _ensure_user(
        session=session,
        settings=settings,
        email=VIEWER_EMAIL,
        role=Role.VIEWER,
        cities=tuple(COORDINATORS),
        report=report,
    )
    number = 100
    for city, coordinator_email in COORDINATORS.items():
        coordinator = _ensure_user(
            session=session,
            settings=settings,
            email=coordinator_email,
            role=Role.COORDINATOR,
            cities=(city,),
            report=report,
        )
        actor = Actor(user_id=coordinator.id, role=Role.COORDINATOR, cities=frozenset({city}))
        report.events_created += _ensure_events(session, actor, city, now)
        for name, language, community in _PEOPLE[city]:
            number += 1
            report.participants_created += _ensure_participant(
                session=session,
                actor=admin_actor,
                city=city,
                number=number,
                person=(name, language, community),
                now=now,
            )
    return report


def _ensure_user(
    *,
    session: Session,
    settings: Settings,
    email: str,
    role: Role,
    cities: tuple[str, ...],
    report: DemoReport,
) -> User:
    development = settings.environment is Environment.DEVELOPMENT
    user = session.scalar(select(User).where(User.email == email))
    if user is not None:
        known = development and verify_password(DEMO_PASSWORD, user.password_hash)
        report.logins.append(Login(email, role, DEMO_PASSWORD if known else None))
        return user
    password = DEMO_PASSWORD if development else secrets.token_urlsafe(12)
    user = create_user(
        session=session, email=email, password=password, role=role, city_codes=cities
    )
    report.logins.append(Login(email, role, password))
    return user


def _ensure_events(session: Session, actor: Actor, city: str, now: datetime) -> int:
    existing = session.scalar(select(Event.id).where(Event.created_by_id == actor.user_id).limit(1))
    if existing is not None:
        return 0
    today = now.astimezone(LOCAL).date()
    for spec in _EVENTS[city]:
        starts_at = datetime.combine(
            today + timedelta(days=spec["days"]), time(spec["hour"]), tzinfo=LOCAL
        )
        data = EventCreate.model_validate(
            {
                "city": city,
                "title": spec["title"],
                "description": {"en": "A Birge demo event."},
                "activity_type": spec["activity_type"],
                "venue": spec["venue"],
                "starts_at": starts_at,
                "ends_at": starts_at + timedelta(hours=2),
                "capacity": spec["capacity"],
                "mix_band": {"min_share": 0.4},
            }
        )
        create_event(session=session, actor=actor, data=data)
    return len(_EVENTS[city])


def _ensure_participant(
    *,
    session: Session,
    actor: Actor,
    city: str,
    number: int,
    person: tuple[str, str, str],
    now: datetime,
) -> int:
    name, language, community = person
    data = ParticipantCreate.model_validate(
        {
            "name": name,
            "phone": f"+996700000{number:03d}",
            "language": language,
            "city": city,
            "community": community,
            "consent": {"method": "paper_form", "text_version": "demo", "given_at": now},
        }
    )
    try:
        create_participant(session=session, actor=actor, data=data)
    except Problem as problem:
        # The service finds a registered number by its keyed hash: that participant exists.
        if problem.type_ == "duplicate-phone":
            return 0
        raise
    return 1
