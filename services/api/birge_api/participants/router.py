"""Participants under /v1/participants.

Every route takes `ParticipantReader`: participants' data is for coordinators and admins
alone, so a viewer is refused reading as much as writing.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, File, Query, Response, UploadFile, status
from pydantic import BaseModel, Field

from birge_api.cities import CityFilter
from birge_api.deps import ParticipantReader, SessionDep, SettingsDep
from birge_api.pagination import CursorQuery, LimitQuery, Page, encode_cursor
from birge_api.participants import channels, export, history, import_template, service
from birge_api.participants.import_files import ImportLimits
from birge_api.participants.schemas import (
    ImportReport,
    ParticipantCreate,
    ParticipantListItem,
    ParticipantRead,
    ParticipantUpdate,
    participant_list_item,
    participant_read,
)
from birge_shared.models import Community, Language

router = APIRouter(prefix="/v1/participants", tags=["participants"])

_PROBLEMS: dict[int | str, dict[str, str]] = {
    401: {"description": "No or invalid token"},
    403: {"description": "A viewer, or a city you are not assigned to"},
    404: {"description": "No such participant in your cities"},
    409: {"description": "Another participant has this phone number"},
    422: {"description": "Invalid input; `errors` names the fields"},
}


@router.post("", status_code=status.HTTP_201_CREATED, responses=_PROBLEMS)
def create_participant(
    body: ParticipantCreate, session: SessionDep, actor: ParticipantReader, response: Response
) -> ParticipantRead:
    participant = service.create_participant(session=session, actor=actor, data=body)
    response.headers["Location"] = f"{router.prefix}/{participant.id}"
    return participant_read(participant)


@router.get("", responses=_PROBLEMS)
def list_participants(
    session: SessionDep,
    actor: ParticipantReader,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
    city: CityFilter = None,
    community: Community | None = None,
    language: Language | None = None,
    include_erased: Annotated[
        bool, Query(description="Also list erased participants' anonymous stubs.")
    ] = False,
    name: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Words of a name, each matched as the start of a word of the name, "
            "in Cyrillic or Latin letters alike (`айг` and `aig` find Айгүл). Searched "
            "through a keyed index: no name is decrypted to search.",
        ),
    ] = None,
    phone: Annotated[
        str | None,
        Query(max_length=40, description="A mobile number in any usual form, matched exactly."),
    ] = None,
    opted_out: Annotated[
        bool | None, Query(description="Only those who sent STOP (true) or who did not.")
    ] = None,
    invited_since: Annotated[
        datetime | None, Query(description="Invited at or after this moment.")
    ] = None,
    not_invited_since: Annotated[
        datetime | None, Query(description="Not invited since this moment (or never).")
    ] = None,
) -> Page[ParticipantListItem]:
    filters = service.ParticipantFilter(
        city=city,
        community=community,
        language=language,
        include_erased=include_erased,
        name=name,
        phone=phone,
        opted_out=opted_out,
        invited_since=invited_since,
        not_invited_since=not_invited_since,
    )
    participants, more = service.list_participants(
        session=session, actor=actor, filters=filters, limit=limit, cursor=cursor
    )
    last = participants[-1] if participants else None
    next_cursor = encode_cursor(last.created_at, last.id) if more and last else None
    return Page(
        items=[participant_list_item(participant) for participant in participants],
        next_cursor=next_cursor,
    )


@router.post(
    "/import",
    responses={
        **_PROBLEMS,
        415: {"description": "Not a CSV or XLSX file"},
        422: {"description": "Nothing imported; the body carries the import report"},
    },
)
def import_participants(
    file: Annotated[
        UploadFile,
        File(description="A .csv (UTF-8, cp1251 or UTF-16; `,` `;` or tab) or .xlsx list"),
    ],
    session: SessionDep,
    settings: SettingsDep,
    actor: ParticipantReader,
    partial: Annotated[
        bool, Query(description="Import the good rows even when others are broken.")
    ] = False,
    update: Annotated[
        bool,
        Query(
            description="Rows matching a participant of the same city update their language, "
            "community, e-mail and consent instead of being refused."
        ),
    ] = False,
    dry_run: Annotated[
        bool,
        Query(description="Check every row and report what would happen; change nothing."),
    ] = False,
    columns: Annotated[
        list[str] | None,
        Query(
            max_length=100,
            description="The column of each header cell, in order (repeat the parameter; "
            "an empty value leaves that column out), instead of reading the header's words.",
        ),
    ] = None,
) -> ImportReport:
    upload = service.Upload(
        filename=file.filename,
        content_type=file.content_type,
        content=file.file.read(),
        columns=tuple(columns) if columns is not None else None,
    )
    limits = ImportLimits(
        max_rows=settings.max_import_rows,
        max_columns=settings.max_import_columns,
        max_unpacked_bytes=settings.max_import_unpacked_bytes,
        time_limit_seconds=settings.import_time_limit_seconds,
    )
    return service.import_participants(
        session=session,
        actor=actor,
        upload=upload,
        partial=partial,
        update=update,
        dry_run=dry_run,
        limits=limits,
    )


class ExportRequest(BaseModel):
    participant_ids: list[uuid.UUID] = Field(min_length=1, max_length=1000)


@router.post(
    "/export",
    response_class=Response,
    responses={
        **_PROBLEMS,
        200: {"content": {"text/csv": {}}, "description": "The chosen participants"},
    },
)
def export_participants(
    body: ExportRequest, session: SessionDep, actor: ParticipantReader
) -> Response:
    content = export.export_csv(session=session, actor=actor, participant_ids=body.participant_ids)
    return Response(
        content,
        media_type=export.CSV_MEDIA_TYPE,
        headers={"Content-Disposition": 'attachment; filename="participants.csv"'},
    )


class MessageBody(BaseModel):
    body: str | None = Field(description="The text; null once purged or the person erased.")


@router.post("/{participant_id}/messages/{message_id}/read", responses=_PROBLEMS)
def read_message(
    participant_id: uuid.UUID, message_id: uuid.UUID, session: SessionDep, actor: ParticipantReader
) -> MessageBody:
    """A message's text. Bodies are listed nowhere; each read is recorded in the audit log."""
    body = history.read_message_body(
        session=session, actor=actor, participant_id=participant_id, message_id=message_id
    )
    return MessageBody(body=body)


