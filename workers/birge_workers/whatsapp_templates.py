"""The periodic sync of WhatsApp templates' approval from Twilio's Content API.

A failed sync changes nothing (`birge_shared.whatsapp_template_sync`) and is reported in the
log and the task's result; the next slot tries again.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Any

from celery import Celery

from birge_shared.db import session_scope
from birge_shared.models import utcnow
from birge_shared.providers.twilio_content import content_api_from_settings
from birge_shared.settings import get_settings
from birge_shared.tasks import WHATSAPP_SYNC_TEMPLATES
from birge_shared.whatsapp_template_sync import SyncFailedError, sync_approvals
from birge_workers.periodic import claim_slot
from birge_workers.schedule import whatsapp_sync_interval

log = logging.getLogger(__name__)


def whatsapp_sync_templates() -> dict[str, Any] | None:
    """Sync every template's approval; None when Twilio is not configured or the slot ran."""
    settings = get_settings()
    api = content_api_from_settings(settings)
    if api is None:
        return None
    now = utcnow()
    try:
        with session_scope() as session:
            if not claim_slot(
                session=session,
                task_name=WHATSAPP_SYNC_TEMPLATES,
                interval=whatsapp_sync_interval(settings),
                now=now,
            ):
                return None
            result = sync_approvals(session=session, source=api, now=now)
    except SyncFailedError as exc:
        # The slot's claim rolled back with the sync: the next beat tries again.
        return {"failed": str(exc)}
    return {**asdict(result), "synced_at": result.synced_at.isoformat()}


def register_whatsapp_template_tasks(app: Celery) -> None:
    app.task(name=WHATSAPP_SYNC_TEMPLATES)(whatsapp_sync_templates)
