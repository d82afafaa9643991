from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_api.auth.throttle import LoginThrottle
from birge_api.problems import Problem
from birge_shared import audit
from birge_shared.models import User, utcnow
from birge_shared.passwords import verify_password

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


def log_in(
    *, session: Session, throttle: LoginThrottle, email: str, password: str, client: str
) -> User | None:
    """`authenticate`, unless this account or client failed too often in the last minute.

    A throttled attempt is refused before the password is checked, so a correct password does
    not get through either: otherwise the limit would still let an attacker confirm a guess.
    """
    retry_after = throttle.retry_after(email=email, client=client)
    if retry_after > 0:
        raise too_many_attempts(retry_after)
    user = authenticate(session=session, email=email, password=password)
    if user is None:
        throttle.record_failure(email=email, client=client)
    return user
