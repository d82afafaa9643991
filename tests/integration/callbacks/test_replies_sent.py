"""The replies a worker plans are the ones the sending side renders and lets through.

`claim_for_sending` is the step of `sms.send` that decides whether a planned message still
goes out and renders its text, so it shows what the participant would receive.
"""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from birge_shared.crypto import get_cipher
from birge_shared.models import (
    InvitationStatus,
    Language,
    Message,
    MessagePurpose,
    MessageStatus,
    Participant,
    utcnow,
)
from birge_shared.outbound.plan import plan_one
from birge_shared.settings import get_settings
from birge_shared.sms.templates import DEFAULT_TEMPLATES
from birge_workers.outbound.lifecycle import Outcome
from tests.factories import make_event, make_invitation, make_participant
from tests.integration.callbacks.conftest import inbound_callback, outbound, process
from tests.integration.claiming import ClaimedSms, claim_sms


def _reply(db: Session, participant: Participant, text: str) -> list[Message]:
    before = {message.id for message in outbound(db, participant)}
    phone = get_cipher().decrypt(participant.phone_encrypted or "")
    process(db, inbound_callback(db, phone, text))
    db.refresh(participant)
    return [message for message in outbound(db, participant) if message.id not in before]


def _claim(db: Session, message: Message) -> ClaimedSms | Outcome:
    return claim_sms(session=db, message_id=message.id, settings=get_settings(), now=utcnow())


@pytest.mark.parametrize(
    ("language", "text", "words"),
    [
        (Language.KY, "ООБА", ("рахмат", "Бирге футбол")),
        (Language.RU, "да", ("спасибо", "Футбол вместе")),
        (Language.EN, "yes", ("thank you", "Football together")),
    ],
)
def test_an_accepted_confirmation_is_rendered_with_the_event_in_the_persons_language(
    db: Session, language: Language, text: str, words: tuple[str, str]
) -> None:
    participant = make_participant(db, language=language)
    make_invitation(db, event=make_event(db), participant=participant)

    [confirmation, _pre_question] = _reply(db, participant, text)
    claimed = _claim(db, confirmation)

    assert isinstance(claimed, ClaimedSms)
    assert all(word in claimed.body for word in words)


def test_the_opt_out_confirmation_goes_out_and_later_invitations_do_not(db: Session) -> None:
    participant = make_participant(db, language=Language.RU)
    invitation = make_invitation(
        db, event=make_event(db), participant=participant, status=InvitationStatus.PLANNED
    )
    planned_id = plan_one(
        session=db,
        purpose=MessagePurpose.INVITATION,
        participant_id=participant.id,
        invitation_id=invitation.id,
    )
    planned_invitation = db.get(Message, planned_id)
    assert planned_invitation is not None

    [confirmation] = _reply(db, participant, "СТОП")
    [help_text] = _reply(db, participant, "помощь")

    claimed = _claim(db, confirmation)
    assert isinstance(claimed, ClaimedSms)
    assert claimed.body == DEFAULT_TEMPLATES["opted_out"][Language.RU]
    claimed_help = _claim(db, help_text)
    assert isinstance(claimed_help, ClaimedSms)
    assert claimed_help.body == DEFAULT_TEMPLATES["help"][Language.RU]
    # The invitation planned before the STOP was skipped by the STOP: its turn never comes.
    db.refresh(planned_invitation)
    assert planned_invitation.status is MessageStatus.SKIPPED
    assert _claim(db, planned_invitation) is Outcome.NOT_PLANNED


def test_a_plain_reply_has_no_invitation_and_renders_without_one(db: Session) -> None:
    participant = make_participant(db, language=Language.EN)
    make_invitation(db, event=make_event(db), participant=participant)

    [hint] = _reply(db, participant, "see you!")

    assert hint.invitation_id is None
    claimed = _claim(db, hint)
    assert isinstance(claimed, ClaimedSms)
    assert claimed.body == DEFAULT_TEMPLATES["reply_hint"][Language.EN]
