"""Keyset pagination: stable under inserts, and a capped page size."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

from birge_api.fields import within_bounds
from birge_api.problems import invalid

T = TypeVar("T")

MAX_LIMIT = 100


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


LimitQuery = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size (at most 100).")]
CursorQuery = Annotated[
    str | None, Query(max_length=200, description="`next_cursor` of the previous page.")
]


def encode_cursor(sort_value: datetime, row_id: uuid.UUID) -> str:
    raw = json.dumps([sort_value.isoformat(), str(row_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value: Any = json.loads(base64.urlsafe_b64decode(padded))
        moment, row_id = datetime.fromisoformat(value[0]), uuid.UUID(value[1])
    except (ValueError, TypeError, IndexError, binascii.Error, json.JSONDecodeError):
        raise invalid("cursor", "not a cursor returned by this API") from None
    if moment.tzinfo is None or not within_bounds(moment):
        # Every cursor this API writes carries an offset and a stored time; others are forged.
        raise invalid("cursor", "not a cursor returned by this API")
    return moment, row_id
