"""`birge bench console`: how long the console's pages take on a full database, and their weight.

One run, everything its own: a scratch PostgreSQL database (as `birge bench reports` makes
one), filled in bulk with a programme's history (`bulk_fill`, names and phones encrypted as the
application stores them) plus the upcoming events a coordinator plans, one of them with 200
invitations and their messages. The real application (`birge_console.app:create_app`, what
`birge api` serves) runs under uvicorn in a child process on loopback; a coordinator of both
cities signs in through the sign-in form, and each page is requested in turn over one
persistent HTTP/1.1 connection, round robin with `GET /healthz`, the baseline of the same
server and run.

The server side of a request is the application's own timing: the `duration_ms` its access log
writes for the request id it echoes as X-Request-ID (routing, dependencies, the handler and its
queries, the template). Compression runs outside it; the wall time on loopback, which includes
it and the client, is printed beside. Page weight is counted in bytes on the wire with
`Accept-Encoding: gzip`: the HTML with every stylesheet and script it references (first load),
and the HTML alone (every asset cached). Nothing is asserted about speed; a page that does not
answer 200 is reported as an error, not timed.
"""

from __future__ import annotations

import html
import logging
import math
import re
import tempfile
import time
import urllib.parse
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, insert
from sqlalchemy.orm import Session

from birge_cli.bench import bulk_fill
from birge_cli.bench.fanout import Secrets, serving_env
from birge_cli.bench.machine import machine_busy_seconds, this_machine
from birge_cli.bench.processes import (
    Child,
    api_ready,
    child,
    free_port,
    terminate_as_interrupt,
    wait_until,
)
from birge_cli.bench.seed import bench_phone
from birge_cli.bench.stores import BenchSetupError, scratch_database
from birge_shared.crypto import PiiCipher
from birge_shared.db import is_sqlite, make_engine, normalise_database_url
from birge_shared.migrate import upgrade
from birge_shared.models import (
    Event,
    EventStatus,
    InvitationStatus,
    Message,
    MessageChannel,
    MessageDirection,
    MessagePurpose,
    MessageStatus,
    Role,
)
from birge_shared.outbound.dedupe import DedupeKey, KeySubject
from birge_shared.users import create_user

Say = Callable[[str], None]


@dataclass(frozen=True)
class Page:
    """One request of the run. `{event_id}`, `{name}` and `{phone}` are filled in (URL-encoded
    in a path); a POST form gets the session's CSRF token added. A search names what its answer
    must show, and how many times at least: a fast page that finds nobody is no figure."""

    label: str
    path: str
    method: str = "GET"
    form: Mapping[str, str] | None = None
    shows: tuple[str, int] | None = None


#: What is timed, in this order. The participant search is a POST form (so a typed name never
#: becomes part of a URL); a search by query string would be written as
#: Page("participant search by name", "/console/participants?name={name}", shows=...).
#: The name searched for is shared by dozens of people (`bulk_fill.bench_name`), each of whom
#: the page shows with it; the search box may repeat it once, hence at least two.
PAGES: tuple[Page, ...] = (
    Page("dashboard", "/console"),
    Page("event list", "/console/events"),
    Page("event page, 200 invitations", "/console/events/{event_id}"),
    Page(
        "participant search by name",
        "/console/participants",
        "POST",
        {"name": "{name}"},
        shows=("{name}", 2),
    ),
    Page(
        "participant search by phone",
        "/console/participants",
        "POST",
        {"phone": "{phone}"},
        shows=("{name}", 1),
    ),
    Page("reports", "/console/reports"),
)
BASELINE = Page("GET /healthz (baseline)", "/healthz")

GOAL_P95_MS = 150.0
#: Compressed bytes, 1 KB = 1000 bytes.
GOAL_FIRST_LOAD_KB = 100.0
GOAL_HTML_KB = 30.0

