"""A small, fast stand-in for Twilio's Messages API, for `birge bench` and the failure drills.

Prism checks requests against Twilio's contract but answers slowly and always with the same
example. This server answers `POST /2010-04-01/Accounts/{sid}/Messages.json` with a Twilio-
shaped 201 and a fresh sid each time, counts creates per `To` (so a test can prove a message
went out exactly once) and stamps the time of each, answers `GET …/Messages.json?To=…` with the
messages created for that number (newest first, as Twilio lists them), checks HTTP basic auth,
and can be scripted to answer with Twilio's error bodies or to stall. Run it with
`with FakeMessagesApi() as api:` or `start()`/`stop()`.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self
from urllib.parse import parse_qs, urlsplit

_MESSAGES_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<account>AC[0-9a-fA-F]{32})/Messages\.json$")
# Created messages kept per number for listing; bounded so long benchmarks stay small.
_KEEP_PER_NUMBER = 50


@dataclass(frozen=True, slots=True)
class ScriptedAnswer:
    """An error answer in Twilio's format: HTTP status, Twilio code and message."""

    status: int
    code: int
    message: str


class FakeMessagesApi:
    def __init__(
        self,
        *,
        account_sid: str = "AC" + "1" * 32,
        auth_token: str | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token or secrets.token_hex(16)
        self.creates_by_to: Counter[str] = Counter()
        self.requests = 0
        #: The form of the latest creates, newest last; bounded so long benchmarks stay small.
        self.recent_forms: deque[dict[str, str]] = deque(maxlen=100)
        #: `time.time()` of every create, in the order they were accepted.
        self.create_times: deque[float] = deque(maxlen=100_000)
        #: How many list (GET) requests were answered.
        self.lists = 0
        #: Seconds to wait before answering each request (to provoke read timeouts).
        self.delay = 0.0
        #: Once this many messages were created, hold every further create unanswered until
        #: `release_held()`, then refuse it as unavailable: a drill can stop a worker at an
        #: exact point of its chunk however fast or slow the machine runs it.
        self.hold_after: int | None = None
        self._released = threading.Event()
        self._scripted: deque[ScriptedAnswer] = deque()
        self._refused_numbers: dict[str, ScriptedAnswer] = {}
        self._created: dict[str, deque[dict[str, object]]] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def total_creates(self) -> int:
        with self._lock:
            return sum(self.creates_by_to.values())

    def release_held(self) -> None:
        """Let the held creates go (refused, so nothing is created for them); hold no more."""
        self.hold_after = None
        self._released.set()

    def answer_next(self, answer: ScriptedAnswer, count: int = 1) -> None:
        """Answer the next `count` requests with `answer` instead of creating a message."""
        with self._lock:
            self._scripted.extend([answer] * count)

    def refuse_number(self, to: str, answer: ScriptedAnswer) -> None:
        """Answer every create for `to` with `answer`, as Twilio does for a bad number."""
        with self._lock:
            self._refused_numbers[to] = answer

    def start(self) -> Self:
        # A short poll keeps stop() quick; the default half second adds up over many tests.
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-messages-api",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _refusal(
        self, path: str, authorization: str | None
    ) -> tuple[int, dict[str, object]] | None:
        match = _MESSAGES_PATH.match(path)
        if match is None:
            return 404, _error(20404, "The requested resource was not found", 404)
        expected = (
            "Basic " + base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        )
        if authorization != expected or match["account"] != self.account_sid:
            return 401, _error(20003, "Authenticate", 401)
        return None

    def list_messages(
        self, path: str, authorization: str | None, query: dict[str, str]
    ) -> tuple[int, dict[str, object]]:
        """Answer a list request: the messages created for `To`, newest first, one page."""
        refusal = self._refusal(path, authorization)
        if refusal is not None:
            return refusal
        with self._lock:
            self.lists += 1
            scripted = self._scripted.popleft() if self._scripted else None
            to = query.get("To")
            found = list(reversed(self._created.get(to, ()))) if to is not None else []
        if scripted is not None:
            return scripted.status, _error(scripted.code, scripted.message, scripted.status)
        page_size = int(query.get("PageSize") or 50)
        page = found[:page_size]
        uri = f"/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        return 200, {
            "messages": page,
            "end": max(len(page) - 1, 0),
            "first_page_uri": f"{uri}?PageSize={page_size}&Page=0",
            "next_page_uri": None,
            "previous_page_uri": None,
            "page": 0,
            "page_size": page_size,
            "start": 0,
            "uri": f"{uri}?PageSize={page_size}&Page=0",
        }

    def respond(
        self, path: str, authorization: str | None, form: dict[str, str]
    ) -> tuple[int, dict[str, object]]:
        """The status and JSON body answering one request (the HTTP handler calls this)."""
        refusal = self._refusal(path, authorization)
        if refusal is not None:
            return refusal
        if self.hold_after is not None and self.total_creates >= self.hold_after:
            self._released.wait(timeout=120)
            return 503, _error(20503, "Service unavailable", 503)
        with self._lock:
            self.requests += 1
            self.recent_forms.append(form)
            scripted = self._scripted.popleft() if self._scripted else None
            to = form.get("To")
            if scripted is None and to is not None:
                scripted = self._refused_numbers.get(to)
            if scripted is None and to is not None:
                self.creates_by_to[to] += 1
                self.create_times.append(time.time())
                message = self._message(to, form)
                self._created.setdefault(to, deque(maxlen=_KEEP_PER_NUMBER)).append(message)
        if scripted is not None:
            return scripted.status, _error(scripted.code, scripted.message, scripted.status)
        if to is None:
            return 400, _error(21604, "A 'To' phone number is required.", 400)
        return 201, message

    def _message(self, to: str, form: dict[str, str]) -> dict[str, object]:
        sid = "SM" + secrets.token_hex(16)
        now = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime())
        return {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "body": form.get("Body", ""),
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "accepted" if "MessagingServiceSid" in form else "queued",
            "subresource_uris": {
                "media": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}/Media.json"
            },
            "to": to,
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
        }


def _error(code: int, message: str, status: int) -> dict[str, object]:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def _handler_for(api: FakeMessagesApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        # Keep-alive, as Twilio offers: the SDK's pooled connections are then reused, which is
        # what a throughput measurement has to see.
        protocol_version = "HTTP/1.1"
        # Headers and body leave in two writes; with Nagle's algorithm the body would wait for
        # the client's delayed ACK of the headers, tens of milliseconds per request, which a
        # throughput measurement would mistake for the sender's own cost.
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode()
            form = {key: values[0] for key, values in parse_qs(raw).items()}
            if api.delay:
                time.sleep(api.delay)
            status, payload = api.respond(self.path, self.headers.get("Authorization"), form)
            self._answer(status, payload)

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {key: values[0] for key, values in parse_qs(parts.query).items()}
            if api.delay:
                time.sleep(api.delay)
            status, payload = api.list_messages(
                parts.path, self.headers.get("Authorization"), query
            )
            self._answer(status, payload)

        def _answer(self, status: int, payload: dict[str, object]) -> None:
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                # The client gave up waiting (a timeout drill); Twilio would not notice either.
                self.close_connection = True

        def log_message(self, format: str, *args: object) -> None:
            """Silent: request lines would include nothing useful and slow the benchmark."""

    return Handler
