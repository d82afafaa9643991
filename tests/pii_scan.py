"""Finding personal data where it must never be: log lines and broker messages.

Phone numbers and e-mail addresses have recognisable shapes, so a scan needs no list of the
people a test created: anything shaped like one is a leak.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

import redis

PHONE = re.compile(r"\+\d{10,15}\b")
EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")


def leaks(texts: Iterable[str]) -> list[str]:
    """The phone- or e-mail-shaped strings in `texts`."""
    found: list[str] = []
    for text in texts:
        found += PHONE.findall(text) + EMAIL.findall(text)
    return found


def mentions(texts: Iterable[str], values: Iterable[str]) -> list[str]:
    """The given personal values (chat ids, which have no shape of their own) in `texts`."""
    wanted = [value for value in values if value]
    return [value for text in texts for value in wanted if value in text]


def _text(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else value


def _decoded(raw: str) -> str:
    """A kombu message with its base64 body decoded, so the task arguments are searched too."""
    try:
        message: Any = json.loads(raw)
    except json.JSONDecodeError:
        return raw
    if isinstance(message, dict) and message.get("properties", {}).get("body_encoding") == (
        "base64"
    ):
        try:
            body = base64.b64decode(message.get("body", "")).decode(errors="replace")
        except (binascii.Error, ValueError):
            body = ""
        return raw + "\n" + body
    return raw


def broker_texts(client: redis.Redis) -> Iterator[str]:
    """Every list item, string and hash value in one Redis database, messages decoded.

    (Sorted sets hold only kombu's delivery tags, never message contents.)
    """
    for key in client.scan_iter():
        kind = _text(client.type(key))
        if kind == "list":
            for item in client.lrange(key, 0, -1):
                yield _decoded(_text(item))
        elif kind == "string":
            yield _decoded(_text(client.get(key) or b""))
        elif kind == "hash":
            for value in client.hvals(key):
                yield _decoded(_text(value))
