"""Twilio's webhooks: delivery reports and inbound SMS and WhatsApp, verified before anything."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request, Response

from birge_api.deps import SessionDep, SettingsDep
from birge_api.problems import Problem
from birge_api.webhooks import service
from birge_api.webhooks.signature import is_signed, public_url
from birge_shared.providers.twilio import INBOUND_PATH, STATUS_PATH

router = APIRouter(prefix="/webhooks", tags=["webhooks"])

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'

_RESPONSES: dict[int | str, dict[str, str]] = {
    403: {"description": "Missing or wrong X-Twilio-Signature"},
    422: {"description": "A required Twilio field is missing"},
}


async def verified_form(
    request: Request,
    settings: SettingsDep,
    x_twilio_signature: Annotated[str | None, Header()] = None,
) -> dict[str, str]:
    """The form fields of a request signed by the provider; a 403 problem otherwise.

    An async dependency reads the body, so the endpoints themselves can be plain functions:
    their database work then runs in the thread pool and never blocks the event loop while a
    concurrent delivery of the same callback waits on the same unique key.
    """
    form = await request.form()
    params: dict[str, str | list[str]] = {}
    for key in form:
        values = [value for value in form.getlist(key) if isinstance(value, str)]
        params[key] = values[0] if len(values) == 1 else values
    url = public_url(settings, request.url.path, request.url.query)
    if not is_signed(settings=settings, url=url, params=params, signature=x_twilio_signature):
        raise Problem(
            status=403,
            type_="bad-signature",
            title="The request is not signed by the SMS provider",
        )
    return {key: value if isinstance(value, str) else value[-1] for key, value in params.items()}


SignedForm = Annotated[dict[str, str], Depends(verified_form)]


def _require(fields: dict[str, str]) -> None:
    missing = [name for name, value in fields.items() if not value]
    if missing:
        raise Problem(
            status=422,
            type_="validation-error",
            title="The request is not valid",
            errors=[{"field": name, "detail": "required"} for name in missing],
        )


def _sid(form: dict[str, str]) -> str:
    # Older callbacks name it SmsSid; both carry the same value.
    return form.get("MessageSid") or form.get("SmsSid") or ""


@router.post(STATUS_PATH.removeprefix(router.prefix), status_code=204, responses=_RESPONSES)
def status_callback(form: SignedForm, session: SessionDep) -> Response:
    sid, status = _sid(form), form.get("MessageStatus", "")
    _require({"MessageSid": sid, "MessageStatus": status})
    service.record_status(
        session=session, message_sid=sid, status=status, error_code=form.get("ErrorCode")
    )
    return Response(status_code=204)


@router.post(INBOUND_PATH.removeprefix(router.prefix), responses=_RESPONSES)
def inbound_message(form: SignedForm, session: SessionDep) -> Response:
    sid = _sid(form)
    _require({"MessageSid": sid, "From": form.get("From", "")})
    service.record_inbound(
        session=session,
        message_sid=sid,
        sender=form["From"],
        body=form.get("Body", ""),
        # A WhatsApp quick-reply: the button's id and the message it was under.
        button_payload=form.get("ButtonPayload"),
        replied_sid=form.get("OriginalRepliedMessageSid"),
    )
    # Empty TwiML: no automatic reply; answers are sent by a worker once the text is understood.
    return Response(content=EMPTY_TWIML, media_type="text/xml")
