"""The pseudonym survey answers are stored under.

An HMAC of the participant id with a key of its own (PSEUDONYM_KEY): the same person gets the
same pseudonym for the pre and post answers, so change can be measured per person, while the
answers carry no id, number or name that leads back to them.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid

from birge_shared.settings import get_settings


def pseudonym(participant_id: uuid.UUID, *, key: str | None = None) -> str:
    secret = key if key is not None else get_settings().pseudonym_key.get_secret_value()
    return hmac.new(secret.encode(), participant_id.bytes, hashlib.sha256).hexdigest()
