"""The provider and the pacer of this worker process, made once from settings on first use.

Both hold connections (and the simulator a thread), so each process builds its own: lazily,
because Celery's prefork pool forks its children after importing the tasks, and a connection
or thread made before the fork would be shared or missing in the child.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from birge_shared.settings import get_settings
from birge_workers.sending.pacing import Pacer, pacer_from_settings
from birge_workers.sms.factory import provider_from_settings
from birge_workers.sms.provider import SmsProvider
from birge_workers.telegram.provider import MESSAGES_PER_SECOND
from birge_workers.whatsapp.provider import WhatsAppProvider, whatsapp_provider_from_settings

#: The Telegram bot's own bucket: its limit is per bot, not Twilio's per account.
TELEGRAM_BUCKET_KEY = "birge:telegram:bucket"

T = TypeVar("T")


class PerProcess(Generic[T]):
    """One `T` per process, built by `factory` the first time this process asks."""

    def __init__(self, factory: Callable[[], T]) -> None:
        self._factory = factory
        self._lock = threading.Lock()
        self._value: T | None = None
        self._pid: int | None = None

    def get(self) -> T:
        if self._pid is not None and self._pid != os.getpid():
            # In a forked child: the copied lock may have been held by a parent's thread.
            self._lock = threading.Lock()
        with self._lock:
            if self._value is None or self._pid != os.getpid():
                self._value = self._factory()
                self._pid = os.getpid()
            return self._value


_provider: PerProcess[SmsProvider] = PerProcess(lambda: provider_from_settings(get_settings()))
_whatsapp: PerProcess[WhatsAppProvider] = PerProcess(
    lambda: whatsapp_provider_from_settings(get_settings())
)
_pacer: PerProcess[Pacer] = PerProcess(lambda: pacer_from_settings(get_settings()))
_telegram_pacer: PerProcess[Pacer] = PerProcess(
    lambda: pacer_from_settings(get_settings(), rate=MESSAGES_PER_SECOND, key=TELEGRAM_BUCKET_KEY)
)


def sms_provider() -> SmsProvider:
    return _provider.get()


def whatsapp_provider() -> WhatsAppProvider:
    return _whatsapp.get()


def send_pacer() -> Pacer:
    return _pacer.get()


def telegram_pacer() -> Pacer:
    return _telegram_pacer.get()
