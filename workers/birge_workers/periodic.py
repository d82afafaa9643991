"""Periodic work that runs at most once per time slot, however many beats are firing.

A beat started twice by mistake (a second `birge beat`, a worker with `-B` beside a beat) sends
every periodic task twice. Each run therefore first claims the slot `floor(epoch / interval)`
by inserting a `PeriodicRun` row; the primary key lets only one insert win, and the loser
skips. The claim shares the transaction of the work, so work that fails and rolls back
releases its slot for a retry.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from birge_shared.models import PeriodicRun

log = logging.getLogger(__name__)

#: Claims older than this are deleted, so the table holds about a day of slots per task.
KEEP_RUNS = timedelta(days=1)

R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)


class SlotWork(Protocol[R_co]):
    def __call__(self, *, session: Session, now: datetime) -> R_co: ...


def slot_of(now: datetime, interval: timedelta) -> int:
    return int(now.timestamp() // interval.total_seconds())


def claim_slot(*, session: Session, task_name: str, interval: timedelta, now: datetime) -> bool:
    """Claim this slot of `task_name` in the session's transaction; False if already claimed.

    A concurrent claim of the same slot waits for the first claimant's transaction (the
    primary key's lock) and then skips if that transaction committed.
    """
    slot = slot_of(now, interval)
    insert = sqlite.insert if session.get_bind().dialect.name == "sqlite" else postgresql.insert
    statement = (
        insert(PeriodicRun)
        .values(task_name=task_name, slot=slot, claimed_at=now)
        .on_conflict_do_nothing()
        .returning(PeriodicRun.slot)
    )
    if session.execute(statement).scalar_one_or_none() is None:
        log.info("periodic slot already claimed", extra={"task": task_name, "slot": slot})
        return False
    # Pruning on every claim is an index range delete of usually one row: it keeps the table
    # small without a task of its own.
    session.execute(
        delete(PeriodicRun).where(
            PeriodicRun.task_name == task_name,
            PeriodicRun.slot < slot_of(now - KEEP_RUNS, interval),
        )
    )
    return True


def once_per_slot(
    task_name: str, interval: timedelta
) -> Callable[[SlotWork[R]], SlotWork[R | None]]:
    """Wrap `work(*, session, now)` so it runs only when it wins this slot's claim."""

    def decorate(work: SlotWork[R]) -> SlotWork[R | None]:
        @functools.wraps(work)
        def run(*, session: Session, now: datetime) -> R | None:
            if not claim_slot(session=session, task_name=task_name, interval=interval, now=now):
                return None
            return work(session=session, now=now)

        return run

    return decorate
