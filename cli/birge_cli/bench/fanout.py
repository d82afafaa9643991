"""`birge bench fanout`: invitations per second from the API request to the provider.

One run, everything its own: a scratch database and broker (see `stores`), n participants and
one event, the fake Messages API on 127.0.0.1, and the API, a worker and beat as a deployment
runs them. The clock starts just before `POST /v1/events/{id}/invitations` and stops at the
n-th create the fake receives; the same fake then takes n creates from the bare Twilio SDK in
as many processes as the worker has, the baseline of the ratio. Figures, machine and an
exactly-once check are printed; nothing is asserted about speed.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from birge_cli.bench.fake_messages_api import FakeMessagesApi
from birge_cli.bench.machine import (
    Machine,
    PeakMemory,
    cpu_seconds,
    machine_busy_seconds,
    peak_memory,
    process_cpu_seconds,
    process_name,
    this_machine,
)
from birge_cli.bench.processes import (
    START_SECONDS,
    Child,
    api_ready,
    beat_ready,
    child,
    free_port,
    terminate_as_interrupt,
    wait_until,
    worker_ready,
)
from birge_cli.bench.raw import RawTarget, RawTiming, run_raw_loop
from birge_cli.bench.seed import ADMIN_EMAIL, Seeded, seed
from birge_cli.bench.stores import Broker, Database, scratch_broker, scratch_database
from birge_shared.crypto import PiiCipher, generate_key
from birge_shared.db import make_engine
from birge_shared.migrate import upgrade
from birge_shared.models import Message, MessagePurpose, MessageStatus
from birge_shared.providers.twilio import STATUS_PATH
from birge_shared.settings import Settings

DEFAULT_N = 10_000
# An alphanumeric sender: the run prints no phone number, and needs none of its own.
FROM_NUMBER = "BirgeBench"
# Far above what the machine can do, so the shared pacer never holds a send back.
UNLIMITED_RATE = "1000000"
# The raw loop's numbers, from a block the participants' numbers never come from.
RAW_PHONE_PREFIX = "+99670"
# Bytes of one participant id in the request body, with quotes and comma.
ID_BYTES = 40
SETTLE_SECONDS = 60.0

Say = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class FanoutOptions:
    n: int
    concurrency: int
    per_request: int
    chunk_size: int
    database_url: str | None
    broker_url: str | None
    timeout: float


@dataclass(frozen=True, slots=True)
class EndToEnd:
    started: float
    answered: float
    first_create: float
    finished: float
    requests: int

    @property
    def seconds(self) -> float:
        return self.finished - self.started


@dataclass(frozen=True, slots=True)
class CpuSample:
    worker: float
    api: float
    fake: float
    postgres: dict[int, float]
    machine: float


@dataclass(frozen=True, slots=True)
class CpuUse:
    """Core-seconds used during the end-to-end run, by part, and by the whole machine."""

    worker: float
    api: float
    fake: float
    postgres: float | None
    machine: float
    available: float

    @classmethod
    def between(
        cls, before: CpuSample, after: CpuSample, *, seconds: float, cores: int, postgres: bool
    ) -> CpuUse:
        return cls(
            worker=after.worker - before.worker,
            api=after.api - before.api,
            fake=after.fake - before.fake,
            # A backend that started during the run counts from zero.
            postgres=sum(cpu - before.postgres.get(pid, 0.0) for pid, cpu in after.postgres.items())
            if postgres
            else None,
            machine=after.machine - before.machine,
            available=seconds * cores,
        )


@dataclass(frozen=True, slots=True)
class ExactlyOnce:
    numbers: int
    missing: int
    duplicated: int
    other_creates: int
    recorded: dict[str, int]

    @property
    def holds(self) -> bool:
        return self.missing == 0 and self.duplicated == 0 and self.other_creates == 0


@dataclass(frozen=True, slots=True)
class Figures:
    options: FanoutOptions
    machine: Machine
    database: Database
    broker: Broker
    seed_seconds: float
    end_to_end: EndToEnd
    cpu: CpuUse
    memory: PeakMemory
    exactly_once: ExactlyOnce
    raw: RawTiming


@dataclass(frozen=True, slots=True)
class Secrets:
    """The run's own keys: the children run outside development, which refuses every default."""

    pii_key: str
    hash_key: str
    admin_password: str
    #: A fresh value for every single-value secret setting, found by type, so a secret
    #: setting added later is covered too.
    others: dict[str, str]

    @classmethod
    def fresh(cls) -> Secrets:
        return cls(
            pii_key=generate_key(),
            hash_key=secrets.token_urlsafe(32),
            admin_password=secrets.token_urlsafe(18),
            others={
                name.upper(): secrets.token_urlsafe(32)
                for name, field in Settings.model_fields.items()
                if field.annotation is SecretStr
            },
        )


