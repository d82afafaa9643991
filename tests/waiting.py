"""Waiting on a condition, never on a duration: the suite runs on a busy, shared machine."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from sqlalchemy import Engine, text

#: Generous: on two cores shared by several test runs a step can take many seconds.
CEILING_SECONDS = 120.0
POLL_SECONDS = 0.05


def wait_until(
    condition: Callable[[], bool],
    *,
    what: str,
    alive: threading.Thread | None = None,
    ceiling: float = CEILING_SECONDS,
) -> None:
    """Poll `condition` until it holds; fail naming `what` after the ceiling, or at once when
    the thread `alive` it depends on has ended without making it hold."""
    deadline = time.monotonic() + ceiling
    while True:
        if condition():
            return
        if alive is not None and not alive.is_alive():
            # One last look: the thread may have made it hold just before it ended.
            if condition():
                return
            raise AssertionError(f"{what}: the thread ended first")
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {ceiling:.0f} s")
        time.sleep(POLL_SECONDS)


def waits_for_a_lock(engine: Engine, backend_pid: int) -> bool:
    """Whether the PostgreSQL backend `backend_pid` is waiting for a lock right now."""
    with engine.connect() as connection:
        waiting = connection.execute(
            text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"),
            {"pid": backend_pid},
        ).scalar_one_or_none()
    return waiting == "Lock"
