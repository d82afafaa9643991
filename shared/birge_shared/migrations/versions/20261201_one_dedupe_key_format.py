"""Outbound messages' dedupe keys in the one format

`<subject>:<subject id>:<channel>:<purpose>:<version>` (`birge_shared.outbound.dedupe`). Keys
written before had six shapes; a message planned under an old key and planned again after the
upgrade (a reminder at its tick, a survey link) would otherwise get a second row and be sent
twice. Inbound rows keep their webhook's key. The old shapes are read here by a frozen copy of
their writers' rules, so this migration does not change when the code does.

Revision ID: 0027
Revises: 0026
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CHANNELS = ("sms", "email")
_BATCH = 1000

_message = sa.table(
    "message",
    sa.column("id", sa.Uuid()),
    sa.column("direction", sa.String()),
    sa.column("channel", sa.String()),
    sa.column("purpose", sa.String()),
    sa.column("dedupe_key", sa.String()),
)


def new_key(key: str, *, channel: str, purpose: str) -> str | None:
    """The key in the one format, or None when it is in it already (or is no known shape)."""
    parts = key.split(":")
    if len(parts) < 2:
        return None
    subject, subject_id, rest = parts[0], parts[1], parts[2:]
    if len(rest) >= 3 and rest[0] in _CHANNELS:
        return None  # `invitation:<id>:sms|email:<purpose>:<sequence>`: already the format
    if subject == "invitation" and rest[:1] in (["invitation"], ["survey"]):
        version = "0"  # one invitation SMS; one survey link and one survey reminder
    elif subject == "invitation" and rest[:1] in (["reminder"], ["event_message"]):
        version = ":".join(rest[1:])  # offset:start epoch; the request's idempotency key
    elif subject == "reply":
        version = "0"  # `reply:<callback>` and `reply:<callback>:waiting`, told by purpose
    elif subject == "survey":
        version = ":".join(rest)  # the conversation's step: `question:1`, `hint:0`, `thanks`
    elif subject == "inbox-reply":
        subject, version = "coordinator_reply", ":".join(rest)
    else:
        return None
    return f"{subject}:{subject_id}:{channel}:{purpose}:{version or '0'}"


def upgrade() -> None:
    connection = op.get_bind()
    last = ""
    while True:
        rows = connection.execute(
            sa.select(_message.c.id, _message.c.channel, _message.c.purpose, _message.c.dedupe_key)
            .where(
                _message.c.direction == "outbound",
                _message.c.dedupe_key.is_not(None),
                _message.c.dedupe_key > last,
            )
            .order_by(_message.c.dedupe_key)
            .limit(_BATCH)
        ).all()
        if not rows:
            return
        for message_id, channel, purpose, key in rows:
            replacement = new_key(key, channel=channel, purpose=purpose)
            if replacement is not None:
                connection.execute(
                    sa.update(_message)
                    .where(_message.c.id == message_id)
                    .values(dedupe_key=replacement)
                )
        last = rows[-1][3]


def downgrade() -> None:
    # The old shapes are not written back: keys in the one format stay unique, and the code of
    # the revision before reads only its own shapes for reminders (whose stale check then
    # skips a reminder it cannot parse rather than sending it twice).
    return
