"""A message its channel cannot carry goes once on the person's next channel.

WhatsApp is being built beside this; here a test-only messenger stands in for it: the SMS
channel under the name `whatsapp`, with its own entry in the channel table, so the one
lifecycle and the one fallback are what is tested, not a provider.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from birge_shared.channels import ChannelChoice, opt_out, set_channels
from birge_shared.db import session_scope
from birge_shared.models import (
    Channel,
    ChannelOptInMethod,
    ChannelOptOutMethod,
    Invitation,
    InvitationBatch,
    InvitationStatus,
    Message,
    MessageChannel,
    MessageStatus,
)
from birge_shared.outbound import channels as channel_table
from birge_shared.outbound.channels import CHANNELS, ChannelSpec
from birge_shared.outbound.dedupe import parse_dedupe_key
from birge_shared.outbound.fallback import plan_fallback
from birge_shared.outbound.plan import plan_invitations
from birge_shared.tasks import SmsSend
from birge_workers.outbound.lifecycle import Outcome, send_chunk
from birge_workers.outbound.provider import PermanentProviderError
from birge_workers.outbound.wanted import CHANNEL_OFF
from birge_workers.sending.pacing import LocalTokenBucket
from birge_workers.sms.channel import SmsChannel
from birge_workers.sms.fake import FakeSmsProvider
from tests.integration.sending.conftest import Rows, any_hour_settings

NOT_ON_IT = PermanentProviderError("63003", "the number is not on this messenger", falls_back=True)


class SecondMessenger(SmsChannel):
    """A second messenger for these tests only: sends like SMS, under another name."""

    channel = MessageChannel.WHATSAPP


class RefusedAtCompose(SmsChannel):
    """A messenger that cannot build its message at all (no approved template)."""

    channel = MessageChannel.WHATSAPP

    def compose(self, **kwargs: object) -> object:  # type: ignore[override]
        raise NOT_ON_IT


@pytest.fixture(autouse=True)
def second_messenger(monkeypatch: pytest.MonkeyPatch) -> None:
    sms = CHANNELS[MessageChannel.SMS]
    table = dict(CHANNELS)
    table[MessageChannel.WHATSAPP] = ChannelSpec(
        channel=MessageChannel.WHATSAPP,
        purposes=sms.purposes,
        reachable=sms.reachable,
        send_task=lambda ids: SmsSend(message_ids=ids),
    )
    for module in ("birge_shared.outbound.plan", "birge_shared.outbound.fallback"):
        monkeypatch.setattr(f"{module}.CHANNELS", table)
    monkeypatch.setattr(channel_table, "CHANNELS", table)


def _send(channel: SmsChannel, message_ids: list[uuid.UUID]) -> dict[Outcome, int]:
    return dict(
        send_chunk(
            message_ids=message_ids,
            transaction=session_scope,
            channel=channel,
            pacer=LocalTokenBucket(1000, capacity=1000),
            settings=any_hour_settings(),
        )
    )


def _invited(
    rows: Rows, order: list[Channel], *, chosen: list[str] | None = None
) -> tuple[Invitation, uuid.UUID]:
    """One planned invitation of a person with channels in `order`, planned on the first."""
    batch, (invitation,) = rows.batch(rows.event(), planned=1)
    session = rows.session
    person = rows.participant_row(invitation.participant_id)
    set_channels(
        session=session,
        participant=session.merge(person),
        choices=[
            ChannelChoice(
                channel=channel,
                opt_in=ChannelOptInMethod.VERBAL if channel is Channel.WHATSAPP else None,
            )
            for channel in order
        ],
    )
    session.get_one(InvitationBatch, batch.id).channels = chosen
    planned = plan_invitations(session=session, invitation_ids=[invitation.id])
    session.commit()
    (message_id,) = planned.all()
    return invitation, message_id


def _messages(rows: Rows, invitation: Invitation) -> list[Message]:
    with rows.session.no_autoflush:
        rows.session.expire_all()
        return list(
            rows.session.scalars(
                select(Message)
                .where(Message.invitation_id == invitation.id)
                .order_by(Message.created_at)
            )
        )


def test_a_refusal_of_the_channel_plans_the_same_message_on_the_next_one(rows: Rows) -> None:
    invitation, first = _invited(rows, [Channel.WHATSAPP, Channel.SMS])
    assert rows.message(first).channel is MessageChannel.WHATSAPP
    refusing = FakeSmsProvider()
    refusing.fail_next(1, NOT_ON_IT)

    assert _send(SecondMessenger(refusing), [first]) == {Outcome.FAILED: 1}

    failed, fallback = _messages(rows, invitation)
    assert (failed.id, failed.status, failed.error_code) == (first, MessageStatus.FAILED, "63003")
    assert fallback.channel is MessageChannel.SMS
    assert fallback.status is MessageStatus.PLANNED
    assert fallback.fallback_of_id == first
    assert fallback.dedupe_key == f"invitation:{invitation.id}:sms:invitation:fallback"
    key = parse_dedupe_key(fallback.dedupe_key)
    assert key is not None
    assert key.fallback
    # The seat stays the person's while the fallback may reach them.
    assert rows.invitation(invitation.id).status is InvitationStatus.PLANNED
    # Queued through the outbox with the refusal.
    assert rows.queued_sends() == [[fallback.id]]

    provider = FakeSmsProvider()
    assert _send(SmsChannel(provider), [fallback.id]) == {Outcome.SENT: 1}
    assert len(provider.calls) == 1
    assert rows.invitation(invitation.id).status is InvitationStatus.SENT


def test_a_fallback_never_falls_back_again(rows: Rows) -> None:
    invitation, first = _invited(rows, [Channel.WHATSAPP, Channel.SMS])
    refusing = FakeSmsProvider()
    refusing.fail_next(2, NOT_ON_IT)
    _send(SecondMessenger(refusing), [first])
    (fallback_ids,) = rows.queued_sends()

    assert _send(SmsChannel(refusing), fallback_ids) == {Outcome.FAILED: 1}

    assert [m.status for m in _messages(rows, invitation)] == [MessageStatus.FAILED] * 2
    assert rows.queued_sends() == []
    # Nothing else can reach the person: the seat goes back.
    assert rows.invitation(invitation.id).status is InvitationStatus.FAILED
    # Asked again for the same message, the fallback plans nothing twice.
    with session_scope() as session:
        assert plan_fallback(session=session, message=session.get_one(Message, first)) is None


def test_a_refusal_of_the_message_itself_does_not_fall_back(rows: Rows) -> None:
    invitation, first = _invited(rows, [Channel.WHATSAPP, Channel.SMS])
    refusing = FakeSmsProvider()
    refusing.fail_next(1, PermanentProviderError("21211", "the number is not valid"))

    _send(SecondMessenger(refusing), [first])

    assert [m.status for m in _messages(rows, invitation)] == [MessageStatus.FAILED]
    assert rows.invitation(invitation.id).status is InvitationStatus.FAILED


def test_a_message_that_cannot_be_built_for_the_channel_falls_back(rows: Rows) -> None:
    invitation, first = _invited(rows, [Channel.WHATSAPP, Channel.SMS])

    assert _send(RefusedAtCompose(FakeSmsProvider()), [first]) == {Outcome.FAILED: 1}

    failed, fallback = _messages(rows, invitation)
    assert failed.status is MessageStatus.FAILED
    assert (fallback.channel, fallback.fallback_of_id) == (MessageChannel.SMS, first)


def test_the_next_channel_is_the_one_after_the_failed_one(rows: Rows) -> None:
    invitation, first = _invited(rows, [Channel.SMS, Channel.WHATSAPP])
    assert rows.message(first).channel is MessageChannel.SMS
    refusing = FakeSmsProvider()
    refusing.fail_next(1, NOT_ON_IT)

    _send(SmsChannel(refusing), [first])

    _, fallback = _messages(rows, invitation)
    assert fallback.channel is MessageChannel.WHATSAPP
    assert fallback.dedupe_key == f"invitation:{invitation.id}:whatsapp:invitation:fallback"


def test_a_fallback_stays_inside_the_channels_chosen_for_the_batch(rows: Rows) -> None:
    invitation, first = _invited(rows, [Channel.WHATSAPP, Channel.SMS], chosen=["whatsapp"])
    refusing = FakeSmsProvider()
    refusing.fail_next(1, NOT_ON_IT)

    _send(SecondMessenger(refusing), [first])

    assert [m.channel for m in _messages(rows, invitation)] == [MessageChannel.WHATSAPP]
    assert rows.invitation(invitation.id).status is InvitationStatus.FAILED


def test_a_channel_switched_off_since_planning_is_skipped_and_falls_back(rows: Rows) -> None:
    invitation, first = _invited(rows, [Channel.WHATSAPP, Channel.SMS])
    opt_out(
        session=rows.session,
        participant_id=invitation.participant_id,
        channel=Channel.WHATSAPP,
        method=ChannelOptOutMethod.COORDINATOR,
    )
    rows.session.commit()
    provider = FakeSmsProvider()

    assert _send(SecondMessenger(provider), [first]) == {Outcome.SKIPPED: 1}

    assert provider.calls == []
    skipped, fallback = _messages(rows, invitation)
    assert (skipped.status, skipped.error_reason) == (MessageStatus.SKIPPED, CHANNEL_OFF)
    assert (fallback.channel, fallback.fallback_of_id) == (MessageChannel.SMS, first)
    assert rows.invitation(invitation.id).status is InvitationStatus.PLANNED
    assert _send(SmsChannel(provider), [fallback.id]) == {Outcome.SENT: 1}
