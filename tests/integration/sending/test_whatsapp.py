"""A WhatsApp invitation end to end: sent as its template through the real SDK, read, and
accepted by its button exactly once, the confirmation going back on WhatsApp as free text
inside the window the tap opened."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from birge_api.webhooks.service import record_inbound, record_status
from birge_shared.db import session_scope
from birge_shared.models import (
    Channel,
    ChannelOptOutMethod,
    Invitation,
    InvitationStatus,
    Message,
    MessageChannel,
    MessageDirection,
    MessagePurpose,
    MessageStatus,
    Participant,
    ParticipantChannel,
    ProviderCallback,
    utcnow,
)
from birge_shared.outbound.plan import plan_invitations, queue_planned
from birge_workers.callbacks.process import CallbackOutcome, process_callback
from birge_workers.outbound.lifecycle import Outcome
from birge_workers.whatsapp.channel import WhatsAppChannel
from tests.fakes.fake_messages_api import FakeMessagesApi, ScriptedAnswer
from tests.integration.sending.conftest import Rows
from tests.integration.sending.whatsapp import (
    INVITATION_SID,
    WHATSAPP_FROM,
    approved_invitation_templates,
    drain_whatsapp,
    opt_in,
    whatsapp_channel,
    whatsapp_switched_on,
)


@pytest.fixture
def whatsapp(
    messages_api: FakeMessagesApi, raw_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FakeMessagesApi]:
    with (
        whatsapp_switched_on(
            monkeypatch,
            account_sid=messages_api.account_sid,
            auth_token=messages_api.auth_token,
            api_base=messages_api.base_url,
        ),
        approved_invitation_templates(raw_engine),
    ):
        yield messages_api


@pytest.fixture
def callbacks(raw_engine: Engine) -> Iterator[list[str]]:
    """The sids of the webhooks a test stores; their rows are deleted afterwards."""
    sids: list[str] = []
    yield sids
    with Session(raw_engine) as session:
        session.execute(delete(ProviderCallback).where(ProviderCallback.message_sid.in_(sids)))
        session.commit()


def stored(session: Session, dedupe_key: str) -> ProviderCallback:
    return session.scalars(
        select(ProviderCallback).where(ProviderCallback.dedupe_key == dedupe_key)
    ).one()


def apply(engine: Engine, callback_id: int) -> CallbackOutcome:
    with Session(engine) as session:
        outcome = process_callback(session=session, callback_id=callback_id, now=utcnow())
        session.commit()
        return outcome


def report(
    engine: Engine, sids: list[str], sid: str, status: str, error_code: str | None = None
) -> CallbackOutcome:
    sids.append(sid)
    with Session(engine) as session:
        record_status(session=session, message_sid=sid, status=status, error_code=error_code)
        session.commit()
        callback_id = stored(session, f"status:{sid}:{status}").id
    return apply(engine, callback_id)


def tap(
    engine: Engine, sids: list[str], *, inbound_sid: str, phone: str, payload: str, under: str
) -> int | None:
    """A quick-reply tap as Twilio posts it; the stored callback's id, None when a repeat."""
    sids.append(inbound_sid)
    with Session(engine) as session:
        new = record_inbound(
            session=session,
            message_sid=inbound_sid,
            sender="whatsapp:" + phone,
            body="Приду",
            button_payload=payload,
            replied_sid=under,
        )
        session.commit()
        return stored(session, f"inbound:{inbound_sid}").id if new else None


