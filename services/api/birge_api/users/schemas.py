"""Staff accounts as the API shows them. A password goes in, never out."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, StringConstraints
from pydantic_core import PydanticCustomError

from birge_shared.models import Role, User
from birge_shared.passwords import MAX_PASSWORD_LENGTH, password_weakness


def _email(raw: str) -> str:
    try:
        checked = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError:
        # email-validator's own messages quote parts of the address; this one does not.
        raise PydanticCustomError("email", "not a valid e-mail address") from None
    return checked.normalized.lower()


Email = Annotated[str, Field(max_length=254), AfterValidator(_email)]


def _password(value: SecretStr) -> SecretStr:
    # Said in characters and with the reason; pydantic's own length message counts "items".
    # The e-mail is not known here: the service checks the password against it as well.
    weakness = password_weakness(value.get_secret_value())
    if weakness is not None:
        raise PydanticCustomError("weak_password", "the password {reason}", {"reason": weakness})
    return value


NewPassword = Annotated[
    SecretStr,
    AfterValidator(_password),
    Field(
        description="At least 10 characters; common, breached and trivially guessable "
        "passwords (repeats, sequences, keyboard walks) are refused.",
        json_schema_extra={"minLength": 10, "maxLength": MAX_PASSWORD_LENGTH},
    ),
]
CityCode = Annotated[
    str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=1, max_length=40)
]
Cities = Annotated[
    list[CityCode],
    Field(max_length=50, description="Cities a coordinator or viewer works in (admins: all)."),
]


class _Strict(BaseModel):
    # A misspelt field is refused rather than ignored: `is_activ: false` must not leave an
    # account active while the caller believes it disabled.
    model_config = ConfigDict(extra="forbid")


class UserCreate(_Strict):
    email: Email
    role: Role
    cities: Cities = Field(default_factory=list)
    password: NewPassword


class UserUpdate(_Strict):
    """A partial change: leave a field out to keep it."""

    role: Role | None = None
    cities: Cities | None = None
    is_active: bool | None = Field(
        default=None, description="A disabled account can no longer log in or use its tokens."
    )


class PasswordChange(_Strict):
    current_password: SecretStr = Field(max_length=MAX_PASSWORD_LENGTH)
    new_password: NewPassword


class UserRead(BaseModel):
    id: uuid.UUID
    email: str
    role: Role
    cities: list[str]
    is_active: bool
    last_login_at: datetime | None
    created_at: datetime
    updated_at: datetime


def user_read(user: User) -> UserRead:
    return UserRead(
        id=user.id,
        email=user.email,
        role=user.role,
        cities=sorted(user.city_codes),
        is_active=user.is_active,
        last_login_at=user.last_login_at,
        created_at=user.created_at,
        updated_at=user.updated_at,
    )
