"""The daily SMS segment budget of a city: the rules live in `birge_shared.budget`, since
waitlist refills and change notices, which the workers release too, count against it."""

from __future__ import annotations

from birge_shared.budget import local_day, over_budget, released_today

__all__ = ["local_day", "over_budget", "released_today"]