def test_an_invitation_goes_as_its_template_is_read_and_its_button_accepts_it_once(
    rows: Rows, whatsapp: FakeMessagesApi, raw_engine: Engine, callbacks: list[str]
) -> None:
    event = rows.event()
    _, (invitation,) = rows.batch(event, planned=1)
    phone = rows.phones[invitation.participant_id]
    opt_in(rows.session, invitation.participant_id)
    with session_scope() as session:
        planned = plan_invitations(session=session, invitation_ids=[invitation.id])
        queue_planned(session=session, planned=planned)
    # WhatsApp, first in the person's order, carries it; no SMS beside it.
    assert len(planned.of(MessageChannel.WHATSAPP)) == 1
    assert planned.of(MessageChannel.SMS) == []
    channel = whatsapp_channel(
        account_sid=whatsapp.account_sid,
        auth_token=whatsapp.auth_token,
        api_base=whatsapp.base_url,
    )

    assert drain_whatsapp(rows, channel) == {Outcome.SENT: 1}

    [form] = whatsapp.recent_forms
    assert form["To"] == "whatsapp:" + phone
    assert form["From"] == "whatsapp:" + WHATSAPP_FROM
    assert form["ContentSid"] == INVITATION_SID
    assert "Body" not in form
    variables = json.loads(form["ContentVariables"])
    assert variables["1"] == "Плов вместе"
    assert variables["3"] == "Community kitchen"
    assert variables["4"].endswith("/p/" + rows.invitation(invitation.id).token)
    assert form["StatusCallback"].endswith("/webhooks/twilio/status")
    [message_id] = planned.of(MessageChannel.WHATSAPP)
    sent = rows.message(message_id)
    assert sent.status is MessageStatus.QUEUED
    assert sent.provider_sid is not None
    assert rows.invitation(invitation.id).status is InvitationStatus.SENT

    # Delivered, then read; a late "sent" moves nothing back.
    sid = sent.provider_sid
    assert report(raw_engine, callbacks, sid, "delivered") is CallbackOutcome.PROCESSED
    assert report(raw_engine, callbacks, sid, "read") is CallbackOutcome.PROCESSED
    assert report(raw_engine, callbacks, sid, "sent") is CallbackOutcome.PROCESSED
    read = rows.message(message_id)
    assert read.status is MessageStatus.READ
    assert read.delivered_at is not None

    # The Accept button under the invitation, and Twilio delivering the same webhook again.
    inbound_sid = "SM" + uuid.uuid4().hex
    first = tap(
        raw_engine, callbacks, inbound_sid=inbound_sid, phone=phone, payload="accept", under=sid
    )
    assert first is not None
    again = tap(
        raw_engine, callbacks, inbound_sid=inbound_sid, phone=phone, payload="accept", under=sid
    )
    assert again is None
    assert apply(raw_engine, first) is CallbackOutcome.PROCESSED
    assert apply(raw_engine, first) is CallbackOutcome.ALREADY_PROCESSED

    answered = rows.invitation(invitation.id)
    assert answered.status is InvitationStatus.ACCEPTED
    with Session(raw_engine) as session:
        row = session.scalars(
            select(ParticipantChannel).where(
                ParticipantChannel.participant_id == invitation.participant_id,
                ParticipantChannel.channel == Channel.WHATSAPP,
            )
        ).one()
        # The tap opened the 24-hour window.
        assert row.last_inbound_at is not None
        inbound = session.scalars(
            select(Message).where(
                Message.participant_id == invitation.participant_id,
                Message.direction == MessageDirection.INBOUND,
            )
        ).all()
        answers = session.scalars(
            select(Message).where(
                Message.participant_id == invitation.participant_id,
                Message.purpose == MessagePurpose.ACCEPTED.value,
            )
        ).all()
    assert [(m.channel, m.purpose) for m in inbound] == [
        (MessageChannel.WHATSAPP, MessagePurpose.REPLY_ACCEPT.value)
    ]
    assert inbound[0].invitation_id == invitation.id
    # One confirmation, on WhatsApp, for the one answer.
    assert [m.channel for m in answers] == [MessageChannel.WHATSAPP]

    # No template for the confirmation: it goes as text, inside the window the tap opened.
    assert drain_whatsapp(rows, channel) == {Outcome.SENT: 1}
    confirmation = whatsapp.recent_forms[-1]
    assert confirmation["To"] == "whatsapp:" + phone
    assert "ContentSid" not in confirmation
    assert "Плов вместе" in confirmation["Body"]
    assert rows.message(answers[0].id).status is MessageStatus.QUEUED
    assert whatsapp.creates_by_to["whatsapp:" + phone] == 2
    assert rows.invitation(invitation.id).responded_at == answered.responded_at


def test_a_person_without_a_whatsapp_opt_in_gets_the_invitation_by_sms(
    rows: Rows, whatsapp: FakeMessagesApi
) -> None:
    _, (invitation,) = rows.batch(rows.event(), planned=1)
    with session_scope() as session:
        planned = plan_invitations(session=session, invitation_ids=[invitation.id])
    assert planned.of(MessageChannel.WHATSAPP) == []
    assert len(planned.of(MessageChannel.SMS)) == 1


def test_without_a_whatsapp_sender_whatsapp_is_off_and_sms_carries_the_invitation(
    rows: Rows, raw_engine: Engine
) -> None:
    _, (invitation,) = rows.batch(rows.event(), planned=1)
    opt_in(rows.session, invitation.participant_id)
    with session_scope() as session:
        planned = plan_invitations(session=session, invitation_ids=[invitation.id])
    assert planned.of(MessageChannel.WHATSAPP) == []
    assert len(planned.of(MessageChannel.SMS)) == 1


