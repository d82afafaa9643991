"""Calendar files (iCalendar, RFC 5545) for events: one pure function builds every kind.

- `REQUEST`: the invitation e-mailed to one participant (iTIP, RFC 5546) when a reply mailbox
  is configured. It names that mailbox as ORGANIZER and the participant as ATTENDEE with
  RSVP=TRUE and their current answer as PARTSTAT, so the calendar offers Accept and Decline
  and sends the answer (a `METHOD:REPLY`) where Birge reads it (`birge_shared.calendar_replies`).
- `CANCEL`: the same, for a cancelled event; the calendar removes or strikes the entry. It asks
  for no answer (RSVP=FALSE).
- `PUBLISH`: a file without ORGANIZER or ATTENDEE: the download from the participant page, the
  public city feed, and every e-mailed file when no reply mailbox is configured. RFC 5546
  defines PUBLISH as the method with no interactivity. A REQUEST is a meeting request: Gmail
  and Apple Calendar put their answer buttons on any REQUEST that names the reader as
  ATTENDEE, RSVP=FALSE or not, and the answers would go to an address nobody reads. Outlook
  imports a PUBLISH as a plain appointment (MS-OXCICAL: IPM.Appointment, not a meeting
  request), so it shows no buttons either. A later PUBLISH of the same UID with a higher
  SEQUENCE updates the entry, and STATUS:CANCELLED marks it cancelled. The feed is read by
  anyone without signing in, so it holds public events only (`feed_lists`) and no more of
  them than `FEED_PUBLISHES` says: no coordinates, which only a participant's own file
  carries.

Every file of one event carries the same UID, and SEQUENCE is the event's `sequence`, which the
events service raises with every change participants must hear about. A calendar that already
holds the event replaces it with a file of a higher SEQUENCE and ignores an older one.

Times are written in the city's zone (TZID) together with the VTIMEZONE that defines it, so
the event shows at the right local time even in a client that does not know the zone name.
"""

from __future__ import annotations

import enum
import functools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Timezone, vCalAddress
from icalendar import Event as CalendarEvent

from birge_shared.models import Event, EventStatus, EventVisibility, InvitationStatus, Language
from birge_shared.sms.render import in_language, personal_link

PRODID = "-//Birge//Birge events//EN"
UID_DOMAIN = "birge.kg"
ORGANIZER_NAME = "Birge"
#: When the calendar reminds its owner, before the start.
ALARM_BEFORE = timedelta(hours=2)
#: The feed's language: Russian is the language most readers of a public feed share; the
#: title falls back to English (then any language) where an event has no Russian title.
FEED_LANGUAGE = Language.RU
#: Cancelled public events stay in the feed this long, so subscribed calendars learn of it.
FEED_CANCELLED_KEPT = timedelta(days=30)
#: What the public feed shows of each event it lists, as the events API tells coordinators.
FEED_PUBLISHES = (
    "title (Russian, else English)",
    "description (Russian, else English)",
    "start and end time",
    "venue name and address",
    "status (confirmed or cancelled)",
)


def feed_lists(event: Event, *, now: datetime) -> bool:
    """Whether the city's public feed lists the event: public, and scheduled or lately cancelled."""
    if event.visibility is not EventVisibility.PUBLIC:
        return False
    if event.status is EventStatus.SCHEDULED:
        return True
    return (
        event.status is EventStatus.CANCELLED
        and event.cancelled_at is not None
        and event.cancelled_at >= now - FEED_CANCELLED_KEPT
    )


class CalendarMethod(enum.StrEnum):
    REQUEST = "REQUEST"
    PUBLISH = "PUBLISH"
    CANCEL = "CANCEL"


_PARTSTAT = {
    InvitationStatus.ACCEPTED: "ACCEPTED",
    # Who attended had accepted; an entry they kept must not ask them to answer again.
    InvitationStatus.ATTENDED: "ACCEPTED",
    InvitationStatus.DECLINED: "DECLINED",
}


@dataclass(frozen=True)
class Recipient:
    """The one participant a personal file is made for.

    `email` and `name` are needed only for e-mailed files (REQUEST, CANCEL), which name the
    participant as ATTENDEE; a downloaded file never carries them.
    """

    token: str
    language: Language
    invitation_status: InvitationStatus
    email: str | None = None
    name: str | None = None


def event_uid(event: Event) -> str:
    """The UID of every file about this event, whichever version or participant."""
    return f"{event.id}@{UID_DOMAIN}"


def event_id_of_uid(uid: str) -> uuid.UUID | None:
    """The event a UID written by `event_uid` names, or None for anybody else's UID."""
    local, _, domain = uid.strip().rpartition("@")
    if domain.lower() != UID_DOMAIN:
        return None
    try:
        return uuid.UUID(local)
    except ValueError:
        return None


def partstat(status: InvitationStatus) -> str:
    """The participant's answer as the calendar knows it; anything open still needs one."""
    return _PARTSTAT.get(status, "NEEDS-ACTION")


