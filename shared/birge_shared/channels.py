"""A participant's channels in their order of preference, with what each one's use rests on.

Rows of `participant_channel` are the record; SMS and e-mail need no row to be usable: a
person registered with a phone or an e-mail and the registration consent is reachable there,
after the channels they ordered explicitly. WhatsApp is usable only after its own explicit
opt-in, Telegram only once the person linked their chat through the bot. A channel switched off
by the person (`/stop`, a blocked bot) comes back only by the person's own act on it; one
switched off by a coordinator can be switched on again by a coordinator.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from birge_shared.bulk import among
from birge_shared.crypto import get_cipher
from birge_shared.models import (
    Channel,
    ChannelOptInMethod,
    ChannelOptOutMethod,
    Participant,
    ParticipantChannel,
    TelegramLinkCode,
    TelegramUpdate,
    utcnow,
)

#: The keyed-hash kind of a Telegram chat id (`PiiCipher.lookup_hash`).
TELEGRAM_CHAT = "telegram-chat"

#: Opt-ins a coordinator may record on the person's word; Telegram's is the bot's alone.
COORDINATOR_OPT_INS = frozenset(
    {ChannelOptInMethod.PAPER_FORM, ChannelOptInMethod.VERBAL, ChannelOptInMethod.WEB_FORM}
)
#: Switch-offs a coordinator may undo: their own, and the provider's "no account there" (the
#: person may have joined since). What the person switched off only they can switch on.
COORDINATOR_UNDOES = frozenset(
    {ChannelOptOutMethod.COORDINATOR, ChannelOptOutMethod.NOT_ON_CHANNEL}
)


class ChannelChoiceError(ValueError):
    """A channel order or opt-in that cannot apply; `field` names the entry, by its index."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(detail)
        self.field = field
        self.detail = detail


@dataclass(frozen=True)
class ChannelState:
    channel: Channel
    position: int
    opted_in_at: datetime | None
    opt_in_method: ChannelOptInMethod | None
    opted_out_at: datetime | None
    opt_out_method: ChannelOptOutMethod | None

    @property
    def usable(self) -> bool:
        return self.opted_in_at is not None and self.opted_out_at is None


@dataclass(frozen=True)
class ChannelChoice:
    """One entry of a new order: the channel, whether it is off, an opt-in to record."""

    channel: Channel
    opted_out: bool = False
    opt_in: ChannelOptInMethod | None = None


@dataclass(frozen=True)
class Reach:
    """A usable channel and its address (phone, e-mail or chat id), for the sender only."""

    channel: Channel
    address: str


def _rows(session: Session, participant_id: uuid.UUID) -> list[ParticipantChannel]:
    return list(
        session.scalars(
            select(ParticipantChannel)
            .where(ParticipantChannel.participant_id == participant_id)
            .order_by(ParticipantChannel.position)
        )
    )


def _has_address(participant: Participant, channel: Channel) -> bool:
    if channel in (Channel.SMS, Channel.WHATSAPP):
        return participant.phone_encrypted is not None
    if channel is Channel.EMAIL:
        return participant.email_encrypted is not None
    return False  # a Telegram chat is known only from its row


def _implied(participant: Participant, listed: set[Channel]) -> list[Channel]:
    """SMS and e-mail reachable through the registration itself, when no row says otherwise."""
    return [
        channel
        for channel in (Channel.SMS, Channel.EMAIL)
        if channel not in listed and _has_address(participant, channel)
    ]


def _states(participant: Participant, rows: Sequence[ParticipantChannel]) -> list[ChannelState]:
    states = [
        ChannelState(
            channel=row.channel,
            position=index,
            opted_in_at=row.opted_in_at,
            opt_in_method=row.opt_in_method,
            opted_out_at=row.opted_out_at,
            opt_out_method=row.opt_out_method,
        )
        for index, row in enumerate(rows)
    ]
    for channel in _implied(participant, {row.channel for row in rows}):
        states.append(
            ChannelState(
                channel=channel,
                position=len(states),
                opted_in_at=participant.consent_given_at,
                opt_in_method=ChannelOptInMethod.CONSENT if participant.has_consent else None,
                opted_out_at=None,
                opt_out_method=None,
            )
        )
    return states


def channels_of(session: Session, participant: Participant) -> list[ChannelState]:
    """The person's channels, most preferred first."""
    return _states(participant, _rows(session, participant.id))


