"""Calendar files to download: a participant's own event, and each city's public feed.

The participant's file is reached by the personal link's token, the only credential they
have, so it is served exactly where the participant page is: not for a failed invitation, a
waiting-list place the person never heard of, a withdrawn one, or an erased person's.

The city feed is public and carries no personal data: the city's public events (an event is
private unless a coordinator made it public), scheduled or cancelled in the last 30 days (so
subscribed calendars learn of the cancellation), titled in Russian with English as the
fallback, and without coordinates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from birge_shared.calendar import (
    FEED_CANCELLED_KEPT,
    CalendarMethod,
    Recipient,
    build_calendar,
)
from birge_shared.models import (
    City,
    Event,
    EventStatus,
    EventVisibility,
    Invitation,
    InvitationStatus,
)
from birge_shared.models.invitation import token_hash
from birge_shared.settings import Settings

# Tokens are 43 characters; the column allows 64. Anything longer is refused without a query.
MAX_TOKEN_LENGTH = 64


class CalendarNotFoundError(LookupError):
    """No calendar file for this link or city."""


@dataclass(frozen=True)
class CalendarFile:
    filename: str
    body: bytes


def _visible(invitation: Invitation) -> bool:
    if invitation.participant.erased_at is not None:
        return False  # an erased person's links are dead
    status = invitation.status
    if status in (InvitationStatus.FAILED, InvitationStatus.WITHDRAWN):
        return False
    return not (status is InvitationStatus.WAITLISTED and invitation.responded_at is None)


def participant_file(
    *, session: Session, settings: Settings, token: str, now: datetime
) -> CalendarFile:
    """The participant's event as METHOD:PUBLISH, in their language, with their link."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise CalendarNotFoundError("no such link")
    invitation = session.scalar(
        select(Invitation).where(Invitation.token_hash == token_hash(token))
    )
    if invitation is None or not _visible(invitation):
        raise CalendarNotFoundError("no such link")
    event = invitation.event
    body = build_calendar(
        events=[event],
        method=CalendarMethod.PUBLISH,
        now=now,
        public_base_url=settings.public_base_url,
        recipient=Recipient(
            token=invitation.token,
            language=invitation.participant.language,
            invitation_status=invitation.status,
        ),
    )
    # Named after the event, never the token: downloaded files get shared and synced.
    return CalendarFile(filename=f"birge-{event.id.hex[:8]}.ics", body=body)


def city_feed(
    *, session: Session, settings: Settings, city_code: str, now: datetime
) -> CalendarFile:
    """The public feed of one city."""
    city = session.get(City, city_code)
    if city is None:
        raise CalendarNotFoundError("no such city")
    events = list(
        session.scalars(
            select(Event)
            .where(
                Event.city_code == city.code,
                Event.visibility == EventVisibility.PUBLIC,
                or_(
                    Event.status == EventStatus.SCHEDULED,
                    and_(
                        Event.status == EventStatus.CANCELLED,
                        Event.cancelled_at >= now - FEED_CANCELLED_KEPT,
                    ),
                ),
            )
            .order_by(Event.starts_at, Event.id)
        )
    )
    body = build_calendar(
        events=events,
        method=CalendarMethod.PUBLISH,
        now=now,
        public_base_url=settings.public_base_url,
        name=f"Birge — {city.name}",
    )
    return CalendarFile(filename=f"birge-{city.code}.ics", body=body)
