"""The SDK's HTTP client with a configurable host, where the SMS provider has always found it.

It lives in the shared package since the Content API's client (WhatsApp template approvals),
which the API and the CLI call too, sends through it as well.
"""

from __future__ import annotations

from birge_shared.providers.twilio_http import DEFAULT_TIMEOUT, RebasedHttpClient

__all__ = ["DEFAULT_TIMEOUT", "RebasedHttpClient"]
