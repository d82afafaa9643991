"""The contract between publishers and the worker: every name sent is a name registered."""

from __future__ import annotations

import inspect
import uuid

import pytest
from celery import Celery

from birge_shared.settings import get_settings
from birge_shared.tasks import ALL_TASK_NAMES, OUTBOX_TASKS, TaskPayload
from birge_workers.app import create_celery
from birge_workers.schedule import INTERVALS


@pytest.fixture(scope="module")
def worker_app() -> Celery:
    return create_celery(get_settings())


def test_every_contract_task_is_registered(worker_app: Celery) -> None:
    assert not ALL_TASK_NAMES - set(worker_app.tasks)


def test_every_task_the_relay_can_publish_is_registered(worker_app: Celery) -> None:
    assert not set(OUTBOX_TASKS) - set(worker_app.tasks)


@pytest.mark.parametrize("name", sorted(OUTBOX_TASKS))
def test_outbox_payloads_carry_ids_only_and_fit_the_task(worker_app: Celery, name: str) -> None:
    contract: type[TaskPayload] = OUTBOX_TASKS[name]
    assert contract.task_name == name
    assert all(field.annotation is uuid.UUID for field in contract.model_fields.values())
    # The JSON the relay publishes binds to the task's signature, with nothing left over.
    example = contract.model_validate({field: uuid.uuid4() for field in contract.model_fields})
    inspect.signature(worker_app.tasks[name].run).bind(**example.model_dump(mode="json"))


def test_the_beat_sends_only_registered_tasks(worker_app: Celery) -> None:
    scheduled = {entry["task"] for entry in worker_app.conf.beat_schedule.values()}
    assert scheduled == set(INTERVALS)
    assert not scheduled - set(worker_app.tasks)


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