#: Participants per query of `usable_orders`: well under SQLite's limit on bound parameters.
_QUERY_IDS = 500


def rows_of(
    session: Session, participant_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, list[ParticipantChannel]]:
    """The channel rows of many people, in each one's order, in one query per 500 people."""
    rows: dict[uuid.UUID, list[ParticipantChannel]] = {}
    ids = list(participant_ids)
    for start in range(0, len(ids), _QUERY_IDS):
        for row in session.scalars(
            select(ParticipantChannel)
            .where(
                among(session, ParticipantChannel.participant_id, ids[start : start + _QUERY_IDS])
            )
            .order_by(ParticipantChannel.participant_id, ParticipantChannel.position)
        ):
            rows.setdefault(row.participant_id, []).append(row)
    return rows


def usable_orders(
    session: Session, participants: Sequence[Participant]
) -> dict[uuid.UUID, list[Channel]]:
    """Each person's usable channels, most preferred first (nothing is decrypted).

    What planning asks; whether the person may be written to at all (consent, a full
    opt-out) is the sender's question, asked when the message's turn comes.
    """
    rows = rows_of(session, {person.id for person in participants})
    return {
        person.id: [
            state.channel for state in _states(person, rows.get(person.id, [])) if state.usable
        ]
        for person in participants
    }


def reachable(session: Session, participant: Participant) -> list[Reach]:
    """Where a message to this person may go, in their order; empty after a full opt-out.

    This is what a sending pipeline asks: each entry carries the decrypted address, so its
    result must stay in memory (never in a log, a payload or an exception).
    """
    if participant.opted_out_at is not None or not participant.has_consent:
        return []
    cipher = get_cipher()
    by_channel = {row.channel: row for row in _rows(session, participant.id)}
    found: list[Reach] = []
    for state in channels_of(session, participant):
        if not state.usable:
            continue
        row = by_channel.get(state.channel)
        if row is not None and row.address_encrypted is not None:
            address = cipher.decrypt(row.address_encrypted)
        elif state.channel in (Channel.SMS, Channel.WHATSAPP) and participant.phone_encrypted:
            address = cipher.decrypt(participant.phone_encrypted)
        elif state.channel is Channel.EMAIL and participant.email_encrypted:
            address = cipher.decrypt(participant.email_encrypted)
        else:
            continue
        found.append(Reach(channel=state.channel, address=address))
    return found


def _check(
    participant: Participant,
    rows: dict[Channel, ParticipantChannel],
    index: int,
    choice: ChannelChoice,
) -> None:
    field = f"channels.{index}"
    if choice.channel is Channel.TELEGRAM and choice.channel not in rows:
        raise ChannelChoiceError(field, "Telegram is linked by the person through the bot")
    if choice.channel is not Channel.TELEGRAM and not _has_address(participant, choice.channel):
        raise ChannelChoiceError(field, "the participant has no address for this channel")
    if choice.opt_in is not None:
        if choice.channel is Channel.TELEGRAM or choice.opt_in not in COORDINATOR_OPT_INS:
            raise ChannelChoiceError(
                f"{field}.opt_in", "this opt-in cannot be recorded by a coordinator"
            )
        if choice.opted_out:
            raise ChannelChoiceError(f"{field}.opt_in", "an opt-in and an opt-out at once")
    row = rows.get(choice.channel)
    person_said_stop = (
        row is not None
        and row.opted_out_at is not None
        and row.opt_out_method not in COORDINATOR_UNDOES
    )
    if person_said_stop and not choice.opted_out:
        raise ChannelChoiceError(
            f"{field}.opted_out", "the person switched this channel off; only they can undo it"
        )


