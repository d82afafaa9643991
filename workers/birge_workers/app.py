"""The Celery application of Birge's workers, configured from Settings.

Run it with `birge worker` and `birge beat` (or `celery -A birge_workers.app:celery_app`).
"""

from __future__ import annotations

from celery import Celery

from birge_shared.broker import is_filesystem, transport_options
from birge_shared.settings import Settings, get_settings
from birge_workers import file_broker, signals
from birge_workers.schedule import beat_schedule
from birge_workers.tasks import register_tasks


def create_celery(settings: Settings) -> Celery:
    app = Celery("birge")
    app.conf.update(
        broker_url=settings.broker_url,
        broker_transport_options=transport_options(settings),
        # The embedded broker's messages are renamed into its queue whole.
        broker_transport=file_broker.TRANSPORT if is_filesystem(settings.broker_url) else None,
        broker_connection_retry_on_startup=True,
        # JSON only: a pickled message from a compromised broker could run code.
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        # A task is acknowledged after it ran, and re-queued if its worker process died, so a
        # crash means a second run (every task is idempotent), never a lost task.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        # Tasks record their outcome in the database; nobody waits for a Celery result.
        task_ignore_result=True,
        timezone="UTC",
        enable_utc=True,
        beat_schedule=beat_schedule(settings),
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
    )
    register_tasks(app)
    signals.connect()
    return app


celery_app = create_celery(get_settings())
