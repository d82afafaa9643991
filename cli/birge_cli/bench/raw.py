"""The baseline: the bare Twilio SDK creating messages in a loop, in C processes.

This is the most a sender could get out of the SDK and the fake on this machine with C
processes, so the end-to-end rate divided by it says what Birge's pipeline costs on top.
Processes, not threads, because the worker's default pool is prefork: C threads would share
one interpreter lock and measure less than the worker has. Each process builds its client
before the start signal, so interpreter start-up and imports are not timed.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.synchronize import Barrier, Event

from twilio.rest import Client

from birge_cli.bench import BenchError
from birge_cli.bench.fake_messages_api import FakeMessagesApi
from birge_shared.providers.twilio_http import RebasedHttpClient

READY_SECONDS = 120.0
POLL_SECONDS = 0.02


class RawLoopError(BenchError):
    """A baseline process failed or the baseline did not finish in time."""


@dataclass(frozen=True, slots=True)
class RawTarget:
    account_sid: str
    auth_token: str
    api_base: str
    from_number: str
    status_callback: str
    body: str


@dataclass(frozen=True, slots=True)
class RawTiming:
    started: float
    finished: float
    creates: int

    @property
    def seconds(self) -> float:
        return self.finished - self.started


def send_loop(target: RawTarget, numbers: Sequence[str], ready: Barrier, go: Event) -> None:
    """One baseline process: the same SDK, host and form fields as the worker's sends."""
    client = Client(
        target.account_sid,
        target.auth_token,
        # The SDK's client as shipped: it reads the environment on every call, as the worker's
        # does not.
        http_client=RebasedHttpClient(target.api_base, environment_per_request=True),
        environment={},
    )
    messages = client.messages  # its first use imports the resource: do it before the clock
    ready.wait()
    go.wait()
    for number in numbers:
        messages.create(
            to=number,
            from_=target.from_number,
            body=target.body,
            status_callback=target.status_callback,
        )


def run_raw_loop(
    *,
    fake: FakeMessagesApi,
    target: RawTarget,
    numbers: Sequence[str],
    concurrency: int,
    timeout: float,
) -> RawTiming:
    # Spawned, not forked: this process runs the fake's threads, which a fork would copy
    # mid-flight.
    context = multiprocessing.get_context("spawn")
    ready = context.Barrier(concurrency + 1)
    go = context.Event()
    shares = [list(numbers[index::concurrency]) for index in range(concurrency)]
    processes = [
        context.Process(
            target=send_loop,
            args=(target, share, ready, go),
            name=f"raw-sdk-{index}",
            daemon=True,
        )
        for index, share in enumerate(shares)
    ]
    for process in processes:
        process.start()
    try:
        try:
            ready.wait(timeout=READY_SECONDS)
        except threading.BrokenBarrierError:
            raise RawLoopError(
                f"the baseline processes were not ready in {READY_SECONDS:.0f} s"
            ) from None
        before = fake.total_creates
        goal = before + len(numbers)
        started = time.time()
        go.set()
        deadline = time.monotonic() + timeout
        while fake.total_creates < goal:
            failed = [p for p in processes if p.exitcode not in (None, 0)]
            if failed:
                raise RawLoopError(f"a baseline process exited with status {failed[0].exitcode}")
            if time.monotonic() > deadline:
                raise RawLoopError(
                    f"the baseline made {fake.total_creates - before} of {len(numbers)} "
                    f"creates in {timeout:.0f} s"
                )
            time.sleep(POLL_SECONDS)
        finished = fake.create_times[-1]
        for process in processes:
            process.join(timeout=30)
        return RawTiming(started=started, finished=finished, creates=len(numbers))
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
                process.join(timeout=10)
