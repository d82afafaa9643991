"""Staff accounts: used by the API's admin endpoints and by `birge users create`."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_shared.models import City, Role, User
from birge_shared.passwords import hash_password, password_weakness

NEEDS_A_CITY = "a coordinator or viewer needs at least one city"


class UserError(ValueError):
    pass


def needs_cities(role: Role) -> bool:
    """Coordinators and viewers see only their cities; without one they could see nothing."""
    return role is not Role.ADMIN


def create_user(
    *, session: Session, email: str, password: str, role: Role, city_codes: Iterable[str] = ()
) -> User:
    email = email.strip().lower()
    weakness = password_weakness(password, user_inputs=[email])
    if weakness is not None:
        raise UserError(f"the password {weakness}")
    codes = sorted(set(city_codes))
    if needs_cities(role) and not codes:
        raise UserError(NEEDS_A_CITY)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise UserError("a user with this e-mail already exists")
    cities = list(session.scalars(select(City).where(City.code.in_(codes)))) if codes else []
    unknown = set(codes) - {city.code for city in cities}
    if unknown:
        raise UserError(f"unknown cities: {', '.join(sorted(unknown))}")
    user = User(email=email, password_hash=hash_password(password), role=role, cities=cities)
    session.add(user)
    session.flush()
    return user


def revoke_tokens(user: User) -> None:
    """Every access token issued to this account so far stops working on its next request.

    Tokens carry the account's token version; the version only ever grows, so re-enabling an
    account or restoring a role does not bring an old token back.
    """
    user.token_version += 1


def set_password(*, user: User, password: str) -> None:
    """A new password (checked like a new account's), and every earlier token revoked."""
    weakness = password_weakness(password, user_inputs=[user.email])
    if weakness is not None:
        raise UserError(f"the password {weakness}")
    user.password_hash = hash_password(password)
    revoke_tokens(user)
