"""The long-running processes: the API and console under uvicorn, a Celery worker, Celery beat.

Each runs in the calling process, so a container's PID 1 (or `birge dev`'s child) is the
server itself and receives signals directly.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from birge_shared.settings import Settings

DEFAULT_SCHEDULE = Path("var") / "celerybeat-schedule"


def run_api(*, settings: Settings, host: str, port: int | None) -> None:
    import uvicorn  # noqa: PLC0415 - only this command serves HTTP; the others start faster

    uvicorn.run(
        "birge_console.app:create_app",
        factory=True,
        host=host,
        port=port or settings.port,
        # X-Forwarded-* is read by the application, from TRUSTED_PROXIES only
        # (birge_api.proxies): uvicorn's own reading would trust 127.0.0.1 by default.
        proxy_headers=False,
        # Logging is already set up as JSON; uvicorn's own config would replace it.
        log_config=None,
        # Requests are logged by the application, without query strings (a query can carry a
        # phone number); uvicorn's own access log is disabled anyway, so skip even the call.
        access_log=False,
        server_header=False,
    )


def run_worker(
    *, settings: Settings, concurrency: int | None, beat: bool, schedule: Path, queues: str | None
) -> int:
    argv = ["worker", "--loglevel", settings.log_level]
    if concurrency:
        argv += ["--concurrency", str(concurrency)]
    if queues:
        argv += ["--queues", queues]
    if beat:
        schedule.parent.mkdir(parents=True, exist_ok=True)
        argv += ["--beat", "--schedule", str(schedule)]
    return _celery(argv)


def run_beat(*, settings: Settings, schedule: Path) -> int:
    schedule.parent.mkdir(parents=True, exist_ok=True)
    return _celery(["beat", "--loglevel", settings.log_level, "--schedule", str(schedule)])


def _celery(argv: list[str]) -> int:
    # Imported here, not at the top: building the Celery app prepares the broker, which
    # `birge migrate` or `birge users` must not depend on.
    from birge_workers.app import celery_app  # noqa: PLC0415 - see above

    # The stubs declare NoReturn, but Celery returns the command's exit status (or None).
    start: Callable[[list[str]], int | None] = celery_app.start
    return start(argv) or 0
