"""The cost of a proposal's invitation SMS, computed without a database."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from birge_api.invitations.cost import PLACEHOLDER_TOKEN, invitation_cost
from birge_shared.models import City, Event, Language
from birge_shared.models.invitation import new_token
from birge_shared.sms.render import SmsRoute
from birge_shared.sms.segments import count_segments

BASE = "https://birge.kg"
PRICE = Decimal("0.0450")
JOINS = SmsRoute(two_way=True)


def _event() -> Event:
    starts_at = datetime(2030, 3, 8, 13, 0, tzinfo=UTC)  # 19:00 in Bishkek
    return Event(
        title={"ru": "Плов вместе", "en": "Plov together"},
        venue_name="Osh bazaar hall",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        city=City(code="osh", name="Osh", timezone="Asia/Bishkek"),
    )


def test_the_placeholder_token_is_as_long_as_a_real_one() -> None:
    assert len(PLACEHOLDER_TOKEN) == len(new_token())
    assert count_segments(PLACEHOLDER_TOKEN).encoding == "GSM-7"


def test_each_language_is_counted_as_often_as_it_occurs() -> None:
    link = f"{BASE}/p/{PLACEHOLDER_TOKEN}"
    english = (
        f"Birge: you're invited to Plov together! 8 Mar, 19:00, Osh bazaar hall. Reply: {link}"
    )
    russian = (
        f"Birge: приглашаем на «Плов вместе»! 8 марта, 19:00, Osh bazaar hall. Ответить: {link}"
    )
    english_segments = 1 if len(english) <= 160 else math.ceil(len(english) / 153)
    russian_segments = math.ceil(len(russian) / 67)

    cost = invitation_cost(
        event=_event(),
        recipients=[(Language.EN, JOINS), (Language.RU, JOINS), (Language.RU, JOINS)],
        overrides={},
        public_base_url=BASE,
        price_per_segment=PRICE,
    )

    assert cost.messages == 3
    assert cost.segments == english_segments + 2 * russian_segments
    assert cost.price == PRICE * cost.segments


def test_a_kyrgyz_participant_reads_the_russian_title_when_there_is_no_kyrgyz_one() -> None:
    cost = invitation_cost(
        event=_event(),
        recipients=[(Language.KY, JOINS)],
        overrides={("invitation", Language.KY): "{title}"},
        public_base_url=BASE,
        price_per_segment=PRICE,
    )
    assert cost.segments == 1  # "Плов вместе": eleven UCS-2 characters


def test_nobody_to_invite_costs_nothing() -> None:
    cost = invitation_cost(
        event=_event(), recipients=[], overrides={}, public_base_url=BASE, price_per_segment=PRICE
    )
    assert (cost.messages, cost.segments, cost.price) == (0, 0, Decimal(0))
