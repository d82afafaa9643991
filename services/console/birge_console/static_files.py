"""The console's stylesheet, scripts and vendored libraries, served with long cache lifetimes.

Each URL carries a hash of the file's content (`/console/static/console.css?v=3f2a…`), so a
browser keeps a file until it changes and a slow connection downloads it once.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

STATIC = Path(__file__).parent / "static"
PREFIX = "/console/static"
_TYPES = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}

router = APIRouter(include_in_schema=False)


@cache
def _version(name: str) -> str:
    return hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:12]


def asset_url(name: str) -> str:
    return f"{PREFIX}/{name}?v={_version(name)}"


@router.get(PREFIX + "/{name:path}")
def static_file(name: str) -> FileResponse:
    path = (STATIC / name).resolve()
    if STATIC.resolve() not in path.parents or not path.is_file() or path.suffix not in _TYPES:
        raise HTTPException(status_code=404)
    return FileResponse(
        path,
        media_type=_TYPES[path.suffix],
        headers={
            "Cache-Control": "public, max-age=31536000, immutable",
            "X-Content-Type-Options": "nosniff",
        },
    )
