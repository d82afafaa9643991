"""The task edge of the Telegram bot: parse the payload, settle the answer, commit."""

from __future__ import annotations

from celery import Celery, Task

from birge_shared.db import session_scope
from birge_shared.settings import get_settings
from birge_shared.tasks import TelegramAnswerSettle
from birge_workers.relay import retry_delay
from birge_workers.telegram.provider import TelegramProvider, TelegramUnavailableError
from birge_workers.telegram.settle import settle_answer

SETTLE_MAX_RETRIES = 8


def settle_telegram_answer(task: Task, update_id: int) -> str:  # type: ignore[type-arg]
    payload = TelegramAnswerSettle.model_validate({"update_id": update_id})
    try:
        with session_scope() as session:
            return settle_answer(
                session=session,
                update_id=payload.update_id,
                provider=lambda: TelegramProvider.from_settings(get_settings()),
            )
    except TelegramUnavailableError as exc:
        raise task.retry(
            countdown=retry_delay(task.request.retries).total_seconds(),
            max_retries=SETTLE_MAX_RETRIES,
        ) from exc


def register_telegram_tasks(app: Celery) -> None:
    app.task(name=TelegramAnswerSettle.task_name, bind=True)(settle_telegram_answer)
