from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1/message-templates", tags=["message templates"])
