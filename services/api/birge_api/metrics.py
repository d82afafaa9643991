"""Prometheus metrics at /metrics: request latency, and the state of the message pipeline.

Request latency is observed by a middleware, labelled by the route *template*: raw paths carry
ids and personal-link tokens, and would make one time series per participant. Everything else
is read at scrape time, so every API process reports the same numbers without shared state:
messages by channel and status, provider error codes of failed messages, the outbox backlog and
its age (how far fan-out lags), and the broker's queue depth. A scrape never fails because the
database or the broker is down; it reports them as unreachable instead.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path

import redis
from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from birge_api.deps import SessionDep, SettingsDep
from birge_shared.broker import is_filesystem, transport_options
from birge_shared.models import Message as MessageRow
from birge_shared.models import MessageStatus, OutboxEntry, utcnow
from birge_shared.settings import Settings

log = logging.getLogger(__name__)

#: Celery's default queue: the workers publish and consume every task there.
CELERY_QUEUE = "celery"
# kombu's Redis transport keeps a list per priority step beside the plain queue name.
_REDIS_PRIORITY_SEPARATOR = "\x06\x16"
_REDIS_PRIORITY_STEPS = (3, 6, 9)
_FAILED = (MessageStatus.FAILED, MessageStatus.UNDELIVERED)
# Any other method is folded into one label value, so a client cannot invent time series.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

#: Observed in this process; the gauges are computed per scrape and need no registry.
REGISTRY = CollectorRegistry(auto_describe=True)
HTTP_LATENCY = Histogram(
    "birge_http_request_duration_seconds",
    "Time to answer an HTTP request, by method, route template and status.",
    ("method", "route", "status"),
    registry=REGISTRY,
)


class MetricsMiddleware:
    """Times every request; outermost, so refusals before routing (413) are counted too."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def send_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            method = scope["method"] if scope["method"] in _METHODS else "OTHER"
            # The router stores the matched route in the scope; an unmatched path has none,
            # and its raw text must not become a label.
            route = getattr(scope.get("route"), "path", "unmatched")
            HTTP_LATENCY.labels(method, route, str(status["code"])).observe(
                time.perf_counter() - started
            )


def _gauge(name: str, documentation: str, labels: Iterable[str] = ()) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, labels=list(labels))


def _database_metrics(session: Session, now: datetime) -> list[Metric]:
    messages = _gauge(
        "birge_messages", "Messages by channel and delivery status.", ("channel", "status")
    )
    query = select(MessageRow.channel, MessageRow.status, func.count()).group_by(
        MessageRow.channel, MessageRow.status
    )
    for channel, status, count in session.execute(query):
        messages.add_metric([channel.value, status.value], count)

    errors = _gauge(
        "birge_provider_errors",
        "Failed or undelivered messages by the provider's error code.",
        ("code",),
    )
    query_errors = (
        select(MessageRow.error_code, func.count())
        .where(MessageRow.status.in_(_FAILED), MessageRow.error_code.is_not(None))
        .group_by(MessageRow.error_code)
    )
    for code, count in session.execute(query_errors):
        errors.add_metric([str(code)], count)

    backlog, oldest = session.execute(
        select(func.count(), func.min(OutboxEntry.created_at)).where(
            OutboxEntry.published_at.is_(None)
        )
    ).one()
    unpublished = _gauge("birge_outbox_unpublished", "Outbox rows not yet on the broker.")
    unpublished.add_metric([], backlog)
    age = _gauge(
        "birge_outbox_oldest_unpublished_age_seconds",
        "Age of the oldest unpublished outbox row: how far fan-out lags (0 when none).",
    )
    age.add_metric([], max((now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0)
    return [messages, errors, unpublished, age]


def _redis_depth(url: str) -> int:
    client = redis.Redis.from_url(
        url, socket_connect_timeout=1, socket_timeout=1, retry=Retry(NoBackoff(), 0)
    )
    try:
        pipe = client.pipeline(transaction=False)
        pipe.llen(CELERY_QUEUE)
        for step in _REDIS_PRIORITY_STEPS:
            pipe.llen(f"{CELERY_QUEUE}{_REDIS_PRIORITY_SEPARATOR}{step}")
        return sum(int(length) for length in pipe.execute())
    finally:
        client.close()


def _folder_depth(settings: Settings) -> int:
    folder = Path(transport_options(settings)["data_folder_in"])
    return sum(1 for path in folder.iterdir() if path.name.endswith(f".{CELERY_QUEUE}.msg"))


def broker_queue_depth(settings: Settings) -> int | None:
    """Tasks waiting in the broker's queue; None when unknown (unreachable or unsupported)."""
    try:
        if is_filesystem(settings.broker_url):
            return _folder_depth(settings)
        if settings.broker_url.startswith(("redis://", "rediss://")):
            return _redis_depth(settings.broker_url)
    except (redis.RedisError, OSError) as exc:
        log.warning("broker queue depth unavailable", extra={"error": type(exc).__name__})
    return None


def _reachability(name: str, what: str, up: bool) -> GaugeMetricFamily:
    gauge = _gauge(name, f"1 when {what} answered this scrape, else 0.")
    gauge.add_metric([], 1 if up else 0)
    return gauge


def state_metrics(*, session: Session, settings: Settings) -> list[Metric]:
    """The gauges read at scrape time from the database and the broker."""
    families: list[Metric] = []
    try:
        families.extend(_database_metrics(session, utcnow()))
        database_up = True
    except SQLAlchemyError as exc:
        # Rolled back, so the request's own commit has nothing left to fail on.
        session.rollback()
        log.warning("database metrics unavailable", extra={"error": type(exc).__name__})
        database_up = False
    families.append(_reachability("birge_database_up", "the database", database_up))

    depth = broker_queue_depth(settings)
    families.append(_reachability("birge_broker_up", "the broker", depth is not None))
    if depth is not None:
        queue = _gauge("birge_broker_queue_depth", "Tasks waiting in the broker.", ("queue",))
        queue.add_metric([CELERY_QUEUE], depth)
        families.append(queue)
    return families


class _Snapshot(Collector):
    """Metric families computed for one scrape, in the shape `generate_latest` reads."""

    def __init__(self, families: list[Metric]) -> None:
        self._families = families

    def collect(self) -> Iterator[Metric]:
        return iter(self._families)


router = APIRouter(include_in_schema=False)


@router.get("/metrics")
def metrics(session: SessionDep, settings: SettingsDep) -> Response:
    snapshot = _Snapshot(state_metrics(session=session, settings=settings))
    body = generate_latest(REGISTRY) + generate_latest(snapshot)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
