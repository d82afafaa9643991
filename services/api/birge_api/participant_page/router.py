"""The participant page at /p/{token}: small HTML pages that work without JavaScript.

Everything the page needs is in the response (the stylesheet is inline), so it loads on a slow
mobile connection and its Content-Security-Policy can forbid every other source.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from birge_api.attendance.service import WRONG_CODE_WINDOW, CheckIn
from birge_api.deps import SessionDep, SettingsDep
from birge_api.participant_page import followup, service
from birge_api.participant_page.i18n import DONE, STATES, Done
from birge_api.templating import translated_environment
from birge_shared.i18n import LANGUAGE_NAMES, N_, gettext_for, using
from birge_shared.models import Language

router = APIRouter(prefix="/p", tags=["participant page"], include_in_schema=False)

_TEMPLATES = Path(__file__).parent / "templates"
_env = translated_environment(_TEMPLATES, autoescape=("html",))
_env.globals.update(states=STATES, done_texts=DONE)
_CSS = (_TEMPLATES / "page.css").read_text(encoding="utf-8")
# The inline stylesheet is allowed by its hash, so an injected <style> would not apply.
# 'unsafe-inline' is there for browsers older than CSP 2, which ignore hashes; browsers that
# understand hashes ignore 'unsafe-inline' when a hash is present.
_CSS_HASH = base64.b64encode(hashlib.sha256(_CSS.encode()).digest()).decode()

SECURITY_HEADERS = {
    # The token in the URL is the participant's only credential: no cache may keep the page
    # and no other site may learn the URL from a Referer header.
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        f"default-src 'none'; style-src 'sha256-{_CSS_HASH}' 'unsafe-inline'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
}


# The messages a form can end with, marked for extraction and translated by `_message`.
_NOT_FOUND_HEADING = N_("Page not found")
_NOT_FOUND_BODY = N_("This link doesn't work. Please check the link in your SMS.")
_REFUSED_HEADING = N_("We couldn't save your answer")
_REFUSED_BODY = N_(
    "The answer was not sent from this page. Please open the link from your SMS and try again."
)
_BAD_ANSWER_BODY = N_("Please press one of the two buttons.")
_SURVEY_INCOMPLETE_BODY = N_("Please choose an answer to each question.")
_SURVEY_CLOSED_BODY = N_("This survey is closed. Thank you all the same!")
_STOPPED_HEADING = N_("No more messages")
_STOPPED_BODY = N_(
    "You will get no more messages from Birge. Your open invitations have been withdrawn. "
    "To get invitations again, please contact the organisers."
)
_CHECKIN_HEADING = N_("Check in at the event")
_CHECKIN_WRONG_HEADING = N_("That code didn't work")
_CHECKIN_WRONG_BODY = N_("Please check the code with the organisers and try again.")
_CHECKIN_TOO_MANY_BODY = N_(
    "Too many wrong codes. Please try again in an hour, "
    "or ask the organisers to mark you as present."
)
_CHECKIN_CLOSED_BODY = N_(
    "Check-in is open from 30 minutes before the start until the end of the event."
)


def page_url(token: str, language: Language) -> str:
    return f"/p/{token}?lang={language.value}"


def _render(template: str, *, status_code: int, language: Language, **context: Any) -> HTMLResponse:
    with using(language):
        body = _env.get_template(template).render(
            css=Markup(_CSS),  # noqa: S704 - the stylesheet is our own file, not input
            language=language.value,
            **context,
        )
    return HTMLResponse(body, status_code=status_code, headers=SECURITY_HEADERS)


def _invitation_page(view: service.PageView, *, status_code: int, closed: bool) -> HTMLResponse:
    languages = [
        (code.value, name, page_url(view.token, code)) for code, name in LANGUAGE_NAMES.items()
    ]
    return _render(
        "invitation.html",
        status_code=status_code,
        language=view.language,
        view=view,
        closed=closed,
        languages=languages,
        rsvp_url=f"/p/{view.token}/rsvp",
        calendar_url=f"/p/{view.token}/invite.ics",
        survey_url=f"/p/{view.token}/survey",
        checkin_url=f"/p/{view.token}/checkin",
        stop_url=f"/p/{view.token}/stop",
        telegram_url=f"/p/{view.token}/telegram",
    )


def _not_found(language: Language | None) -> HTMLResponse:
    # Without a language to go by (the link is broken), say it in all three.
    shown = [language] if language is not None else list(LANGUAGE_NAMES)
    messages = [
        (code.value, gettext_for(code, _NOT_FOUND_HEADING), gettext_for(code, _NOT_FOUND_BODY))
        for code in shown
    ]
    return _render(
        "message.html",
        status_code=404,
        language=shown[0],
        messages=messages,
        languages=None,
        back_url=None,
    )


def _message(
    *, status_code: int, language: Language, token: str, heading: str, body: str
) -> HTMLResponse:
    """A short page with one message; `heading` and `body` are msgids, shown in `language`."""
    return _render(
        "message.html",
        status_code=status_code,
        language=language,
        messages=[(language.value, gettext_for(language, heading), gettext_for(language, body))],
        languages=None,
        back_url=page_url(token, language),
    )


@router.get("/{token}", response_class=HTMLResponse)
def participant_page(
    token: str,
    session: SessionDep,
    settings: SettingsDep,
    lang: str | None = None,
    done: str | None = None,
    saved: str | None = None,
) -> HTMLResponse:
    try:
        view = service.load_page(
            session=session, settings=settings, token=token, lang=lang, done=done, saved=saved
        )
    except service.PageNotFoundError as exc:
        return _not_found(exc.language)
    return _invitation_page(view, status_code=200, closed=False)


@router.get("/{token}/telegram", response_class=HTMLResponse)
def telegram_start(token: str, session: SessionDep, settings: SettingsDep) -> Response:
    """Off to the bot with a fresh one-time start code (`t.me/<bot>?start=<code>`)."""
    try:
        url = service.telegram_start_link(session=session, settings=settings, token=token)
    except service.PageNotFoundError as exc:
        return _not_found(exc.language)
    return RedirectResponse(url, status_code=303, headers=SECURITY_HEADERS)


@router.post("/{token}/rsvp", response_class=HTMLResponse)
def answer_invitation(
    token: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    answer: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
    lang: Annotated[str, Form()] = "",
) -> Response:
    try:
        answered = service.submit_answer(
            session=session,
            settings=settings,
            token=token,
            answer=answer,
            csrf=csrf,
            lang=lang or None,
            origin=request.headers.get("origin"),
            request_origin=f"{request.url.scheme}://{request.url.netloc}",
        )
    except service.PageNotFoundError as exc:
        return _not_found(exc.language)
    except service.RequestRefusedError as exc:
        return _refused(exc)
    except service.BadAnswerError as exc:
        return _message(
            status_code=400,
            language=exc.language,
            token=exc.token,
            heading=_REFUSED_HEADING,
            body=_BAD_ANSWER_BODY,
        )
    except service.AnswersClosedError as exc:
        return _invitation_page(exc.view, status_code=409, closed=True)
    # 303 turns the POST into a GET, so reloading the confirmation does not post again.
    return RedirectResponse(
        f"{page_url(answered.token, answered.language)}&done={answered.done.value}",
        status_code=303,
        headers=SECURITY_HEADERS,
    )


def _refused(exc: service.RequestRefusedError) -> HTMLResponse:
    return _message(
        status_code=403,
        language=exc.language,
        token=exc.token,
        heading=_REFUSED_HEADING,
        body=_REFUSED_BODY,
    )


@router.post("/{token}/survey", response_class=HTMLResponse)
def answer_survey(
    token: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    kind: Annotated[str, Form()] = "",
    attitude: Annotated[str, Form()] = "",
    rating: Annotated[str, Form()] = "",
    talk: Annotated[str, Form()] = "",
    thermometer: Annotated[str, Form()] = "",
    social_distance: Annotated[str, Form()] = "",
    anxiety: Annotated[str, Form()] = "",
    met_outside: Annotated[str, Form()] = "",
    join_again: Annotated[str, Form()] = "",
    comment: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
    lang: Annotated[str, Form()] = "",
) -> Response:
    try:
        submitted = service.submit_survey(
            session=session,
            settings=settings,
            token=token,
            kind=kind,
            answers={
                "attitude": attitude,
                "rating": rating,
                "talk": talk,
                # The item bank's other items (`birge_shared.survey_items`).
                "thermometer": thermometer,
                "social_distance": social_distance,
                "anxiety": anxiety,
                "met_outside": met_outside,
                "join_again": join_again,
            },
            comment=comment,
            csrf=csrf,
            lang=lang or None,
            origin=request.headers.get("origin"),
            request_origin=f"{request.url.scheme}://{request.url.netloc}",
        )
    except service.PageNotFoundError as exc:
        return _not_found(exc.language)
    except service.RequestRefusedError as exc:
        return _refused(exc)
    except service.SurveyNotSavedError as exc:
        incomplete = exc.outcome is followup.SurveySaved.INCOMPLETE
        return _message(
            status_code=400 if incomplete else 409,
            language=exc.language,
            token=exc.token,
            heading=_REFUSED_HEADING,
            body=_SURVEY_INCOMPLETE_BODY if incomplete else _SURVEY_CLOSED_BODY,
        )
    return RedirectResponse(
        f"{page_url(submitted.token, submitted.language)}&saved=survey",
        status_code=303,
        headers=SECURITY_HEADERS,
    )


@router.post("/{token}/checkin", response_class=HTMLResponse)
def check_in(
    token: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    code: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
    lang: Annotated[str, Form()] = "",
) -> Response:
    try:
        submitted = service.submit_check_in(
            session=session,
            settings=settings,
            token=token,
            code=code,
            csrf=csrf,
            lang=lang or None,
            origin=request.headers.get("origin"),
            request_origin=f"{request.url.scheme}://{request.url.netloc}",
        )
    except service.PageNotFoundError as exc:
        return _not_found(exc.language)
    except service.RequestRefusedError as exc:
        return _refused(exc)
    except service.CheckInRefusedError as exc:
        if exc.outcome is CheckIn.CLOSED:
            status_code, heading, body = 409, _CHECKIN_HEADING, _CHECKIN_CLOSED_BODY
        elif exc.outcome is CheckIn.TOO_MANY:
            status_code, heading, body = 429, _CHECKIN_WRONG_HEADING, _CHECKIN_TOO_MANY_BODY
        else:
            status_code, heading, body = 400, _CHECKIN_WRONG_HEADING, _CHECKIN_WRONG_BODY
        response = _message(
            status_code=status_code,
            language=exc.language,
            token=exc.token,
            heading=heading,
            body=body,
        )
        if exc.outcome is CheckIn.TOO_MANY:
            response.headers["Retry-After"] = str(int(WRONG_CODE_WINDOW.total_seconds()))
        return response
    return RedirectResponse(
        f"{page_url(submitted.token, submitted.language)}&done={Done.CHECKED_IN.value}",
        status_code=303,
        headers=SECURITY_HEADERS,
    )


@router.post("/{token}/stop", response_class=HTMLResponse)
def stop_messages(
    token: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    csrf: Annotated[str, Form()] = "",
    lang: Annotated[str, Form()] = "",
) -> Response:
    """Opt out of every message. Answered with the confirmation itself, not a redirect: the
    invitation is withdrawn by it, so its page no longer opens (posting again changes nothing)."""
    try:
        stopped = service.stop_messages(
            session=session,
            settings=settings,
            token=token,
            csrf=csrf,
            lang=lang or None,
            origin=request.headers.get("origin"),
            request_origin=f"{request.url.scheme}://{request.url.netloc}",
        )
    except service.PageNotFoundError as exc:
        return _not_found(exc.language)
    except service.RequestRefusedError as exc:
        return _refused(exc)
    return _render(
        "message.html",
        status_code=200,
        language=stopped.language,
        messages=[
            (
                stopped.language.value,
                gettext_for(stopped.language, _STOPPED_HEADING),
                gettext_for(stopped.language, _STOPPED_BODY),
            )
        ],
        languages=None,
        back_url=None,
    )