#: The featured event's 200 invitations, as a week before an event: most answered.
_FEATURED_STATUSES = (
    [InvitationStatus.ACCEPTED] * 110
    + [InvitationStatus.SENT] * 40
    + [InvitationStatus.DECLINED] * 25
    + [InvitationStatus.WAITLISTED] * 15
    + [InvitationStatus.FAILED] * 10
)
FEATURED_INVITATIONS = len(_FEATURED_STATUSES)
#: Every other upcoming event's invitations so far.
_UPCOMING_INVITED = 40
_UPCOMING_STATUSES = (
    InvitationStatus.ACCEPTED,
    InvitationStatus.ACCEPTED,
    InvitationStatus.SENT,
    InvitationStatus.DECLINED,
    InvitationStatus.WAITLISTED,
)
#: One event in fifty is still to come; the rest is history with survey answers.
_UPCOMING_SHARE = 50
#: Survey answers per past event, as `birge bench reports` has by default (1,000,000 / 5,000).
ANSWERS_PER_EVENT = 200
COORDINATOR_EMAIL = "bench-coordinator@example.org"
#: The person searched for: participant 0 of the fill, in Bishkek.
_SEARCHED_INDEX = 0
_TOKEN = re.compile(r'name="(form_token|csrf)" value="([^"]+)"')
_ASSETS = re.compile(
    r'<link\b[^>]*\brel="stylesheet"[^>]*\bhref="([^"]+)"|<script\b[^>]*\bsrc="([^"]+)"'
)


@dataclass(frozen=True)
class ConsoleOptions:
    participants: int
    events: int
    repeat: int
    warmup: int
    database_url: str
    seed: int = 1


# ------------------------------------------------------------------ filling


@dataclass(frozen=True)
class Data:
    description: str
    featured_event_id: uuid.UUID
    coordinator_password: str = field(repr=False)


def _upcoming(
    engine: Engine,
    filled: bulk_fill.Filled,
    *,
    count: int,
    now: datetime,
    created_by_id: uuid.UUID,
) -> tuple[uuid.UUID, int, int]:
    """Scheduled events over the coming weeks with their invitations so far; the first, in
    Bishkek a week from now, has 200 invitations and their SMS. Returns its id and how many
    invitations and messages were added."""
    rng = filled.rng
    rows: list[dict[str, Any]] = []
    for number in range(count):
        city = bulk_fill.CITIES[number % len(bulk_fill.CITIES)]
        starts_at = (now + timedelta(days=7, hours=bulk_fill.HOURS_APART * number)).replace(
            minute=0, second=0, microsecond=0
        )
        row = bulk_fill.event_row(
            rng,
            city=city,
            title={"en": f"Upcoming event {number}", "ru": f"Встреча {number}"},
            starts_at=starts_at,
            status=EventStatus.SCHEDULED,
            capacity=150,
        )
        rows.append(
            {**row, "answer_by": starts_at - timedelta(days=2), "created_by_id": created_by_id}
        )
    with Session(engine) as session:
        session.execute(insert(Event), rows)
        session.commit()
    featured = rows[0]["id"]
    invitations: list[tuple[Any, ...]] = []
    for number, row in enumerate(rows):
        pool = filled.pools[row["city_code"]]
        if number == 0:
            statuses = list(_FEATURED_STATUSES)
        else:
            statuses = [rng.choice(_UPCOMING_STATUSES) for _ in range(_UPCOMING_INVITED)]
        people = rng.sample(pool, min(len(statuses), len(pool)))
        invitations.extend(
            bulk_fill.invitation_row(rng, row["id"], person, status, now)
            for person, status in zip(people, statuses, strict=False)
        )
    before = filled.invitations
    total = bulk_fill.copy_rows(
        engine, "invitation", bulk_fill.INVITATION_COLUMNS, iter(invitations)
    )
    messages = _featured_messages([i for i in invitations if i[1] == featured], now)
    with Session(engine) as session:
        session.execute(insert(Message), messages)
        session.commit()
    return featured, total - before, len(messages)


def _featured_messages(invitations: list[tuple[Any, ...]], now: datetime) -> list[dict[str, Any]]:
    # One invitation SMS each: delivered, or failed with the provider's reason, as the event
    # page shows them.
    rows = []
    for invitation_id, _event, participant_id, status, *_ in invitations:
        failed = status == InvitationStatus.FAILED.value
        rows.append(
            {
                "id": uuid.uuid4(),
                "direction": MessageDirection.OUTBOUND,
                "channel": MessageChannel.SMS,
                "purpose": MessagePurpose.INVITATION,
                "dedupe_key": str(
                    DedupeKey(
                        subject=KeySubject.INVITATION,
                        subject_id=str(invitation_id),
                        channel=MessageChannel.SMS,
                        purpose=MessagePurpose.INVITATION,
                    )
                ),
                "invitation_id": invitation_id,
                "participant_id": participant_id,
                "provider_sid": "SM" + uuid.uuid4().hex,
                "status": MessageStatus.FAILED if failed else MessageStatus.DELIVERED,
                "segments": 2,
                "error_code": "30003" if failed else None,
                "error_reason": "Unreachable destination handset" if failed else None,
                "attempts": 1,
                "sent_at": now - timedelta(days=1),
                "delivered_at": None if failed else now - timedelta(days=1),
                "created_at": now - timedelta(days=1),
                "updated_at": now - timedelta(days=1),
            }
        )
    return rows


