"""Liveness and readiness: /healthz says the process is up, /readyz that it can do work."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from birge_shared.broker import check_broker
from birge_shared.db import get_engine
from birge_shared.settings import get_settings

router = APIRouter(tags=["health"])
log = logging.getLogger(__name__)


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


def _check_database() -> None:
    with get_engine().connect() as connection:
        connection.execute(text("SELECT 1"))


@router.get("/readyz", responses={503: {"description": "A dependency is not reachable"}})
async def readyz() -> JSONResponse:
    checks: dict[str, str] = {}
    for name, check in (("database", _check_database), ("broker", _broker)):
        try:
            await run_in_threadpool(check)
            checks[name] = "ok"
        except Exception as exc:
            log.warning(
                "readiness check failed", extra={"check": name, "error": type(exc).__name__}
            )
            checks[name] = "unreachable"
    ready = all(value == "ok" for value in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "unavailable", "checks": checks},
        status_code=200 if ready else 503,
    )


def _broker() -> None:
    check_broker(get_settings())
