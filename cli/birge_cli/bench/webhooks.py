"""`birge bench webhooks`: how many signed Twilio status callbacks the API absorbs.

Signed callbacks are posted at rising rates (open loop: each request leaves at its scheduled
moment, whether or not earlier ones have been answered) to the API on a scratch PostgreSQL
database; in the same run and at the same rates `GET /healthz` on the same server is the
baseline, so the ratio shows what verifying, storing and queueing a callback costs over a
request that does nothing.
"""

from __future__ import annotations

import statistics
import tempfile
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import create_engine, func, select
from sqlalchemy.pool import NullPool
from twilio.request_validator import RequestValidator

from birge_cli.bench.fanout import Secrets, serving_env
from birge_cli.bench.machine import this_machine
from birge_cli.bench.open_loop import Step, drive, request_bytes
from birge_cli.bench.processes import api_ready, child, free_port, wait_until
from birge_cli.bench.stores import scratch_database
from birge_shared.db import normalise_database_url
from birge_shared.migrate import upgrade
from birge_shared.models import ProviderCallback
from birge_shared.providers.twilio import STATUS_PATH

Say = Callable[[str], None]


@dataclass(frozen=True)
class WebhookOptions:
    rates: Sequence[int]
    seconds: float
    database_url: str | None


def _signed_callbacks(host: str, token: str, count: int) -> list[bytes]:
    # Signed and written out before the clock starts, so the load generator measures the
    # server, not itself.
    validator = RequestValidator(token)
    url = f"http://{host}{STATUS_PATH}"
    requests = []
    for _ in range(count):
        sid = "SM" + uuid.uuid4().hex
        form = {
            "MessageSid": sid,
            "SmsSid": sid,
            "MessageStatus": "delivered",
            "AccountSid": "AC" + "0" * 32,
            "ApiVersion": "2010-04-01",
        }
        headers = {
            "content-type": "application/x-www-form-urlencoded",
            "x-twilio-signature": str(validator.compute_signature(url, form)),
        }
        body = urlencode(form).encode()
        requests.append(request_bytes("POST", host, STATUS_PATH, headers=headers, body=body))
    return requests


def run(options: WebhookOptions, *, say: Say, note: Say) -> int:
    keys = Secrets.fresh()
    token = keys.others["TWILIO_AUTH_TOKEN"]
    with tempfile.TemporaryDirectory(prefix="birge-bench-") as tmp:
        folder = Path(tmp)
        with scratch_database(options.database_url, folder) as database:
            upgrade(database.url)
            port = free_port()
            host = f"127.0.0.1:{port}"
            # The webhook only writes rows; no worker consumes during the measure.
            env = serving_env(
                keys, database_url=database.url, folder=folder, port=port, log_level="WARNING"
            )
            with child(
                "api", ["api", "--host", "127.0.0.1", "--port", str(port)], env=env, cwd=folder
            ) as api:
                wait_until(
                    api_ready(f"http://{host}"), what="the API answers", children=[api], timeout=90
                )
                say("birge bench webhooks")
                say(f"machine: {this_machine().describe()}")
                say(
                    f"set-up: {database.description}; API under uvicorn (one process, as each "
                    f"deployed API container runs); one asyncio client on keep-alive "
                    f"connections, open loop, {options.seconds:g} s per step"
                )
                # The first callbacks pay one-off costs (route tables, connections, the
                # statement's compilation); a deployment pays them once, not in its figures.
                drive("127.0.0.1", port, 50, _signed_callbacks(host, token, 25))
                before = _stored(database.url)
                posted = 0
                healthz = request_bytes("GET", host, "/healthz")
                for rate in options.rates:
                    count = max(1, int(rate * options.seconds))
                    callbacks = _signed_callbacks(host, token, count)
                    note(f"{rate} callbacks/s")
                    webhook = drive("127.0.0.1", port, rate, callbacks)
                    baseline = drive("127.0.0.1", port, rate, [healthz] * count)
                    posted += webhook.sent - webhook.failed
                    say(_line(webhook, baseline))
                stored = _stored(database.url) - before
                say(
                    f"stored: {stored} of {posted} accepted callbacks "
                    f"({'each once' if stored == posted else 'MISMATCH'})"
                )
                return 0 if stored == posted else 1


def _line(webhook: Step, baseline: Step) -> str:
    ratio = webhook.sustained / baseline.sustained if baseline.sustained else float("nan")
    return (
        f"offered {webhook.offered}/s: webhook {webhook.sustained:.1f} req/s "
        f"p50 {webhook.percentile(0.5):.1f} ms p99 {webhook.percentile(0.99):.1f} ms "
        f"({webhook.failed} failed) | /healthz {baseline.sustained:.1f} req/s "
        f"p50 {baseline.percentile(0.5):.1f} ms p99 {baseline.percentile(0.99):.1f} ms "
        f"| ratio {ratio:.2f}, p50 x{_ratio(webhook, baseline):.1f} "
        f"| client late p99 {webhook.percentile(0.99, webhook.lags):.1f} ms"
    )


def _ratio(webhook: Step, baseline: Step) -> float:
    if not webhook.latencies or not baseline.latencies:
        return float("nan")
    return statistics.median(webhook.latencies) / statistics.median(baseline.latencies)


def _stored(database_url: str) -> int:
    engine = create_engine(normalise_database_url(database_url), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return int(connection.scalar(select(func.count()).select_from(ProviderCallback)) or 0)
    finally:
        engine.dispose()
