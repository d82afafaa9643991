"""Refuse the NUL character in path, query and JSON input, naming the field.

PostgreSQL cannot store U+0000 in a text column: a name, a city code or a venue carrying one
reached the database and failed there as a 500. One check at the edge, applied to every route,
turns that into a 422 problem before any service runs, whatever the schema of the route.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from fastapi import Request

from birge_api.problems import invalid

_NUL = "\x00"
_DETAIL = "must not contain the NUL character"


def _json_paths(value: Any, prefix: str) -> Iterator[str]:
    """Field paths (`venue.name`, `participant_ids.0`) of strings that contain NUL."""
    if isinstance(value, str):
        if _NUL in value:
            yield prefix or "body"
    elif isinstance(value, dict):
        for key, item in value.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if _NUL in str(key):
                yield path
            yield from _json_paths(item, path)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _json_paths(item, f"{prefix}.{index}" if prefix else str(index))


def _is_json(request: Request) -> bool:
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


async def refuse_nul(request: Request) -> None:
    for name, value in request.path_params.items():
        if _NUL in str(value):
            raise invalid(f"path.{name}", _DETAIL)
    for name, value in request.query_params.multi_items():
        if _NUL in name or _NUL in value:
            raise invalid(f"query.{name}", _DETAIL)
    if not _is_json(request):
        return
    # The body is already in memory (capped by the size limit) and cached by the request, so
    # the route reads the same bytes again without cost.
    try:
        first = next(_json_paths(json.loads(await request.body()), ""), None)
    except (ValueError, RecursionError):
        # Unparseable or absurdly nested JSON is the route's own 400/422 to report.
        return
    if first is not None:
        raise invalid(first, _DETAIL)
