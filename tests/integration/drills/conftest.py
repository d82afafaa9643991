"""The drills reuse the sending tests' committed rows and fake Messages API."""

from __future__ import annotations

from tests.integration.sending.conftest import messages_api, rows

__all__ = ["messages_api", "rows"]
