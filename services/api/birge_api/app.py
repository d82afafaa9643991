"""The FastAPI application: routers, problem handlers and middleware, assembled once."""

from __future__ import annotations

from fastapi import Depends, FastAPI

from birge_api import docs, health, metrics, problem_docs, problems, proxies
from birge_api.attendance.router import router as attendance_router
from birge_api.audit.router import router as audit_router
from birge_api.auth.router import router as auth_router
from birge_api.buddies.router import router as buddies_router
from birge_api.calendars.router import router as calendars_router
from birge_api.comments.router import router as comments_router
from birge_api.contacts.router import router as contacts_router
from birge_api.dashboard.router import router as dashboard_router
from birge_api.events.router import router as events_router
from birge_api.groups.router import router as groups_router
from birge_api.inbox.router import router as inbox_router
from birge_api.indicators.router import router as indicators_router
from birge_api.invitations.router import approvals as approvals_router
from birge_api.invitations.router import router as invitations_router
from birge_api.message_templates.router import router as message_templates_router
from birge_api.middleware import (
    BodySizeLimitMiddleware,
    RequestContextMiddleware,
    SecurityHeadersMiddleware,
)
from birge_api.nul_guard import refuse_nul
from birge_api.participant_filters.router import router as participant_filters_router
from birge_api.participant_page.router import router as participant_page_router
from birge_api.participants.router import router as participants_router
from birge_api.reports.router import router as reports_router
from birge_api.users.router import router as users_router
from birge_api.webhooks.router import router as webhooks_router
from birge_api.webhooks.telegram_router import router as telegram_webhook_router
from birge_api.whatsapp_templates.router import router as whatsapp_templates_router
from birge_shared.settings import get_settings

DESCRIPTION = """
Birge schedules intergroup social activities in Bishkek and Osh: coordinators register
participants, create events and invite a balanced mix of host-community members and migrants.

Errors are RFC 9457 problem details (`application/problem+json`) with a stable `type`.
"""


def create_app() -> FastAPI:
    settings = get_settings()
    app = FastAPI(
        title="Birge",
        version="0.1.0",
        description=DESCRIPTION,
        dependencies=[Depends(refuse_nul)],
        docs_url=None,
        redoc_url=None,
        openapi_url=docs.openapi_url(settings),
    )
    problems.install(app)
    problem_docs.install(app)
    docs.install(app, settings)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_request_bytes)
    app.add_middleware(RequestContextMiddleware)
    app.add_middleware(metrics.MetricsMiddleware)
    proxies.install(app, settings)
    # Last added, so outermost: every answer gets the headers, the 413 refusal included.
    app.add_middleware(SecurityHeadersMiddleware)
    app.include_router(health.router)
    # Routes are matched in order: the providers' webhooks, the hottest routes, come before
    # the hundred others (their paths are their own, so no route is shadowed).
    app.include_router(webhooks_router)
    app.include_router(telegram_webhook_router)
    app.include_router(metrics.router)
    app.include_router(auth_router)
    app.include_router(events_router)
    app.include_router(comments_router)
    app.include_router(participants_router)
    app.include_router(participant_filters_router)
    app.include_router(invitations_router)
    app.include_router(approvals_router)
    app.include_router(attendance_router)
    app.include_router(groups_router)
    app.include_router(buddies_router)
    app.include_router(message_templates_router)
    app.include_router(whatsapp_templates_router)
    app.include_router(participant_page_router)
    app.include_router(calendars_router)
    app.include_router(users_router)
    app.include_router(audit_router)
    app.include_router(inbox_router)
    app.include_router(contacts_router)
    app.include_router(reports_router)
    app.include_router(indicators_router)
    app.include_router(dashboard_router)
    return app
