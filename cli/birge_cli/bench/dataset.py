"""`birge bench dataset`: the evaluator's dataset over many answers, in time and in memory.

A scratch PostgreSQL database filled in bulk as for `birge bench reports`, then the dataset's
service function builds the whole zip as an administrator would ask for it. The baseline, in
the same run and database, is reading every answer the dataset reads (the same queries, a
hundred events at a time) and doing nothing with it. The memory figure is the peak
of Python's allocations during a second build, traced (`tracemalloc` sees numpy's and
pandas' buffers too), so it is the zip's own cost, not the filling's. Nothing is asserted.
"""

from __future__ import annotations

import logging
import tempfile
import time
import tracemalloc
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_api.deps import Actor
from birge_api.reports.dataset.respondents import EVENTS_AT_ONCE
from birge_api.reports.dataset.service import build_dataset
from birge_api.reports.service import ReportFilter
from birge_cli.bench.bulk_fill import fill
from birge_cli.bench.machine import this_machine
from birge_cli.bench.stores import BenchSetupError, scratch_database
from birge_shared.db import is_sqlite, make_engine, normalise_database_url
from birge_shared.migrate import upgrade
from birge_shared.models import Event, Role, SurveyResponse

Say = Callable[[str], None]
_ADMIN = Actor(user_id=uuid.UUID(int=0), role=Role.ADMIN, cities=None)
MIB = 1024 * 1024


@dataclass(frozen=True)
class DatasetOptions:
    events: int
    answers: int
    database_url: str
    seed: int = 1


@dataclass(frozen=True)
class Built:
    seconds: float
    zip_bytes: int
    sizes: dict[str, int]
    respondents: int
    long_rows: int


def _read_every_answer(session: Session) -> int:
    """The dataset's reads alone: every answer, a hundred events at a time, in event order."""
    events = list(session.scalars(select(Event.id).order_by(Event.starts_at, Event.id)))
    read = 0
    for first in range(0, len(events), EVENTS_AT_ONCE):
        rows = session.execute(
            select(
                SurveyResponse.event_id,
                SurveyResponse.pseudonym,
                SurveyResponse.kind,
                SurveyResponse.community,
                SurveyResponse.attitude,
                SurveyResponse.rating,
                SurveyResponse.cross_group_talk,
            ).where(SurveyResponse.event_id.in_(events[first : first + EVENTS_AT_ONCE]))
        )
        read += sum(1 for _ in rows)
    return read


def _build(session: Session) -> Built:
    started = time.perf_counter()
    made = build_dataset(session=session, actor=_ADMIN, filters=ReportFilter())
    seconds = time.perf_counter() - started
    try:
        with zipfile.ZipFile(made.path) as bundle:
            sizes = {info.filename: info.file_size for info in bundle.infolist()}
        return Built(
            seconds=seconds,
            zip_bytes=made.path.stat().st_size,
            sizes=sizes,
            respondents=made.respondents,
            long_rows=made.long_rows,
        )
    finally:
        made.path.unlink(missing_ok=True)
        session.rollback()  # the audit entry of a benchmark is not kept


def run(options: DatasetOptions, *, say: Say, note: Say) -> int:
    url = normalise_database_url(options.database_url)
    if is_sqlite(url) or url.get_backend_name() != "postgresql":
        raise BenchSetupError("the dataset benchmark needs PostgreSQL: set DATABASE_URL")
    machine = this_machine()
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
            note(f"filled in {filled.seconds:.1f} s; building the dataset")
            with Session(engine) as session:
                started = time.perf_counter()
                read = _read_every_answer(session)
                baseline = time.perf_counter() - started
            with Session(engine) as session:
                built = _build(session)
            note("building it again with its memory traced")
            tracemalloc.start()
            try:
                with Session(engine) as session:
                    _build(session)
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
        finally:
            engine.dispose()
    say(f"birge bench dataset --events {options.events} --answers {options.answers}")
    say(f"machine: {machine.describe()}")
    say(
        f"data: {database.description}; {filled.events} events, {filled.participants} "
        f"participants, {filled.answers} survey answers (filled in {filled.seconds:.1f} s)"
    )
    say(f"baseline, reading all {read} answers in the dataset's order: {baseline:.2f} s")
    say(
        f"dataset zip: {built.seconds:.2f} s, {built.zip_bytes / MIB:.1f} MiB; "
        f"{built.respondents} respondents, {built.long_rows} rows of the long file"
    )
    for name, size in built.sizes.items():
        say(f"  {name}: {size / MIB:.1f} MiB unpacked")
    say(f"ratio dataset / reading the answers: {built.seconds / baseline:.1f}")
    say(f"peak traced Python memory while building it: {peak / MIB:.0f} MiB")
    return 0