@router.get(
    "/import/template.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "An example list"}},
)
def import_template_csv(actor: ParticipantReader) -> Response:
    return Response(
        import_template.template_csv(),
        media_type=import_template.CSV_MEDIA_TYPE,
        headers={"Content-Disposition": 'attachment; filename="participants.csv"'},
    )


@router.get(
    "/import/template.xlsx",
    response_class=Response,
    responses={
        200: {"content": {import_template.XLSX_MEDIA_TYPE: {}}, "description": "An example list"}
    },
)
def import_template_xlsx(actor: ParticipantReader) -> Response:
    return Response(
        import_template.template_xlsx(),
        media_type=import_template.XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": 'attachment; filename="participants.xlsx"'},
    )


@router.get("/{participant_id}", responses=_PROBLEMS)
def get_participant(
    participant_id: uuid.UUID, session: SessionDep, actor: ParticipantReader
) -> ParticipantRead:
    participant = service.get_participant(
        session=session, actor=actor, participant_id=participant_id
    )
    return participant_read(participant)


@router.get("/{participant_id}/channels", responses=_PROBLEMS)
def get_channels(
    participant_id: uuid.UUID, session: SessionDep, actor: ParticipantReader
) -> channels.ChannelList:
    """The person's channels, most preferred first, with each one's opt-in and opt-out."""
    states = channels.read_channels(session=session, actor=actor, participant_id=participant_id)
    return channels.channel_list(states)


@router.put("/{participant_id}/channels", responses=_PROBLEMS)
def set_channels(
    participant_id: uuid.UUID,
    body: channels.ChannelOrder,
    session: SessionDep,
    actor: ParticipantReader,
) -> channels.ChannelList:
    """A new order, opt-outs, and opt-ins the person gave (WhatsApp's explicit one)."""
    states = channels.set_channels(
        session=session,
        actor=actor,
        participant_id=participant_id,
        choices=channels.choices_from(body),
    )
    return channels.channel_list(states)


@router.patch("/{participant_id}", responses=_PROBLEMS)
def update_participant(
    participant_id: uuid.UUID,
    body: ParticipantUpdate,
    session: SessionDep,
    actor: ParticipantReader,
) -> ParticipantRead:
    participant = service.update_participant(
        session=session, actor=actor, participant_id=participant_id, data=body
    )
    return participant_read(participant)


@router.delete("/{participant_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_PROBLEMS)
def erase_participant(
    participant_id: uuid.UUID, session: SessionDep, actor: ParticipantReader, settings: SettingsDep
) -> Response:
    service.erase_participant(
        session=session,
        actor=actor,
        participant_id=participant_id,
        over_invite=settings.over_invite_factor,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
