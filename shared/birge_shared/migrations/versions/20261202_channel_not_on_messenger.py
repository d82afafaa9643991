"""A channel can be switched off because the provider found no account there.

`participant_channel.opt_out_method` gains `not_on_channel`: WhatsApp's "not on WhatsApp"
(Twilio's 63003) switches the person's WhatsApp off, so later messages go straight to their
next channel instead of each paying for a refusal first. A coordinator may switch it on again.
Only the CHECK on the column's values changes.

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-02 03:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0037"
down_revision: str | None = "0036"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BEFORE = ("telegram_stop", "blocked", "coordinator")
_AFTER = (*_BEFORE, "not_on_channel")


def _allow(methods: Sequence[str]) -> None:
    listed = ", ".join(f"'{method}'" for method in methods)
    with op.batch_alter_table("participant_channel", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_participant_channel_channeloptoutmethod"), type_="check")
        batch_op.create_check_constraint("channeloptoutmethod", f"opt_out_method IN ({listed})")


def upgrade() -> None:
    _allow(_AFTER)


def downgrade() -> None:
    # The channel was off for a reason the older schema cannot name; a coordinator's switch-off
    # is the nearest: it is one a coordinator may undo, as this one was.
    op.execute(
        "UPDATE participant_channel SET opt_out_method = 'coordinator' "
        "WHERE opt_out_method = 'not_on_channel'"
    )
    _allow(_BEFORE)
