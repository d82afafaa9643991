"""Request and response bodies for participants.

Personal data leaves the database only through these models: the list shows masked contact
details, the single read shows them in full to those allowed to see the participant.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)
from pydantic_core import PydanticCustomError

from birge_api.fields import ONE_LINE, BoundedDatetime, SingleLine
from birge_shared.crypto import PiiCipher, get_cipher
from birge_shared.models import Community, ConsentMethod, Language, Participant
from birge_shared.phones import InvalidPhoneError, mask, normalise_mobile


def _e164(raw: str) -> str:
    try:
        return normalise_mobile(raw)
    except InvalidPhoneError as exc:
        # The reason never repeats the number, so it is safe to return to the caller.
        raise PydanticCustomError("phone", "{reason}", {"reason": str(exc)}) from None


def _email(raw: str) -> str:
    try:
        checked = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError:
        # email-validator's own messages quote parts of the address; this one does not.
        raise PydanticCustomError("email", "not a valid e-mail address") from None
    return checked.normalized.lower()


def _lower(value: object) -> object:
    # Spreadsheets carry `KY` or ` Host `; the vocabularies are lower-case codes.
    return value.strip().lower() if isinstance(value, str) else value


Name = SingleLine
Phone = Annotated[
    str,
    Field(max_length=40, description="Mobile number; Kyrgyz local forms like `0555 123 456`."),
    AfterValidator(_e164),
]
Email = Annotated[str, Field(max_length=254), AfterValidator(_email)]
CityCode = Annotated[
    str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=1, max_length=40)
]
LanguageCode = Annotated[Language, BeforeValidator(_lower)]
CommunityCode = Annotated[Community, BeforeValidator(_lower)]


class _Strict(BaseModel):
    # A misspelt field is refused rather than ignored, so it cannot silently drop a value.
    model_config = ConfigDict(extra="forbid")


class ConsentIn(_Strict):
    method: Annotated[ConsentMethod, BeforeValidator(_lower)]
    text_version: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40), ONE_LINE
    ]
    given_at: BoundedDatetime = Field(description="With its UTC offset, e.g. `+06:00`.")


class ParticipantCreate(_Strict):
    name: Name
    phone: Phone
    email: Email | None = None
    language: LanguageCode
    city: CityCode
    community: CommunityCode | None = None
    consent: ConsentIn


class ParticipantUpdate(_Strict):
    """A partial change. `email` and `community` may be set to null to clear them."""

    name: Name | None = None
    phone: Phone | None = None
    email: Email | None = None
    language: LanguageCode | None = None
    city: CityCode | None = None
    community: CommunityCode | None = None
    consent: ConsentIn | None = None


NULLABLE_FIELDS = frozenset({"email", "community"})


class ConsentRead(BaseModel):
    method: ConsentMethod
    text_version: str
    given_at: datetime


class ParticipantRead(BaseModel):
    id: uuid.UUID
    name: str
    phone: str = Field(description="E.164")
    phone_masked: str
    email: str | None
    language: Language
    city: str
    community: Community | None
    consent: ConsentRead | None
    opted_out_at: datetime | None
    erased_at: datetime | None
    created_at: datetime


class ParticipantListItem(BaseModel):
    """What a list may show: contact details masked; all of them null once erased."""

    id: uuid.UUID
    name: str | None
    phone_masked: str | None
    email_masked: str | None
    language: Language
    city: str
    community: Community | None
    has_consent: bool
    opted_out_at: datetime | None
    erased_at: datetime | None
    created_at: datetime


class ImportRowError(BaseModel):
    row: int = Field(description="The row number a spreadsheet shows; the header is row 1.")
    field: str
    detail: str
    participant_id: uuid.UUID | None = Field(
        default=None, description="The participant of the same city this row repeats."
    )


class ImportReport(BaseModel):
    imported: bool
    accepted: int = Field(description="Rows registered as new participants.")
    updated: int = Field(default=0, description="Matched rows updated (`update=true`).")
    rejected: int
    errors: list[ImportRowError]


def mask_email(email: str) -> str:
    """`aida@example.org` -> `a***@example.org`."""
    local, _, domain = email.rpartition("@")
    return f"{local[:1]}***@{domain}"


def _consent(participant: Participant) -> ConsentRead | None:
    if (
        participant.consent_method is None
        or participant.consent_text_version is None
        or participant.consent_given_at is None
    ):
        return None
    return ConsentRead(
        method=participant.consent_method,
        text_version=participant.consent_text_version,
        given_at=participant.consent_given_at,
    )


def _decrypt(cipher: PiiCipher, token: str | None) -> str | None:
    return cipher.decrypt(token) if token is not None else None


def participant_read(participant: Participant) -> ParticipantRead:
    if participant.erased_at is not None or participant.phone_encrypted is None:
        raise ValueError("an erased participant has no personal data to show")
    cipher = get_cipher()
    phone = cipher.decrypt(participant.phone_encrypted)
    return ParticipantRead(
        id=participant.id,
        name=_decrypt(cipher, participant.name_encrypted) or "",
        phone=phone,
        phone_masked=mask(phone),
        email=_decrypt(cipher, participant.email_encrypted),
        language=participant.language,
        city=participant.city_code,
        community=participant.community,
        consent=_consent(participant),
        opted_out_at=participant.opted_out_at,
        erased_at=participant.erased_at,
        created_at=participant.created_at,
    )


def participant_list_item(participant: Participant) -> ParticipantListItem:
    cipher = get_cipher()
    phone = _decrypt(cipher, participant.phone_encrypted)
    email = _decrypt(cipher, participant.email_encrypted)
    return ParticipantListItem(
        id=participant.id,
        name=_decrypt(cipher, participant.name_encrypted),
        phone_masked=mask(phone) if phone is not None else None,
        email_masked=mask_email(email) if email is not None else None,
        language=participant.language,
        city=participant.city_code,
        community=participant.community,
        has_consent=participant.has_consent,
        opted_out_at=participant.opted_out_at,
        erased_at=participant.erased_at,
        created_at=participant.created_at,
    )
