"""Twilio's creates through the SDK's async interface: one aiohttp session on one event loop.

A create through the SDK's requests client costs about a millisecond of CPU when sixteen
threads share it; the same create awaited on aiohttp costs a quarter of that, and at fan-out
rates that difference is most of a worker's CPU. The lifecycle's sending threads stay as they
are (pacing, hand-over marks and recording are synchronous): each hands its create to the
process's event loop and waits for the answer.

Failures keep the meaning the requests client gave them: a connection that was never made
sent nothing; a timeout or a broken connection after the request left may have sent it.
"""

from __future__ import annotations

import asyncio
import os
import ssl
import threading
from collections.abc import Coroutine
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, TypeVar, cast

import aiohttp
import certifi
from twilio.http import AsyncHttpClient
from twilio.http.response import Response

from birge_shared.providers.twilio_http import DEFAULT_TIMEOUT, SDK_LOGGER, Environment, Rebase
from birge_workers.sms.provider import TemporaryProviderError

T = TypeVar("T")

#: Beyond the connect and read timeouts, how long a caller waits for the loop itself.
_LOOP_SLACK_SECONDS = 5.0


#: Connections the process keeps open to providers, over all its clients.
_POOL_SIZE = 64


class ProviderLoop:
    """An event loop on a daemon thread of this process, for provider calls made from threads,
    and the one aiohttp session they share.

    One per process (`ProviderLoop.get`): made on first use, and made again in a forked
    child, where the parent's thread does not exist. Both live as long as the process, so no
    client has a session of its own to close.
    """

    _lock = threading.Lock()
    _current: ProviderLoop | None = None

    def __init__(self) -> None:
        self.pid = os.getpid()
        self._loop = asyncio.new_event_loop()
        self._session: aiohttp.ClientSession | None = None
        thread = threading.Thread(target=self._loop.run_forever, name="provider-loop", daemon=True)
        thread.start()

    @classmethod
    def get(cls) -> ProviderLoop:
        with cls._lock:
            if cls._current is None or cls._current.pid != os.getpid():
                cls._current = cls()
            return cls._current

    def session(self) -> aiohttp.ClientSession:
        """The process's session; called on the loop, which aiohttp binds it to."""
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=_POOL_SIZE, limit_per_host=0)
            )
        return self._session

    def run(self, coroutine: Coroutine[Any, Any, T], *, timeout: float) -> T:
        """Run `coroutine` on the loop and wait for it; its exception is raised here."""
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        try:
            return future.result(timeout=timeout)
        except FutureTimeout:
            future.cancel()
            raise TemporaryProviderError(
                None, "Twilio did not answer in time", may_have_been_sent=True
            ) from None


class RebasedAsyncHttpClient(AsyncHttpClient):  # type: ignore[misc]  # the SDK ships no type hints
    """The SDK's async HTTP interface over aiohttp, with `TWILIO_API_BASE` as the host.

    Its requests go through the process's session (`ProviderLoop`), each with this client's
    timeouts, which are the requests client's: `timeout` is (connect, read).
    """

    def __init__(
        self,
        api_base: str,
        *,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    ) -> None:
        super().__init__(logger=SDK_LOGGER, is_async=True, timeout=None)
        self._base = Rebase.of(api_base)
        self.timeout = timeout
        connect, read = timeout
        self._timeouts = aiohttp.ClientTimeout(total=None, sock_connect=connect, sock_read=read)
        environment = Environment.of(api_base)
        self._proxy = environment.proxies.get(self._base.scheme)
        # requests verifies against certifi's bundle unless told otherwise; so does this.
        self._ssl = ssl.create_default_context(cafile=environment.ca_bundle or certifi.where())

    @property
    def longest_wait(self) -> float:
        """How long a request may take in all before its caller stops waiting."""
        connect, read = self.timeout
        return connect + read + _LOOP_SLACK_SECONDS

    # The SDK passes everything after method and URL by keyword.
    async def request(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - the SDK's signature; ours apply
        allow_redirects: bool = False,
    ) -> Response:
        async with (
            ProviderLoop.get()
            .session()
            .request(
                method.upper(),
                self._base.url(url),
                # The SDK gives only strings, numbers and lists of them.
                params=cast(Any, params),
                data=data,
                headers={**(headers or {}), "Authorization": aiohttp.encode_basic_auth(*auth)}
                if auth is not None
                else headers,
                allow_redirects=allow_redirects,
                proxy=self._proxy,
                ssl=self._ssl,
                timeout=self._timeouts,
            ) as answer
        ):
            return Response(answer.status, await answer.text(), answer.headers)


def map_async_transport_error(exc: aiohttp.ClientError | TimeoutError) -> TemporaryProviderError:
    """Network failures are temporary; say whether the request may have reached Twilio."""
    if isinstance(exc, aiohttp.ConnectionTimeoutError | aiohttp.ClientConnectorError):
        # No connection was made (refused, unreachable, no DNS answer, connect timed out).
        return TemporaryProviderError(None, "could not connect to Twilio")
    if isinstance(exc, TimeoutError):
        # aiohttp's read timeout is an asyncio (so builtin) TimeoutError too.
        return TemporaryProviderError(
            None, "Twilio did not answer in time", may_have_been_sent=True
        )
    return TemporaryProviderError(
        None, "the connection to Twilio broke before it answered", may_have_been_sent=True
    )
