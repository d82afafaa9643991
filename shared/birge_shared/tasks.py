"""The contract between the API, the outbox relay and the workers: task names and payloads.

Payloads carry ids only. A payload model rejects any extra field, so a phone number or a text
cannot ride along by accident.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from pydantic import BaseModel, ConfigDict


class TaskPayload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    task_name: ClassVar[str]


class EventCancelled(TaskPayload):
    """An event was cancelled: its open invitations are withdrawn."""

    task_name: ClassVar[str] = "events.cancelled"
    event_id: uuid.UUID


# Periodic tasks, scheduled by beat rather than the outbox; they take no arguments.
OUTBOX_RELAY = "outbox.relay"
EVENTS_COMPLETE_PAST = "events.complete_past"

#: Every task published through the outbox, by name.
OUTBOX_TASKS: dict[str, type[TaskPayload]] = {
    payload.task_name: payload for payload in (EventCancelled,)
}

#: Every task name a worker must register.
ALL_TASK_NAMES: frozenset[str] = frozenset({*OUTBOX_TASKS, OUTBOX_RELAY, EVENTS_COMPLETE_PAST})