def serving_env(
    keys: Secrets, *, database_url: str, folder: Path, port: int, log_level: str
) -> dict[str, str]:
    """The environment of an API child that only answers requests: nothing is sent, so no
    worker runs and its broker is a folder of the run."""
    settings = {
        **keys.others,
        # Outside development (every default secret refused), but not production, which would
        # also demand a provider and a mail server these runs never use.
        "ENVIRONMENT": "test",
        "PII_ENCRYPTION_KEY": keys.pii_key,
        "PII_HASH_KEY": keys.hash_key,
        "DATABASE_URL": database_url,
        "BROKER_URL": "filesystem://",
        "BROKER_FOLDER": str(folder / "broker"),
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "PORT": str(port),
        "LOG_LEVEL": log_level,
    }
    # The caller's PATH and locale pass through; the settings above win.
    return {**os.environ, **settings}


def run(options: FanoutOptions, *, say: Say, note: Say) -> int:
    """Measure, print the figures with `say` (progress with `note`); 0 when sent exactly once."""
    with terminate_as_interrupt():
        figures = _measure(options, note)
    print_figures(figures, say)
    return 0 if figures.exactly_once.holds else 1


def _measure(options: FanoutOptions, note: Say) -> Figures:
    machine = this_machine()
    keys = Secrets.fresh()
    # Migration and request lines would drown the progress notes; warnings still show.
    for noisy in ("alembic", "httpx", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="birge-bench-")))
        note(f"working in {folder}")
        database = stack.enter_context(scratch_database(options.database_url, folder))
        broker = stack.enter_context(scratch_broker(options.broker_url, folder))
        note(f"stores: {database.description}, {broker.description}; migrating")
        if database.name:
            note(f"scratch database {database.name}, dropped at the end")
        upgrade(database.url)
        cipher = PiiCipher(encryption_keys=[keys.pii_key], hash_key=keys.hash_key)
        seed_started = time.monotonic()
        seeded = seed(
            database_url=database.url,
            cipher=cipher,
            n=options.n,
            admin_password=keys.admin_password,
        )
        seed_seconds = time.monotonic() - seed_started
        note(f"seeded {options.n} participants in {seed_seconds:.1f} s")

        fake = stack.enter_context(FakeMessagesApi(auth_token=secrets.token_hex(16)))
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        env = _child_env(
            options=options,
            database=database,
            broker=broker,
            fake=fake,
            keys=keys,
            port=port,
        )
        note(f"starting the API, a worker (prefork, concurrency {options.concurrency}) and beat")
        api = stack.enter_context(
            child("api", ["api", "--host", "127.0.0.1", "--port", str(port)], env=env, cwd=folder)
        )
        worker = stack.enter_context(
            child(
                "worker",
                ["worker", "--concurrency", str(options.concurrency)],
                env=env,
                cwd=folder,
            )
        )
        beat = stack.enter_context(
            child(
                "beat", ["beat", "--schedule", str(folder / "beat-schedule")], env=env, cwd=folder
            )
        )
        children = [api, worker, beat]
        wait_until(
            api_ready(base_url), what="the API is ready", children=children, timeout=START_SECONDS
        )
        wait_until(
            worker_ready(worker),
            what="the worker is ready",
            children=children,
            timeout=START_SECONDS,
        )
        wait_until(
            beat_ready(beat), what="beat has started", children=children, timeout=START_SECONDS
        )
        token = _log_in(base_url, keys.admin_password)

        note(f"end to end: inviting {options.n} participants")
        backends = stack.enter_context(_postgres_backends(database))
        cpu_before = _sample_cpu(worker=worker, api=api, backends=backends)
        end_to_end = _end_to_end(
            options=options,
            base_url=base_url,
            token=token,
            seeded=seeded,
            fake=fake,
            children=children,
        )
        cpu_after = _sample_cpu(worker=worker, api=api, backends=backends)
        memory = peak_memory(worker.pid)
        cpu = CpuUse.between(
            cpu_before,
            cpu_after,
            seconds=end_to_end.seconds,
            cores=machine.cores,
            postgres=backends is not None,
        )
        exactly_once = _check_exactly_once(
            database_url=database.url, fake=fake, seeded=seeded, children=children
        )
        body = _one_invitation_text(database_url=database.url, cipher=cipher)
        # The services are stopped first: idle or not, they must not share the cores with
        # the baseline.
        for running in children:
            running.stop()

        note(f"baseline: the Twilio SDK alone, {options.concurrency} processes")
        raw = run_raw_loop(
            fake=fake,
            target=RawTarget(
                account_sid=fake.account_sid,
                auth_token=fake.auth_token,
                api_base=fake.base_url,
                from_number=FROM_NUMBER,
                status_callback=base_url + STATUS_PATH,
                body=body,
            ),
            numbers=[f"{RAW_PHONE_PREFIX}{index:07d}" for index in range(options.n)],
            concurrency=options.concurrency,
            timeout=options.timeout,
        )
        note("stopping and cleaning up")
    return Figures(
        options=options,
        machine=machine,
        database=database,
        broker=broker,
        seed_seconds=seed_seconds,
        end_to_end=end_to_end,
        cpu=cpu,
        memory=memory,
        exactly_once=exactly_once,
        raw=raw,
    )


