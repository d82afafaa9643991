"""Calendar answers written the way Outlook, Gmail and Apple Calendar write them.

Each builder returns the raw e-mail (bytes, CRLF line ends) as the client sends it to the
ORGANIZER, modelled on real replies of each client:

- Outlook (Exchange / Microsoft 365): `multipart/alternative` with a text and an HTML part and
  the `text/calendar; method=REPLY` part inline, base64; a Windows zone name as TZID with its
  VTIMEZONE; `MAILTO:` in capitals; SUMMARY prefixed "Accepted:".
- Gmail (Google Calendar): `multipart/mixed` holding a `multipart/alternative` (text, HTML,
  `text/calendar; method=REPLY`) and the same file again as an `application/ics` attachment
  named invite.ics; times in UTC; `X-NUM-GUESTS` on the attendee.
- Apple Calendar (macOS / iOS, sent by Mail): `multipart/mixed` with a short text part and the
  file as a `text/calendar; method=REPLY` attachment named iCal-….ics, quoted-printable, with
  an IANA TZID and `EMAIL=` on the attendee.
"""

from __future__ import annotations

import base64
import quopri
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

_BISHKEK = ZoneInfo("Asia/Bishkek")


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _local(moment: datetime) -> str:
    return moment.astimezone(_BISHKEK).strftime("%Y%m%dT%H%M%S")


def _crlf(text: str) -> bytes:
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode()


def _base64_lines(body: bytes) -> str:
    encoded = base64.b64encode(body).decode()
    return "\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76))


def outlook_reply(
    *,
    uid: str,
    attendee: str,
    partstat: str,
    starts_at: datetime,
    stamped_at: datetime,
    sequence: int = 0,
    sender: str | None = None,
    organizer: str = "answers@birge.kg",
) -> bytes:
    verb = {"ACCEPTED": "Accepted", "DECLINED": "Declined", "TENTATIVE": "Tentative"}[partstat]
    ics = _crlf(
        f"""BEGIN:VCALENDAR
METHOD:REPLY
PRODID:Microsoft Exchange Server 2010
VERSION:2.0
BEGIN:VTIMEZONE
TZID:Central Asia Standard Time
BEGIN:STANDARD
DTSTART:16010101T000000
TZOFFSETFROM:+0600
TZOFFSETTO:+0600
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010101T000000
TZOFFSETFROM:+0600
TZOFFSETTO:+0600
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
ATTENDEE;PARTSTAT={partstat};CN=Aigul T.:MAILTO:{attendee}
COMMENT;LANGUAGE=en-US:\\n
SUMMARY;LANGUAGE=en-US:{verb}: Football together
DTSTART;TZID=Central Asia Standard Time:{_local(starts_at)}
DTEND;TZID=Central Asia Standard Time:{_local(starts_at + timedelta(hours=2))}
UID:{uid}
CLASS:PUBLIC
PRIORITY:5
DTSTAMP:{_stamp(stamped_at)}
TRANSP:OPAQUE
STATUS:CONFIRMED
SEQUENCE:{sequence}
LOCATION;LANGUAGE=en-US:Stadium Dinamo\\, Frunze st. 1
X-MICROSOFT-CDO-APPT-SEQUENCE:{sequence}
X-MICROSOFT-CDO-OWNERAPPTID:-1127431743
X-MICROSOFT-CDO-BUSYSTATUS:BUSY
X-MICROSOFT-CDO-INTENDEDSTATUS:BUSY
X-MICROSOFT-CDO-ALLDAYEVENT:FALSE
X-MICROSOFT-CDO-IMPORTANCE:1
X-MICROSOFT-CDO-INSTTYPE:0
X-MICROSOFT-DONOTFORWARDMEETING:FALSE
X-MICROSOFT-DISALLOW-COUNTER:FALSE
END:VEVENT
END:VCALENDAR
"""
    )
    boundary = "_000_AM0PR07MB5521B2E6F0F1C3A9D4E5F6A7B8C9AM0PR07MB5521eurp_"
    html_part = f"<html><body><p>{verb}</p></body></html>"
    return _crlf(
        f"""From: "Aigul T." <{sender or attendee}>
To: Birge <{organizer}>
Subject: {verb}: Invitation: Football together
Thread-Topic: Invitation: Football together
Thread-Index: AQHa1b2c3d4e5f6g7h8i9j0k==
Date: {stamped_at.astimezone(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")}
Message-ID: <AM0PR07MB5521{uuid.uuid4().hex[:16].upper()}@AM0PR07MB5521.eurprd07.prod.outlook.com>
Accept-Language: en-US, ru-RU
Content-Language: en-US
X-MS-Has-Attach:
X-MS-TNEF-Correlator:
Content-Type: multipart/alternative;
\tboundary="{boundary}"
MIME-Version: 1.0

--{boundary}
Content-Type: text/plain; charset="us-ascii"
Content-Transfer-Encoding: quoted-printable


--{boundary}
Content-Type: text/html; charset="us-ascii"
Content-Transfer-Encoding: quoted-printable

{html_part}

--{boundary}
Content-Type: text/calendar; charset="utf-8"; method=REPLY
Content-Transfer-Encoding: base64

{_base64_lines(ics)}

--{boundary}--
"""
    )


