"""City checks shared by every resource that belongs to a city."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query
from pydantic import AfterValidator
from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_api.deps import Actor
from birge_api.problems import Problem, invalid
from birge_shared.models import City


def city_code(value: str | None) -> str | None:
    """A city code as stored: codes are lower case, whatever case the caller wrote."""
    return value.strip().lower() if value is not None else None


#: A `?city=` filter; `OSH` and `osh` name the same city.
CityFilter = Annotated[
    str | None,
    Query(max_length=40, description="A city code, in any case (`osh`, `OSH`)."),
    AfterValidator(city_code),
]


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


def visible_cities(*, session: Session, actor: Actor) -> list[City]:
    """The cities the caller works in (every city for an administrator), by name."""
    query = select(City).order_by(City.name)
    if actor.cities is not None:
        query = query.where(City.code.in_(actor.cities))
    return list(session.scalars(query))
