"""An open-loop HTTP load: each request leaves at its scheduled moment, answered or not.

The requests are written out as bytes before the clock starts and sent over keep-alive
connections from one asyncio loop, a new connection opened whenever all are busy, so a slow
answer never holds back the schedule. A client this thin matters on a small machine: the
load generator shares the cores with the server it measures (32 threads of a full HTTP
client took about 2 ms of CPU a request, as much as the server spent answering it).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

#: Connections opened before the clock starts; more are opened while all are busy.
WARM_CONNECTIONS = 8
TIMEOUT_SECONDS = 30.0


@dataclass
class Step:
    """One rate held for a while against one endpoint."""

    offered: int
    sent: int = 0
    failed: int = 0
    latencies: list[float] = field(default_factory=list)
    #: How late each request left against its schedule: the client's own lag.
    lags: list[float] = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def sustained(self) -> float:
        return (self.sent - self.failed) / self.elapsed if self.elapsed else 0.0

    def percentile(self, share: float, of: Sequence[float] | None = None) -> float:
        values = sorted(self.latencies if of is None else of)
        if not values:
            return float("nan")
        return values[min(len(values) - 1, int(share * len(values)))] * 1000


def request_bytes(
    method: str,
    host: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
) -> bytes:
    """One HTTP/1.1 request as it goes on the wire."""
    lines = [f"{method} {path} HTTP/1.1", f"host: {host}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if body or method not in ("GET", "HEAD"):
        lines.append(f"content-length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def exchange(self, request: bytes) -> tuple[int, bool]:
        """Send one request, read its answer: the status, and whether the server keeps the
        connection open."""
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            await self._skip_chunks()
        elif "content-length" in headers:
            await self.reader.readexactly(int(headers["content-length"]))
        return status, headers.get("connection", "").lower() != "close"

    async def _skip_chunks(self) -> None:
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await self.reader.readexactly(size + 2)
            if size == 0:
                return

    def close(self) -> None:
        self.writer.close()


def _answered_nothing(exc: BaseException) -> bool:
    """Did the connection end before a byte of the answer came back?"""
    return not isinstance(exc, asyncio.IncompleteReadError) or not exc.partial


async def _connect(host: str, port: int) -> _Connection:
    return _Connection(*await asyncio.open_connection(host, port))


async def _drive(host: str, port: int, rate: int, requests: Sequence[bytes]) -> Step:
    step = Step(offered=rate)
    idle = [
        _Connection(*await asyncio.open_connection(host, port)) for _ in range(WARM_CONNECTIONS)
    ]
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.05

    async def one(index: int, due: float) -> None:
        lag = loop.time() - due
        ok = False
        connection = idle.pop() if idle else None
        reused = connection is not None
        began = time.perf_counter()
        try:
            if connection is None:
                connection = await _connect(host, port)
            try:
                status, keep = await asyncio.wait_for(
                    connection.exchange(requests[index]), TIMEOUT_SECONDS
                )
            except (ConnectionError, asyncio.IncompleteReadError) as exc:
                if not (reused and _answered_nothing(exc)):
                    raise
                # The server closed this idle connection (its keep-alive timeout) as the
                # request went out: HTTP clients send it again on a new connection, and so
                # does this one, once, rather than count a failure the server never made.
                connection.close()
                connection = await _connect(host, port)
                status, keep = await asyncio.wait_for(
                    connection.exchange(requests[index]), TIMEOUT_SECONDS
                )
            ok = status < 300
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
            keep = False
        took = time.perf_counter() - began
        if connection is not None:
            if keep:
                idle.append(connection)
            else:
                connection.close()
        step.sent += 1
        step.failed += 0 if ok else 1
        step.latencies.append(took)
        step.lags.append(max(lag, 0.0))

    tasks = []
    for index in range(len(requests)):
        due = start + index / rate
        pause = due - loop.time()
        if pause > 0:
            await asyncio.sleep(pause)
        tasks.append(asyncio.create_task(one(index, due)))
    await asyncio.gather(*tasks)
    step.elapsed = loop.time() - start
    for connection in idle:
        connection.close()
    return step


def drive(host: str, port: int, rate: int, requests: Sequence[bytes]) -> Step:
    """Send `requests` at `rate` a second, each at its scheduled moment; block until answered."""
    return asyncio.run(_drive(host, port, rate, requests))
