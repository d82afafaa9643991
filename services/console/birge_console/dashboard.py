"""The dashboard: what needs the coordinator's attention today, in their cities."""

from __future__ import annotations

from fastapi.responses import HTMLResponse

from birge_api.events.service import EventFilter, list_events
from birge_console.context import ConsoleDep
from birge_console.routing import console_router
from birge_shared.models import EventStatus, utcnow

router = console_router()

UPCOMING_SHOWN = 20


@router.get("/console", response_class=HTMLResponse)
def dashboard(console: ConsoleDep) -> HTMLResponse:
    events, _more = list_events(
        session=console.db,
        actor=console.actor,
        filters=EventFilter(status=EventStatus.SCHEDULED, starts_from=utcnow()),
        limit=UPCOMING_SHOWN,
        cursor=None,
    )
    return console.render("dashboard.html", events=events)
