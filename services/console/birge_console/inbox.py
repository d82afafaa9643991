"""The inbox: texts Birge did not understand and opt-outs, read, marked handled, answered.

The texts are shown here (reading them is what the inbox is for) and nowhere else; they never
reach a log line. Listing, marking and answering are the API's service functions
(`birge_api.inbox`): the same cities, the same budget, the same opt-out refusal.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from birge_api.inbox import replies, service
from birge_api.inbox.schemas import InboxItem, InboxKind, inbox_item
from birge_api.pagination import encode_cursor
from birge_api.problems import Problem
from birge_console.context import Console, ConsoleDep
from birge_console.i18n import N_
from birge_console.routing import console_router
from birge_shared.models import City, utcnow

router = console_router()

PAGE_SIZE = 30
INBOX = "/console/inbox"

KIND_NAMES = {
    InboxKind.NOT_UNDERSTOOD: N_("Not understood"),
    InboxKind.OPT_OUT: N_("Opted out"),
    InboxKind.UNMATCHED: N_("Unknown number"),
}
#: The filter's choices: waiting (the default: what needs doing), handled, or all.
HANDLED_CHOICES = {"waiting": False, "handled": True, "all": None}

#: What a refused answer means, in the reader's words; the API's problem type is the key.
PROBLEM_TEXTS = {
    "opted-out": N_("This person opted out of SMS. Birge does not write to them."),
    "over-budget": N_("Today's SMS budget of this city is used up. Answer tomorrow."),
    "unknown-number": N_("This number belongs to nobody registered: there is no one to answer."),
    "no-phone": N_("This person has no phone number any more."),
    "idempotency-key-reused": N_("This form was already used for another answer. Reload it."),
    "too-long-for-operator": N_(
        "This person's operator does not join SMS parts: keep the answer to one segment "
        "(160 Latin characters)."
    ),
}


def _time_zones(console: Console) -> dict[str, str]:
    return {row.code: row.timezone for row in console.db.execute(select(City.code, City.timezone))}


def _city_names(console: Console) -> dict[str, str]:
    query = select(City.code, City.name).order_by(City.name)
    if console.actor.cities is not None:
        query = query.where(City.code.in_(sorted(console.actor.cities)))
    return {row.code: row.name for row in console.db.execute(query)}


def _common(console: Console) -> dict[str, Any]:
    return {
        "kind_names": KIND_NAMES,
        "kinds": InboxKind,
        "zones": _time_zones(console),
        "city_names": _city_names(console),
    }


@router.get("/console/inbox", response_class=HTMLResponse)
def inbox_page(
    console: ConsoleDep,
    city: str = "",
    show: str = "waiting",
    cursor: str | None = None,
    answered: str | None = None,
) -> HTMLResponse:
    console.require_participant_reader()
    if show not in HANDLED_CHOICES:
        show = "waiting"
    rows, more = service.list_inbox(
        session=console.db,
        actor=console.actor,
        limit=PAGE_SIZE,
        cursor=cursor or None,
        handled=HANDLED_CHOICES[show],
        city=city or None,
    )
    items = [inbox_item(*row) for row in rows]
    next_cursor = encode_cursor(rows[-1][0].created_at, rows[-1][0].id) if more else None
    template = "inbox/list.html" if console.is_htmx() else "inbox/inbox.html"
    return console.render(
        template,
        items=items,
        next_cursor=next_cursor,
        city=city,
        show=show,
        answered=answered == "1",
        **_common(console),
    )


@router.post("/console/inbox/{message_id}/handled")
def mark_handled(
    console: ConsoleDep,
    message_id: uuid.UUID,
    city: Annotated[str, Form(max_length=40)] = "",
    show: Annotated[str, Form(max_length=10)] = "waiting",
) -> Response:
    console.require_writer()
    row = service.mark_handled(
        session=console.db, actor=console.actor, message_id=message_id, now=utcnow()
    )
    if console.is_htmx():
        return console.render(
            "inbox/item.html", item=inbox_item(*row), city=city, show=show, **_common(console)
        )
    # Back to the list as it was filtered.
    back = urlencode({"city": city, "show": show if show in HANDLED_CHOICES else "waiting"})
    return RedirectResponse(f"{INBOX}?{back}", status_code=303)


def _reply_page(
    console: Console,
    item: InboxItem,
    *,
    text: str = "",
    error: str | None = None,
    error_args: dict[str, object] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return console.render(
        "inbox/reply.html",
        status_code=status_code,
        item=item,
        text=text,
        error=error,
        error_args=error_args or {},
        # A fresh key per form shown: a double click or a resent form sends one SMS.
        idempotency_key=uuid.uuid4().hex,
        max_segments=replies.MAX_SEGMENTS,
        **_common(console),
    )


@router.get("/console/inbox/{message_id}/reply", response_class=HTMLResponse)
def reply_form(console: ConsoleDep, message_id: uuid.UUID) -> HTMLResponse:
    console.require_writer()
    row = service.get_message(session=console.db, actor=console.actor, message_id=message_id)
    return _reply_page(console, inbox_item(*row))


@router.post("/console/inbox/{message_id}/reply", response_class=HTMLResponse)
def send_reply(
    console: ConsoleDep,
    message_id: uuid.UUID,
    text: Annotated[str, Form(max_length=1000)] = "",
    idempotency_key: Annotated[str, Form(min_length=1, max_length=100)] = "",
) -> Response:
    console.require_writer()
    row = service.get_message(session=console.db, actor=console.actor, message_id=message_id)
    item = inbox_item(*row)
    try:
        data = replies.ReplyCreate(text=text)
    except ValidationError:
        # The reason is the form's own (empty or too long); the text itself is never logged.
        return _reply_page(
            console,
            item,
            text=text,
            error=N_("Write a short answer: at most %(n)s SMS."),
            error_args={"n": replies.MAX_SEGMENTS},
            status_code=422,
        )
    try:
        replies.reply(
            session=console.db,
            actor=console.actor,
            settings=console.settings,
            message_id=message_id,
            data=data,
            idempotency_key=idempotency_key or None,
            now=utcnow(),
        )
    except Problem as problem:
        console.db.rollback()
        item = inbox_item(
            *service.get_message(session=console.db, actor=console.actor, message_id=message_id)
        )
        return _reply_page(
            console,
            item,
            text=text,
            error=PROBLEM_TEXTS.get(problem.type_, problem.title),
            status_code=problem.status,
        )
    return RedirectResponse(INBOX + "?answered=1", status_code=303)
