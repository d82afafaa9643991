"""`birge bench reports`: how long the summary report takes over a million survey answers.

One run, everything its own: a scratch PostgreSQL database on the server of DATABASE_URL (or
--database-url), migrated, filled in bulk (`birge_cli.bench.bulk_fill`), timed, and dropped.
The figure is the report service function itself, on a session as a request gets it; the
baseline, in the same run and database, is `SELECT count(*) FROM survey_response`, the least
any figure over every answer could cost. Nothing is asserted about speed.
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
from birge_api.reports.service import ReportFilter, event_reports, summary_report
from birge_cli.bench.bulk_fill import fill
from birge_cli.bench.machine import machine_busy_seconds, this_machine
from birge_cli.bench.stores import BenchSetupError, scratch_database
from birge_shared.db import is_sqlite, make_engine, normalise_database_url
from birge_shared.migrate import upgrade
from birge_shared.models import Community, Role

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


def _export_rows(session: Session) -> object:
    return event_reports(session=session, actor=_ADMIN, filters=ReportFilter())


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
            summary = _time(engine, options.runs, _summary)
            month = _time(engine, options.runs, _summary_month)
            filtered = _time(engine, options.runs, _summary_filtered)
            export = _time(engine, max(1, options.runs // 2), _export_rows)
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
    say(f"summary report, every event: {summary.describe()}")
    say(f"summary report, one month (March 2025): {month.describe()}")
    say(f"summary report, city=osh community=migrant: {filtered.describe()}")
    say(f"per-event rows of the export, every event: {export.describe()}")
    say(
        f"ratio summary / count: warm {summary.median / baseline.median:.1f}, "
        f"first {summary.first / baseline.first:.1f}"
    )
    say(
        f"machine busy during the timings (other users' processes too): {busy:.1f} of "
        f"{available:.1f} core-seconds"
    )
    return 0
