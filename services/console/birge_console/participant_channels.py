"""The channels section of a person's page: their order of preference, opt-ins, opt-outs.

A coordinator moves a channel up, switches one off (or back on, when a coordinator switched
it off), and records a WhatsApp opt-in the person gave on paper, by word or on a web form.
Each button is its own small form, so the section works without JavaScript; the rules are
the API's (`birge_api.participants.channels`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import Form
from fastapi.responses import RedirectResponse, Response

from birge_api.participants import channels as api_channels
from birge_console.context import ConsoleDep
from birge_console.i18n import N_
from birge_console.routing import console_router
from birge_shared.channels import (
    COORDINATOR_OPT_INS,
    COORDINATOR_UNDOES,
    ChannelChoice,
    ChannelState,
)
from birge_shared.models import Channel, ChannelOptInMethod, ChannelOptOutMethod

router = console_router()

CHANNEL_NAMES = {
    Channel.WHATSAPP: N_("WhatsApp"),
    Channel.TELEGRAM: N_("Telegram"),
    Channel.SMS: N_("SMS"),
    Channel.EMAIL: N_("E-mail"),
}
OPT_IN_NAMES = {
    ChannelOptInMethod.CONSENT: N_("Registration consent"),
    ChannelOptInMethod.PAPER_FORM: N_("Paper form"),
    ChannelOptInMethod.VERBAL: N_("Verbally"),
    ChannelOptInMethod.WEB_FORM: N_("Web form"),
    ChannelOptInMethod.TELEGRAM_START: N_("Started the Telegram bot"),
}
OPT_OUT_NAMES = {
    ChannelOptOutMethod.TELEGRAM_STOP: N_("Sent /stop to the bot"),
    ChannelOptOutMethod.BLOCKED: N_("Blocked the bot"),
    ChannelOptOutMethod.COORDINATOR: N_("Switched off by a coordinator"),
    ChannelOptOutMethod.NOT_ON_CHANNEL: N_("Not on this messenger, the provider said"),
}
ACTIONS = ("up", "off", "on", "opt_in", "add")


def section_context(states: Sequence[ChannelState]) -> dict[str, Any]:
    """What `participants/_channels.html` needs, besides the person and the form token."""
    listed = {state.channel for state in states}
    return {
        "channel_states": states,
        "channel_names": CHANNEL_NAMES,
        "opt_in_names": OPT_IN_NAMES,
        "opt_out_names": OPT_OUT_NAMES,
        "coordinator_opt_ins": sorted(COORDINATOR_OPT_INS, key=list(ChannelOptInMethod).index),
        "whatsapp_listed": Channel.WHATSAPP in listed,
        "coordinator_undoes": COORDINATOR_UNDOES,
    }


def _choices(
    states: Sequence[ChannelState], action: str, channel: Channel, method: str | None
) -> list[ChannelChoice]:
    """The whole new order, with the one change a button asked for."""
    order = [state.channel for state in states]
    if action == "add" and channel not in order:
        order.append(channel)
    if action == "up" and channel in order and order.index(channel) > 0:
        at = order.index(channel)
        order[at - 1], order[at] = order[at], order[at - 1]
    stopped = [state for state in states if state.opted_out_at is not None]
    off = {s.channel for s in stopped if s.opt_out_method in COORDINATOR_UNDOES}
    person_off = {s.channel for s in stopped if s.channel not in off}
    if action == "off":
        off.add(channel)
    if action == "on":
        off.discard(channel)
    opt_in = ChannelOptInMethod(method) if action == "opt_in" and method else None
    return [
        ChannelChoice(
            channel=each,
            opted_out=each in off or each in person_off,
            opt_in=opt_in if each is channel else None,
        )
        for each in order
    ]


@router.post("/console/participants/{participant_id}/channels")
def change_channels(
    console: ConsoleDep,
    participant_id: uuid.UUID,
    action: Annotated[str, Form(max_length=10)],
    channel: Annotated[Channel, Form()],
    method: Annotated[str | None, Form(max_length=20)] = None,
) -> Response:
    console.require_participant_reader()
    if action not in ACTIONS or (
        method is not None and method not in {choice.value for choice in ChannelOptInMethod}
    ):
        return RedirectResponse(f"/console/participants/{participant_id}", status_code=303)
    states = api_channels.read_channels(
        session=console.db, actor=console.actor, participant_id=participant_id
    )
    api_channels.set_channels(
        session=console.db,
        actor=console.actor,
        participant_id=participant_id,
        choices=_choices(states, action, channel, method),
    )
    return RedirectResponse(
        f"/console/participants/{participant_id}?channels=saved#channels", status_code=303
    )
