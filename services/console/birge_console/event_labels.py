"""The names of activity types, event statuses and visibilities, as the console shows them."""

from __future__ import annotations

from typing import Any

from birge_console.i18n import N_
from birge_shared.models import ActivityType, EventStatus, EventVisibility

ACTIVITY_NAMES: dict[ActivityType, str] = {
    ActivityType.SPORT: N_("Sport"),
    ActivityType.COOKING: N_("Cooking"),
    ActivityType.LANGUAGE_EXCHANGE: N_("Language exchange"),
    ActivityType.CULTURAL_VISIT: N_("Cultural visit"),
    ActivityType.VOLUNTEERING: N_("Volunteering"),
    ActivityType.DISCUSSION: N_("Discussion"),
    ActivityType.ARTS: N_("Arts"),
    ActivityType.GAMES: N_("Games"),
    ActivityType.OTHER: N_("Other"),
}

STATUS_NAMES: dict[EventStatus, str] = {
    EventStatus.SCHEDULED: N_("Scheduled"),
    EventStatus.CANCELLED: N_("Cancelled"),
    EventStatus.COMPLETED: N_("Completed"),
}

#: The badge colour of each status (a class in console.css).
STATUS_BADGES: dict[EventStatus, str] = {
    EventStatus.SCHEDULED: "ok",
    EventStatus.CANCELLED: "bad",
    EventStatus.COMPLETED: "",
}

VISIBILITY_NAMES: dict[EventVisibility, str] = {
    EventVisibility.PRIVATE: N_("Private: only in the console"),
    EventVisibility.PUBLIC: N_("Public: listed in the city's calendar feed"),
}

LABELS: dict[str, Any] = {
    "activity_names": ACTIVITY_NAMES,
    "status_names": STATUS_NAMES,
    "status_badges": STATUS_BADGES,
    "visibility_names": VISIBILITY_NAMES,
}
