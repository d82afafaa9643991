"""City checks shared by every resource that belongs to a city."""

from __future__ import annotations

from sqlalchemy.orm import Session

from birge_api.deps import Actor
from birge_api.problems import Problem, invalid
from birge_shared.models import City


def require_city(*, session: Session, actor: Actor, code: str, field: str = "city") -> City:
    """The city named by the caller, if it exists and the caller works there."""
    city = session.get(City, code)
    if city is None:
        raise invalid(field, f"unknown city {code!r}", type_="unknown-city")
    if not actor.can_see_city(city.code):
        raise Problem(
            status=403,
            type_="city-not-assigned",
            title="You are not assigned to this city",
            errors=[{"field": field, "detail": "not one of your cities"}],
        )
    return city
