"""The drills reuse the sending tests' committed rows; each drill runs once per channel
harness (`channels.py`), with the fake Messages API every harness sends its SMS to."""

from __future__ import annotations

from tests.integration.drills.channels import delivery, harness, messages_api
from tests.integration.sending.conftest import rows

__all__ = ["delivery", "harness", "messages_api", "rows"]
