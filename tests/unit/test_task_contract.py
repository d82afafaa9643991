"""The contract between publishers and the worker: every name sent is a name registered."""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Callable

import pytest
from celery import Celery

from birge_shared.settings import get_settings
from birge_shared.tasks import ALL_TASK_NAMES, OUTBOX_TASKS, PERIODIC_TASK_NAMES, TaskPayload
from birge_workers.app import create_celery


@pytest.fixture(scope="module")
def worker_app() -> Celery:
    return create_celery(get_settings())


def test_every_contract_task_is_registered(worker_app: Celery) -> None:
    assert sorted(ALL_TASK_NAMES - set(worker_app.tasks)) == []


def test_every_task_the_relay_can_publish_is_registered(worker_app: Celery) -> None:
    assert sorted(set(OUTBOX_TASKS) - set(worker_app.tasks)) == []


# Besides ids, a payload may name the version of the row it is about (an event's calendar
# SEQUENCE), so a task can tell a stale message from the current one: a number, nothing personal.
_VERSIONS = frozenset({"sequence"})

# What an id may look like in a payload: a row's UUID, a list of them, or an integer key.
_ID_EXAMPLES: dict[object, Callable[[], object]] = {
    uuid.UUID: uuid.uuid4,
    list[uuid.UUID]: lambda: [uuid.uuid4(), uuid.uuid4()],
    int: lambda: 42,
}


@pytest.mark.parametrize("name", sorted(OUTBOX_TASKS))
def test_outbox_payloads_carry_ids_only_and_fit_the_task(worker_app: Celery, name: str) -> None:
    contract: type[TaskPayload] = OUTBOX_TASKS[name]
    assert contract.task_name == name
    for field_name, field in contract.model_fields.items():
        assert field_name.endswith(("_id", "_ids")) or field_name in _VERSIONS, field_name
        assert field.annotation in _ID_EXAMPLES, (field_name, field.annotation)
    example = contract.model_validate(
        {
            field_name: _ID_EXAMPLES[field.annotation]()
            for field_name, field in contract.model_fields.items()
        }
    )
    # The JSON the relay publishes binds to the task's signature, with nothing left over.
    inspect.signature(worker_app.tasks[name].run).bind(**example.model_dump(mode="json"))


def test_beat_sends_every_periodic_task_and_only_registered_ones(worker_app: Celery) -> None:
    scheduled = {entry["task"] for entry in worker_app.conf.beat_schedule.values()}
    # A periodic task nobody schedules would never run.
    assert sorted(PERIODIC_TASK_NAMES - scheduled) == []
    assert sorted(scheduled - set(worker_app.tasks)) == []


def test_the_worker_speaks_json_only_and_acknowledges_late(worker_app: Celery) -> None:
    conf = worker_app.conf
    assert conf.accept_content == ["json"]
    assert (conf.task_serializer, conf.result_serializer) == ("json", "json")
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.broker_transport_options["visibility_timeout"] == (
        get_settings().broker_visibility_timeout
    )
