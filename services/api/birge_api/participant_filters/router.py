"""Saved participant filters under /v1/participant-filters.

A filter's criteria are no personal data, so viewers may read the list (it tells them nothing
about anyone); creating, changing and deleting take a coordinator or an administrator.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from birge_api.cities import CityFilter
from birge_api.deps import Reader, SessionDep, Writer
from birge_api.pagination import CursorQuery, LimitQuery, Page, encode_cursor
from birge_api.participant_filters import service
from birge_api.participant_filters.schemas import (
    SavedFilterCreate,
    SavedFilterRead,
    SavedFilterUpdate,
    saved_filter_read,
)

router = APIRouter(prefix="/v1/participant-filters", tags=["participant filters"])

_PROBLEMS: dict[int | str, dict[str, str]] = {
    401: {"description": "No or invalid token"},
    403: {"description": "A viewer writing, or a city you are not assigned to"},
    404: {"description": "No such saved filter in your cities"},
    409: {"description": "The city already has a saved filter with this name"},
    422: {"description": "Invalid input; `errors` names the fields"},
}


@router.get("", responses=_PROBLEMS)
def list_filters(
    session: SessionDep,
    actor: Reader,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
    city: CityFilter = None,
) -> Page[SavedFilterRead]:
    rows, more = service.list_filters(
        session=session, actor=actor, city=city, limit=limit, cursor=cursor
    )
    next_cursor = encode_cursor(rows[-1].created_at, rows[-1].id) if more and rows else None
    return Page(items=[saved_filter_read(row) for row in rows], next_cursor=next_cursor)


@router.post("", status_code=status.HTTP_201_CREATED, responses=_PROBLEMS)
def create_filter(
    body: SavedFilterCreate, session: SessionDep, actor: Writer, response: Response
) -> SavedFilterRead:
    saved = service.create_filter(session=session, actor=actor, data=body)
    response.headers["Location"] = f"{router.prefix}/{saved.id}"
    return saved_filter_read(saved)


@router.get("/{filter_id}", responses=_PROBLEMS)
def get_filter(filter_id: uuid.UUID, session: SessionDep, actor: Reader) -> SavedFilterRead:
    return saved_filter_read(service.get_filter(session=session, actor=actor, filter_id=filter_id))


@router.patch("/{filter_id}", responses=_PROBLEMS)
def update_filter(
    filter_id: uuid.UUID, body: SavedFilterUpdate, session: SessionDep, actor: Writer
) -> SavedFilterRead:
    saved = service.update_filter(session=session, actor=actor, filter_id=filter_id, data=body)
    return saved_filter_read(saved)


@router.delete("/{filter_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_PROBLEMS)
def delete_filter(filter_id: uuid.UUID, session: SessionDep, actor: Writer) -> Response:
    service.delete_filter(session=session, actor=actor, filter_id=filter_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
