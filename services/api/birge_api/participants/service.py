"""Participants: register, read, change, erase and import, within the caller's cities.

Name, phone and e-mail are encrypted before they reach a row; duplicates are found through
the keyed phone hash, so no query ever carries a number in plain text.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from birge_api.cities import require_city
from birge_api.deps import Actor
from birge_api.pagination import decode_cursor
from birge_api.participants.import_files import (
    COLUMNS,
    Deadline,
    ImportLimits,
    SheetRow,
    read_upload,
)
from birge_api.participants.import_values import local_instant
from birge_api.participants.schemas import (
    NULLABLE_FIELDS,
    ImportReport,
    ImportRowError,
    ParticipantCreate,
    ParticipantUpdate,
)
from birge_api.problems import Problem, conflict, invalid, not_found
from birge_shared import audit, channels, contacts, name_index
from birge_shared.crypto import PiiCipher, get_cipher
from birge_shared.departure import ERASED_REASON, release
from birge_shared.models import (
    City,
    Community,
    Invitation,
    Language,
    Message,
    Participant,
    ParticipantNameToken,
    SurveyResponse,
    utcnow,
)
from birge_shared.phones import InvalidPhoneError, normalise_mobile
from birge_shared.pseudonyms import pseudonym

# PostgreSQL caps bind parameters per statement; hash look-ups for big imports go in chunks.
_LOOKUP_CHUNK = 1000


def _duplicate_phone() -> Problem:
    return conflict(
        "duplicate-phone",
        "A participant with this phone number is already registered in this city",
        field="phone",
        detail="another participant in this city has this phone number",
    )


def _phone_hash(cipher: PiiCipher, e164: str) -> str:
    return cipher.lookup_hash("phone", e164)


def _email_hash(cipher: PiiCipher, email: str) -> str:
    return cipher.lookup_hash("email", email)


def _phone_taken(
    session: Session, *, city: str, phone_hash: str, other_than: uuid.UUID | None = None
) -> bool:
    # Only the city's own participants: whether a number is registered elsewhere is no
    # business of this city's coordinator, and no answer may depend on it.
    query = select(Participant.id).where(
        Participant.city_code == city, Participant.phone_hash == phone_hash
    )
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
    if _phone_taken(session, city=data.city, phone_hash=_phone_hash(cipher, data.phone)):
        raise _duplicate_phone()
    participant = _new_participant(data, cipher=cipher, created_by_id=actor.user_id)
    _flush_unique(session, [participant])
    name_index.reindex(session, cipher.name_token_key, [(participant.id, data.name)], new=True)
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
    #: Typed text matched against the name index: every word, as a prefix of a name's word.
    name: str | None = None
    #: A phone number in any form `normalise_mobile` reads, matched exactly by its hash.
    phone: str | None = None
    opted_out: bool | None = None
    #: Invited (walk-ins aside) at or after this moment / not since this moment.
    invited_since: datetime | None = None
    not_invited_since: datetime | None = None


# When fewer participants than this hold every typed word, their ids are looked up first and
# handed to the list's query; when more do, the list is probed row by row along its order,
# where matches come soon. Either way a page costs milliseconds at 100,000 participants.
_RARE_MATCH = 2000


def _has_token(value: bytes) -> Any:
    return exists().where(
        ParticipantNameToken.token_hash == value,
        ParticipantNameToken.participant_id == Participant.id,
    )


def _holders_of_all(hashes: Sequence[bytes]) -> Any:
    """The participants holding every hash: one index range per hash, merged on the id.

    Rarity is judged on all the words together: "Айгерим Асанов" is rare though each of its
    words is common, and probing the list for it would read the whole city.
    """
    first, *others = hashes
    query = select(ParticipantNameToken.participant_id).where(
        ParticipantNameToken.token_hash == first
    )
    for value in others:
        other = aliased(ParticipantNameToken)
        query = query.join(
            other,
            and_(
                other.participant_id == ParticipantNameToken.participant_id,
                other.token_hash == value,
            ),
        )
    return query


def _name_matches(session: Session, typed: str, cipher: PiiCipher) -> list[Any]:
    """Conditions: every typed word is the start of a word of the participant's name."""
    hashes = name_index.term_hashes(cipher.name_token_key, typed)
    if not hashes:
        raise invalid("name", "type at least two letters of a name")
    holders = _holders_of_all(hashes)
    counted = select(func.count()).select_from(holders.limit(_RARE_MATCH).subquery())
    if (session.scalar(counted) or 0) >= _RARE_MATCH:
        return [_has_token(value) for value in hashes]
    # The ids themselves, not a subquery: the planner then knows how few rows match, where
    # its guess at a conjunction of hashes can be wrong by a hundred times and lead it to
    # probe the whole city along the list's order.
    return [Participant.id.in_(session.scalars(holders).all())]


