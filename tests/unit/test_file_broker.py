"""The embedded broker: a consumer never sees a message half written."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from kombu import Connection, Queue

from birge_workers import file_broker
from birge_workers.file_broker import TRANSPORT


def options(folder: Path) -> dict[str, str]:
    for sub in ("queue", "staging", "processed"):
        (folder / sub).mkdir()
    return {
        "staging_folder": str(folder / "staging"),
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "processed_folder": str(folder / "processed"),
        "store_processed": "",
    }


def test_messages_written_while_read_arrive_whole_and_once(tmp_path: Path) -> None:
    transport_options = options(tmp_path)
    queue = Queue("tasks")
    count = 300
    # Large bodies make the window between creating and filling a file wide.
    body = {"ids": ["x" * 64] * 200}
    received: list[int] = []

    def produce() -> None:
        with Connection(
            "filesystem://", transport=TRANSPORT, transport_options=transport_options
        ) as c:
            producer = c.Producer()
            for index in range(count):
                producer.publish({**body, "n": index}, routing_key="tasks", declare=[queue])

    with Connection("filesystem://", transport=TRANSPORT, transport_options=transport_options) as c:
        simple = c.SimpleQueue("tasks")
        writer = threading.Thread(target=produce)
        writer.start()
        while len(received) < count:
            message = simple.get(timeout=30)
            assert message.payload["ids"] == body["ids"]
            received.append(message.payload["n"])
            message.ack()
        writer.join(timeout=30)
        simple.close()
    assert sorted(received) == list(range(count))
    assert list((tmp_path / "staging").iterdir()) == []


def test_nothing_is_in_the_queue_while_a_message_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # kombu's own transport creates the file in the queue and then writes it: a consumer
    # listing the queue in between took an empty message and the worker stopped.
    transport_options = options(tmp_path)
    seen_while_writing: list[list[Path]] = []

    def watched_dumps(payload: object) -> str:
        seen_while_writing.append(list((tmp_path / "queue").iterdir()))
        return json.dumps(payload)

    monkeypatch.setattr(file_broker, "dumps", watched_dumps)
    with Connection(
        "filesystem://", transport=TRANSPORT, transport_options=transport_options
    ) as connection:
        connection.Producer().publish({"n": 1}, routing_key="tasks", declare=[Queue("tasks")])
        simple = connection.SimpleQueue("tasks")
        message = simple.get(timeout=5)
        assert message.payload == {"n": 1}
        message.ack()
        simple.close()
    assert seen_while_writing == [[]]
