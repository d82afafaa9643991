"""Twilio's published contract, served by Prism (`tests/contract/prism.py`), and a fast fake
of the Messages API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.contract.prism import CONTENT_SPEC, running_prism
from tests.fakes.fake_messages_api import FakeMessagesApi


@pytest.fixture(scope="session")
def prism_base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a Prism mock of Twilio's 2010 API, running for the whole session."""
    with running_prism(tmp_path_factory.mktemp("prism")) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def prism_content_base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a Prism mock of Twilio's Content API (WhatsApp templates' approval)."""
    with running_prism(tmp_path_factory.mktemp("prism-content"), spec=CONTENT_SPEC) as base_url:
        yield base_url


@pytest.fixture
def messages_api() -> Iterator[FakeMessagesApi]:
    with FakeMessagesApi() as api:
        yield api
