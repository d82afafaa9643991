"""A participant's channels under /v1/participants/{id}/channels: read, reorder, opt out.

Coordinators and admins only, within their cities, like the rest of a person's data. The
rules (what may be opted in by whom, what only the person can undo) are the shared package's
(`birge_shared.channels`); here they become problems and an audit entry.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from birge_api.deps import Actor
from birge_api.participants.service import get_participant
from birge_api.problems import invalid
from birge_shared import audit, channels
from birge_shared.models import Channel, ChannelOptInMethod, ChannelOptOutMethod


class ChannelRead(BaseModel):
    channel: Channel
    position: int = Field(description="0 is the most preferred")
    usable: bool = Field(description="Opted in and not opted out: messages may go here")
    opted_in_at: datetime | None
    opt_in_method: ChannelOptInMethod | None
    opted_out_at: datetime | None
    opt_out_method: ChannelOptOutMethod | None


class ChannelList(BaseModel):
    channels: list[ChannelRead]


class ChannelChoiceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: Channel
    opted_out: bool = Field(
        default=False,
        description="Switch the channel off; false switches back on one a coordinator switched "
        "off (a channel the person stopped comes back only by their own act)",
    )
    opt_in: ChannelOptInMethod | None = Field(
        default=None,
        description="Record the person's explicit opt-in (WhatsApp needs one): paper_form, "
        "verbal or web_form",
    )


class ChannelOrder(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channels: list[ChannelChoiceIn] = Field(
        max_length=len(Channel),
        description="Most preferred first; channels left out keep their records after these",
    )


def channel_list(states: Sequence[channels.ChannelState]) -> ChannelList:
    return ChannelList(
        channels=[
            ChannelRead(
                channel=state.channel,
                position=state.position,
                usable=state.usable,
                opted_in_at=state.opted_in_at,
                opt_in_method=state.opt_in_method,
                opted_out_at=state.opted_out_at,
                opt_out_method=state.opt_out_method,
            )
            for state in states
        ]
    )


def read_channels(
    *, session: Session, actor: Actor, participant_id: uuid.UUID
) -> list[channels.ChannelState]:
    participant = get_participant(session=session, actor=actor, participant_id=participant_id)
    return channels.channels_of(session, participant)


def set_channels(
    *,
    session: Session,
    actor: Actor,
    participant_id: uuid.UUID,
    choices: Sequence[channels.ChannelChoice],
) -> list[channels.ChannelState]:
    participant = get_participant(
        session=session, actor=actor, participant_id=participant_id, lock=True
    )
    try:
        states = channels.set_channels(session=session, participant=participant, choices=choices)
    except channels.ChannelChoiceError as exc:
        raise invalid(exc.field, exc.detail) from None
    audit.record(
        session=session,
        actor_id=actor.user_id,
        action="participant.channels",
        object_type="participant",
        object_id=participant.id,
        details={
            "order": [choice.channel.value for choice in choices],
            "opted_out": [choice.channel.value for choice in choices if choice.opted_out],
            "opted_in": [choice.channel.value for choice in choices if choice.opt_in],
        },
    )
    return states


def choices_from(order: ChannelOrder) -> list[channels.ChannelChoice]:
    return [
        channels.ChannelChoice(channel=item.channel, opted_out=item.opted_out, opt_in=item.opt_in)
        for item in order.channels
    ]
