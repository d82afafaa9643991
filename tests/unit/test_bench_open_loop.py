"""The benchmark's HTTP client: a stale keep-alive connection is not a failure of the server."""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from birge_cli.bench.open_loop import drive, request_bytes

ANSWER = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, answer: bool) -> None:
        super().__init__(("127.0.0.1", 0), _OneRequest)
        self.answer = answer
        self.handled = 0
        self.lock = threading.Lock()


class _OneRequest(socketserver.BaseRequestHandler):
    """Answers one request, announcing keep-alive, then closes: every connection goes stale
    the moment it is back in the client's pool, as an idle one does past uvicorn's timeout."""

    def handle(self) -> None:
        server = self.server
        assert isinstance(server, _Server)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.request.recv(4096)
            if not chunk:
                return
            data += chunk
        with server.lock:
            server.handled += 1
        if server.answer:
            self.request.sendall(ANSWER)
        self.request.shutdown(socket.SHUT_RDWR)


@contextmanager
def _serving(*, answer: bool) -> Iterator[_Server]:
    server = _Server(answer)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_request_on_a_connection_the_server_closed_is_sent_again_once() -> None:
    with _serving(answer=True) as server:
        port = server.server_address[1]
        request = request_bytes("GET", "127.0.0.1", "/healthz")
        step = drive("127.0.0.1", port, 200, [request] * 40)
    assert (step.sent, step.failed) == (40, 0)
    # Each request reached the server once: only unanswered ones are sent again.
    assert server.handled == 40


def test_a_server_that_answers_nothing_is_a_failure_and_is_not_retried_for_ever() -> None:
    with _serving(answer=False) as server:
        port = server.server_address[1]
        request = request_bytes("GET", "127.0.0.1", "/healthz")
        step = drive("127.0.0.1", port, 200, [request] * 10)
    assert (step.sent, step.failed) == (10, 10)
    assert server.handled <= 20
