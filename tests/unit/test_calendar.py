"""Calendar files, read back with vobject: an independent iCalendar reader, not the writer."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from birge_shared.calendar import (
    CalendarMethod,
    Recipient,
    build_calendar,
    event_uid,
    partstat,
)
from birge_shared.models import (
    City,
    Event,
    EventStatus,
    EventVisibility,
    InvitationStatus,
    Language,
)
from tests.integration.calendar.reader import ReadCalendar, read_ics

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
START = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)  # 15:00 in Bishkek
BASE = "https://birge.example"
MAIL_FROM = "Birge <no-reply@birge.kg>"
#: The reply mailbox (CALENDAR_REPLY_ADDRESS) that scheduling files name as ORGANIZER.
REPLY_ADDRESS = "answers@birge.kg"


def make_event(**changes: Any) -> Event:
    values: dict[str, Any] = {
        "id": uuid.UUID("6f1c2a9e-4b1d-4c55-9a0e-2d3b4c5d6e7f"),
        "city_code": "bishkek",
        "city": City(code="bishkek", name="Бишкек", timezone="Asia/Bishkek"),
        "title": {"ru": "Футбол вместе", "en": "Football together", "ky": "Бирге футбол"},
        "description": {"ru": "Возьмите кроссовки", "en": "Bring trainers"},
        "venue_name": "Stadium Dinamo",
        "venue_address": "Frunze st. 1",
        "venue_latitude": 42.8746,
        "venue_longitude": 74.5698,
        "starts_at": START,
        "ends_at": START + timedelta(hours=2),
        "status": EventStatus.SCHEDULED,
        "visibility": EventVisibility.PUBLIC,
        "sequence": 0,
    }
    values.update(changes)
    return Event(**values)


def recipient(
    status: InvitationStatus = InvitationStatus.SENT,
    *,
    email: str | None = "aigul@example.org",
    language: Language = Language.EN,
) -> Recipient:
    return Recipient(
        token="tok-" + "x" * 39,
        language=language,
        invitation_status=status,
        email=email,
        name="Aigul T." if email else None,
    )


def build_file(
    event: Event, method: CalendarMethod, person: Recipient | None = None
) -> ReadCalendar:
    body = build_calendar(
        events=[event],
        method=method,
        now=NOW,
        public_base_url=BASE,
        organizer=REPLY_ADDRESS,
        recipient=person,
    )
    assert isinstance(body, bytes)
    return read_ics(body)


def build(event: Event, method: CalendarMethod, person: Recipient | None = None) -> Any:
    return build_file(event, method, person).calendar


def test_an_invitation_is_a_request_to_one_attendee_from_birge() -> None:
    calendar = build(make_event(), CalendarMethod.REQUEST, recipient())

    assert calendar.method.value == "REQUEST"
    assert calendar.version.value == "2.0"
    assert calendar.calscale.value == "GREGORIAN"
    assert calendar.prodid.value
    vevent = calendar.vevent
    assert vevent.uid.value == "6f1c2a9e-4b1d-4c55-9a0e-2d3b4c5d6e7f@birge.kg"
    assert vevent.sequence.value == "0"
    assert vevent.organizer.value == "mailto:answers@birge.kg"
    assert vevent.organizer.params["CN"] == ["Birge"]
    assert len(vevent.contents["attendee"]) == 1
    attendee = vevent.attendee
    assert attendee.value == "mailto:aigul@example.org"
    assert attendee.params["CN"] == ["Aigul T."]
    assert attendee.params["PARTSTAT"] == ["NEEDS-ACTION"]
    assert attendee.params["RSVP"] == ["TRUE"]
    assert vevent.status.value == "CONFIRMED"
    assert vevent.summary.value == "Football together"
    assert vevent.location.value == "Stadium Dinamo, Frunze st. 1"
    assert vevent.url.value == f"{BASE}/p/{recipient().token}"
    assert vevent.description.value.startswith("Bring trainers")
    assert vevent.description.value.endswith(vevent.url.value)
    assert vevent.dtstamp.value == NOW


def test_start_and_end_are_the_event_instants_in_the_city_zone_with_its_definition() -> None:
    read = build_file(make_event(), CalendarMethod.REQUEST, recipient())
    vevent = read.calendar.vevent

    assert read.tzids_used == {"Asia/Bishkek"}
    assert read.tzids_defined == {"Asia/Bishkek"}
    assert vevent.dtstart.value == START
    assert vevent.dtstart.value.utcoffset() == timedelta(hours=6)
    assert vevent.dtstart.value.hour == 15
    assert vevent.dtend.value == START + timedelta(hours=2)


def test_geo_and_a_two_hour_display_alarm() -> None:
    vevent = build(make_event(), CalendarMethod.PUBLISH, recipient(email=None)).vevent

    latitude, longitude = (float(part) for part in vevent.geo.value.split(";"))
    assert (latitude, longitude) == (42.8746, 74.5698)
    alarm = vevent.valarm
    assert alarm.action.value == "DISPLAY"
    assert alarm.trigger.value == timedelta(hours=-2)
    assert alarm.description.value == "Football together"


def test_a_public_file_has_no_coordinates_and_holds_public_events_only() -> None:
    # The feed names the venue; only a participant's own file pins it to a map.
    vevent = build(make_event(), CalendarMethod.PUBLISH).vevent
    assert "geo" not in vevent.contents
    assert vevent.location.value == "Stadium Dinamo, Frunze st. 1"
    with pytest.raises(ValueError, match="public events only"):
        build(make_event(visibility=EventVisibility.PRIVATE), CalendarMethod.PUBLISH)
    # A participant's file of a private event is theirs, and carries the coordinates.
    own = build(
        make_event(visibility=EventVisibility.PRIVATE),
        CalendarMethod.PUBLISH,
        recipient(email=None),
    ).vevent
    assert "geo" in own.contents


def test_no_geo_without_coordinates() -> None:
    vevent = build(
        make_event(venue_latitude=None, venue_longitude=None),
        CalendarMethod.PUBLISH,
        recipient(email=None),
    ).vevent
    assert "geo" not in vevent.contents


def test_a_download_is_published_without_organizer_or_attendee() -> None:
    calendar = build(make_event(), CalendarMethod.PUBLISH, recipient(email=None))

    assert calendar.method.value == "PUBLISH"
    assert "attendee" not in calendar.vevent.contents
    assert "organizer" not in calendar.vevent.contents
    # Still the participant's own: their link, their language.
    assert calendar.vevent.url.value.startswith(f"{BASE}/p/")


def test_a_cancellation_has_the_same_uid_a_higher_sequence_and_no_alarm() -> None:
    invited = build(make_event(sequence=1), CalendarMethod.REQUEST, recipient())
    cancelled = build(
        make_event(
            sequence=2, status=EventStatus.CANCELLED, cancelled_at=NOW - timedelta(minutes=1)
        ),
        CalendarMethod.CANCEL,
        recipient(),
    )

    assert cancelled.method.value == "CANCEL"
    assert cancelled.vevent.uid.value == invited.vevent.uid.value
    assert int(cancelled.vevent.sequence.value) > int(invited.vevent.sequence.value)
    assert cancelled.vevent.status.value == "CANCELLED"
    assert "valarm" not in cancelled.vevent.contents
    assert cancelled.vevent.organizer.value == "mailto:answers@birge.kg"
    assert cancelled.vevent.attendee.value == "mailto:aigul@example.org"
    # Nothing to answer in a cancellation.
    assert cancelled.vevent.attendee.params["RSVP"] == ["FALSE"]


def test_a_published_cancelled_event_says_so() -> None:
    event = make_event(sequence=3, status=EventStatus.CANCELLED)
    vevent = build(event, CalendarMethod.PUBLISH).vevent
    assert vevent.status.value == "CANCELLED"
    assert vevent.sequence.value == "3"


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (InvitationStatus.PLANNED, "NEEDS-ACTION"),
        (InvitationStatus.SENT, "NEEDS-ACTION"),
        (InvitationStatus.ACCEPTED, "ACCEPTED"),
        (InvitationStatus.DECLINED, "DECLINED"),
        (InvitationStatus.EXPIRED, "NEEDS-ACTION"),
        (InvitationStatus.ATTENDED, "ACCEPTED"),
    ],
)
def test_partstat_follows_the_answer(status: InvitationStatus, expected: str) -> None:
    assert partstat(status) == expected
    attendee = build(make_event(), CalendarMethod.REQUEST, recipient(status)).vevent.attendee
    assert attendee.params["PARTSTAT"] == [expected]


def test_texts_follow_the_participant_language_and_fall_back() -> None:
    russian = build(make_event(), CalendarMethod.REQUEST, recipient(language=Language.RU))
    assert russian.vevent.summary.value == "Футбол вместе"
    kyrgyz = build(make_event(), CalendarMethod.REQUEST, recipient(language=Language.KY))
    assert kyrgyz.vevent.summary.value == "Бирге футбол"
    # No Kyrgyz description: Russian is next.
    assert kyrgyz.vevent.description.value.startswith("Возьмите кроссовки")
    english_only = make_event(title={"en": "Chess"}, description={})
    assert (
        build(
            english_only, CalendarMethod.REQUEST, recipient(language=Language.KY)
        ).vevent.summary.value
        == "Chess"
    )


def test_names_that_need_quoting_survive() -> None:
    person = Recipient(
        token="t" * 43,
        language=Language.RU,
        invitation_status=InvitationStatus.ACCEPTED,
        email="a@example.org",
        name='Тимур "Тима", Б.',
    )
    attendee = build(make_event(), CalendarMethod.REQUEST, person).vevent.attendee
    assert attendee.params["PARTSTAT"] == ["ACCEPTED"]
    assert attendee.value == "mailto:a@example.org"


def test_a_feed_holds_many_events_in_russian_and_nothing_personal() -> None:
    first = make_event()
    second = make_event(
        id=uuid.uuid4(),
        title={"en": "Cooking plov"},
        starts_at=START + timedelta(days=400),
        ends_at=START + timedelta(days=400, hours=3),
        sequence=4,
    )
    body = build_calendar(
        events=[first, second],
        method=CalendarMethod.PUBLISH,
        now=NOW,
        public_base_url=BASE,
        organizer=REPLY_ADDRESS,
        name="Birge — Бишкек",
    )
    read = read_ics(body)
    calendar = read.calendar

    assert calendar.method.value == "PUBLISH"
    assert [v.summary.value for v in calendar.vevent_list] == ["Футбол вместе", "Cooking plov"]
    assert [v.uid.value for v in calendar.vevent_list] == [event_uid(first), event_uid(second)]
    for vevent in calendar.vevent_list:
        assert not {"attendee", "organizer", "url"} & set(vevent.contents)
    assert b"/p/" not in body
    assert read.tzids_used == read.tzids_defined == {"Asia/Bishkek"}
    # The zone definition reaches the later event too.
    assert calendar.vevent_list[1].dtstart.value == START + timedelta(days=400)


def test_an_empty_feed_is_still_a_calendar() -> None:
    body = build_calendar(
        events=[],
        method=CalendarMethod.PUBLISH,
        now=NOW,
        public_base_url=BASE,
        organizer=REPLY_ADDRESS,
    )
    read = read_ics(body)
    assert read.method == "PUBLISH"
    assert read.vevents == []


def test_the_file_is_the_same_for_the_same_input() -> None:
    def once() -> bytes:
        return build_calendar(
            events=[make_event()],
            method=CalendarMethod.REQUEST,
            now=NOW,
            public_base_url=BASE,
            organizer=REPLY_ADDRESS,
            recipient=recipient(),
        )

    assert once() == once()


def test_requests_and_cancellations_need_an_addressee() -> None:
    for method in (CalendarMethod.REQUEST, CalendarMethod.CANCEL):
        with pytest.raises(ValueError, match="addressed"):
            build_calendar(
                events=[make_event()],
                method=method,
                now=NOW,
                public_base_url=BASE,
                organizer=REPLY_ADDRESS,
                recipient=recipient(email=None),
            )
    for method in (CalendarMethod.REQUEST, CalendarMethod.CANCEL):
        # Without a reply mailbox nobody would read the answers: such files are refused.
        with pytest.raises(ValueError, match="reply mailbox"):
            build_calendar(
                events=[make_event()],
                method=method,
                now=NOW,
                public_base_url=BASE,
                recipient=recipient(),
            )
    with pytest.raises(ValueError, match="exactly one"):
        build_calendar(
            events=[make_event(), make_event(id=uuid.uuid4())],
            method=CalendarMethod.PUBLISH,
            now=NOW,
            public_base_url=BASE,
            organizer=REPLY_ADDRESS,
            recipient=recipient(email=None),
        )
