from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/p", tags=["participant page"], include_in_schema=False)
