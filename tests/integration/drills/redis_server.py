"""The drills' own redis-server (tests/own_redis.py), which a drill may stop and start again
on the same port, and the settings their workers run with."""

from __future__ import annotations

from tests.own_redis import OwnRedis

__all__ = ["ANY_HOUR", "OwnRedis"]

#: Quiet hours switched off for the drills' workers, so they send whatever the hour of the run.
ANY_HOUR = {"QUIET_HOURS_START": "00:00", "QUIET_HOURS_END": "00:00"}
