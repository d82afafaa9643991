"""`birge bench webhooks`: how many signed Twilio status callbacks the API absorbs.

Signed callbacks are posted at rising rates (open loop: each request leaves at its scheduled
moment, whether or not earlier ones have been answered) to the API on a scratch PostgreSQL
database; in the same run and at the same rates `GET /healthz` on the same server is the
baseline, so the ratio shows what verifying, storing and queueing a callback costs over a
request that does nothing.
"""

from __future__ import annotations

import logging
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import create_engine, func, select
from sqlalchemy.pool import NullPool
from twilio.request_validator import RequestValidator

from birge_cli.bench.fanout import Secrets, serving_env
from birge_cli.bench.machine import this_machine
from birge_cli.bench.processes import api_ready, child, free_port, wait_until
from birge_cli.bench.stores import scratch_database
from birge_shared.db import normalise_database_url
from birge_shared.migrate import upgrade
from birge_shared.models import ProviderCallback
from birge_shared.providers.twilio import STATUS_PATH

Say = Callable[[str], None]
#: Threads sending requests; enough that a slow answer does not hold back the schedule.
SENDERS = 32


@dataclass(frozen=True)
class WebhookOptions:
    rates: Sequence[int]
    seconds: float
    database_url: str | None


@dataclass
class Step:
    """One rate held for a while against one endpoint."""

    offered: int
    sent: int = 0
    failed: int = 0
    latencies: list[float] = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def sustained(self) -> float:
        return (self.sent - self.failed) / self.elapsed if self.elapsed else 0.0

    def percentile(self, share: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


Request = Callable[[httpx.Client, int], httpx.Response]


def _drive(rate: int, seconds: float, request: Request) -> Step:
    """Send `rate` requests a second for `seconds`, each at its scheduled moment."""
    total = max(1, int(rate * seconds))
    step = Step(offered=rate)
    lock = threading.Lock()
    counter = iter(range(total))
    start = time.perf_counter() + 0.05

    def sender() -> None:
        with httpx.Client(timeout=30) as client:
            while True:
                with lock:
                    index = next(counter, None)
                if index is None:
                    return
                due = start + index / rate
                pause = due - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
                began = time.perf_counter()
                try:
                    ok = request(client, index).status_code < 300
                except httpx.HTTPError:
                    ok = False
                took = time.perf_counter() - began
                with lock:
                    step.sent += 1
                    step.failed += 0 if ok else 1
                    step.latencies.append(took)

    threads = [threading.Thread(target=sender, daemon=True) for _ in range(SENDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    step.elapsed = time.perf_counter() - start
    return step


def _signed_callbacks(base_url: str, token: str, count: int) -> list[tuple[dict[str, str], str]]:
    # Signed before the clock starts, so the load generator measures the server, not itself.
    validator = RequestValidator(token)
    url = base_url + STATUS_PATH
    forms = []
    for _ in range(count):
        sid = "SM" + uuid.uuid4().hex
        form = {
            "MessageSid": sid,
            "SmsSid": sid,
            "MessageStatus": "delivered",
            "AccountSid": "AC" + "0" * 32,
            "ApiVersion": "2010-04-01",
        }
        forms.append((form, str(validator.compute_signature(url, form))))
    return forms


def _poster(base_url: str, forms: list[tuple[dict[str, str], str]]) -> Request:
    def post(client: httpx.Client, index: int) -> httpx.Response:
        form, signature = forms[index]
        return client.post(
            base_url + STATUS_PATH, data=form, headers={"X-Twilio-Signature": signature}
        )

    return post


def run(options: WebhookOptions, *, say: Say, note: Say) -> int:
    # httpx logs every request at INFO: thousands of lines that would bury the figures.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    keys = Secrets.fresh()
    token = keys.others["TWILIO_AUTH_TOKEN"]
    with tempfile.TemporaryDirectory(prefix="birge-bench-") as tmp:
        folder = Path(tmp)
        with scratch_database(options.database_url, folder) as database:
            upgrade(database.url)
            port = free_port()
            base_url = f"http://127.0.0.1:{port}"
            # The webhook only writes rows; no worker consumes during the measure.
            env = serving_env(
                keys, database_url=database.url, folder=folder, port=port, log_level="WARNING"
            )
            with child(
                "api", ["api", "--host", "127.0.0.1", "--port", str(port)], env=env, cwd=folder
            ) as api:
                wait_until(api_ready(base_url), what="the API answers", children=[api], timeout=90)
                say("birge bench webhooks")
                say(f"machine: {this_machine().describe()}")
                say(
                    f"set-up: {database.description}; API under uvicorn (one process); "
                    f"{SENDERS} sender threads, open loop, {options.seconds:g} s per step"
                )
                posted = 0
                for rate in options.rates:
                    count = max(1, int(rate * options.seconds))
                    forms = _signed_callbacks(base_url, token, count)
                    note(f"{rate} callbacks/s")

                    callback = _poster(base_url, forms)

                    def healthz(client: httpx.Client, _: int) -> httpx.Response:
                        return client.get(base_url + "/healthz")

                    webhook = _drive(rate, options.seconds, callback)
                    baseline = _drive(rate, options.seconds, healthz)
                    posted += webhook.sent - webhook.failed
                    say(_line(webhook, baseline))
                stored = _stored(database.url)
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
        f"| ratio {ratio:.2f}, p50 x{_ratio(webhook, baseline):.1f}"
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