def _child_env(
    *,
    options: FanoutOptions,
    database: Database,
    broker: Broker,
    fake: FakeMessagesApi,
    keys: Secrets,
    port: int,
) -> dict[str, str]:
    settings = {
        **keys.others,
        # Outside development the run's own secrets replace every development default. Not
        # production: that also demands a mail server, which a benchmark of SMS does not use.
        "ENVIRONMENT": "test",
        "PII_ENCRYPTION_KEY": keys.pii_key,
        "PII_HASH_KEY": keys.hash_key,
        "DATABASE_URL": database.url,
        "BROKER_URL": broker.url,
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "PORT": str(port),
        "TWILIO_ACCOUNT_SID": fake.account_sid,
        "TWILIO_AUTH_TOKEN": fake.auth_token,
        "TWILIO_API_BASE": fake.base_url,
        "TWILIO_FROM_NUMBER": FROM_NUMBER,
        # Blank means unset; a service SID from the caller's environment would win over From.
        "TWILIO_MESSAGING_SERVICE_SID": "",
        "SMTP_URL": "",
        "SMS_RATE_PER_SECOND": UNLIMITED_RATE,
        "SMS_CHUNK_SIZE": str(options.chunk_size),
        # Equal start and end: no quiet hours, whatever the time in Osh.
        "QUIET_HOURS_START": "00:00",
        "QUIET_HOURS_END": "00:00",
        "MAX_RECIPIENTS_PER_REQUEST": str(options.per_request),
        "MAX_REQUEST_BYTES": str(max(5 * 1024 * 1024, options.per_request * ID_BYTES + 65536)),
        "LOG_LEVEL": "INFO",
    }
    if broker.folder is not None:
        settings["BROKER_FOLDER"] = str(broker.folder)
    # The rest of the caller's environment (PATH, locale) passes through; the settings above
    # override any of the same name.
    return {**os.environ, **settings}


