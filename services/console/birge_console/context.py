"""Who is using the console: the signed-in session, its user, their cities and language.

`ConsoleDep` is what every page handler takes. It signs nobody in by itself: without a live
session it raises `SignInRequired`, which `routing.ConsoleRoute` turns into a redirect to the
sign-in page. The actor is the API's own (`birge_api.deps.actor_for`), so the console scopes
roles and cities exactly as the API does.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from birge_api.deps import Actor, SessionDep, SettingsDep, actor_for
from birge_console import i18n, sessions
from birge_console.navigation import ROLE_NAMES, menu
from birge_console.rendering import render
from birge_shared.models import ConsoleSession, Language, Role, User
from birge_shared.settings import Settings

CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class SignInRequiredError(Exception):
    """No live session: the browser is sent to the sign-in page and back afterwards."""


class CsrfRefusedError(Exception):
    """A state-changing request without this session's CSRF token: nothing was changed."""


class ForbiddenError(Exception):
    """The signed-in role may not use this page (a viewer on a participant page)."""


@dataclass
class Console:
    request: Request
    db: Session
    settings: Settings
    row: ConsoleSession
    user: User
    actor: Actor
    language: Language
    flash: list[str] = field(default_factory=list)

    @property
    def csrf(self) -> str:
        return self.row.csrf_token

    @property
    def is_viewer(self) -> bool:
        return self.actor.role is Role.VIEWER

    @property
    def is_admin(self) -> bool:
        return self.actor.role is Role.ADMIN

    def require_writer(self) -> None:
        """Coordinators and admins change things; viewers read events and reports."""
        if self.is_viewer:
            raise ForbiddenError

    def require_participant_reader(self) -> None:
        """Participants' data is for coordinators and admins, never viewers."""
        if self.is_viewer:
            raise ForbiddenError

    def require_admin(self) -> None:
        if not self.is_admin:
            raise ForbiddenError

    def is_htmx(self) -> bool:
        return self.request.headers.get("HX-Request") == "true"

    def render(
        self,
        template: str,
        *,
        status_code: int = 200,
        headers: dict[str, str] | None = None,
        **context: Any,
    ) -> HTMLResponse:
        with i18n.using(self.language):
            return render(
                template,
                status_code=status_code,
                headers=headers,
                console=self,
                user=self.user,
                csrf=self.csrf,
                menu=menu(self.actor.role, self.request.url.path),
                role_name=ROLE_NAMES[self.actor.role],
                **context,
            )


def request_language(request: Request, user: User | None = None) -> Language:
    """The user's saved choice, else the browser's, else Russian (the cities' common one)."""
    if user is not None and user.language is not None:
        return user.language
    return i18n.from_accept_language(request.headers.get("accept-language")) or (
        i18n.DEFAULT_LANGUAGE
    )


def get_console(request: Request, db: SessionDep, settings: SettingsDep) -> Console:
    row = sessions.find(
        session=db, settings=settings, token=request.cookies.get(sessions.cookie_name(settings))
    )
    if row is None:
        # The delete of an expired session must stick even though the request is refused.
        db.commit()
        raise SignInRequiredError
    user = row.user
    language = request_language(request, user)
    request.state.console_language = language
    return Console(
        request=request,
        db=db,
        settings=settings,
        row=row,
        user=user,
        actor=actor_for(user),
        language=language,
    )


ConsoleDep = Annotated[Console, Depends(get_console)]


def token_matches(expected: str, sent: object) -> bool:
    return isinstance(sent, str) and bool(sent) and hmac.compare_digest(expected, sent)


async def check_csrf(request: Request, console: ConsoleDep) -> None:
    """Runs before every console handler: a POST must carry this session's token."""
    if request.method in SAFE_METHODS:
        return
    sent: object = request.headers.get(CSRF_HEADER)
    if not sent:
        form = await request.form()
        sent = form.get(CSRF_FIELD)
    if not token_matches(console.csrf, sent):
        raise CsrfRefusedError
