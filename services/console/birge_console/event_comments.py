"""The event page's comments section: read what participants wrote, hide one naming someone.

Its own route and partial, so the event page loads the comments only when asked (each read is
audited): the section's button fetches them in place with htmx, and without JavaScript it is a
link to a page holding the same partial. For coordinators of the event's city and
administrators; the API's service refuses viewers and answers 404 for another city.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.responses import HTMLResponse, RedirectResponse, Response

from birge_api.comments import service
from birge_api.events.service import get_event
from birge_console import event_labels
from birge_console.context import Console, ConsoleDep
from birge_console.rendering import SECURITY_HEADERS
from birge_console.routing import console_router

router = console_router()


def comments_url(event_id: uuid.UUID, suffix: str = "") -> str:
    return f"/console/events/{event_id}/comments{suffix}"


def _render(console: Console, event_id: uuid.UUID, *, hidden_now: bool) -> HTMLResponse:
    console.require_participant_reader()
    event = get_event(session=console.db, actor=console.actor, event_id=event_id)
    comments = service.list_comments(session=console.db, actor=console.actor, event_id=event.id)
    context: dict[str, Any] = {"event": event, "comments": comments, "hidden_now": hidden_now}
    if console.is_htmx():
        return console.render("event_comments.html", **context)
    return console.render(
        "event_comments_page.html",
        title=event_labels.event_title(event, console.language),
        **context,
    )


@router.get("/console/events/{event_id}/comments", response_class=HTMLResponse)
def comments(console: ConsoleDep, event_id: uuid.UUID, done: str | None = None) -> HTMLResponse:
    return _render(console, event_id, hidden_now=done == "hidden")


@router.post("/console/events/{event_id}/comments/{comment_id}/hide")
def hide(console: ConsoleDep, event_id: uuid.UUID, comment_id: uuid.UUID) -> Response:
    console.require_writer()
    service.hide_comment(
        session=console.db, actor=console.actor, event_id=event_id, comment_id=comment_id
    )
    if console.is_htmx():
        return _render(console, event_id, hidden_now=True)
    return RedirectResponse(
        comments_url(event_id, "?done=hidden"), status_code=303, headers=SECURITY_HEADERS
    )
