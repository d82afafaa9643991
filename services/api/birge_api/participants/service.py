"""Participants: register, read, change, erase and import, within the caller's cities.

Name, phone and e-mail are encrypted before they reach a row; duplicates are found through
the keyed phone hash, so no query ever carries a number in plain text.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from pydantic import ValidationError
from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from birge_api.cities import require_city
from birge_api.deps import Actor
from birge_api.pagination import decode_cursor
from birge_api.participants.import_files import read_upload
from birge_api.participants.schemas import (
    NULLABLE_FIELDS,
    ImportReport,
    ImportRowError,
    ParticipantCreate,
    ParticipantUpdate,
)
from birge_api.problems import Problem, conflict, invalid, not_found
from birge_shared import audit
from birge_shared.crypto import PiiCipher, get_cipher
from birge_shared.departure import ERASED_REASON, release
from birge_shared.models import (
    City,
    Community,
    Invitation,
    Language,
    Message,
    Participant,
    SurveyResponse,
    utcnow,
)
from birge_shared.pseudonyms import pseudonym

# PostgreSQL caps bind parameters per statement; hash look-ups for big imports go in chunks.
_LOOKUP_CHUNK = 1000


def _duplicate_phone() -> Problem:
    return conflict(
        "duplicate-phone",
        "A participant with this phone number is already registered",
        field="phone",
        detail="another participant has this phone number",
    )


def _phone_hash(cipher: PiiCipher, e164: str) -> str:
    return cipher.lookup_hash("phone", e164)


def _email_hash(cipher: PiiCipher, email: str) -> str:
    return cipher.lookup_hash("email", email)


def _phone_taken(session: Session, phone_hash: str, *, other_than: uuid.UUID | None = None) -> bool:
    query = select(Participant.id).where(Participant.phone_hash == phone_hash)
    if other_than is not None:
        query = query.where(Participant.id != other_than)
    return session.scalar(query.limit(1)) is not None


def _flush_unique(session: Session, new: Sequence[Participant] = ()) -> None:
    """Flush inside a savepoint, turning a lost race on the phone's unique index into a 409.

    The look-up before catches nearly every duplicate; two requests registering the same
    number at the same moment both pass it, and only the index can tell them apart.
    """
    try:
        with session.begin_nested():
            session.add_all(new)
            session.flush()
    except IntegrityError as exc:
        if "phone_hash" in str(exc.orig):
            raise _duplicate_phone() from None
        raise


def _new_participant(
    data: ParticipantCreate, *, cipher: PiiCipher, created_by_id: uuid.UUID
) -> Participant:
    return Participant(
        name_encrypted=cipher.encrypt(data.name),
        phone_encrypted=cipher.encrypt(data.phone),
        phone_hash=_phone_hash(cipher, data.phone),
        email_encrypted=cipher.encrypt(data.email) if data.email else None,
        email_hash=_email_hash(cipher, data.email) if data.email else None,
        language=data.language,
        city_code=data.city,
        community=data.community,
        consent_method=data.consent.method,
        consent_text_version=data.consent.text_version,
        consent_given_at=data.consent.given_at.astimezone(UTC),
        created_by_id=created_by_id,
    )


def create_participant(*, session: Session, actor: Actor, data: ParticipantCreate) -> Participant:
    require_city(session=session, actor=actor, code=data.city)
    cipher = get_cipher()
    if _phone_taken(session, _phone_hash(cipher, data.phone)):
        raise _duplicate_phone()
    participant = _new_participant(data, cipher=cipher, created_by_id=actor.user_id)
    _flush_unique(session, [participant])
    audit.record(
        session=session,
        actor_id=actor.user_id,
        action="participant.create",
        object_type="participant",
        object_id=participant.id,
        details={"city": participant.city_code},
    )
    return participant


def get_participant(
    *, session: Session, actor: Actor, participant_id: uuid.UUID, lock: bool = False
) -> Participant:
    """The participant, or a 404 when unknown, erased, or in a city the caller cannot see."""
    query = select(Participant).where(Participant.id == participant_id)
    if lock:
        query = query.with_for_update()
    participant = session.scalar(query)
    if (
        participant is None
        or participant.erased_at is not None
        or not actor.can_see_city(participant.city_code)
    ):
        raise not_found("Participant")
    return participant


@dataclass(frozen=True)
class ParticipantFilter:
    city: str | None = None
    community: Community | None = None
    language: Language | None = None
    include_erased: bool = False


def list_participants(
    *,
    session: Session,
    actor: Actor,
    filters: ParticipantFilter,
    limit: int,
    cursor: str | None,
) -> tuple[list[Participant], bool]:
    """A page of participants in registration order; the flag says whether more follow."""
    query = select(Participant)
    if actor.cities is not None:
        query = query.where(Participant.city_code.in_(actor.cities))
    if filters.city:
        query = query.where(Participant.city_code == filters.city.strip().lower())
    if filters.community:
        query = query.where(Participant.community == filters.community)
    if filters.language:
        query = query.where(Participant.language == filters.language)
    if not filters.include_erased:
        query = query.where(Participant.erased_at.is_(None))
    if cursor:
        after_created, after_id = decode_cursor(cursor)
        if after_created.tzinfo is None:
            raise invalid("cursor", "not a cursor returned by this API")
        query = query.where(
            or_(
                Participant.created_at > after_created,
                and_(Participant.created_at == after_created, Participant.id > after_id),
            )
        )
    query = query.order_by(Participant.created_at, Participant.id).limit(limit + 1)
    rows = list(session.scalars(query))
    return rows[:limit], len(rows) > limit


def update_participant(
    *, session: Session, actor: Actor, participant_id: uuid.UUID, data: ParticipantUpdate
) -> Participant:
    participant = get_participant(
        session=session, actor=actor, participant_id=participant_id, lock=True
    )
    given = sorted(data.model_fields_set)
    nulls = [name for name in given if getattr(data, name) is None and name not in NULLABLE_FIELDS]
    if nulls:
        raise invalid(nulls[0], "cannot be null; leave the field out to keep its value")
    if not given:
        return participant

    cipher = get_cipher()
    if data.city is not None and data.city != participant.city_code:
        require_city(session=session, actor=actor, code=data.city)
        participant.city_code = data.city
    if data.phone is not None:
        phone_hash = _phone_hash(cipher, data.phone)
        if _phone_taken(session, phone_hash, other_than=participant.id):
            raise _duplicate_phone()
        participant.phone_encrypted = cipher.encrypt(data.phone)
        participant.phone_hash = phone_hash
    if data.name is not None:
        participant.name_encrypted = cipher.encrypt(data.name)
    if "email" in given:
        participant.email_encrypted = cipher.encrypt(data.email) if data.email else None
        participant.email_hash = _email_hash(cipher, data.email) if data.email else None
    if data.language is not None:
        participant.language = data.language
    if "community" in given:
        participant.community = data.community
    if data.consent is not None:
        participant.consent_method = data.consent.method
        participant.consent_text_version = data.consent.text_version
        participant.consent_given_at = data.consent.given_at.astimezone(UTC)
    _flush_unique(session)
    audit.record(
        session=session,
        actor_id=actor.user_id,
        action="participant.update",
        object_type="participant",
        object_id=participant.id,
        details={"fields": given},
    )
    return participant


def erase_participant(
    *, session: Session, actor: Actor, participant_id: uuid.UUID, over_invite: float
) -> None:
    """Erasure on request: the personal data goes for good, an anonymous stub stays.

    City, community and language stay on the stub so reports keep counting the person; the
    bodies of every message to or from them go with the rest, and so do their free-text survey
    comments (found through their pseudonym), while the numeric answers stay for the figures.
    The stub holds no seat: open invitations are withdrawn and their seats refilled, pending
    messages are skipped, and the personal links stop working.
    """
    participant = get_participant(
        session=session, actor=actor, participant_id=participant_id, lock=True
    )
    now = utcnow()
    participant.name_encrypted = None
    participant.phone_encrypted = None
    participant.phone_hash = None
    participant.email_encrypted = None
    participant.email_hash = None
    participant.erased_at = now
    session.flush()
    departure = release(
        session=session,
        participant_ids=[participant.id],
        reason=ERASED_REASON,
        now=now,
        over_invite=over_invite,
    )
    invitation_ids = select(Invitation.id).where(Invitation.participant_id == participant.id)
    cleared = session.execute(
        update(Message)
        .where(
            or_(
                Message.participant_id == participant.id,
                Message.invitation_id.in_(invitation_ids),
            ),
            Message.body_encrypted.is_not(None),
        )
        .values(body_encrypted=None)
        .execution_options(synchronize_session="fetch")
        .returning(Message.id)
    ).all()
    comments = session.execute(
        update(SurveyResponse)
        .where(
            SurveyResponse.pseudonym == pseudonym(participant.id),
            SurveyResponse.comment_encrypted.is_not(None),
        )
        .values(comment_encrypted=None)
        .execution_options(synchronize_session="fetch")
        .returning(SurveyResponse.id)
    ).all()
    session.flush()
    audit.record(
        session=session,
        actor_id=actor.user_id,
        action="participant.erase",
        object_type="participant",
        object_id=participant.id,
        details={
            "message_bodies_cleared": len(cleared),
            "comments_cleared": len(comments),
            "invitations_withdrawn": departure.withdrawn,
            "messages_skipped": departure.messages_skipped,
        },
    )


@dataclass(frozen=True)
class Upload:
    filename: str | None
    content_type: str | None
    content: bytes


_ROW_FIELDS = ("name", "phone", "email", "language", "city", "community")
_CONSENT_PARTS = ("method", "text_version", "given_at")


def _row_input(values: dict[str, str]) -> dict[str, Any]:
    row: dict[str, Any] = {name: values[name] for name in _ROW_FIELDS if name in values}
    row["consent"] = {
        part: values[f"consent_{part}"] for part in _CONSENT_PARTS if f"consent_{part}" in values
    }
    return row


def _row_errors(number: int, exc: ValidationError) -> list[ImportRowError]:
    errors = []
    for error in exc.errors(include_input=False, include_url=False):
        # ("consent", "given_at") is the column consent_given_at.
        column = "_".join(str(part) for part in error["loc"]) or "row"
        detail = str(error["msg"])
        if error["type"] == "missing":
            detail = "the cell is empty"
        elif error["type"] == "timezone_aware":
            detail = "needs a UTC offset, e.g. 2026-11-20T10:00:00+06:00"
        errors.append(ImportRowError(row=number, field=column, detail=detail))
    return errors


def _registered_hashes(session: Session, hashes: Iterable[str]) -> set[str]:
    wanted = list(hashes)
    found: set[str] = set()
    for start in range(0, len(wanted), _LOOKUP_CHUNK):
        chunk = wanted[start : start + _LOOKUP_CHUNK]
        found.update(
            phone_hash
            for phone_hash in session.scalars(
                select(Participant.phone_hash).where(Participant.phone_hash.in_(chunk))
            )
            if phone_hash is not None
        )
    return found


def import_participants(
    *, session: Session, actor: Actor, upload: Upload, partial: bool, max_rows: int
) -> ImportReport:
    """Register every row of a CSV or XLSX list, or none of them.

    With `partial`, the good rows are registered and the broken ones reported. Rows naming a
    city the caller does not work in refuse the whole file: that is a question of rights,
    not of data to fix.
    """
    sheet = read_upload(
        filename=upload.filename,
        content_type=upload.content_type,
        content=upload.content,
        max_rows=max_rows,
    )
    cipher = get_cipher()
    known_cities = set(session.scalars(select(City.code)))
    errors: list[ImportRowError] = []
    unassigned: list[int] = []
    valid: list[tuple[int, ParticipantCreate, str]] = []
    first_row_by_phone: dict[str, int] = {}
    for row in sheet.rows:
        try:
            data = ParticipantCreate.model_validate(_row_input(row.values))
        except ValidationError as exc:
            errors.extend(_row_errors(row.number, exc))
            continue
        if data.city not in known_cities:
            errors.append(ImportRowError(row=row.number, field="city", detail="unknown city"))
            continue
        if not actor.can_see_city(data.city):
            unassigned.append(row.number)
            continue
        first = first_row_by_phone.setdefault(data.phone, row.number)
        if first != row.number:
            detail = f"the same phone number as row {first}"
            errors.append(ImportRowError(row=row.number, field="phone", detail=detail))
            continue
        valid.append((row.number, data, _phone_hash(cipher, data.phone)))

    if unassigned:
        raise Problem(
            status=403,
            type_="city-not-assigned",
            title="You are not assigned to a city in this file",
            detail="Nothing was imported; remove the rows for cities you do not work in.",
            errors=[
                {"row": number, "field": "city", "detail": "not one of your cities"}
                for number in unassigned
            ],
        )

    registered = _registered_hashes(session, (phone_hash for _, _, phone_hash in valid))
    accepted: list[ParticipantCreate] = []
    for number, data, phone_hash in valid:
        if phone_hash in registered:
            detail = "a participant with this phone number is already registered"
            errors.append(ImportRowError(row=number, field="phone", detail=detail))
        else:
            accepted.append(data)

    errors.sort(key=lambda error: error.row)
    rejected = len({error.row for error in errors})
    if errors and (not partial or not accepted):
        raise Problem(
            status=422,
            type_="import-rejected",
            title="Nothing was imported",
            detail=(
                f"{rejected} row(s) have errors; fix them, or send partial=true "
                "to import the other rows."
            ),
            errors=[error.model_dump() for error in errors],
            imported=False,
            accepted=len(accepted),
            rejected=rejected,
        )

    _flush_unique(
        session,
        [_new_participant(data, cipher=cipher, created_by_id=actor.user_id) for data in accepted],
    )
    audit.record(
        session=session,
        actor_id=actor.user_id,
        action="participant.import",
        object_type="participant",
        details={
            "format": sheet.format.value,
            "accepted": len(accepted),
            "rejected": rejected,
            "partial": partial,
        },
    )
    return ImportReport(imported=True, accepted=len(accepted), rejected=rejected, errors=errors)