def set_channels(
    *,
    session: Session,
    participant: Participant,
    choices: Sequence[ChannelChoice],
    now: datetime | None = None,
) -> list[ChannelState]:
    """Apply a new order: the listed channels first, as listed; the rest keep theirs after.

    Every entry is checked before anything changes, so a refused order changes nothing.
    """
    moment = now or utcnow()
    rows = {row.channel: row for row in _rows(session, participant.id)}
    seen: set[Channel] = set()
    for index, choice in enumerate(choices):
        if choice.channel in seen:
            raise ChannelChoiceError(f"channels.{index}", "listed twice")
        seen.add(choice.channel)
        _check(participant, rows, index, choice)

    for choice in choices:
        row = rows.get(choice.channel)
        if row is None:
            row = ParticipantChannel(participant_id=participant.id, channel=choice.channel)
            if choice.channel in (Channel.SMS, Channel.EMAIL) and participant.has_consent:
                row.opted_in_at = participant.consent_given_at
                row.opt_in_method = ChannelOptInMethod.CONSENT
            session.add(row)
            rows[choice.channel] = row
        if choice.opt_in is not None:
            row.opted_in_at, row.opt_in_method = moment, choice.opt_in
        if choice.opted_out and row.opted_out_at is None:
            row.opted_out_at, row.opt_out_method = moment, ChannelOptOutMethod.COORDINATOR
        elif not choice.opted_out and row.opt_out_method in COORDINATOR_UNDOES:
            row.opted_out_at, row.opt_out_method = None, None
    listed = [rows[choice.channel] for choice in choices]
    rest = sorted(
        (row for channel, row in rows.items() if channel not in seen),
        key=lambda row: row.position if row.position is not None else len(rows),
    )
    for position, row in enumerate([*listed, *rest]):
        row.position = position
    session.flush()
    return channels_of(session, participant)


def link_telegram(
    *, session: Session, participant: Participant, chat_id: str, now: datetime | None = None
) -> ParticipantChannel:
    """The person pressed Start through their link: Telegram becomes their first channel."""
    moment = now or utcnow()
    cipher = get_cipher()
    rows = _rows(session, participant.id)
    row = next((row for row in rows if row.channel is Channel.TELEGRAM), None)
    if row is None:
        row = ParticipantChannel(participant_id=participant.id, channel=Channel.TELEGRAM)
        session.add(row)
    others = [other for other in rows if other is not row]
    # Channels that were only implied keep their place behind the ones the person has now.
    for channel in _implied(participant, {other.channel for other in rows}):
        implied = ParticipantChannel(
            participant_id=participant.id,
            channel=channel,
            opted_in_at=participant.consent_given_at,
            opt_in_method=ChannelOptInMethod.CONSENT if participant.has_consent else None,
        )
        session.add(implied)
        others.append(implied)
    row.address_encrypted = cipher.encrypt(chat_id)
    row.address_hash = cipher.lookup_hash(TELEGRAM_CHAT, chat_id)
    row.opted_in_at, row.opt_in_method = moment, ChannelOptInMethod.TELEGRAM_START
    row.opted_out_at, row.opt_out_method = None, None
    for position, each in enumerate([row, *others]):
        each.position = position
    session.flush()
    return row


def telegram_rows(session: Session, chat_id: str) -> list[ParticipantChannel]:
    """The Telegram channel rows linked to this chat (one person may be in two cities)."""
    chat_hash = get_cipher().lookup_hash(TELEGRAM_CHAT, chat_id)
    return list(
        session.scalars(
            select(ParticipantChannel)
            .where(
                ParticipantChannel.channel == Channel.TELEGRAM,
                ParticipantChannel.address_hash == chat_hash,
            )
            .with_for_update()
        )
    )


def opt_out(
    *,
    session: Session,
    participant_id: uuid.UUID,
    channel: Channel,
    method: ChannelOptOutMethod,
    now: datetime | None = None,
) -> bool:
    """Switch one channel off for one person (a provider's "blocked", the person's stop).

    True when it was on; the earlier opt-out stays the record when it was already off.
    """
    row = session.scalar(
        select(ParticipantChannel)
        .where(
            ParticipantChannel.participant_id == participant_id,
            ParticipantChannel.channel == channel,
        )
        .with_for_update()
    )
    if row is None or row.opted_out_at is not None:
        return False
    row.opted_out_at, row.opt_out_method = now or utcnow(), method
    session.flush()
    return True


def forget(session: Session, participant_id: uuid.UUID) -> int:
    """Erasure: the person's channels, chat ids, link codes and pending updates go for good."""
    removed = session.execute(
        delete(ParticipantChannel).where(ParticipantChannel.participant_id == participant_id)
    )
    session.execute(
        delete(TelegramLinkCode).where(TelegramLinkCode.participant_id == participant_id)
    )
    session.execute(delete(TelegramUpdate).where(TelegramUpdate.participant_id == participant_id))
    return int(getattr(removed, "rowcount", 0) or 0)