def _planned_on_whatsapp(
    rows: Rows, whatsapp: FakeMessagesApi
) -> tuple[Invitation, uuid.UUID, WhatsAppChannel]:
    """One invitation of an opted-in person, planned and queued on WhatsApp, and the channel
    as workers build it to send it."""
    _, (invitation,) = rows.batch(rows.event(), planned=1)
    opt_in(rows.session, invitation.participant_id)
    with session_scope() as session:
        planned = plan_invitations(session=session, invitation_ids=[invitation.id])
        queue_planned(session=session, planned=planned)
    [message_id] = planned.of(MessageChannel.WHATSAPP)
    channel = whatsapp_channel(
        account_sid=whatsapp.account_sid,
        auth_token=whatsapp.auth_token,
        api_base=whatsapp.base_url,
    )
    return invitation, message_id, channel


def test_a_late_whatsapp_refusal_sends_the_invitation_once_by_sms_and_keeps_the_seat(
    rows: Rows, whatsapp: FakeMessagesApi, raw_engine: Engine, callbacks: list[str]
) -> None:
    invitation, message_id, channel = _planned_on_whatsapp(rows, whatsapp)
    assert drain_whatsapp(rows, channel) == {Outcome.SENT: 1}
    sid = rows.message(message_id).provider_sid
    assert sid is not None

    # Twilio accepted it, then WhatsApp reports 63016 (outside the window) as a late status.
    def refused(status: str) -> CallbackOutcome:
        callbacks.append(sid)
        with Session(raw_engine) as session:
            record_status(session=session, message_sid=sid, status=status, error_code="63016")
            session.commit()
            callback_id = stored(session, f"status:{sid}:{status}").id
        return apply(raw_engine, callback_id)

    assert refused("undelivered") is CallbackOutcome.PROCESSED
    assert refused("failed") is CallbackOutcome.PROCESSED  # a later report changes nothing

    with Session(raw_engine) as session:
        fallbacks = session.scalars(
            select(Message).where(Message.fallback_of_id == message_id)
        ).all()
    assert [m.channel for m in fallbacks] == [MessageChannel.SMS]
    assert rows.message(message_id).status is MessageStatus.UNDELIVERED
    # The seat stays the person's while the SMS may still reach them.
    assert rows.invitation(invitation.id).status is InvitationStatus.SENT


@pytest.mark.parametrize("when", ["at sending", "in a later status"])
def test_not_on_whatsapp_switches_the_persons_whatsapp_off_for_their_next_messages(
    rows: Rows, whatsapp: FakeMessagesApi, raw_engine: Engine, callbacks: list[str], when: str
) -> None:
    invitation, message_id, channel = _planned_on_whatsapp(rows, whatsapp)
    # WhatsApp says the number has no account (63003): when Twilio is asked, or afterwards.
    if when == "at sending":
        whatsapp.refuse_number(
            "whatsapp:" + rows.phones[invitation.participant_id],
            ScriptedAnswer(400, 63003, "Channel could not find To address"),
        )
        assert drain_whatsapp(rows, channel) == {Outcome.FAILED: 1}
    else:
        assert drain_whatsapp(rows, channel) == {Outcome.SENT: 1}
        sid = rows.message(message_id).provider_sid
        assert sid is not None
        outcome = report(raw_engine, callbacks, sid, "undelivered", error_code="63003")
        assert outcome is CallbackOutcome.PROCESSED

    with Session(raw_engine) as session:
        row = session.scalars(
            select(ParticipantChannel).where(
                ParticipantChannel.participant_id == invitation.participant_id,
                ParticipantChannel.channel == Channel.WHATSAPP,
            )
        ).one()
        fallbacks = session.scalars(
            select(Message.channel).where(Message.fallback_of_id == message_id)
        ).all()
    assert row.opt_out_method is ChannelOptOutMethod.NOT_ON_CHANNEL
    assert row.opted_out_at is not None
    assert fallbacks == [MessageChannel.SMS]

    # The person's next invitation does not pay for a second refusal: it goes by SMS at once.
    person = rows.participant_row(invitation.participant_id)

    def same_person(**_: object) -> Participant:
        return person

    _, (second,) = rows.batch(rows.event(), planned=1, person=same_person)
    with session_scope() as session:
        again = plan_invitations(session=session, invitation_ids=[second.id])
    assert again.of(MessageChannel.WHATSAPP) == []
    assert len(again.of(MessageChannel.SMS)) == 1
