"""Request dependencies: the session (the edge owns the transaction) and the current user."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from birge_api.auth import tokens
from birge_api.problems import Problem, forbidden
from birge_shared.db import session_scope
from birge_shared.models import Role, User
from birge_shared.settings import Settings, get_settings


def get_session() -> Iterator[Session]:
    """One transaction per request: committed when the handler returns, rolled back on error."""
    with session_scope() as session:
        yield session


# Scope "function": the commit runs when the handler returns, before the response is sent.
# With FastAPI's default ("request") it runs after the response has left, so a commit that
# fails (a dropped connection) would already have answered 2xx: Twilio would not retry a
# callback that was never stored, and a client would be told of a batch that does not exist.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]


async def get_settings_inline() -> Settings:
    """The settings, read on the event loop: FastAPI runs a plain function dependency such as
    `get_settings` in the thread pool, a hop per request that the providers' webhooks (hundreds
    a second) cannot afford for reading a cached object. Overridden on its own in tests."""
    return get_settings()


InlineSettingsDep = Annotated[Settings, Depends(get_settings_inline)]

#: Opens the request's transaction: committed when the block ends, rolled back on error.
UnitOfWork = Callable[[], AbstractContextManager[Session]]


async def get_unit_of_work() -> UnitOfWork:
    """The request's transaction for an async route that does all its database work in one
    thread-pool call, opened, used and committed there.

    `SessionDep` is a sync generator, which FastAPI enters in one thread-pool call and closes
    in another, around the endpoint's own: three hops a request where a hot route (the
    provider's webhooks) needs one. The commit still happens before the response is sent.
    """
    return session_scope


UnitOfWorkDep = Annotated[UnitOfWork, Depends(get_unit_of_work)]

_bearer = OAuth2PasswordBearer(tokenUrl="/v1/auth/token", auto_error=False)


def _unauthorized(detail: str) -> Problem:
    return Problem(
        status=401,
        type_="unauthorized",
        title="Authentication required",
        detail=detail,
        headers={"WWW-Authenticate": "Bearer"},
    )


def get_current_user(
    session: SessionDep, settings: SettingsDep, token: Annotated[str | None, Depends(_bearer)]
) -> User:
    if not token:
        raise _unauthorized("Send a bearer token from POST /v1/auth/token.")
    try:
        claims = tokens.verify(settings=settings, token=token)
    except tokens.InvalidTokenError:
        raise _unauthorized("The token is invalid or has expired.") from None
    user = session.get(User, claims.user_id)
    if user is None or not user.is_active:
        raise _unauthorized("The account no longer exists or is disabled.")
    if claims.token_version != user.token_version:
        # Revoked: the account was disabled, its role, cities or password changed since.
        raise _unauthorized("The token was revoked; log in again.")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


@dataclass(frozen=True)
class Actor:
    """Who is calling and which cities they may see (`None`: every city)."""

    user_id: uuid.UUID
    role: Role
    cities: frozenset[str] | None

    def can_see_city(self, city_code: str) -> bool:
        return self.cities is None or city_code in self.cities


def actor_for(user: User) -> Actor:
    cities = None if user.role is Role.ADMIN else user.city_codes
    return Actor(user_id=user.id, role=user.role, cities=cities)


def get_reader(user: CurrentUser) -> Actor:
    return actor_for(user)


def get_writer(user: CurrentUser) -> Actor:
    if user.role is Role.VIEWER:
        raise forbidden("Viewers can read but not change anything.")
    return actor_for(user)


def get_coordinator_reader(user: CurrentUser) -> Actor:
    """Participants' data is for coordinators and admins; viewers read reports only."""
    if user.role is Role.VIEWER:
        raise forbidden("Viewers read events and reports, not participants.")
    return actor_for(user)


def get_admin(user: CurrentUser) -> Actor:
    if user.role is not Role.ADMIN:
        raise forbidden("Only administrators can do this.")
    return actor_for(user)


Reader = Annotated[Actor, Depends(get_reader)]
Writer = Annotated[Actor, Depends(get_writer)]
ParticipantReader = Annotated[Actor, Depends(get_coordinator_reader)]
Admin = Annotated[Actor, Depends(get_admin)]
