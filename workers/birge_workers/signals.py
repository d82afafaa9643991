"""Worker process hooks: Birge's JSON logging, and the task id on every line a task logs."""

from __future__ import annotations

import logging
from contextvars import Token
from typing import Any

from celery import signals

from birge_shared.logs import configure_logging, correlation_id
from birge_shared.settings import get_settings
from birge_shared.tasks import OUTBOX_RELAY

_tokens: dict[str, Token[str | None]] = {}


class QuietTicks(logging.Filter):
    """Drops Celery's routine INFO lines about the relay's tick every second.

    They would be most of the log and say nothing: the relay logs what it published and what
    failed itself, and warnings and errors about the tick still come through.
    """

    _LOGGERS = frozenset({"celery.worker.strategy", "celery.app.trace", "celery.beat"})

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.INFO or record.name not in self._LOGGERS:
            return True
        data = getattr(record, "data", None)
        name = data.get("name") if isinstance(data, dict) else None
        return name != OUTBOX_RELAY and OUTBOX_RELAY not in record.getMessage()


def _setup_logging(**_: Any) -> None:
    # Connecting to this signal stops Celery from installing its own handlers, so worker and
    # beat lines come out in the same JSON as the API's.
    configure_logging(get_settings().log_level)
    for handler in logging.getLogger().handlers:
        handler.addFilter(QuietTicks())


def _task_started(task_id: str | None = None, **_: Any) -> None:
    if task_id is not None:
        _tokens[task_id] = correlation_id.set(task_id)


def _task_finished(task_id: str | None = None, **_: Any) -> None:
    token = _tokens.pop(task_id, None) if task_id is not None else None
    if token is not None:
        correlation_id.reset(token)


def connect() -> None:
    """Idempotent: each handler is connected once, however many apps are created."""
    signals.setup_logging.connect(_setup_logging, weak=False, dispatch_uid="birge.logging")
    signals.task_prerun.connect(_task_started, weak=False, dispatch_uid="birge.task_started")
    signals.task_postrun.connect(_task_finished, weak=False, dispatch_uid="birge.task_finished")