def _fill(
    options: ConsoleOptions, database_url: str, cipher: PiiCipher, password: str, note: Say
) -> Data:
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            coordinator = create_user(
                session=session,
                email=COORDINATOR_EMAIL,
                password=password,
                role=Role.COORDINATOR,
                city_codes=bulk_fill.CITIES,
            )
            coordinator_id = coordinator.id
            session.commit()
        upcoming = max(1, options.events // _UPCOMING_SHARE)
        past = options.events - upcoming
        now = datetime.now(UTC)
        # History ends a day ago, so every completed event is in the past.
        first_start = now - timedelta(days=1, hours=bulk_fill.HOURS_APART * past)
        started = time.monotonic()
        filled = bulk_fill.fill(
            engine=engine,
            events=past,
            answers=past * ANSWERS_PER_EVENT,
            seed=options.seed,
            note=note,
            per_city=options.participants // len(bulk_fill.CITIES),
            first_start=first_start,
            cipher=cipher,
        )
        featured, invitations, messages = _upcoming(
            engine, filled, count=upcoming, now=now, created_by_id=coordinator_id
        )
        bulk_fill.vacuum_analyze(engine, "event, invitation, message")
        seconds = time.monotonic() - started
    finally:
        engine.dispose()
    return Data(
        description=(
            f"{options.events} events ({past} completed, {upcoming} upcoming), "
            f"{filled.participants} participants with encrypted names and phones, "
            f"{filled.invitations + invitations} invitations, {messages} messages, "
            f"{filled.answers} survey answers (filled in {seconds:.1f} s)"
        ),
        featured_event_id=featured,
        coordinator_password=password,
    )


# ------------------------------------------------------------------ requesting


@dataclass
class Result:
    page: Page
    status: int = 0
    request_ids: list[str] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)
    server: list[float] = field(default_factory=list)
    html_bytes: int = 0
    first_load_bytes: int = 0
    assets: int = 0
    #: Whether the answer showed what the page's search looks for; None for other pages.
    found: bool | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200


