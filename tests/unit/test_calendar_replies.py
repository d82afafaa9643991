"""Reading calendar answers out of an e-mail: which files count as an answer, and what they say."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage

from birge_shared.calendar import event_id_of_uid
from birge_shared.calendar_replies import read_answers
from tests.integration.calendar.replies import apple_reply, gmail_reply, outlook_reply

EVENT_ID = uuid.UUID("6f1c2a9e-4b1d-4c55-9a0e-2d3b4c5d6e7f")
UID = f"{EVENT_ID}@birge.kg"
STAMP = datetime(2026, 12, 1, 10, 15, tzinfo=UTC)
STARTS = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)


def _reply(body: str, *, sender: str = "aigul@example.org") -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message.set_content("answered")
    message.add_attachment(
        body.replace("\n", "\r\n").encode(),
        maintype="text",
        subtype="calendar",
        params={"method": "REPLY"},
        filename="reply.ics",
    )
    return message


def _vcalendar(*lines: str, method: str = "REPLY") -> str:
    return "\n".join(
        [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//Test//EN",
            f"METHOD:{method}",
            "BEGIN:VEVENT",
            f"UID:{UID}",
            *lines,
            "END:VEVENT",
            "END:VCALENDAR",
            "",
        ]
    )


def test_each_client_s_reply_reads_as_one_answer() -> None:
    for build, partstat in (
        (outlook_reply, "ACCEPTED"),
        (gmail_reply, "DECLINED"),
        (apple_reply, "TENTATIVE"),
    ):
        raw = build(
            uid=UID,
            attendee="Aigul@Example.org",
            partstat=partstat,
            starts_at=STARTS,
            stamped_at=STAMP,
            sequence=2,
        )
        (answer,) = read_answers(message_from_bytes(raw))
        assert answer.uid == UID
        assert answer.attendee == "aigul@example.org"
        assert answer.sender == "aigul@example.org"
        assert answer.partstat == partstat
        assert answer.sequence == 2
        assert answer.stamped_at == STAMP


def test_files_that_are_not_one_attendee_s_reply_are_no_answer() -> None:
    attendee = "ATTENDEE;PARTSTAT=ACCEPTED:mailto:aigul@example.org"
    stamp = "DTSTAMP:20261201T101500Z"
    for body in (
        _vcalendar(attendee, stamp, method="REQUEST"),
        _vcalendar(attendee, stamp, method="COUNTER"),
        # A REPLY names exactly the one attendee who answers.
        _vcalendar(attendee, "ATTENDEE;PARTSTAT=DECLINED:mailto:other@example.org", stamp),
        _vcalendar(attendee),  # no DTSTAMP: nothing to tell it from a copy
        _vcalendar("ATTENDEE;PARTSTAT=ACCEPTED:urn:uuid:1234", stamp),
        "this is not a calendar",
    ):
        assert read_answers(_reply(body)) == []


def test_a_floating_dtstamp_is_read_as_utc_and_no_sequence_as_zero() -> None:
    body = _vcalendar(
        "ATTENDEE;PARTSTAT=ACCEPTED:mailto:aigul@example.org", "DTSTAMP:20261201T101500"
    )
    (answer,) = read_answers(_reply(body))
    assert answer.stamped_at == STAMP
    assert answer.sequence == 0


def test_the_sender_is_read_from_a_single_from_address() -> None:
    body = _vcalendar(
        "ATTENDEE;PARTSTAT=ACCEPTED:mailto:aigul@example.org", "DTSTAMP:20261201T101500Z"
    )
    (named,) = read_answers(_reply(body, sender='"Aigul T." <AIGUL@example.org>'))
    assert named.sender == "aigul@example.org"
    (two,) = read_answers(_reply(body, sender="a@example.org, b@example.org"))
    assert two.sender is None


def test_uids_of_birge_name_their_event() -> None:
    assert event_id_of_uid(UID) == EVENT_ID
    assert event_id_of_uid(f"{EVENT_ID}@BIRGE.KG") == EVENT_ID
    assert event_id_of_uid(f"{EVENT_ID}@example.com") is None
    assert event_id_of_uid("not-a-uuid@birge.kg") is None
    assert event_id_of_uid("040000008200E00074C5B7101A82E008") is None