def _phone_search_hash(typed: str, cipher: PiiCipher) -> str:
    try:
        e164 = normalise_mobile(typed)
    except InvalidPhoneError as exc:
        # The reason never repeats the number.
        raise invalid("phone", str(exc)) from None
    return _phone_hash(cipher, e164)


def _invited_since(moment: datetime) -> Any:
    return exists().where(
        Invitation.participant_id == Participant.id,
        Invitation.walk_in.is_(False),
        Invitation.created_at >= moment,
    )


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
    if filters.opted_out is not None:
        query = query.where(
            Participant.opted_out_at.is_not(None)
            if filters.opted_out
            else Participant.opted_out_at.is_(None)
        )
    if filters.invited_since is not None:
        query = query.where(_invited_since(filters.invited_since))
    if filters.not_invited_since is not None:
        query = query.where(~_invited_since(filters.not_invited_since))
    if filters.name and filters.name.strip():
        query = query.where(*_name_matches(session, filters.name, get_cipher()))
    if filters.phone and filters.phone.strip():
        query = query.where(
            Participant.phone_hash == _phone_search_hash(filters.phone, get_cipher())
        )
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
    moved = data.city is not None and data.city != participant.city_code
    if data.city is not None and moved:
        require_city(session=session, actor=actor, code=data.city)
    phone_hash = _phone_hash(cipher, data.phone) if data.phone is not None else None
    target_hash = phone_hash or participant.phone_hash
    if (moved or phone_hash is not None) and target_hash is not None:
        city = data.city if data.city is not None else participant.city_code
        if _phone_taken(session, city=city, phone_hash=target_hash, other_than=participant.id):
            raise _duplicate_phone()
    if data.city is not None:
        participant.city_code = data.city
    if data.phone is not None:
        participant.phone_encrypted = cipher.encrypt(data.phone)
        participant.phone_hash = phone_hash
    if data.name is not None:
        participant.name_encrypted = cipher.encrypt(data.name)
        name_index.reindex(session, cipher.name_token_key, [(participant.id, data.name)])
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
    name_index.forget(session, [participant.id])
    pairs = contacts.forget(session, [participant.id])
    # Channel rows hold the Telegram chat id (and the opt-in records): they go too.
    channels_removed = channels.forget(session, participant.id)
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
            "contact_pairs_removed": pairs,
            "channels_removed": channels_removed,
            "invitations_withdrawn": departure.withdrawn,
            "messages_skipped": departure.messages_skipped,
        },
    )


@dataclass(frozen=True)
class Upload:
    filename: str | None
    content_type: str | None
    content: bytes
    #: Each header cell's column by position, as a person mapped them; None reads the header.
    columns: tuple[str, ...] | None = None


def _check_columns(columns: Sequence[str]) -> None:
    unknown = [column for column in columns if column and column not in COLUMNS]
    if unknown:
        raise invalid(
            "columns", f"not a column: {unknown[0][:40]}; use one of {', '.join(COLUMNS)}"
        )


_ROW_FIELDS = ("name", "phone", "email", "language", "city", "community")
_CONSENT_PARTS = ("method", "text_version", "given_at")
_DATE_HINT = "a date such as 20.11.2026 10:00 (the city's local time) or 20.11.2026"
_DATE_ERRORS = frozenset(
    {"timezone_aware", "datetime_parsing", "datetime_from_date_parsing", "datetime_type"}
)


