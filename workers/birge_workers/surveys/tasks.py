"""The task edge of the surveys: one periodic task, once per minute however many beats fire."""

from __future__ import annotations

from datetime import datetime

from celery import Celery
from sqlalchemy.orm import Session

from birge_shared.db import session_scope
from birge_shared.models import utcnow
from birge_shared.settings import get_settings
from birge_shared.tasks import SURVEYS_SEND_DUE
from birge_workers.periodic import once_per_slot
from birge_workers.schedule import SURVEYS_INTERVAL
from birge_workers.surveys.due import send_due_surveys


def _send_due(*, session: Session, now: datetime) -> int:
    return send_due_surveys(session=session, now=now, settings=get_settings())


#: The periodic work as the task runs it: at most once per minute, however many beats fire.
send_due_surveys_once = once_per_slot(SURVEYS_SEND_DUE, SURVEYS_INTERVAL)(_send_due)


def surveys_send_due() -> int | None:
    """Plan the post-event surveys and reminders due now; None when this minute already ran."""
    with session_scope() as session:
        return send_due_surveys_once(session=session, now=utcnow())


def register_survey_tasks(app: Celery) -> None:
    app.task(name=SURVEYS_SEND_DUE)(surveys_send_due)
