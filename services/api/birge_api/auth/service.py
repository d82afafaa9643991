from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_api.auth.throttle import LoginThrottle, Throttled
from birge_api.problems import Problem, invalid
from birge_shared import audit
from birge_shared.models import User, utcnow
from birge_shared.passwords import verify_password
from birge_shared.users import UserError, set_password

log = logging.getLogger(__name__)

# Longer than any stored address (the column's limit); such a name cannot be an account.
_MAX_EMAIL_LENGTH = 254


def _find_user(session: Session, email: str) -> User | None:
    email = email.strip().lower()
    # PostgreSQL refuses NUL in a text parameter; no stored address contains one either.
    if not email or len(email) > _MAX_EMAIL_LENGTH or "\x00" in email:
        return None
    return session.scalar(select(User).where(User.email == email))


def too_many_attempts(retry_after: int) -> Problem:
    return Problem(
        status=429,
        type_="too-many-attempts",
        title="Too many failed logins",
        detail=f"Try again in {retry_after} seconds.",
        headers={"Retry-After": str(retry_after)},
    )


def authenticate(*, session: Session, email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None; both outcomes are audited.

    A failure names the account it was for when one exists, by id: the e-mail that was typed
    is never recorded, since a mistyped address can be someone else's.
    """
    user = _find_user(session, email)
    ok = verify_password(password, user.password_hash if user else None)
    if user is None or not ok or not user.is_active:
        reason = "unknown-account" if user is None else "wrong-password" if not ok else "inactive"
        audit.record(
            session=session,
            actor_id=None,
            action="login.failed",
            object_type="user",
            object_id=user.id if user is not None else None,
            details={"reason": reason},
        )
        return None
    user.last_login_at = utcnow()
    audit.record(
        session=session, actor_id=user.id, action="login", object_type="user", object_id=user.id
    )
    return user


def _record_throttled(*, session: Session, email: str, throttled: Throttled) -> None:
    """Who was throttled, by account id (never the typed e-mail), once a minute at most."""
    if not throttled.first_in_a_while:
        return
    user = _find_user(session, email)
    user_id = user.id if user is not None else None
    log.warning(
        "login throttled",
        extra={"user_id": str(user_id) if user_id else None, "scope": throttled.scope},
    )
    audit.record(
        session=session,
        actor_id=None,
        action="login.throttled",
        object_type="user",
        object_id=user_id,
        details={"scope": throttled.scope, "retry_after": throttled.retry_after},
    )


def log_in(
    *, session: Session, throttle: LoginThrottle, email: str, password: str, client: str
) -> User | Throttled | None:
    """`authenticate`, unless this account or client failed too often lately.

    A throttled attempt is refused before the password is checked, so a correct password does
    not get through either: otherwise the limit would still let an attacker confirm a guess.
    """
    throttled = throttle.check(email=email, client=client)
    if throttled is not None:
        _record_throttled(session=session, email=email, throttled=throttled)
        return throttled
    user = authenticate(session=session, email=email, password=password)
    if user is None:
        throttle.record_failure(email=email, client=client)
    else:
        throttle.record_success(email=email, client=client)
    return user


def wrong_current_password() -> Problem:
    return Problem(
        status=403,
        type_="wrong-password",
        title="The current password is not right",
        detail="current_password: does not match this account's password",
        errors=[{"field": "current_password", "detail": "does not match"}],
    )


def change_password(
    *,
    session: Session,
    throttle: LoginThrottle,
    user: User,
    current_password: str,
    new_password: str,
    client: str,
) -> User | Throttled | Problem:
    """The signed-in user's new password; every earlier token of theirs stops working.

    The current password is a login in all but name: it is throttled and audited like one, so
    a stolen token is no way around the login limits to guess the password it came from.
    A refusal is returned, not raised, so its audit entry is kept.
    """
    throttled = throttle.check(email=user.email, client=client)
    if throttled is not None:
        _record_throttled(session=session, email=user.email, throttled=throttled)
        return throttled
    if not verify_password(current_password, user.password_hash):
        throttle.record_failure(email=user.email, client=client)
        audit.record(
            session=session,
            actor_id=user.id,
            action="password.change_failed",
            object_type="user",
            object_id=user.id,
            details={"reason": "wrong-password"},
        )
        return wrong_current_password()
    try:
        set_password(user=user, password=new_password)
    except UserError as exc:
        return invalid("new_password", str(exc), type_="weak-password")
    user.updated_at = utcnow()
    session.flush()
    audit.record(
        session=session,
        actor_id=user.id,
        action="password.change",
        object_type="user",
        object_id=user.id,
    )
    return user
