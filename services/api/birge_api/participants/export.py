"""Chosen participants as a CSV file a spreadsheet opens, in the import's own columns.

UTF-8 with a BOM and `;` between cells, like the import template: Excel in a Russian or
Kyrgyz locale opens it as is, and the file can be imported again. Consent dates are in the
participant's city's local time, as a spreadsheet would hold them. Every export is audited
with its count, never its contents.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_api.deps import Actor
from birge_api.participants.history import participants_by_ids
from birge_api.participants.import_files import COLUMNS
from birge_shared import audit
from birge_shared.crypto import get_cipher
from birge_shared.models import City, Participant

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
EXPORT_COLUMNS = (*COLUMNS, "opted_out")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _text(value: str) -> str:
    """Free text a spreadsheet must not run as a formula (a name typed as `=HYPERLINK(...)`)."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _row(participant: Participant, zone: ZoneInfo) -> list[str]:
    cipher = get_cipher()

    def clear(token: str | None) -> str:
        return cipher.decrypt(token) if token else ""

    given = participant.consent_given_at
    return [
        _text(clear(participant.name_encrypted)),
        # E.164, checked on the way in: `+` and digits, which a spreadsheet reads as text.
        clear(participant.phone_encrypted),
        _text(clear(participant.email_encrypted)),
        participant.language.value,
        participant.city_code,
        participant.community.value if participant.community else "",
        participant.consent_method.value if participant.consent_method else "",
        participant.consent_text_version or "",
        given.astimezone(zone).strftime("%d.%m.%Y %H:%M") if given else "",
        "yes" if participant.opted_out_at else "",
    ]


def export_csv(*, session: Session, actor: Actor, participant_ids: Sequence[uuid.UUID]) -> bytes:
    participants = participants_by_ids(
        session=session, actor=actor, participant_ids=participant_ids
    )
    zones = {
        code: ZoneInfo(timezone)
        for code, timezone in session.execute(select(City.code, City.timezone))
    }
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for participant in participants:
        writer.writerow(_row(participant, zones[participant.city_code]))
    audit.record(
        session=session,
        actor_id=actor.user_id,
        action="participant.export",
        object_type="participant",
        details={"count": len(participants)},
    )
    return buffer.getvalue().encode("utf-8-sig")
