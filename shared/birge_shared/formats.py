"""Each activity type's format: how people are grouped inside it.

Contact helps most when people share a goal and hurts when they meet as opponents (Lowe, AER
2021), so a format that sets teams against each other is where a split must never line up
communities on opposite sides. The mapping is fixed per activity type rather than chosen per
event: a coordinator picks the activity, and the format follows from what the activity is.
"""

from __future__ import annotations

from birge_shared.models.enums import ActivityFormat, ActivityType

ACTIVITY_FORMATS: dict[ActivityType, ActivityFormat] = {
    ActivityType.SPORT: ActivityFormat.COMPETITIVE,
    ActivityType.GAMES: ActivityFormat.COMPETITIVE,
    ActivityType.COOKING: ActivityFormat.COOPERATIVE,
    ActivityType.VOLUNTEERING: ActivityFormat.COOPERATIVE,
    ActivityType.ARTS: ActivityFormat.COOPERATIVE,
    ActivityType.CULTURAL_VISIT: ActivityFormat.MIXED_TEAMS,
    ActivityType.OTHER: ActivityFormat.MIXED_TEAMS,
    ActivityType.LANGUAGE_EXCHANGE: ActivityFormat.DISCUSSION,
    ActivityType.DISCUSSION: ActivityFormat.DISCUSSION,
}


def activity_format(activity_type: ActivityType) -> ActivityFormat:
    return ACTIVITY_FORMATS[activity_type]
