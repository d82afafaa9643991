"""Console sign-in sessions: a random token in an HttpOnly cookie, its hash in the database.

A session ends when its owner signs out, after `CONSOLE_IDLE_MINUTES` without a request, after
`CONSOLE_SESSION_HOURS` in all, and at once when the account is deactivated or its role,
cities or password change (the account's token_version moves on).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from birge_shared.models import ConsoleSession, User, utcnow
from birge_shared.settings import Settings

# last_seen_at is written at most this often, so reading pages is not a write per request.
_TOUCH_EVERY = timedelta(minutes=1)


def secure_cookies(settings: Settings) -> bool:
    """Cookies are Secure in production and wherever the console is served over https.

    Development and the test suite serve plain http on loopback, where a Secure cookie would
    never come back.
    """
    return settings.environment.value == "production" or settings.public_base_url.startswith(
        "https://"
    )


def cookie_name(settings: Settings) -> str:
    # The __Host- prefix makes the browser refuse the cookie unless it is Secure, for path /
    # and without a Domain: no sibling subdomain can plant or read it.
    return "__Host-birge" if secure_cookies(settings) else "birge_session"


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


@dataclass(frozen=True)
class Started:
    token: str
    session: ConsoleSession


def start(*, session: Session, user: User) -> Started:
    """A new session for a user who just proved their password."""
    token = secrets.token_urlsafe(32)
    row = ConsoleSession(
        token_hash=_hash(token),
        user_id=user.id,
        user=user,
        token_version=user.token_version,
        csrf_token=secrets.token_urlsafe(32),
    )
    session.add(row)
    session.flush()
    return Started(token=token, session=row)


def _expired(row: ConsoleSession, *, settings: Settings, now: datetime) -> bool:
    idle = timedelta(minutes=settings.console_idle_minutes)
    total = timedelta(hours=settings.console_session_hours)
    return now - row.last_seen_at > idle or now - row.created_at > total


def find(*, session: Session, settings: Settings, token: str | None) -> ConsoleSession | None:
    """The live session this cookie belongs to, or None; an expired one is deleted."""
    if not token or len(token) > 128:
        return None
    row = session.scalar(select(ConsoleSession).where(ConsoleSession.token_hash == _hash(token)))
    if row is None:
        return None
    now = utcnow()
    user = row.user
    if (
        _expired(row, settings=settings, now=now)
        or not user.is_active
        or user.token_version != row.token_version
    ):
        session.delete(row)
        return None
    if now - row.last_seen_at > _TOUCH_EVERY:
        row.last_seen_at = now
    return row


def end(*, session: Session, row: ConsoleSession) -> None:
    session.delete(row)


def keep_after_password_change(row: ConsoleSession) -> None:
    """A password change revokes every other session; the browser that made it stays in."""
    row.token_version = row.user.token_version


def purge_expired(*, session: Session, settings: Settings) -> int:
    """Deletes sessions past their idle limit (sign-outs by closing the tab)."""
    cutoff = utcnow() - timedelta(minutes=settings.console_idle_minutes)
    result = session.execute(delete(ConsoleSession).where(ConsoleSession.last_seen_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)
