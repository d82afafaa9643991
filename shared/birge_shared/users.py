"""Staff accounts: used by the API's admin endpoints and by `birge users create`."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_shared.models import City, Role, User
from birge_shared.passwords import MIN_PASSWORD_LENGTH, hash_password


class UserError(ValueError):
    pass


def create_user(
    *, session: Session, email: str, password: str, role: Role, city_codes: Iterable[str] = ()
) -> User:
    email = email.strip().lower()
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"the password must be at least {MIN_PASSWORD_LENGTH} characters")
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise UserError("a user with this e-mail already exists")
    codes = sorted(set(city_codes))
    cities = list(session.scalars(select(City).where(City.code.in_(codes)))) if codes else []
    unknown = set(codes) - {city.code for city in cities}
    if unknown:
        raise UserError(f"unknown cities: {', '.join(sorted(unknown))}")
    user = User(email=email, password_hash=hash_password(password), role=role, cities=cities)
    session.add(user)
    session.flush()
    return user
