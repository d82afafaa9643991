"""Calendar downloads: a participant's event by personal link, and each city's public feed."""

from __future__ import annotations

from fastapi import APIRouter, Response

from birge_api.calendars import service
from birge_api.deps import SessionDep, SettingsDep
from birge_api.problems import not_found
from birge_shared.models import utcnow

router = APIRouter(tags=["calendars"])

CALENDAR_MEDIA_TYPE = "text/calendar; charset=utf-8"
#: Calendar apps poll a subscribed feed; five minutes of caching spares the database.
FEED_CACHE = "public, max-age=300"


@router.get(
    "/p/{token}/invite.ics",
    include_in_schema=False,
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}},
)
def participant_calendar(token: str, session: SessionDep, settings: SettingsDep) -> Response:
    try:
        file = service.participant_file(
            session=session, settings=settings, token=token, now=utcnow()
        )
    except service.CalendarNotFoundError:
        raise not_found("Calendar file") from None
    return Response(
        file.body,
        media_type=CALENDAR_MEDIA_TYPE,
        headers={
            "Content-Disposition": f'attachment; filename="{file.filename}"',
            # The URL holds the participant's token: no cache may keep the file, and no
            # page it is opened from may learn the URL.
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
            "X-Robots-Tag": "noindex, nofollow",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get(
    "/calendars/{city}.ics",
    response_class=Response,
    summary="A city's public calendar feed",
    description="The city's public events (`visibility: public`), scheduled or cancelled in "
    "the last 30 days, as an iCalendar feed (METHOD:PUBLISH) to subscribe to: title, "
    "description, start and end, venue name and address, status. No coordinates, no private "
    "events, no personal data; no authentication.",
    responses={
        200: {"content": {"text/calendar": {}}},
        404: {"description": "Unknown city", "content": {"application/problem+json": {}}},
    },
)
def city_calendar(city: str, session: SessionDep, settings: SettingsDep) -> Response:
    try:
        file = service.city_feed(
            session=session, settings=settings, city_code=city.lower(), now=utcnow()
        )
    except service.CalendarNotFoundError:
        raise not_found("City") from None
    return Response(
        file.body,
        media_type=CALENDAR_MEDIA_TYPE,
        headers={
            "Content-Disposition": f'inline; filename="{file.filename}"',
            "Cache-Control": FEED_CACHE,
            "X-Content-Type-Options": "nosniff",
        },
    )
