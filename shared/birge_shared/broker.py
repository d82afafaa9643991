"""Broker connection details shared by the workers (to consume) and the API (to check health)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kombu import Connection

from birge_shared.private_files import private_folder
from birge_shared.settings import Settings


def is_filesystem(broker_url: str) -> bool:
    return broker_url.startswith("filesystem://")


def transport_options(settings: Settings) -> dict[str, Any]:
    if is_filesystem(settings.broker_url):
        # One folder in and out: every process of `birge dev` reads and writes the same queue.
        folder = settings.broker_folder.resolve()
        # Owner-only like the rest of `var/`: the task files name the messages being sent.
        private_folder(folder, narrow_existing=True)
        for sub in ("queue", "staging", "processed", "control"):
            private_folder(folder / sub, narrow_existing=True)
        return {
            # Where a message is written before it is renamed into the queue, whole
            # (`birge_workers.file_broker`).
            "staging_folder": str(folder / "staging"),
            "data_folder_in": str(folder / "queue"),
            "data_folder_out": str(folder / "queue"),
            "processed_folder": str(folder / "processed"),
            # Broadcast exchanges (Celery's remote control); kombu's default is ./control.
            "control_folder": str(folder / "control"),
            "store_processed": False,
        }
    # Redis re-delivers unacknowledged tasks after this long; set explicitly, see Settings.
    return {"visibility_timeout": settings.broker_visibility_timeout}


def check_broker(settings: Settings, timeout: int = 2) -> None:
    """Raise if the broker cannot be reached within `timeout` seconds."""
    if is_filesystem(settings.broker_url):
        folder = Path(transport_options(settings)["data_folder_in"])
        if not folder.is_dir():
            raise ConnectionError("broker folder is missing")
        return
    with Connection(
        settings.broker_url,
        transport_options=transport_options(settings),
        connect_timeout=timeout,
    ) as connection:
        connection.ensure_connection(max_retries=1, timeout=timeout)
