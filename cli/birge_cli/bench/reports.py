"""`birge bench reports`: how long the reports take over a million survey answers.

One run, everything its own: a scratch PostgreSQL database on the server of DATABASE_URL (or
--database-url), migrated, filled in bulk (`birge_cli.bench.bulk_fill`, which rebuilds the
report rollups), timed, and dropped. Each figure is a report service function itself, on a
session as a request gets it: the full summary, filtered summaries (a month, a city and a
community, an activity type) and the export's per-event rows. The baseline, in the same run
and database, is `SELECT count(*) FROM survey_response`, the least any figure computed from
every answer could cost; each figure is also printed as a ratio to it. The rollups are kept
in the writing transaction, so the reports have no lag to state. Nothing is asserted about
speed.
"""

from __future__ import annotations

import logging
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from birge_api.deps import Actor
from birge_api.reports.export import value_rows
from birge_api.reports.service import ReportFilter, event_values, summary_report
from birge_cli.bench.bulk_fill import fill
from birge_cli.bench.machine import machine_busy_seconds, this_machine
from birge_cli.bench.stores import BenchSetupError, scratch_database
from birge_shared.db import is_sqlite, make_engine, normalise_database_url
from birge_shared.migrate import upgrade
from birge_shared.models import ActivityType, Community, Role

Say = Callable[[str], None]

# Events start every seven hours from bulk_fill.FIRST_START, so March 2025 holds about a
# hundred of them.
_MONTH = (date(2025, 3, 1), date(2025, 3, 31))
# Admins see every city: the widest summary there is.
_ADMIN = Actor(user_id=uuid.UUID(int=0), role=Role.ADMIN, cities=None)


@dataclass(frozen=True)
class ReportsOptions:
    events: int
    answers: int
    runs: int
    database_url: str
    seed: int = 1


@dataclass(frozen=True)
class Timing:
    first: float
    warm: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.warm)

    def describe(self) -> str:
        return (
            f"first {self.first * 1000:.1f} ms, warm median {self.median * 1000:.1f} ms "
            f"(min {min(self.warm) * 1000:.1f}, max {max(self.warm) * 1000:.1f}, "
            f"{len(self.warm)} warm runs)"
        )


# ------------------------------------------------------------------ timing


def _time(engine: Engine, runs: int, work: Callable[[Session], object]) -> Timing:
    def once() -> float:
        with Session(engine) as session:
            started = time.perf_counter()
            work(session)
            elapsed = time.perf_counter() - started
            session.rollback()
        return elapsed

    # The first run gets a connection of its own: nothing of this query is prepared or cached
    # by the backend yet (the operating system's page cache is not dropped; that needs root).
    engine.dispose()
    first = once()
    return Timing(first=first, warm=[once() for _ in range(runs)])


def _count(session: Session) -> object:
    return session.execute(text("SELECT count(*) FROM survey_response")).scalar_one()


def _summary(session: Session) -> object:
    return summary_report(session=session, actor=_ADMIN, filters=ReportFilter())


def _summary_month(session: Session) -> object:
    # What an M&E officer asks most: one month, here about a fortieth of the events.
    filters = ReportFilter(date_from=_MONTH[0], date_to=_MONTH[1])
    return summary_report(session=session, actor=_ADMIN, filters=filters)


def _summary_filtered(session: Session) -> object:
    filters = ReportFilter(city="osh", community=Community.MIGRANT)
    return summary_report(session=session, actor=_ADMIN, filters=filters)


def _summary_activity(session: Session) -> object:
    filters = ReportFilter(activity_type=ActivityType.SPORT)
    return summary_report(session=session, actor=_ADMIN, filters=filters)


def _export_rows(session: Session) -> object:
    # What `export_events` builds before rendering: every event's row as plain values.
    return value_rows(event_values(session=session, actor=_ADMIN, filters=ReportFilter()))


#: What is timed, in the order printed: (label, work, goal in ms).
_TIMED: tuple[tuple[str, Callable[[Session], object], int], ...] = (
    ("summary report, every event", _summary, 200),
    ("summary report, one month (March 2025)", _summary_month, 100),
    ("summary report, city=osh community=migrant", _summary_filtered, 100),
    ("summary report, activity_type=sport", _summary_activity, 100),
    ("per-event rows of the export, every event", _export_rows, 500),
)


def run(options: ReportsOptions, *, say: Say, note: Say) -> int:
    url = normalise_database_url(options.database_url)
    if is_sqlite(url) or url.get_backend_name() != "postgresql":
        raise BenchSetupError("the reports benchmark needs PostgreSQL: set DATABASE_URL")
    machine = this_machine()
    # Migration lines would drown the progress notes; warnings still show.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    with (
        tempfile.TemporaryDirectory(prefix="birge-bench-") as folder,
        scratch_database(options.database_url, Path(folder)) as database,
    ):
        note(f"scratch database {database.name} ({database.description}), dropped at the end")
        upgrade(database.url)
        engine = make_engine(database.url)
        try:
            filled = fill(
                engine=engine,
                events=options.events,
                answers=options.answers,
                seed=options.seed,
                note=note,
            )
            note(f"filled in {filled.seconds:.1f} s; timing")
            busy_before, wall_before = machine_busy_seconds(), time.monotonic()
            baseline = _time(engine, options.runs, _count)
            timings = [
                (label, _time(engine, options.runs, work), goal) for label, work, goal in _TIMED
            ]
            with Session(engine) as session:
                seen = summary_report(session=session, actor=_ADMIN, filters=ReportFilter())
            busy = machine_busy_seconds() - busy_before
            available = (time.monotonic() - wall_before) * machine.cores
        finally:
            engine.dispose()
    say(
        f"birge bench reports --events {options.events} --answers {options.answers} "
        f"--runs {options.runs}"
    )
    say(f"machine: {machine.describe()}")
    say(
        f"data: {database.description}; {filled.events} events, {filled.participants} "
        f"participants, {filled.invitations} invitations, {filled.answers} survey answers "
        f"(filled in {filled.seconds:.1f} s)"
    )
    say(
        f"the summary saw: {seen.events} events, {seen.invitations.invited} invited, "
        f"{seen.invitations.attended} attended, {seen.survey.response_rate.n} post answers, "
        f"{seen.survey.attitude_change.n} pre/post pairs"
    )
    say(f"baseline, a plain count of every row of survey_response: {baseline.describe()}")
    for label, timing, _ in timings:
        say(f"{label}: {timing.describe()}")
    for label, timing, goal in timings:
        say(
            f"ratio {label} / count: warm {timing.median / baseline.median:.1f}, "
            f"first {timing.first / baseline.first:.1f} "
            f"(warm {timing.median * 1000:.1f} ms, goal under {goal} ms)"
        )
    say("lag: none, the rollups are written in the transaction of each answer and invitation")
    say(
        f"machine busy during the timings (other users' processes too): {busy:.1f} of "
        f"{available:.1f} core-seconds"
    )
    return 0
