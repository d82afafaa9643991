"""The fake Messages API, imported from where it lives.

It is part of the `birge_cli.bench` package so that `birge bench` can run it outside the test
suite; the tests keep importing it from here.
"""

from __future__ import annotations

from birge_cli.bench.fake_messages_api import FakeMessagesApi, ScriptedAnswer

__all__ = ["FakeMessagesApi", "ScriptedAnswer"]
