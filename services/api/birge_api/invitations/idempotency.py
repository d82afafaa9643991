"""Idempotency-Key for "send invitations": a retried request returns the first batch.

A key belongs to the user who sent it (`UNIQUE(created_by_id, idempotency_key)`), and the
batch remembers a fingerprint of the request, so a replay can be told from a different
request that reuses the key by mistake.
"""

from __future__ import annotations

import hashlib
import json
import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from birge_api.invitations.schemas import InvitationRequest
from birge_api.problems import invalid
from birge_shared.models import InvitationBatch

#: The constraint a second batch with the same user and key runs into.
UNIQUE_KEY_CONSTRAINT = "uq_invitation_batch_created_by_id_idempotency_key"


def fingerprint(event_id: uuid.UUID, request: InvitationRequest) -> str:
    """sha256 of the event id and the parsed body as canonical JSON.

    The parsed body, not the raw bytes: key order, spacing and spelled-out defaults do not
    make a retry look like another request. The chosen channels count; left out, they are
    left out of the fingerprint too, which stays what it was before channels could be chosen.
    """
    body = request.model_dump(
        mode="json", exclude={"channels"} if request.channels is None else None
    )
    canonical = json.dumps(
        {"event_id": str(event_id), "body": body},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def find_batch(session: Session, *, user_id: uuid.UUID, key: str) -> InvitationBatch | None:
    return session.scalar(
        select(InvitationBatch).where(
            InvitationBatch.created_by_id == user_id, InvitationBatch.idempotency_key == key
        )
    )


def check_replay(batch: InvitationBatch, request_fingerprint: str) -> None:
    """Same key, same request: fine. Same key, another request: refused, nothing changes."""
    if batch.request_fingerprint != request_fingerprint:
        raise invalid(
            "Idempotency-Key",
            "this key was already used for a different request; use a new key",
            type_="idempotency-key-reused",
        )


def is_key_conflict(error: IntegrityError) -> bool:
    return UNIQUE_KEY_CONSTRAINT in str(error.orig)