def build_calendar(
    *,
    events: Sequence[Event],
    method: CalendarMethod,
    now: datetime,
    public_base_url: str,
    organizer: str | None = None,
    recipient: Recipient | None = None,
    name: str | None = None,
) -> bytes:
    """The iCalendar file, as bytes, for `events` as they are now.

    With a `recipient` the file is theirs: one event, texts in their language, their personal
    link; REQUEST and CANCEL also name them as ATTENDEE and need their e-mail. Without one it
    is a public file with no personal data at all (the city feed). `name` titles a feed.
    `organizer` is the reply mailbox's address, which REQUEST and CANCEL name as ORGANIZER.
    """
    if method is not CalendarMethod.PUBLISH and (recipient is None or not recipient.email):
        raise ValueError(f"a {method.value} file is addressed to one participant's e-mail")
    if method is not CalendarMethod.PUBLISH and not organizer:
        # Answers to an organizer nobody reads go nowhere: without a mailbox, publish.
        raise ValueError(f"a {method.value} file names the reply mailbox as its organizer")
    if recipient is not None and len(events) != 1:
        raise ValueError("a participant's file holds exactly one event")
    if recipient is None and any(e.visibility is not EventVisibility.PUBLIC for e in events):
        raise ValueError("a file for nobody in particular holds public events only")
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method.value)
    if name:
        calendar.add("name", name)
        # The older, non-standard spelling of NAME that Apple and Google calendars still read.
        calendar.add("x-wr-calname", name)
    for event in events:
        calendar.add_component(
            _vevent(
                event,
                method=method,
                now=now,
                public_base_url=public_base_url,
                organizer=organizer,
                recipient=recipient,
            )
        )
    if events:
        first, last = _zone_span(events)
        _add_timezones(calendar, first=first, last=last)
    body: bytes = calendar.to_ical()
    return body


def _vevent(
    event: Event,
    *,
    method: CalendarMethod,
    now: datetime,
    public_base_url: str,
    organizer: str | None,
    recipient: Recipient | None,
) -> CalendarEvent:
    zone = ZoneInfo(event.city.timezone)
    language = recipient.language if recipient is not None else FEED_LANGUAGE
    summary = in_language(event.title, language)
    cancelled = method is CalendarMethod.CANCEL or event.status is EventStatus.CANCELLED
    link = personal_link(public_base_url, recipient.token) if recipient is not None else None

    component = CalendarEvent()
    component.add("uid", event_uid(event))
    component.add("sequence", event.sequence)
    component.add("dtstamp", now.astimezone(UTC))
    component.add("dtstart", event.starts_at.astimezone(zone))
    component.add("dtend", event.ends_at.astimezone(zone))
    component.add("summary", summary)
    description = in_language(event.description, language) if event.description else ""
    if link is not None:
        # Many calendar apps hide URL; in the description the link to answer stays visible.
        description = f"{description}\n\n{link}" if description else link
    if description:
        component.add("description", description)
    component.add("location", f"{event.venue_name}, {event.venue_address}")
    # Coordinates only in a participant's own file: the public feed names the venue, which
    # is enough to find it, but does not pin the meeting to a map for everyone.
    if (
        recipient is not None
        and event.venue_latitude is not None
        and event.venue_longitude is not None
    ):
        component.add("geo", (event.venue_latitude, event.venue_longitude))
    if link is not None:
        component.add("url", link)
    component.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if (
        method is not CalendarMethod.PUBLISH
        and organizer
        and recipient is not None
        and recipient.email
    ):
        component.add("organizer", vCalAddress.new(f"mailto:{organizer}", cn=ORGANIZER_NAME))
        component.add(
            "attendee",
            _attendee(recipient, recipient.email, rsvp=method is CalendarMethod.REQUEST),
        )
    if not cancelled:
        component.add_component(_alarm(summary))
    return component


def _attendee(recipient: Recipient, email: str, *, rsvp: bool) -> vCalAddress:
    return vCalAddress.new(
        f"mailto:{email}",
        cn=recipient.name or None,
        role="REQ-PARTICIPANT",
        partstat=partstat(recipient.invitation_status),
        rsvp=rsvp,
    )


def _alarm(summary: str) -> Alarm:
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", summary)
    alarm.add("trigger", -ALARM_BEFORE)
    return alarm


def _add_timezones(calendar: Calendar, *, first: date, last: date) -> None:
    """The VTIMEZONE of every zone the calendar's times name, before its events (as
    `Calendar.add_missing_timezones` places them), from the cache below."""
    position = len(calendar.timezones)
    for tzid in sorted(calendar.get_missing_tzids()):
        ical = _vtimezone(tzid, first, last)
        if ical is None:
            continue
        calendar.subcomponents.insert(position, Timezone.from_ical(ical))
        position += 1


@functools.lru_cache(maxsize=64)
def _vtimezone(tzid: str, first: date, last: date) -> bytes | None:
    """One zone's VTIMEZONE for these years, or None for a zone icalendar does not know.

    Working it out walks the zone's offsets hour by hour (a fifth of a second for Bishkek's
    four years): once per process, not once per e-mail of a fan-out.
    """
    try:
        return bytes(Timezone.from_tzid(tzid, first_date=first, last_date=last).to_ical())
    except ValueError:
        return None


def _zone_span(events: Sequence[Event]) -> tuple[date, date]:
    """The years the VTIMEZONE must cover: a year either side of the events.

    A definition of the whole zone history would add kilobytes to every file for nothing;
    the events' own years, with room either side, are what a calendar needs to place them.
    """
    starts = min(event.starts_at for event in events)
    ends = max(event.ends_at for event in events)
    return date(starts.year - 1, 1, 1), date(ends.year + 2, 1, 1)
