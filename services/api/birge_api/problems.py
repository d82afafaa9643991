"""RFC 9457 problem details: every error the API returns has a stable `type`."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_TYPE_BASE = "https://birge.kg/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"

log = logging.getLogger(__name__)


class Problem(Exception):  # noqa: N818 - it is the RFC's name for the thing
    """An error the caller can read: raise it from any service function or router."""

    def __init__(
        self,
        *,
        status: int,
        type_: str,
        title: str,
        detail: str | None = None,
        errors: Sequence[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(title)
        self.status = status
        self.type_ = type_
        self.title = title
        self.detail = detail
        self.errors = list(errors) if errors is not None else None
        self.headers = headers
        self.extra = extra

    def body(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": PROBLEM_TYPE_BASE + self.type_,
            "title": self.title,
            "status": self.status,
        }
        if self.detail:
            body["detail"] = self.detail
        if instance:
            body["instance"] = instance
        if self.errors is not None:
            body["errors"] = self.errors
        body.update(self.extra)
        return body


def not_found(what: str) -> Problem:
    return Problem(status=404, type_="not-found", title=f"{what} not found")


def forbidden(detail: str) -> Problem:
    return Problem(status=403, type_="forbidden", title="Not allowed", detail=detail)


def conflict(
    type_: str, title: str, *, field: str | None = None, detail: str | None = None
) -> Problem:
    errors = [{"field": field, "detail": detail or title}] if field else None
    return Problem(status=409, type_=type_, title=title, detail=detail, errors=errors)


def invalid(field: str, detail: str, *, type_: str = "validation-error") -> Problem:
    return Problem(
        status=422,
        type_=type_,
        title="The request is not valid",
        detail=f"{field}: {detail}",
        errors=[{"field": field, "detail": detail}],
    )


def problem_response(problem: Problem, request: Request) -> JSONResponse:
    return JSONResponse(
        problem.body(instance=request.url.path),
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=problem.headers,
    )


_HTTP_TYPES = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    413: "payload-too-large",
    415: "unsupported-media-type",
    429: "too-many-requests",
}


def _field_path(loc: Sequence[int | str]) -> str:
    # ("body", "venue", "latitude") -> "venue.latitude"; the location kind stays for query
    # and path parameters, where it tells the caller where to look.
    # "[key]" marks a bad dictionary key, which the preceding part already names.
    parts = [str(part) for part in loc if part != "[key]"]
    if parts and parts[0] == "body":
        parts = parts[1:]
    return ".".join(parts) or "body"


def validation_problem(errors: Sequence[Any]) -> Problem:
    # The offending input is not echoed back: it may be a phone number that then ends up in
    # a proxy's log. The field and the reason are enough to fix it.
    listed = [
        {"field": _field_path(error.get("loc", ())), "detail": str(error.get("msg", "invalid"))}
        for error in errors
    ]
    fields = ", ".join(dict.fromkeys(item["field"] for item in listed))
    return Problem(
        status=422,
        type_="validation-error",
        title="The request is not valid",
        detail=f"Check these fields: {fields}",
        errors=listed,
    )


def install(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc, request)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem_response(validation_problem(exc.errors()), request)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        title = HTTPStatus(exc.status_code).phrase
        problem = Problem(
            status=exc.status_code,
            type_=_HTTP_TYPES.get(exc.status_code, "http-error"),
            title=title,
            detail=exc.detail if isinstance(exc.detail, str) and exc.detail != title else None,
            headers=dict(exc.headers) if exc.headers else None,
        )
        return problem_response(problem, request)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error", exc_info=exc, extra={"path": request.url.path})
        problem = Problem(status=500, type_="internal-error", title="Internal server error")
        return problem_response(problem, request)
