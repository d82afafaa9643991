"""A tiny HTTP server that records the webhooks posted to it, as Birge's API would receive them."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self
from urllib.parse import parse_qs


@dataclass(frozen=True, slots=True)
class ReceivedWebhook:
    url: str
    params: dict[str, str]
    signature: str | None
    content_type: str | None


class WebhookReceiver:
    def __init__(self, *, answer_status: int = 204) -> None:
        self.answer_status = answer_status
        self.received: list[ReceivedWebhook] = []
        self._arrived = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedWebhook]:
        with self._arrived:
            self._arrived.wait_for(lambda: len(self.received) >= count, timeout=timeout)
            return list(self.received)

    def record(self, webhook: ReceivedWebhook) -> None:
        with self._arrived:
            self.received.append(webhook)
            self._arrived.notify_all()

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _handler_for(receiver: WebhookReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            host, port = receiver._server.server_address[:2]
            receiver.record(
                ReceivedWebhook(
                    # The URL as the receiving application reconstructs it, which is what the
                    # signature has to match.
                    url=f"http://{host!s}:{port}{self.path}",
                    params={key: values[0] for key, values in parse_qs(raw).items()},
                    signature=self.headers.get("X-Twilio-Signature"),
                    content_type=self.headers.get("Content-Type"),
                )
            )
            self.send_response(receiver.answer_status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            """Silent: the test asserts on what was recorded."""

    return Handler