def _row_input(values: dict[str, str], zones: dict[str, ZoneInfo]) -> dict[str, Any]:
    row: dict[str, Any] = {name: values[name] for name in _ROW_FIELDS if name in values}
    consent: dict[str, Any] = {
        part: values[f"consent_{part}"] for part in _CONSENT_PARTS if f"consent_{part}" in values
    }
    zone = zones.get(values.get("city", "").strip().lower())
    if zone is not None and "given_at" in consent:
        # A spreadsheet holds local times without an offset: they are the city's.
        instant = local_instant(consent["given_at"], zone)
        if instant is not None:
            consent["given_at"] = instant
    row["consent"] = consent
    return row


def _row_errors(number: int, exc: ValidationError) -> list[ImportRowError]:
    errors = []
    for error in exc.errors(include_input=False, include_url=False):
        # ("consent", "given_at") is the column consent_given_at.
        column = "_".join(str(part) for part in error["loc"]) or "row"
        detail = str(error["msg"])
        if error["type"] == "missing":
            detail = "the cell is empty"
        elif error["type"] in _DATE_ERRORS:
            detail = f"needs {_DATE_HINT}"
        errors.append(ImportRowError(row=number, field=column, detail=detail))
    return errors


def _consent_error(number: int, given_at: datetime, now: datetime) -> ImportRowError | None:
    try:
        instant = given_at.astimezone(UTC)
    except OverflowError:
        return ImportRowError(row=number, field="consent_given_at", detail=f"needs {_DATE_HINT}")
    if instant > now:
        detail = "is in the future: give the date the person consented"
        return ImportRowError(row=number, field="consent_given_at", detail=detail)
    return None


def _matches(
    session: Session, keys: Iterable[tuple[str, str]], *, lock: bool
) -> dict[tuple[str, str], Participant]:
    """The participants already registered under (city, phone hash), in the rows' cities only."""
    wanted = list(keys)
    cities = sorted({city for city, _ in wanted})
    found: dict[tuple[str, str], Participant] = {}
    for start in range(0, len(wanted), _LOOKUP_CHUNK):
        chunk = sorted({phone_hash for _, phone_hash in wanted[start : start + _LOOKUP_CHUNK]})
        query = select(Participant).where(
            Participant.city_code.in_(cities), Participant.phone_hash.in_(chunk)
        )
        if lock:
            query = query.order_by(Participant.id).with_for_update()
        for participant in session.scalars(query):
            if participant.phone_hash is not None:
                found[(participant.city_code, participant.phone_hash)] = participant
    return found


def _apply_row(participant: Participant, data: ParticipantCreate, cipher: PiiCipher) -> list[str]:
    """A matched row's language, community, e-mail and consent; empty cells keep the record's."""
    participant.language = data.language
    fields = ["language"]
    if data.community is not None:
        participant.community = data.community
        fields.append("community")
    if data.email is not None:
        participant.email_encrypted = cipher.encrypt(data.email)
        participant.email_hash = _email_hash(cipher, data.email)
        fields.append("email")
    participant.consent_method = data.consent.method
    participant.consent_text_version = data.consent.text_version
    participant.consent_given_at = data.consent.given_at.astimezone(UTC)
    fields.append("consent")
    return fields


@dataclass
class _CheckedRows:
    errors: list[ImportRowError]
    unassigned: list[int]
    valid: list[tuple[int, ParticipantCreate, str]]


def _check_rows(
    *,
    session: Session,
    actor: Actor,
    rows: Sequence[SheetRow],
    cipher: PiiCipher,
    deadline: Deadline,
) -> _CheckedRows:
    """Each row validated on its own: the errors, the rows of cities not the caller's, the rest."""
    zones = {
        code: ZoneInfo(timezone)
        for code, timezone in session.execute(select(City.code, City.timezone))
    }
    now = utcnow()
    checked = _CheckedRows(errors=[], unassigned=[], valid=[])
    first_row_by_phone: dict[tuple[str, str], int] = {}
    for row in rows:
        deadline.check()
        try:
            data = ParticipantCreate.model_validate(_row_input(row.values, zones))
        except ValidationError as exc:
            checked.errors.extend(_row_errors(row.number, exc))
            continue
        if data.city not in zones:
            checked.errors.append(
                ImportRowError(row=row.number, field="city", detail="unknown city")
            )
            continue
        if not actor.can_see_city(data.city):
            checked.unassigned.append(row.number)
            continue
        consent_error = _consent_error(row.number, data.consent.given_at, now)
        if consent_error is not None:
            checked.errors.append(consent_error)
            continue
        # One person in two cities is two participants; twice in one city is a mistake.
        first = first_row_by_phone.setdefault((data.city, data.phone), row.number)
        if first != row.number:
            detail = f"the same phone number and city as row {first}"
            checked.errors.append(ImportRowError(row=row.number, field="phone", detail=detail))
            continue
        checked.valid.append((row.number, data, _phone_hash(cipher, data.phone)))
    return checked


