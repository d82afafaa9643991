"""The dashboard: what needs the coordinator's attention today, in their cities.

Every figure comes from `birge_api.dashboard.service` (also `GET /v1/dashboard`); this module
only says where each to-do item is dealt with.
"""

from __future__ import annotations

from fastapi.responses import HTMLResponse

from birge_api.dashboard.schemas import TodoItem, TodoKind
from birge_api.dashboard.service import dashboard as dashboard_figures
from birge_console.context import Console, ConsoleDep
from birge_console.event_labels import LABELS
from birge_console.routing import console_router
from birge_shared.models import utcnow

router = console_router()

INBOX = "/console/inbox"
BUDGET_APPROVALS = "/console/admin/budget"


def todo_href(item: TodoItem, console: Console) -> str:
    """The page where the item is dealt with."""
    if item.kind is TodoKind.INBOX:
        return INBOX
    if item.kind is TodoKind.AWAITING_APPROVAL and console.is_admin:
        # Approving is an administrator's; others follow it on the event's page.
        return BUDGET_APPROVALS
    return f"/console/events/{item.event_id}"


@router.get("/console", response_class=HTMLResponse)
def dashboard(console: ConsoleDep) -> HTMLResponse:
    figures = dashboard_figures(
        session=console.db, actor=console.actor, settings=console.settings, now=utcnow()
    )
    todo = [(item, todo_href(item, console)) for item in figures.todo]
    return console.render("dashboard.html", figures=figures, todo=todo, **LABELS)