@contextmanager
def _postgres_backends(database: Database) -> Iterator[Callable[[], list[int]] | None]:
    """The pids of the server processes serving the scratch database, when they are local."""
    if not database.local_postgres:
        yield None
        return
    engine = make_engine(database.url)

    def pids() -> list[int]:
        with engine.connect() as connection:
            found = connection.execute(
                text(
                    "SELECT pid FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalars()
            # A server in a container reports its own pids: count only real local backends.
            return [pid for pid in found if process_name(pid) == "postgres"]

    try:
        yield pids
    finally:
        engine.dispose()


def _sample_cpu(
    *, worker: Child, api: Child, backends: Callable[[], list[int]] | None
) -> CpuSample:
    return CpuSample(
        worker=cpu_seconds(worker.pid),
        api=cpu_seconds(api.pid),
        # The fake answers in threads of this process, so this process's CPU time is the
        # fake's (plus a little polling).
        fake=time.process_time(),
        postgres=process_cpu_seconds(backends()) if backends is not None else {},
        machine=machine_busy_seconds(),
    )


def _http(
    url: str,
    *,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30.0,
) -> tuple[int, bytes]:
    # Always the run's own http://127.0.0.1 API, never a file: or other URL.
    request = urllib.request.Request(url, data=data, headers=headers or {}, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310 - our own http URL
            return int(answer.status), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _log_in(base_url: str, password: str) -> str:
    form = urllib.parse.urlencode({"username": ADMIN_EMAIL, "password": password}).encode()
    status, body = _http(
        f"{base_url}/v1/auth/token",
        data=form,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    if status != 200:
        raise RuntimeError(f"logging in as the run's admin answered HTTP {status}")
    token: str = json.loads(body)["access_token"]
    return token


def _end_to_end(
    *,
    options: FanoutOptions,
    base_url: str,
    token: str,
    seeded: Seeded,
    fake: FakeMessagesApi,
    children: Sequence[Child],
) -> EndToEnd:
    url = f"{base_url}/v1/events/{seeded.event_id}/invitations"
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    ids = seeded.participant_ids
    slices = [
        ids[start : start + options.per_request]
        for start in range(0, len(ids), options.per_request)
    ]
    bodies = [json.dumps({"participant_ids": [str(i) for i in part]}).encode() for part in slices]
    started = time.time()
    for part, body in zip(slices, bodies, strict=True):
        status, answer = _http(url, data=body, headers=headers, timeout=options.timeout)
        if status != 202:
            raise RuntimeError(f"the invitation request answered HTTP {status}: {answer[:500]!r}")
        invited = json.loads(answer)["invited"]
        if invited != len(part):
            raise RuntimeError(f"the API invited {invited} of {len(part)} participants")
    answered = time.time()
    wait_until(
        lambda: fake.total_creates >= options.n,
        what=f"the fake Messages API has {options.n} creates",
        children=children,
        timeout=options.timeout,
        poll=0.02,
    )
    times = list(fake.create_times)
    return EndToEnd(
        started=started,
        answered=answered,
        first_create=min(times),
        finished=max(times),
        requests=len(slices),
    )


def _check_exactly_once(
    *, database_url: str, fake: FakeMessagesApi, seeded: Seeded, children: Sequence[Child]
) -> ExactlyOnce:
    engine = make_engine(database_url)
    in_flight = (MessageStatus.PLANNED, MessageStatus.SENDING)

    def recorded() -> dict[str, int]:
        with Session(engine) as session:
            rows = session.execute(
                select(Message.status, func.count())
                .where(Message.purpose == MessagePurpose.INVITATION)
                .group_by(Message.status)
            ).all()
        return {status.value: count for status, count in rows}

    try:
        # The last receipts are recorded just after the fake answered; a message sent twice
        # would show up at the fake by then too.
        wait_until(
            lambda: not any(recorded().get(status.value) for status in in_flight),
            what="every invitation message is recorded as sent",
            children=children,
            timeout=SETTLE_SECONDS,
            poll=0.5,
        )
        statuses = recorded()
    finally:
        engine.dispose()
    creates = dict(fake.creates_by_to)
    counts = [creates.get(phone, 0) for phone in seeded.phones]
    return ExactlyOnce(
        numbers=len(counts),
        missing=sum(1 for count in counts if count == 0),
        duplicated=sum(1 for count in counts if count > 1),
        other_creates=sum(count for to, count in creates.items() if to not in seeded.phones),
        recorded=statuses,
    )


def _one_invitation_text(*, database_url: str, cipher: PiiCipher) -> str:
    """A real invitation's text, so the baseline sends a body of the same size."""
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            stored = session.scalar(
                select(Message.body_encrypted)
                .where(
                    Message.purpose == MessagePurpose.INVITATION,
                    Message.body_encrypted.is_not(None),
                )
                .limit(1)
            )
    finally:
        engine.dispose()
    return cipher.decrypt(stored) if stored else "Birge: you are invited."


def print_figures(figures: Figures, say: Say) -> None:
    options, e2e, raw = figures.options, figures.end_to_end, figures.raw
    e2e_rate = options.n / e2e.seconds
    raw_rate = raw.creates / raw.seconds
    mib = 2**20
    say(f"birge bench fanout --n {options.n} --concurrency {options.concurrency}")
    say(f"machine: {figures.machine.describe()}")
    say(
        f"set-up: {figures.database.description}, {figures.broker.description}; API under "
        f"uvicorn, worker prefork with concurrency {options.concurrency}, beat separate; "
        f"SMS_CHUNK_SIZE {options.chunk_size}; {options.n} participants seeded in "
        f"{figures.seed_seconds:.1f} s"
    )
    requests = (
        "1 request"
        if e2e.requests == 1
        else f"{e2e.requests} requests of at most {options.per_request} ids, back to back"
    )
    say(
        f"end to end: {options.n} invitations in {e2e.seconds:.2f} s = "
        f"{e2e_rate:.1f} invitations/s ({requests}, answered after "
        f"{e2e.answered - e2e.started:.2f} s; first SMS after "
        f"{e2e.first_create - e2e.started:.2f} s)"
    )
    say(
        f"raw twilio SDK, {options.concurrency} processes: {raw.creates} messages in "
        f"{raw.seconds:.2f} s = {raw_rate:.1f} messages/s"
    )
    say(f"ratio end-to-end / raw: {e2e_rate / raw_rate:.3f}")
    memory = figures.memory
    say(
        f"worker peak memory (VmHWM, {len(memory.by_pid)} processes): "
        f"sum {memory.total_bytes / mib:.1f} MiB, max {memory.max_bytes / mib:.1f} MiB"
    )
    cpu = figures.cpu
    postgres = f"PostgreSQL {cpu.postgres:.1f}, " if cpu.postgres is not None else ""
    say(
        f"worker CPU per invitation: {cpu.worker / options.n * 1000:.2f} ms; "
        f"peak memory per worker process: {memory.max_bytes / mib:.1f} MiB"
    )
    say(
        f"CPU during the end-to-end run, core-seconds: worker processes {cpu.worker:.1f}, "
        f"{postgres}API {cpu.api:.1f}, fake Messages API {cpu.fake:.1f}; the whole machine "
        f"(other users' processes too) {cpu.machine:.1f} of {cpu.available:.1f} available"
    )
    check = figures.exactly_once
    recorded = ", ".join(f"{count} {status}" for status, count in sorted(check.recorded.items()))
    verdict = (
        f"yes, each of the {check.numbers} numbers got exactly one create"
        if check.holds
        else f"NO: of {check.numbers} numbers {check.missing} got none and "
        f"{check.duplicated} more than one; {check.other_creates} creates to other numbers"
    )
    say(f"exactly once: {verdict} (messages recorded: {recorded})")
