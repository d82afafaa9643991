"""The phone network of `birge dev`: SMS go to a file, delivery reports come back signed.

Without Twilio settings, Birge still runs end to end on one machine: each message is appended
to `sms-outbox.jsonl` in the folder given (body included — this file is the local stand-in for
the recipient's phone, so reading the text there is its purpose), and the status callbacks
Twilio would post (queued, sent, delivered) are posted to the message's `status_callback`,
signed with the configured auth token exactly as Twilio signs them, so the real webhook
verification is what runs.

Twilio's test-credential numbers behave as they do with Twilio's test credentials, so the
error paths can be tried by hand: +15005550001 (invalid number), +15005550002 (cannot be
routed), +15005550003 (region not enabled), +15005550004 (unsubscribed), +15005550009 (not
a mobile number).
"""

from __future__ import annotations

import heapq
import json
import logging
import os
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from birge_shared.private_files import open_private_append, private_folder
from birge_shared.providers.twilio import PERMANENT_REASONS
from birge_shared.sms.segments import count_segments
from birge_workers.sms.provider import PermanentProviderError, SentMessage, same_text
from birge_workers.sms.signing import sign_and_post

logger = logging.getLogger(__name__)

OUTBOX_FILE = "sms-outbox.jsonl"
SIMULATOR_ACCOUNT_SID = "AC" + "0" * 32
# Twilio's "valid sender" test number: harmless if it ever leaked into a real request.
SIMULATOR_FROM_NUMBER = "+15005550006"
CALLBACK_STATUSES = ("queued", "sent", "delivered")
REFUSED_NUMBERS: dict[str, int] = {
    "+15005550001": 21211,
    "+15005550002": 21612,
    "+15005550003": 21408,
    "+15005550004": 21610,
    "+15005550009": 21614,
}


@dataclass(order=True)
class _Callback:
    due: float
    order: int
    url: str = field(compare=False)
    params: dict[str, str] = field(compare=False)


class SmsSimulator:
    """An `SmsProvider` that never leaves the machine. Keep one per process: it owns a thread."""

    def __init__(
        self,
        folder: Path,
        *,
        auth_token: str,
        from_number: str = SIMULATOR_FROM_NUMBER,
        account_sid: str = SIMULATOR_ACCOUNT_SID,
        step_delay: float = 0.5,
    ) -> None:
        # The outbox holds numbers and texts in clear: the owner alone may read it.
        private_folder(folder)
        self.outbox_path = folder / OUTBOX_FILE
        self._auth_token = auth_token
        self._from_number = from_number
        self._account_sid = account_sid
        self._step_delay = step_delay
        self._start_in_this_process()

    def send(
        self,
        *,
        to: str,
        body: str,
        status_callback: str | None,
        validity_period: int | None,
    ) -> SentMessage:
        if self._pid != os.getpid():
            self._start_in_this_process()
        if to in REFUSED_NUMBERS:
            code = REFUSED_NUMBERS[to]
            raise PermanentProviderError(str(code), PERMANENT_REASONS[code])
        sid = "SM" + secrets.token_hex(16)
        counted = count_segments(body)
        record = {
            "sid": sid,
            "created_at": datetime.now(UTC).isoformat(),
            "account_sid": self._account_sid,
            "from": self._from_number,
            "to": to,
            "body": body,
            "encoding": counted.encoding,
            "segments": counted.segments,
            "status_callback": status_callback,
            "validity_period": validity_period,
        }
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with self._write_lock, open_private_append(self.outbox_path) as outbox:
            outbox.write(line)
        if status_callback is not None:
            self._schedule(status_callback, sid=sid, to=to)
        return SentMessage(sid=sid, status="queued", segments=counted.segments)

    def find_sent(self, *, to: str, body: str, sent_after: datetime) -> list[SentMessage]:
        if not self.outbox_path.exists():
            return []
        with self._write_lock, self.outbox_path.open(encoding="utf-8") as outbox:
            lines = outbox.readlines()
        found = []
        for line in reversed(lines):
            try:
                record = json.loads(line)
                created = datetime.fromisoformat(record["created_at"])
            except (ValueError, KeyError):
                continue  # a line cut short by a crash mid-write was never sent
            if record.get("to") == to and created >= sent_after and same_text(body, record["body"]):
                found.append(
                    SentMessage(
                        sid=str(record["sid"]), status="queued", segments=record["segments"]
                    )
                )
        return found

    def wait_for_callbacks(self, timeout: float) -> bool:
        """Block until every scheduled callback has been posted; False if `timeout` ran out."""
        with self._condition:
            return self._condition.wait_for(
                lambda: not self._pending and self._posting == 0, timeout=timeout
            )

    def _start_in_this_process(self) -> None:
        # Called again in a forked child (Celery's prefork pool): the parent's thread does not
        # exist there, and its locks may have been copied while held.
        self._pid = os.getpid()
        self._write_lock = threading.Lock()
        self._condition = threading.Condition()
        self._pending: list[_Callback] = []
        self._posting = 0
        self._order = 0
        self._thread: threading.Thread | None = None

    def _schedule(self, url: str, *, sid: str, to: str) -> None:
        start = time.monotonic()
        with self._condition:
            for step, status in enumerate(CALLBACK_STATUSES, start=1):
                params = {
                    "MessageSid": sid,
                    "SmsSid": sid,
                    "MessageStatus": status,
                    "SmsStatus": status,
                    "To": to,
                    "From": self._from_number,
                    "AccountSid": self._account_sid,
                    "ApiVersion": "2010-04-01",
                }
                self._order += 1
                due = start + step * self._step_delay
                heapq.heappush(self._pending, _Callback(due, self._order, url, params))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._post_when_due, name="sms-simulator-callbacks", daemon=True
                )
                self._thread.start()
            self._condition.notify_all()

    def _post_when_due(self) -> None:
        # One thread posts everything, in due order, so a message's reports always arrive in
        # the order Twilio would send them.
        while True:
            with self._condition:
                while not self._pending or self._pending[0].due > time.monotonic():
                    wait = self._pending[0].due - time.monotonic() if self._pending else None
                    self._condition.wait(wait)
                callback = heapq.heappop(self._pending)
                self._posting += 1
            try:
                self._post(callback)
            finally:
                with self._condition:
                    self._posting -= 1
                    self._condition.notify_all()

    def _post(self, callback: _Callback) -> None:
        sid, status = callback.params["MessageSid"], callback.params["MessageStatus"]
        try:
            answer = sign_and_post(callback.url, callback.params, self._auth_token)
        except (OSError, ValueError) as exc:
            # The sender already has its receipt; a webhook that is down loses this report,
            # as it would with Twilio, which does not retry status callbacks.
            logger.warning(
                "simulated status callback not delivered",
                extra={"sid": sid, "status": status, "error": type(exc).__name__},
            )
            return
        if answer >= 300:
            logger.warning(
                "simulated status callback refused",
                extra={"sid": sid, "status": status, "http_status": answer},
            )
