"""Bearer access tokens: short-lived HS256 JWTs signed with SECRET_KEY.

Each token carries its account's token version (`ver`); a token whose version is not the
account's current one is refused, so raising the version revokes every earlier token.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

import jwt

from birge_shared.models import User, utcnow
from birge_shared.settings import Settings

_ALGORITHM = "HS256"
_AUDIENCE = "birge-api"


class InvalidTokenError(Exception):
    pass


@dataclass(frozen=True)
class Claims:
    user_id: uuid.UUID
    token_version: int


def issue(*, settings: Settings, user: User) -> str:
    now = utcnow()
    claims = {
        "sub": str(user.id),
        "ver": user.token_version,
        "aud": _AUDIENCE,
        "iat": now,
        "exp": now + timedelta(minutes=settings.access_token_minutes),
    }
    return jwt.encode(claims, settings.secret_key.get_secret_value(), algorithm=_ALGORITHM)


def verify(*, settings: Settings, token: str) -> Claims:
    try:
        claims = jwt.decode(
            token,
            settings.secret_key.get_secret_value(),
            algorithms=[_ALGORITHM],
            audience=_AUDIENCE,
            # A token without a version predates revocation: it cannot be checked, so it fails.
            options={"require": ["sub", "exp", "aud", "ver"]},
        )
        version = claims["ver"]
        if not isinstance(version, int) or isinstance(version, bool):
            raise InvalidTokenError
        return Claims(user_id=uuid.UUID(str(claims["sub"])), token_version=version)
    except (jwt.PyJWTError, ValueError) as exc:
        raise InvalidTokenError from exc
