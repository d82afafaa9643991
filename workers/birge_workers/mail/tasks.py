"""The task edges of e-mail: parse the ids, hand the work to one function, report counts."""

from __future__ import annotations

from datetime import datetime

from celery import Celery
from sqlalchemy.orm import Session

from birge_shared.db import session_scope
from birge_shared.models import utcnow
from birge_shared.settings import get_settings
from birge_shared.tasks import EMAIL_RELEASE_DUE, EmailSend
from birge_workers.mail.send import release_due, send_emails
from birge_workers.mail.transport import transport_from_settings
from birge_workers.periodic import once_per_slot
from birge_workers.schedule import EMAIL_RELEASE_INTERVAL


def email_send(message_ids: list[str]) -> dict[str, int]:
    """Send these planned e-mails, each at most once; return what happened to them."""
    payload = EmailSend.model_validate({"message_ids": message_ids})
    settings = get_settings()
    report = send_emails(
        sessions=session_scope,
        transport=transport_from_settings(settings),
        settings=settings,
        message_ids=payload.message_ids,
    )
    return {
        "sent": report.sent,
        "retrying": report.retrying,
        "failed": report.failed,
        "skipped": report.skipped,
    }


def _release(*, session: Session, now: datetime) -> int:
    return release_due(session=session, now=now)


_release_once = once_per_slot(EMAIL_RELEASE_DUE, EMAIL_RELEASE_INTERVAL)(_release)


def email_release_due() -> int | None:
    """Queue planned e-mails whose task was lost; None when this slot already ran."""
    with session_scope() as session:
        return _release_once(session=session, now=utcnow())


def register_mail_tasks(app: Celery) -> None:
    app.task(name=EmailSend.task_name)(email_send)
    app.task(name=EMAIL_RELEASE_DUE)(email_release_due)
