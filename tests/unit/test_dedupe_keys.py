"""The one dedupe-key format: written, parsed back, and what the migration makes of old keys."""

from __future__ import annotations

import importlib.util
import uuid
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

from birge_shared.followup import parse_reminder_key, reminder_dedupe_key
from birge_shared.models import MessageChannel, MessagePurpose
from birge_shared.outbound.dedupe import DedupeKey, KeySubject, parse_dedupe_key

MIGRATION = (
    Path(__file__).parents[2]
    / "shared/birge_shared/migrations/versions/20261201_one_dedupe_key_format.py"
)


def _migration() -> ModuleType:
    spec = importlib.util.spec_from_file_location("one_dedupe_key_format", MIGRATION)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_key_reads_back_as_written_and_its_version_may_hold_colons() -> None:
    key = DedupeKey(
        subject=KeySubject.CONVERSATION,
        subject_id=str(uuid.uuid4()),
        channel=MessageChannel.SMS,
        purpose=MessagePurpose.SURVEY_HINT,
        version="hint:2",
    )
    assert parse_dedupe_key(str(key)) == key
    assert parse_dedupe_key("reply:12") is None
    assert parse_dedupe_key("invitation:x:fax:invitation:0") is None
    assert parse_dedupe_key(None) is None


def test_a_reminder_key_carries_its_offset_and_start() -> None:
    starts_at = datetime(2026, 12, 24, 15, 0, tzinfo=UTC)
    key = reminder_dedupe_key(uuid.uuid4(), 120, starts_at)
    assert parse_reminder_key(key) == (120, int(starts_at.timestamp()))
    assert parse_reminder_key(key.replace(":reminder:", ":invitation:")) is None


def test_the_migration_gives_old_keys_the_key_the_code_now_writes() -> None:
    new_key = _migration().new_key
    invitation = uuid.uuid4()
    starts_at = datetime(2026, 12, 24, 15, 0, tzinfo=UTC)
    epoch = int(starts_at.timestamp())

    def written(purpose: MessagePurpose, version: str = "0", **kwargs: object) -> str:
        fields: dict[str, object] = {
            "subject": KeySubject.INVITATION,
            "subject_id": str(invitation),
            "channel": MessageChannel.SMS,
            "purpose": purpose,
            "version": version,
            **kwargs,
        }
        return str(DedupeKey(**fields))  # type: ignore[arg-type]

    cases = [
        (f"invitation:{invitation}:invitation", "sms", MessagePurpose.INVITATION),
        (f"invitation:{invitation}:reminder:120:{epoch}", "sms", MessagePurpose.REMINDER),
        (f"invitation:{invitation}:survey:post", "sms", MessagePurpose.SURVEY_POST),
        (f"invitation:{invitation}:survey:reminder", "sms", MessagePurpose.SURVEY_REMINDER),
        (f"invitation:{invitation}:event_message:k1", "sms", MessagePurpose.EVENT_MESSAGE),
        ("reply:42", "sms", MessagePurpose.HELP),
        ("reply:42:waiting", "sms", MessagePurpose.INVITATION_WAITING),
        (f"survey:{invitation}:hint:0", "sms", MessagePurpose.SURVEY_HINT),
        (f"inbox-reply:{invitation}:k2", "sms", MessagePurpose.COORDINATOR_REPLY),
    ]
    expected = [
        written(MessagePurpose.INVITATION),
        reminder_dedupe_key(invitation, 120, starts_at),
        written(MessagePurpose.SURVEY_POST),
        written(MessagePurpose.SURVEY_REMINDER),
        written(MessagePurpose.EVENT_MESSAGE, "k1"),
        written(MessagePurpose.HELP, subject=KeySubject.REPLY, subject_id="42"),
        written(MessagePurpose.INVITATION_WAITING, subject=KeySubject.REPLY, subject_id="42"),
        written(MessagePurpose.SURVEY_HINT, "hint:0", subject=KeySubject.CONVERSATION),
        written(MessagePurpose.COORDINATOR_REPLY, "k2", subject=KeySubject.INBOX_ANSWER),
    ]
    assert [
        new_key(key, channel=channel, purpose=purpose.value) for key, channel, purpose in cases
    ] == expected
    already = written(MessagePurpose.EVENT_CHANGED, "3", channel=MessageChannel.EMAIL)
    assert new_key(already, channel="email", purpose="event_changed") is None


def test_a_fallback_key_says_so_and_keeps_the_replaced_messages_version() -> None:
    invitation = str(uuid.uuid4())
    first = DedupeKey(
        subject=KeySubject.INVITATION,
        subject_id=invitation,
        channel=MessageChannel.WHATSAPP,
        purpose=MessagePurpose.INVITATION,
    )
    fallback = first.falling_back_to(MessageChannel.SMS)
    assert str(fallback) == f"invitation:{invitation}:sms:invitation:fallback"
    assert parse_dedupe_key(str(fallback)) == fallback
    assert fallback.fallback
    assert not first.fallback

    starts_at = datetime(2026, 12, 24, 15, 0, tzinfo=UTC)
    reminder = parse_dedupe_key(reminder_dedupe_key(uuid.UUID(invitation), 120, starts_at))
    assert reminder is not None
    moved = str(reminder.falling_back_to(MessageChannel.WHATSAPP))
    assert moved.endswith(f":whatsapp:reminder:fallback:120:{int(starts_at.timestamp())}")
    # The reminder's own rules still read its offset and start from the fallback's key.
    assert parse_reminder_key(moved) == (120, int(starts_at.timestamp()))
    parsed = parse_dedupe_key(moved)
    assert parsed is not None
    assert parsed.fallback
    assert parsed.version == reminder.version