def gmail_reply(
    *,
    uid: str,
    attendee: str,
    partstat: str,
    starts_at: datetime,
    stamped_at: datetime,
    sequence: int = 0,
    organizer: str = "answers@birge.kg",
) -> bytes:
    verb = {"ACCEPTED": "Accepted", "DECLINED": "Declined", "TENTATIVE": "Tentatively Accepted"}[
        partstat
    ]
    ics = _crlf(
        f"""BEGIN:VCALENDAR
PRODID:-//Google Inc//Google Calendar 70.9054//EN
VERSION:2.0
CALSCALE:GREGORIAN
METHOD:REPLY
BEGIN:VEVENT
DTSTART:{_stamp(starts_at)}
DTEND:{_stamp(starts_at + timedelta(hours=2))}
DTSTAMP:{_stamp(stamped_at)}
ORGANIZER;CN=Birge:mailto:{organizer}
UID:{uid}
ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT={partstat};CN=Aigul T
 .;X-NUM-GUESTS=0:mailto:{attendee}
CREATED:{_stamp(stamped_at - timedelta(days=1))}
DESCRIPTION:Bring trainers.
LAST-MODIFIED:{_stamp(stamped_at)}
LOCATION:Stadium Dinamo\\, Frunze st. 1
SEQUENCE:{sequence}
STATUS:CONFIRMED
SUMMARY:Football together
TRANSP:OPAQUE
END:VEVENT
END:VCALENDAR
"""
    )
    outer = "000000000000a1b2c3d4e5f60789"
    inner = "000000000000a1b2c3d4e5f60788"
    return _crlf(
        f"""MIME-Version: 1.0
Date: {stamped_at.astimezone(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")}
Message-ID: <CAGmail{uuid.uuid4().hex}@mail.gmail.com>
Subject: {verb}: Invitation: Football together @ Tue Dec 8, 2026 3pm - 5pm (GMT+6)
 ({attendee})
From: Aigul T. <{attendee}>
To: answers@birge.kg
Content-Type: multipart/mixed; boundary="{outer}"

--{outer}
Content-Type: multipart/alternative; boundary="{inner}"

--{inner}
Content-Type: text/plain; charset="UTF-8"; format=flowed; delsp=yes

Aigul T. has {verb.lower()} this invitation.

--{inner}
Content-Type: text/html; charset="UTF-8"

<p>Aigul T. has {verb.lower()} this invitation.</p>

--{inner}
Content-Type: text/calendar; charset="UTF-8"; method=REPLY
Content-Transfer-Encoding: 7bit

{ics.decode()}
--{inner}--
--{outer}
Content-Type: application/ics; name="invite.ics"
Content-Disposition: attachment; filename="invite.ics"
Content-Transfer-Encoding: base64

{_base64_lines(ics)}
--{outer}--
"""
    )