def import_participants(
    *,
    session: Session,
    actor: Actor,
    upload: Upload,
    partial: bool,
    update: bool = False,
    dry_run: bool = False,
    limits: ImportLimits,
) -> ImportReport:
    """Register every row of a CSV or XLSX list, or none of them.

    With `partial`, the good rows are registered and the broken ones reported. Rows naming a
    city the caller does not work in refuse the whole file: that is a question of rights,
    not of data to fix. A row whose number is registered in its city names the record it
    matches; with `update`, that record takes the row's language, community, e-mail and
    consent instead. Numbers registered in other cities are never looked at.

    A `dry_run` checks everything and reports what would happen, with every row's errors,
    and changes nothing.
    """
    if upload.columns is not None:
        _check_columns(upload.columns)
    deadline = Deadline(limits.time_limit_seconds)
    sheet = read_upload(
        filename=upload.filename,
        content_type=upload.content_type,
        content=upload.content,
        limits=limits,
        deadline=deadline,
        columns=upload.columns,
    )
    cipher = get_cipher()
    checked = _check_rows(
        session=session, actor=actor, rows=sheet.rows, cipher=cipher, deadline=deadline
    )
    errors, unassigned, valid = checked.errors, checked.unassigned, checked.valid
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

    matches = _matches(
        session, ((data.city, phone_hash) for _, data, phone_hash in valid), lock=update
    )
    accepted: list[ParticipantCreate] = []
    updates: list[tuple[Participant, ParticipantCreate]] = []
    for number, data, phone_hash in valid:
        match = matches.get((data.city, phone_hash))
        if match is None:
            accepted.append(data)
        elif update:
            updates.append((match, data))
        else:
            detail = (
                f"matches participant {match.id}, already registered in {data.city}; "
                "send update=true to update it"
            )
            errors.append(
                ImportRowError(row=number, field="phone", detail=detail, participant_id=match.id)
            )

    errors.sort(key=lambda error: error.row)
    rejected = len({error.row for error in errors})
    if dry_run:
        return ImportReport(
            imported=False,
            accepted=len(accepted),
            updated=len(updates),
            rejected=rejected,
            errors=errors,
        )
    if errors and (not partial or not (accepted or updates)):
        raise Problem(
            status=422,
            type_="import-rejected",
            title="Nothing was imported",
            detail=(
                f"{rejected} row(s) have errors; fix them, or send partial=true "
                "to import the other rows."
            ),
            errors=[error.model_dump(mode="json", exclude_none=True) for error in errors],
            imported=False,
            accepted=len(accepted),
            updated=len(updates),
            rejected=rejected,
        )

    for participant, data in updates:
        fields = _apply_row(participant, data, cipher)
        audit.record(
            session=session,
            actor_id=actor.user_id,
            action="participant.update",
            object_type="participant",
            object_id=participant.id,
            details={"fields": fields, "source": "import"},
        )
    new = [_new_participant(data, cipher=cipher, created_by_id=actor.user_id) for data in accepted]
    _flush_unique(session, new)
    name_index.reindex(
        session,
        cipher.name_token_key,
        [(participant.id, data.name) for participant, data in zip(new, accepted, strict=True)],
        new=True,
    )
    audit.record(
        session=session,
        actor_id=actor.user_id,
        action="participant.import",
        object_type="participant",
        details={
            "format": sheet.format.value,
            "accepted": len(accepted),
            "updated": len(updates),
            "rejected": rejected,
            "partial": partial,
        },
    )
    return ImportReport(
        imported=True,
        accepted=len(accepted),
        updated=len(updates),
        rejected=rejected,
        errors=errors,
    )
