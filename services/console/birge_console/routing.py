"""How console handlers fail: as pages in the reader's language, never as JSON.

`ConsoleRoute` catches what a handler (or a service function it called) raised, after the
request's transaction was rolled back, and answers as a person would expect: the sign-in page
when the session is gone, 403 for a missing CSRF token or a role that may not, the API's own
status (404 for another city's object) with the problem explained.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute

from birge_api.problems import Problem
from birge_console import i18n
from birge_console.context import (
    CsrfRefusedError,
    ForbiddenError,
    SignInRequiredError,
    check_csrf,
    request_language,
)
from birge_console.rendering import SECURITY_HEADERS, render

SIGN_IN_PATH = "/console/sign-in"


def sign_in_redirect(request: Request) -> Response:
    target = request.url.path
    if request.url.query and request.method == "GET":
        target += "?" + request.url.query
    location = f"{SIGN_IN_PATH}?next={quote(target, safe='')}"
    if request.headers.get("HX-Request") == "true":
        # htmx would swap the sign-in page into a fragment; HX-Redirect loads it whole.
        return Response(status_code=204, headers={"HX-Redirect": location, **SECURITY_HEADERS})
    return RedirectResponse(location, status_code=303, headers=SECURITY_HEADERS)


def error_page(
    request: Request, *, status: int, heading: str, detail: str | None, errors: list[str]
) -> Response:
    language = getattr(request.state, "console_language", None) or request_language(request)
    with i18n.using(language):
        return render(
            "error.html",
            status_code=status,
            status=status,
            heading=i18n._(heading),
            detail=detail,
            errors=errors,
            signed_in=hasattr(request.state, "console_language"),
        )


def _problem_page(request: Request, problem: Problem) -> Response:
    language = getattr(request.state, "console_language", None) or request_language(request)
    with i18n.using(language):
        headings = {
            404: i18n.N_("Not found"),
            403: i18n.N_("Not allowed"),
            409: i18n.N_("This cannot be done now"),
            429: i18n.N_("Too many attempts"),
        }
        heading = headings.get(problem.status, i18n.N_("This could not be done"))
        errors = [str(error.get("detail", "")) for error in problem.errors or []]
        detail = problem.detail if problem.status != 404 else None
    return error_page(request, status=problem.status, heading=heading, detail=detail, errors=errors)


class ConsoleRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def console_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInRequiredError:
                return sign_in_redirect(request)
            except CsrfRefusedError:
                return error_page(
                    request,
                    status=403,
                    heading=i18n.N_("The form has expired"),
                    detail=None,
                    errors=[],
                )
            except ForbiddenError:
                return error_page(
                    request, status=403, heading=i18n.N_("Not allowed"), detail=None, errors=[]
                )
            except Problem as problem:
                return _problem_page(request, problem)
            except RequestValidationError as exc:
                errors = [
                    f"{'.'.join(str(part) for part in error['loc'][1:])}: {error['msg']}"
                    for error in exc.errors()
                ]
                return error_page(
                    request,
                    status=422,
                    heading=i18n.N_("Some values are not right"),
                    detail=None,
                    errors=errors,
                )

        return console_handler


def console_router(**kwargs: Any) -> APIRouter:
    """A router for signed-in pages: every route checks the session and, for POST, the CSRF."""
    return APIRouter(
        route_class=ConsoleRoute,
        include_in_schema=False,
        dependencies=[Depends(check_csrf)],
        **kwargs,
    )


def public_router(**kwargs: Any) -> APIRouter:
    """A router for the sign-in pages, which need no session."""
    return APIRouter(route_class=ConsoleRoute, include_in_schema=False, **kwargs)
