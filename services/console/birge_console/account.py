"""Signing in and out, changing one's password, and choosing the console's language.

Sign-in uses the API's login (`birge_api.auth.service.log_in`): the same throttle, the same
audit entries. Before a session exists, the sign-in form is protected from cross-site posts by
a double-submit token: a random value in a short-lived cookie that the form must repeat.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from birge_api.auth import service as auth_service
from birge_api.auth.throttle import LoginThrottleDep, Throttled
from birge_api.deps import SessionDep, SettingsDep
from birge_api.problems import Problem
from birge_console import i18n, sessions
from birge_console.context import ConsoleDep, request_language, token_matches
from birge_console.rendering import SECURITY_HEADERS, render
from birge_console.routing import console_router, public_router
from birge_shared.models import Language
from birge_shared.settings import Settings

public = public_router()
router = console_router()

SIGN_IN_COOKIE = "birge_sign_in"
HOME = "/console"


def safe_next(value: str | None) -> str:
    """Only a console path of this site: `next` must not send anyone elsewhere."""
    if value and value.startswith("/console") and not value.startswith("//") and "\\" not in value:
        return value
    return HOME


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _sign_in_page(
    request: Request,
    settings: Settings,
    *,
    next_path: str,
    error: str | None = None,
    status_code: int = 200,
    email: str = "",
    language: Language | None = None,
) -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    language = language or request_language(request)
    with i18n.using(language):
        response = render(
            "sign_in.html",
            status_code=status_code,
            form_token=token,
            next_path=next_path,
            error=error,
            email=email,
            demo=settings.environment.value == "development",
        )
    response.set_cookie(
        SIGN_IN_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="lax",
        secure=sessions.secure_cookies(settings),
        path="/console/sign-in",
    )
    return response


@public.get("/console/sign-in", response_class=HTMLResponse)
def sign_in_form(
    request: Request, settings: SettingsDep, next: str | None = None, lang: str | None = None
) -> HTMLResponse:
    language = Language(lang) if lang in {code.value for code in Language} else None
    return _sign_in_page(request, settings, next_path=safe_next(next), language=language)


@public.post("/console/sign-in", response_class=HTMLResponse)
def sign_in(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    throttle: LoginThrottleDep,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    form_token: Annotated[str, Form(max_length=64)] = "",
    next: Annotated[str, Form(max_length=2000)] = HOME,
) -> Response:
    next_path = safe_next(next)
    response: Response
    if not token_matches(request.cookies.get(SIGN_IN_COOKIE, ""), form_token):
        return _sign_in_page(
            request,
            settings,
            next_path=next_path,
            error=i18n.N_("The form had expired. Please sign in again."),
            status_code=403,
            email=email,
        )
    outcome = auth_service.log_in(
        session=db, throttle=throttle, email=email, password=password, client=_client(request)
    )
    if isinstance(outcome, Throttled):
        response = _sign_in_page(
            request,
            settings,
            next_path=next_path,
            error=i18n.N_("Too many failed attempts. Please wait a few minutes and try again."),
            status_code=429,
            email=email,
        )
        response.headers["Retry-After"] = str(outcome.retry_after)
        return response
    if outcome is None:
        # Returned, not raised: the audit entry of the failed login must be committed.
        return _sign_in_page(
            request,
            settings,
            next_path=next_path,
            error=i18n.N_("Wrong e-mail or password."),
            status_code=401,
            email=email,
        )
    sessions.purge_expired(session=db, settings=settings)
    started = sessions.start(session=db, user=outcome)
    response = RedirectResponse(next_path, status_code=303, headers=SECURITY_HEADERS)
    response.set_cookie(
        sessions.cookie_name(settings),
        started.token,
        httponly=True,
        samesite="lax",
        secure=sessions.secure_cookies(settings),
        path="/",
    )
    response.delete_cookie(SIGN_IN_COOKIE, path="/console/sign-in")
    return response


@router.post("/console/sign-out")
def sign_out(console: ConsoleDep) -> Response:
    sessions.end(session=console.db, row=console.row)
    response = RedirectResponse("/console/sign-in", status_code=303, headers=SECURITY_HEADERS)
    response.delete_cookie(
        sessions.cookie_name(console.settings),
        path="/",
        secure=sessions.secure_cookies(console.settings),
        httponly=True,
        samesite="lax",
    )
    return response


@router.get("/console/account", response_class=HTMLResponse)
def account_page(console: ConsoleDep, saved: str | None = None) -> HTMLResponse:
    return console.render("account.html", saved=saved == "password", error=None)


@router.post("/console/account/password", response_class=HTMLResponse)
def change_password(
    console: ConsoleDep,
    throttle: LoginThrottleDep,
    current_password: Annotated[str, Form(max_length=1024)] = "",
    new_password: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    outcome = auth_service.change_password(
        session=console.db,
        throttle=throttle,
        user=console.user,
        current_password=current_password,
        new_password=new_password,
        client=_client(console.request),
    )
    if isinstance(outcome, Throttled):
        return console.render(
            "account.html",
            status_code=429,
            saved=False,
            error=i18n.N_("Too many failed attempts. Please wait a few minutes and try again."),
        )
    if isinstance(outcome, Problem):
        # Returned with the page, so the failed attempt's audit entry is committed.
        wrong = outcome.type_ == "wrong-password"
        return console.render(
            "account.html",
            status_code=outcome.status,
            saved=False,
            error=i18n.N_("The current password is not right.")
            if wrong
            else i18n.N_("The new password is too short or too easy to guess."),
        )
    sessions.keep_after_password_change(console.row)
    return RedirectResponse("/console/account?saved=password", status_code=303)


@router.post("/console/language")
def choose_language(
    console: ConsoleDep,
    language: Annotated[Language, Form()],
    back: Annotated[str, Form(max_length=2000)] = HOME,
) -> Response:
    """Remembered on the account, so every device of this person opens in their language."""
    console.user.language = language
    return RedirectResponse(safe_next(back), status_code=303, headers=SECURITY_HEADERS)
