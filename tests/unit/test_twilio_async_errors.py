"""What a failed create through the async client tells the lifecycle about the message."""

from __future__ import annotations

import aiohttp
import pytest

from birge_workers.sms.twilio_async import map_async_transport_error


@pytest.mark.parametrize(
    ("error", "may_have_gone"),
    [
        # The connection was never made: nothing left this machine.
        (aiohttp.ConnectionTimeoutError(), False),
        # Connected, then no answer in time, or the connection broke: Twilio may have it.
        (aiohttp.SocketTimeoutError(), True),
        (TimeoutError(), True),
        (aiohttp.ServerDisconnectedError(), True),
        (aiohttp.ClientPayloadError(), True),
    ],
    ids=["connect-timeout", "read-timeout", "timeout", "disconnected", "payload"],
)
def test_only_a_connection_never_made_is_known_to_have_sent_nothing(
    error: aiohttp.ClientError | TimeoutError, may_have_gone: bool
) -> None:
    mapped = map_async_transport_error(error)
    assert mapped.code is None
    assert mapped.may_have_been_sent is may_have_gone