def apple_reply(
    *,
    uid: str,
    attendee: str,
    partstat: str,
    starts_at: datetime,
    stamped_at: datetime,
    sequence: int = 0,
    organizer: str = "answers@birge.kg",
) -> bytes:
    verb = {"ACCEPTED": "Accepted", "DECLINED": "Declined", "TENTATIVE": "Maybe"}[partstat]
    ics = _crlf(
        f"""BEGIN:VCALENDAR
METHOD:REPLY
VERSION:2.0
PRODID:-//Apple Inc.//macOS 14.5//EN
BEGIN:VTIMEZONE
TZID:Asia/Bishkek
BEGIN:STANDARD
DTSTART:20050815T000000
TZOFFSETFROM:+0500
TZOFFSETTO:+0600
TZNAME:GMT+6
END:STANDARD
END:VTIMEZONE
BEGIN:VEVENT
ATTENDEE;CN="Aigul T.";CUTYPE=INDIVIDUAL;EMAIL="{attendee}";PARTSTAT={partstat};
 ROLE=REQ-PARTICIPANT:mailto:{attendee}
DTEND;TZID=Asia/Bishkek:{_local(starts_at + timedelta(hours=2))}
DTSTAMP:{_stamp(stamped_at)}
DTSTART;TZID=Asia/Bishkek:{_local(starts_at)}
ORGANIZER;CN=Birge:mailto:{organizer}
SEQUENCE:{sequence}
SUMMARY:Football together
UID:{uid}
X-APPLE-TRAVEL-ADVISORY-BEHAVIOR:AUTOMATIC
END:VEVENT
END:VCALENDAR
"""
    )
    boundary = "Apple-Mail=_4B1D2C3E-5F60-4718-9A0B-1C2D3E4F5A6B"
    name = f"iCal-{stamped_at.astimezone(UTC).strftime('%Y%m%d-%H%M%S')}.ics"
    return _crlf(
        f"""From: "Aigul T." <{attendee}>
Content-Type: multipart/mixed;
\tboundary="{boundary}"
Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3774.600.62\\))
Subject: Invitation: Football together ({verb})
Message-Id: <{uuid.uuid4()}@icloud.com>
Date: {stamped_at.astimezone(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")}
To: Birge <{organizer}>
X-Mailer: Apple Mail (2.3774.600.62)


--{boundary}
Content-Transfer-Encoding: 7bit
Content-Type: text/plain;
\tcharset=us-ascii

Aigul T. {verb.lower()} this invitation.

--{boundary}
Content-Disposition: attachment;
\tfilename={name}
Content-Type: text/calendar;
\tx-unix-mode=0644;
\tname="{name}";
\tmethod=REPLY;
\tcharset=utf-8
Content-Transfer-Encoding: quoted-printable

{quopri.encodestring(ics).decode()}
--{boundary}--
"""
    )


def ordinary_email(*, sender: str = "someone@example.org") -> bytes:
    """A person's own e-mail to the reply mailbox, with an .ics that is not a reply."""
    published = _crlf(
        "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//Example//EN\nMETHOD:PUBLISH\n"
        "BEGIN:VEVENT\nUID:picnic@example.org\nDTSTAMP:20261201T100000Z\n"
        "DTSTART:20261210T100000Z\nSUMMARY:Picnic\nEND:VEVENT\nEND:VCALENDAR\n"
    )
    return _crlf(
        f"""From: Someone <{sender}>
To: answers@birge.kg
Subject: Can I bring my brother?
Message-ID: <{uuid.uuid4()}@example.org>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain; charset=utf-8

Hello, can I bring my brother? Our own picnic is attached.

--b1
Content-Type: text/calendar; charset=utf-8; method=PUBLISH; name=picnic.ics
Content-Disposition: attachment; filename=picnic.ics

{published.decode()}
--b1--
"""
    )
