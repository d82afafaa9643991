"""Twilio's webhooks: delivery reports and inbound SMS and WhatsApp, verified before anything.

The endpoints are async and hand their database work to the thread pool in one call, through
a few slots of their own: a callback costs the event loop the form, the signature and one hop,
which is what lets one API process absorb hundreds of them a second.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from urllib.parse import parse_qsl

from anyio import CapacityLimiter, to_thread
from anyio.lowlevel import RunVar
from fastapi import APIRouter, Depends, Header, Request, Response
from sqlalchemy.orm import Session

from birge_api.deps import InlineSettingsDep, UnitOfWork, UnitOfWorkDep
from birge_api.problems import Problem
from birge_api.webhooks import service
from birge_api.webhooks.signature import is_signed, public_url
from birge_shared.providers.twilio import INBOUND_PATH, STATUS_PATH

router = APIRouter(prefix="/webhooks", tags=["webhooks"])

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"

#: Webhook transactions at once, each on a pooled connection. Fewer than the engine's pool
#: (10), so a burst waits here, cheaply, rather than opening overflow connections (a new
#: PostgreSQL backend each, closed again after) or parking dozens of threads on the pool.
DATABASE_SLOTS = 8
# One limiter per event loop: an anyio limiter belongs to the loop that first waits on it.
_slots: RunVar[CapacityLimiter] = RunVar("webhook_database_slots")

_RESPONSES: dict[int | str, dict[str, str]] = {
    403: {"description": "Missing or wrong X-Twilio-Signature"},
    422: {"description": "A required Twilio field is missing"},
}


def _form_fields(content_type: str | None, body: bytes) -> dict[str, str | list[str]]:
    """The fields of a urlencoded body, a repeated name as the list of its values.

    Decoded as Starlette's form parser decodes (bytes as Latin-1, then percent-escapes as
    UTF-8), with the standard library's parser, which is several times cheaper per request.
    Any other media type has no fields, so its signature cannot match.
    """
    if (content_type or "").split(";", 1)[0].strip().lower() != FORM_MEDIA_TYPE:
        return {}
    params: dict[str, str | list[str]] = {}
    for key, value in parse_qsl(body.decode("latin-1"), keep_blank_values=True):
        held = params.get(key)
        if held is None:
            params[key] = value
        elif isinstance(held, list):
            held.append(value)
        else:
            params[key] = [held, value]
    return params


async def verified_form(
    request: Request,
    settings: InlineSettingsDep,
    x_twilio_signature: Annotated[str | None, Header()] = None,
) -> dict[str, str]:
    """The form fields of a request signed by the provider; a 403 problem otherwise."""
    params = _form_fields(request.headers.get("content-type"), await request.body())
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


def _database_slots() -> CapacityLimiter:
    try:
        return _slots.get()
    except LookupError:
        slots = CapacityLimiter(DATABASE_SLOTS)
        _slots.set(slots)
        return slots


async def _in_transaction(unit_of_work: UnitOfWork, record: Callable[[Session], bool]) -> bool:
    """Run `record` in the request's transaction, committed before this returns.

    In a thread, so a delivery waiting on a concurrent delivery's unique key (Twilio retries,
    also concurrently) blocks that thread, not the event loop.
    """

    def run() -> bool:
        with unit_of_work() as session:
            return record(session)

    return await to_thread.run_sync(run, limiter=_database_slots())


@router.post(STATUS_PATH.removeprefix(router.prefix), status_code=204, responses=_RESPONSES)
async def status_callback(form: SignedForm, unit_of_work: UnitOfWorkDep) -> Response:
    sid, status = _sid(form), form.get("MessageStatus", "")
    _require({"MessageSid": sid, "MessageStatus": status})
    error_code = form.get("ErrorCode")
    await _in_transaction(
        unit_of_work,
        lambda session: service.record_status(
            session=session, message_sid=sid, status=status, error_code=error_code
        ),
    )
    return Response(status_code=204)


@router.post(INBOUND_PATH.removeprefix(router.prefix), responses=_RESPONSES)
async def inbound_message(form: SignedForm, unit_of_work: UnitOfWorkDep) -> Response:
    sid, sender = _sid(form), form.get("From", "")
    _require({"MessageSid": sid, "From": sender})
    body = form.get("Body", "")
    # A WhatsApp quick-reply: the button's id and the message it was under.
    button_payload = form.get("ButtonPayload")
    replied_sid = form.get("OriginalRepliedMessageSid")
    await _in_transaction(
        unit_of_work,
        lambda session: service.record_inbound(
            session=session,
            message_sid=sid,
            sender=sender,
            body=body,
            button_payload=button_payload,
            replied_sid=replied_sid,
        ),
    )
    # Empty TwiML: no automatic reply; answers are sent by a worker once the text is understood.
    return Response(content=EMPTY_TWIML, media_type="text/xml")