def percentile(values: list[float], share: float) -> float:
    """Nearest rank: the smallest value at least `share` of the values do not exceed."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


class Browser:
    """One signed-in coordinator on one persistent connection, asking for gzip as browsers do."""

    def __init__(
        self,
        base_url: str,
        fill_in: Mapping[str, str],
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.client = httpx.Client(
            base_url=base_url,
            headers={"Accept-Encoding": "gzip"},
            timeout=60,
            transport=transport,
        )
        self.fill_in = fill_in
        self.csrf = ""

    def close(self) -> None:
        self.client.close()

    def sign_in(self, email: str, password: str) -> None:
        form = self.client.get("/console/sign-in")
        token = dict(_TOKEN.findall(form.text)).get("form_token")
        if form.status_code != 200 or token is None:
            raise BenchSetupError(f"the sign-in form answered {form.status_code} without a token")
        answer = self.client.post(
            "/console/sign-in",
            data={"email": email, "password": password, "form_token": token, "next": "/console"},
        )
        if answer.status_code != 303:
            raise BenchSetupError(f"signing in answered {answer.status_code}, not 303")
        console = self.client.get("/console")
        self.csrf = dict(_TOKEN.findall(console.text)).get("csrf", "")
        if console.status_code != 200 or not self.csrf:
            raise BenchSetupError(f"the console answered {console.status_code} after signing in")

    def request(self, page: Page) -> httpx.Response:
        quoted = {key: urllib.parse.quote(value) for key, value in self.fill_in.items()}
        path = page.path.format(**quoted)
        if page.method == "GET":
            return self.client.get(path)
        form = {key: value.format(**self.fill_in) for key, value in (page.form or {}).items()}
        return self.client.request(page.method, path, data={**form, "csrf": self.csrf})

    def timed(self, page: Page, result: Result) -> None:
        started = time.perf_counter()
        answer = self.request(page)
        result.wall.append(time.perf_counter() - started)
        result.status = answer.status_code
        result.request_ids.append(answer.headers.get("x-request-id", ""))

    def weigh(self, result: Result) -> None:
        answer = self.request(result.page)
        result.html_bytes = answer.num_bytes_downloaded
        if result.page.shows is not None:
            text, times = result.page.shows
            result.found = answer.text.count(html.escape(text.format(**self.fill_in))) >= times
        assets = {html.unescape(a or b) for a, b in _ASSETS.findall(answer.text)}
        result.assets = len(assets)
        result.first_load_bytes = result.html_bytes + sum(
            self.client.get(asset).num_bytes_downloaded for asset in sorted(assets)
        )


def _server_times(api: Child, results: list[Result]) -> None:
    """Each request's duration as the application's access log wrote it, by request id."""
    wanted = {rid for result in results for rid in result.request_ids}

    def durations() -> dict[str, float]:
        return {
            str(line["correlation_id"]): float(line["duration_ms"]) / 1000
            for line in api.log_lines()
            if line.get("logger") == "birge_api.access" and line.get("correlation_id") in wanted
        }

    # The access line is written once the answer has gone, so the last may still be on its way.
    wait_until(
        lambda: wanted <= set(durations()),
        what="the access log has every request",
        children=[api],
        timeout=30,
    )
    seen = durations()
    for result in results:
        result.server = [seen[rid] for rid in result.request_ids]


def _measure(browser: Browser, options: ConsoleOptions, note: Say) -> list[Result]:
    results = [Result(page) for page in (BASELINE, *PAGES)]
    for result in results:
        answer = browser.request(result.page)
        result.status = answer.status_code
    timed = [result for result in results if result.ok]
    note(f"{options.warmup} warm-up and {options.repeat} timed rounds of {len(timed)} requests")
    for _ in range(options.warmup):
        for result in timed:
            browser.request(result.page)
    # Round robin: a moment of a busy machine falls on every page alike, baseline included.
    for _ in range(options.repeat):
        for result in timed:
            browser.timed(result.page, result)
    for result in timed:
        if result.page is not BASELINE:
            browser.weigh(result)
    return results


# ------------------------------------------------------------------ printing


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def _kb(size: int) -> str:
    return f"{size / 1000:.1f}"


def print_table(results: list[Result], say: Say) -> None:
    baseline = results[0]
    base50, base95 = percentile(baseline.server, 0.5), percentile(baseline.server, 0.95)
    say(
        f"{'page':<30} {'status':>6} {'p50 ms':>8} {'p95 ms':>8} {'x p50':>7} {'x p95':>7} "
        f"{'wall p50':>9} {'wall p95':>9} {'first KB':>9} {'HTML KB':>8}"
    )
    for result in results:
        if not result.ok:
            say(f"{result.page.label:<30} {result.status:>6} error: not timed, not weighed")
            continue
        p50, p95 = percentile(result.server, 0.5), percentile(result.server, 0.95)
        weights = (
            f"{'-':>9} {'-':>8}"
            if result is baseline
            else f"{_kb(result.first_load_bytes):>9} {_kb(result.html_bytes):>8}"
        )
        say(
            f"{result.page.label:<30} {result.status:>6} {_ms(p50):>8} {_ms(p95):>8} "
            f"{p50 / base50:>7.1f} {p95 / base95:>7.1f} "
            f"{_ms(percentile(result.wall, 0.5)):>9} {_ms(percentile(result.wall, 0.95)):>9} "
            f"{weights}"
        )


def print_goals(results: list[Result], say: Say) -> int:
    """The verdict per page; returns how many pages answered an error."""
    say(
        f"goals: server p95 < {GOAL_P95_MS:g} ms, first load < {GOAL_FIRST_LOAD_KB:g} KB and "
        f"HTML < {GOAL_HTML_KB:g} KB compressed"
    )
    met = errors = 0
    for result in results[1:]:
        if not result.ok:
            errors += 1
            say(f"  {result.page.label}: ERROR, answered {result.status}; no figures")
            continue
        p95 = percentile(result.server, 0.95) * 1000
        verdicts = (
            p95 < GOAL_P95_MS,
            result.first_load_bytes / 1000 < GOAL_FIRST_LOAD_KB,
            result.html_bytes / 1000 < GOAL_HTML_KB,
        )
        words = ["met" if verdict else "MISSED" for verdict in verdicts]
        line = (
            f"  {result.page.label}: p95 {p95:.1f} ms {words[0]}; first load "
            f"{_kb(result.first_load_bytes)} KB ({result.assets} assets) {words[1]}; "
            f"HTML {_kb(result.html_bytes)} KB {words[2]}"
        )
        if result.found is False:
            # Its figures time a search that finds nobody: not the page the goal is about.
            errors += 1
            say(f"{line}; ERROR, the person searched for is not on the page")
            continue
        met += all(verdicts)
        say(line)
    pages = len(results) - 1
    tail = f"; {errors} answered an error or found nobody" if errors else ""
    say(f"verdict: {met} of {pages} pages meet every goal{tail}")
    return errors


# ------------------------------------------------------------------ running


def run(options: ConsoleOptions, *, say: Say, note: Say) -> int:
    """Fill, serve, time and weigh; 0 when every page answered 200 (each search finding the
    person searched for), 1 otherwise."""
    url = normalise_database_url(options.database_url)
    if is_sqlite(url) or url.get_backend_name() != "postgresql":
        raise BenchSetupError("the console benchmark needs PostgreSQL: set DATABASE_URL")
    machine = this_machine()
    # Migration lines and one httpx line per request would drown the progress notes.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    keys = Secrets.fresh()
    cipher = PiiCipher(encryption_keys=[keys.pii_key], hash_key=keys.hash_key)
    with (
        terminate_as_interrupt(),
        tempfile.TemporaryDirectory(prefix="birge-bench-") as tmp,
        scratch_database(options.database_url, Path(tmp)) as database,
    ):
        folder = Path(tmp)
        note(f"working in {folder}")
        note(f"scratch database {database.name} ({database.description}), dropped at the end")
        upgrade(database.url)
        data = _fill(options, database.url, cipher, keys.admin_password, note)
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        # The access log's lines are the server-side timings.
        env = serving_env(
            keys, database_url=database.url, folder=folder, port=port, log_level="INFO"
        )
        args = ["api", "--host", "127.0.0.1", "--port", str(port)]
        with child("api", args, env=env, cwd=folder) as api:
            wait_until(api_ready(base_url), what="the API answers", children=[api], timeout=90)
            browser = Browser(
                base_url,
                {
                    "event_id": str(data.featured_event_id),
                    "name": bulk_fill.bench_name(_SEARCHED_INDEX),
                    "phone": bench_phone(_SEARCHED_INDEX),
                },
            )
            try:
                browser.sign_in(COORDINATOR_EMAIL, data.coordinator_password)
                busy_before, wall_before = machine_busy_seconds(), time.monotonic()
                results = _measure(browser, options, note)
                busy = machine_busy_seconds() - busy_before
                available = (time.monotonic() - wall_before) * machine.cores
            finally:
                browser.close()
            _server_times(api, [result for result in results if result.ok])
    say(
        f"birge bench console --participants {options.participants} --events {options.events} "
        f"--repeat {options.repeat}"
    )
    say(f"machine: {machine.describe()}")
    say(f"data: {database.description}; {data.description}")
    say(
        "server: birge_console.app:create_app under uvicorn (one process) on 127.0.0.1, "
        "signed in as a coordinator of both cities"
    )
    say(
        "timing: p50/p95 of the server's own duration_ms (its access log, by X-Request-ID; "
        "gzip is outside it), x = ratio to /healthz; wall = client time on loopback over one "
        f"persistent HTTP/1.1 connection; {options.warmup} warm-up + {options.repeat} timed "
        "requests per page, round robin"
    )
    say(
        "weight: compressed bytes on the wire (Accept-Encoding: gzip, bodies only, 1 KB = 1000 B); "
        "first = HTML + its stylesheets and scripts, HTML = the page alone with assets cached"
    )
    print_table(results, say)
    errors = print_goals(results, say)
    say(
        f"machine busy during the timings (other users' processes too): {busy:.1f} of "
        f"{available:.1f} core-seconds"
    )
    return 1 if errors else 0
