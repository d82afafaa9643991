"""An in-memory `SmsProvider` for tests: it records every call and fails when told to."""

from __future__ import annotations

import secrets
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime

from birge_shared.sms.segments import count_segments
from birge_workers.sms.provider import ProviderError, SentMessage, same_text


@dataclass(frozen=True, slots=True)
class FakeSms:
    to: str
    body: str
    status_callback: str | None
    validity_period: int | None
    sid: str | None  # None for a call that was made to fail
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))


class FakeSmsProvider:
    def __init__(self) -> None:
        self.calls: list[FakeSms] = []
        self._failures: deque[ProviderError] = deque()
        self._lock = threading.Lock()

    @property
    def sent(self) -> list[FakeSms]:
        """The calls that succeeded, in order."""
        return [call for call in self.calls if call.sid is not None]

    def fail_next(self, count: int, error: ProviderError) -> None:
        """Make the next `count` sends raise `error` (after the failures already queued)."""
        with self._lock:
            self._failures.extend([error] * count)

    def send(
        self,
        *,
        to: str,
        body: str,
        status_callback: str | None,
        validity_period: int | None,
    ) -> SentMessage:
        with self._lock:
            failure = self._failures.popleft() if self._failures else None
            sid = None if failure else "SM" + secrets.token_hex(16)
            self.calls.append(FakeSms(to, body, status_callback, validity_period, sid))
        if failure is not None:
            raise failure
        assert sid is not None
        return SentMessage(sid=sid, status="queued", segments=count_segments(body).segments)

    def find_sent(self, *, to: str, body: str, sent_after: datetime) -> list[SentMessage]:
        with self._lock:
            calls = list(self.calls)
        return [
            SentMessage(sid=call.sid, status="queued", segments=count_segments(call.body).segments)
            for call in reversed(calls)
            if call.sid is not None
            and call.to == to
            and call.created_at >= sent_after
            and same_text(body, call.body)
        ]
