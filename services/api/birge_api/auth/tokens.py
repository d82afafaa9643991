"""Bearer access tokens: short-lived HS256 JWTs signed with SECRET_KEY."""

from __future__ import annotations

import uuid
from datetime import timedelta

import jwt

from birge_shared.models import utcnow
from birge_shared.settings import Settings

_ALGORITHM = "HS256"
_AUDIENCE = "birge-api"


class InvalidTokenError(Exception):
    pass


def issue(*, settings: Settings, user_id: uuid.UUID) -> str:
    now = utcnow()
    claims = {
        "sub": str(user_id),
        "aud": _AUDIENCE,
        "iat": now,
        "exp": now + timedelta(minutes=settings.access_token_minutes),
    }
    return jwt.encode(claims, settings.secret_key.get_secret_value(), algorithm=_ALGORITHM)


def subject(*, settings: Settings, token: str) -> uuid.UUID:
    try:
        claims = jwt.decode(
            token,
            settings.secret_key.get_secret_value(),
            algorithms=[_ALGORITHM],
            audience=_AUDIENCE,
            options={"require": ["sub", "exp", "aud"]},
        )
        return uuid.UUID(str(claims["sub"]))
    except (jwt.PyJWTError, ValueError) as exc:
        raise InvalidTokenError from exc
