"""A local stand-in for Telegram's Bot API: the methods Birge calls, over real HTTP.

It answers `POST /bot<token>/<method>` the way Telegram does (`{"ok": true, "result": …}`, or
`{"ok": false, "error_code": …, "description": …}`), records every call with its parameters,
and can be told that a chat blocked the bot (Telegram's 403), that a chat is gone (400 "chat
not found"), that the bot is flooding (429 with `retry_after`), that the API fails (502), or to
hold every send past a count unanswered, so a drill can kill a worker at an exact point of its
chunk, or to answer every send late and lose some (a hung Bot API). Parameters arrive as JSON
or as a form, as the library sends them.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

BOT_ID = 7_000_000_001
BOT_USERNAME = "BirgeTestBot"


@dataclass
class Call:
    token: str
    method: str
    params: dict[str, Any]


@dataclass
class FakeBotApi:
    token: str
    calls: list[Call] = field(default_factory=list)
    blocked_chats: set[str] = field(default_factory=set)
    missing_chats: set[str] = field(default_factory=set)
    flood_wait: int | None = None
    #: This many next sendMessage calls fail with 502 Bad Gateway.
    failing: int = 0
    #: Once this many messages were sent, hold every further sendMessage unanswered until
    #: `release_held()`, then answer it 502: nothing is delivered for it.
    hold_after: int | None = None
    #: Answer every sendMessage only after this many seconds (a hung Bot API).
    delay: float = 0.0
    #: A sendMessage to a chat here fails after the delay instead of delivering (once per
    #: chat): the request the client gave up on never reached Telegram.
    lose: set[str] = field(default_factory=set)
    lost: int = 0
    #: The messages delivered, per chat.
    sent_by_chat: Counter[str] = field(default_factory=Counter)
    webhook: dict[str, Any] = field(default_factory=dict)
    _released: threading.Event = field(default_factory=threading.Event)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1000))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    base_url: str = ""

    def called(self, method: str) -> list[Call]:
        with self._lock:
            return [call for call in self.calls if call.method == method]

    @property
    def total_sent(self) -> int:
        with self._lock:
            return sum(self.sent_by_chat.values())

    def sent_to(self, chat_id: int | str) -> list[Call]:
        """The sendMessage calls that delivered a message to this chat."""
        return [
            call
            for call in self.called("sendMessage")
            if str(call.params.get("chat_id")) == str(chat_id) and call.params.get("_delivered")
        ]

    def release_held(self) -> None:
        """Answer the held sends (502, nothing delivered); hold no more."""
        self.hold_after = None
        self._released.set()

    def answer(self, token: str, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.calls.append(Call(token=token, method=method, params=params))
        refused = self._refusal(token, method, params)
        if refused is not None:
            return refused
        chat = str(params.get("chat_id", ""))
        status, answer = self._result(method, params)
        if method == "sendMessage" and status == 200:
            with self._lock:
                self.sent_by_chat[chat] += 1
                params["_delivered"] = True
        return status, answer

    def _refusal(  # noqa: PLR0911 - one answer per kind of refusal
        self, token: str, method: str, params: dict[str, Any]
    ) -> tuple[int, dict[str, Any]] | None:
        if method == "sendMessage":
            if self.hold_after is not None and self.total_sent >= self.hold_after:
                self._released.wait(timeout=120)
                return _bad_gateway()
            if self.delay:
                time.sleep(self.delay)
            chat = str(params.get("chat_id", ""))
            with self._lock:
                if chat in self.lose:
                    self.lose.discard(chat)
                    self.lost += 1
                    return _bad_gateway()
            with self._lock:
                if self.failing > 0:
                    self.failing -= 1
                    return _bad_gateway()
        if token != self.token:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        if self.flood_wait is not None and method == "sendMessage":
            return 429, {
                "ok": False,
                "error_code": 429,
                "description": f"Too Many Requests: retry after {self.flood_wait}",
                "parameters": {"retry_after": self.flood_wait},
            }
        chat = str(params.get("chat_id", ""))
        if chat in self.blocked_chats and method in ("sendMessage", "editMessageReplyMarkup"):
            return 403, {
                "ok": False,
                "error_code": 403,
                "description": "Forbidden: bot was blocked by the user",
            }
        if chat in self.missing_chats and method == "sendMessage":
            return 400, {
                "ok": False,
                "error_code": 400,
                "description": "Bad Request: chat not found",
            }
        return None

    def _result(  # noqa: PLR0911 - one answer per Bot API method
        self, method: str, params: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        if method == "getMe":
            return 200, {
                "ok": True,
                "result": {
                    "id": BOT_ID,
                    "is_bot": True,
                    "first_name": "Birge",
                    "username": BOT_USERNAME,
                },
            }
        if method == "setWebhook":
            self.webhook = params
            return 200, {"ok": True, "result": True, "description": "Webhook was set"}
        if method == "sendMessage":
            text = str(params.get("text", ""))
            if not text or len(text) > 4096:
                return 400, {
                    "ok": False,
                    "error_code": 400,
                    "description": "Bad Request: message text is empty or too long",
                }
            message = {
                "message_id": next(self._ids),
                "date": 1_764_000_000,
                "chat": {"id": int(params["chat_id"]), "type": "private"},
                "text": text,
            }
            if "reply_markup" in params:
                message["reply_markup"] = params["reply_markup"]
            return 200, {"ok": True, "result": message}
        if method in ("answerCallbackQuery", "deleteWebhook", "shutdown", "close"):
            return 200, {"ok": True, "result": True}
        if method in ("editMessageReplyMarkup", "editMessageText"):
            return 200, {
                "ok": True,
                "result": {
                    "message_id": int(params.get("message_id", 0)),
                    "date": 1_764_000_000,
                    "chat": {"id": int(params.get("chat_id", 0)), "type": "private"},
                    "text": str(params.get("text", "")),
                },
            }
        return 404, {"ok": False, "error_code": 404, "description": "Not Found"}


def _bad_gateway() -> tuple[int, dict[str, Any]]:
    return 502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}


def _params(content_type: str, body: bytes) -> dict[str, Any]:
    if not body:
        return {}
    if content_type.startswith("application/json"):
        loaded: dict[str, Any] = json.loads(body)
        return loaded
    params: dict[str, Any] = {}
    for key, value in parse_qsl(body.decode(), keep_blank_values=True):
        # The library JSON-encodes nested values (reply_markup, allowed_updates) in a form.
        try:
            params[key] = json.loads(value) if value[:1] in "[{" else value
        except json.JSONDecodeError:
            params[key] = value
    return params


@contextmanager
def running_fake_bot_api(token: str) -> Iterator[FakeBotApi]:
    fake = FakeBotApi(token=token)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            path = self.path.split("?", 1)[0].strip("/")
            bot, _, method = path.partition("/")
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            params = _params(self.headers.get("Content-Type", ""), body)
            status, answer = fake.answer(bot.removeprefix("bot"), method, params)
            payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            return  # the request lines would carry the bot token

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        fake.release_held()
        server.shutdown()
        server.server_close()
        thread.join()
