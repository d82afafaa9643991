"""What participants must hear about when an event changes, and how to name it.

Title, place (venue name, address, coordinates) and time (start, end) notify; the description,
capacity, activity type and mix band change neither when nor where to go. The events service
keeps the snapshot participants last heard on the event (`change_base`) from the first such
edit; the settled notice compares it with the event as it then is and names what differs, so
several edits make one notice, and an edit undone before it settles makes none.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from birge_shared.models import Event

#: The aspects a change notice can name, in the order it names them.
ASPECTS: dict[str, tuple[str, ...]] = {
    "time": ("starts_at", "ends_at"),
    "place": ("venue",),
    "title": ("title",),
}


def notifying_snapshot(event: Event) -> dict[str, Any]:
    """The fields participants must hear about, as JSON (kept on the event until notified)."""
    return {
        "title": dict(event.title),
        "venue": [
            event.venue_name,
            event.venue_address,
            event.venue_latitude,
            event.venue_longitude,
        ],
        "starts_at": event.starts_at.isoformat(),
        "ends_at": event.ends_at.isoformat(),
    }


def changed_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    return sorted(name for name, value in after.items() if before.get(name) != value)


def changed_aspects(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """`["time", "place"]`: what differs between two snapshots, in the notice's order."""
    fields = set(changed_fields(before, after))
    return [aspect for aspect, names in ASPECTS.items() if fields.intersection(names)]
