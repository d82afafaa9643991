"""The console's menu: which pages each role sees, in the order they work."""

from __future__ import annotations

from dataclasses import dataclass

from birge_console.i18n import N_
from birge_shared.models import Role


@dataclass(frozen=True)
class MenuItem:
    label: str  # marked with N_, translated in the template
    href: str
    current: bool


_ITEMS: tuple[tuple[str, str, frozenset[Role]], ...] = (
    (N_("Dashboard"), "/console", frozenset(Role)),
    (N_("Events"), "/console/events", frozenset(Role)),
    (N_("Check-in"), "/console/check-in", frozenset({Role.COORDINATOR, Role.ADMIN})),
    (N_("Participants"), "/console/participants", frozenset({Role.COORDINATOR, Role.ADMIN})),
    (N_("Inbox"), "/console/inbox", frozenset({Role.COORDINATOR, Role.ADMIN})),
    (N_("Reports"), "/console/reports", frozenset(Role)),
    (N_("Indicators"), "/console/indicators", frozenset(Role)),
    (N_("Administration"), "/console/admin", frozenset({Role.ADMIN})),
)


def menu(role: Role, path: str) -> list[MenuItem]:
    items = []
    for label, href, roles in _ITEMS:
        if role not in roles:
            continue
        current = path == href if href == "/console" else path.startswith(href)
        if path.endswith("/door"):
            # An event's door belongs to check-in, though its address is under the event.
            current = href == "/console/check-in"
        items.append(MenuItem(label=label, href=href, current=current))
    return items


ROLE_NAMES: dict[Role, str] = {
    Role.ADMIN: N_("Administrator"),
    Role.COORDINATOR: N_("Coordinator"),
    Role.VIEWER: N_("Viewer (M&E)"),
}
