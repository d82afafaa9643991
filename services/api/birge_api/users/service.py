"""Staff accounts: administrators create them and change roles, cities and access.

Every change is audited by ids, role and city codes; the e-mail never enters the audit trail.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from birge_api.deps import Actor
from birge_api.pagination import decode_cursor
from birge_api.problems import Problem, conflict, invalid, not_found
from birge_api.users.schemas import UserCreate, UserUpdate
from birge_shared import audit
from birge_shared.models import City, Role, User, utcnow
from birge_shared.passwords import password_weakness
from birge_shared.users import NEEDS_A_CITY, UserError, needs_cities, revoke_tokens
from birge_shared.users import create_user as create_account


def _cities(session: Session, codes: Sequence[str]) -> list[City]:
    wanted = sorted(set(codes))
    cities = list(session.scalars(select(City).where(City.code.in_(wanted)))) if wanted else []
    unknown = sorted(set(wanted) - {city.code for city in cities})
    if unknown:
        raise invalid("cities", f"unknown cities: {', '.join(unknown)}", type_="unknown-city")
    return cities


def _email_taken(session: Session, email: str) -> bool:
    return session.scalar(select(User.id).where(User.email == email)) is not None


def _email_conflict() -> Problem:
    return conflict(
        "email-taken", "Another account has this e-mail", field="email", detail="already used"
    )


def list_users(
    *, session: Session, limit: int, cursor: str | None, role: Role | None = None
) -> tuple[list[User], bool]:
    """A page of accounts in creation order; the flag says whether more follow."""
    query = select(User)
    if role is not None:
        query = query.where(User.role == role)
    if cursor:
        after_created, after_id = decode_cursor(cursor)
        query = query.where(
            or_(
                User.created_at > after_created,
                and_(User.created_at == after_created, User.id > after_id),
            )
        )
    rows = list(session.scalars(query.order_by(User.created_at, User.id).limit(limit + 1)))
    return rows[:limit], len(rows) > limit


def get_user(*, session: Session, user_id: uuid.UUID) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise not_found("User")
    return user


def create_user(*, session: Session, actor: Actor, data: UserCreate) -> User:
    # Checked here first so each failure is a problem naming its field; the shared function
    # checks the same things for the command line.
    if _email_taken(session, data.email):
        raise _email_conflict()
    weakness = password_weakness(data.password.get_secret_value(), user_inputs=[data.email])
    if weakness is not None:
        raise invalid("password", f"the password {weakness}", type_="weak-password")
    if needs_cities(data.role) and not data.cities:
        raise invalid("cities", NEEDS_A_CITY, type_="city-required")
    cities = _cities(session, data.cities)
    try:
        user = create_account(
            session=session,
            email=data.email,
            password=data.password.get_secret_value(),
            role=data.role,
            city_codes=[city.code for city in cities],
        )
    except UserError as exc:
        # Only a concurrent registration of the same address gets here.
        raise _email_conflict() from exc
    audit.record(
        session=session,
        actor_id=actor.user_id,
        action="user.create",
        object_type="user",
        object_id=user.id,
        details={"role": user.role.value, "cities": sorted(user.city_codes)},
    )
    return user


def _other_active_admins(session: Session, user_id: uuid.UUID) -> int:
    query = select(func.count()).where(
        User.role == Role.ADMIN, User.is_active.is_(True), User.id != user_id
    )
    return session.scalar(query) or 0


def update_user(*, session: Session, actor: Actor, user_id: uuid.UUID, data: UserUpdate) -> User:
    given = sorted(data.model_fields_set)
    nulls = [name for name in given if getattr(data, name) is None]
    if nulls:
        raise invalid(nulls[0], "cannot be null; leave the field out to keep its value")
    user = session.scalar(select(User).where(User.id == user_id).with_for_update())
    if user is None:
        raise not_found("User")

    role = data.role if data.role is not None else user.role
    active = data.is_active if data.is_active is not None else user.is_active
    if (
        user.role is Role.ADMIN
        and user.is_active
        and (role is not Role.ADMIN or not active)
        and _other_active_admins(session, user.id) == 0
    ):
        raise conflict(
            "last-admin",
            "This is the last active administrator",
            field="role" if role is not Role.ADMIN else "is_active",
            detail="make another account an administrator first",
        )

    if needs_cities(role) and not (user.city_codes if data.cities is None else data.cities):
        raise invalid("cities", NEEDS_A_CITY, type_="city-required")

    changes: dict[str, dict[str, object]] = {}
    if role is not user.role:
        changes["role"] = {"from": user.role.value, "to": role.value}
        user.role = role
    if active != user.is_active:
        changes["is_active"] = {"from": user.is_active, "to": active}
        user.is_active = active
    if data.cities is not None:
        cities = _cities(session, data.cities)
        before, after = sorted(user.city_codes), sorted(city.code for city in cities)
        if before != after:
            changes["cities"] = {"from": before, "to": after}
            user.cities = cities
    if changes:
        # Whatever a token allowed was decided by what changed: every earlier token goes.
        # (A change of `is_active` either way: a re-enabled account starts with new tokens.)
        revoke_tokens(user)
        # A change of cities alone touches no column of the row, so no automatic update time.
        user.updated_at = utcnow()
        session.flush()
        audit.record(
            session=session,
            actor_id=actor.user_id,
            action="user.update",
            object_type="user",
            object_id=user.id,
            details={"changes": changes},
        )
    return user
