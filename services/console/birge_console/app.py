"""The ASGI application Birge serves: the API with the console mounted beside it.

The console is assembled here rather than in `birge_api.app`, so the API stays importable and
testable without it (an import-linter contract forbids the API to import the console).
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from starlette.middleware.gzip import GZipMiddleware

from birge_api.app import create_app as create_api
from birge_console import (
    account,
    admin,
    buddies,
    dashboard,
    door,
    event_comments,
    event_forms,
    event_groups,
    event_page,
    event_survey_items,
    events,
    inbox,
    indicators,
    invite_wizard,
    participant_channels,
    participant_filters,
    participant_import,
    participants,
    report_dataset,
    reports,
    static_files,
    whatsapp_templates,
)


def create_app() -> FastAPI:
    app = create_api()
    # Pages and assets go out compressed: the console is used on phones on slow connections.
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    app.include_router(static_files.router)
    app.include_router(account.public)
    app.include_router(account.router)
    app.include_router(dashboard.router)
    # Before any /console/events/{id} page, so `new` and `calendar` are not taken for an id.
    app.include_router(events.router)
    app.include_router(event_forms.router)
    app.include_router(event_page.router)
    app.include_router(event_groups.router)
    app.include_router(event_comments.router)
    app.include_router(event_survey_items.router)
    app.include_router(invite_wizard.router)
    app.include_router(door.router)
    app.include_router(inbox.router)
    # The import's fixed paths first: /console/participants/{id} would take them otherwise.
    app.include_router(buddies.router)
    app.include_router(participant_import.router)
    app.include_router(participant_filters.router)
    app.include_router(participant_channels.router)
    app.include_router(participants.router)
    app.include_router(report_dataset.router)
    app.include_router(reports.router)
    app.include_router(indicators.router)
    app.include_router(admin.router)
    app.include_router(whatsapp_templates.router)

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/console", status_code=303)

    return app
