"""The participant search and filter form, read once for every page that has one.

The participants list, the door's roster search and a saved filter all take what a
coordinator typed or chose: a search term (a name, a number), a community, a language, an
opt-out state and a window of invitation history. This module turns the raw form values into
the API's arguments, so blank means "any" and a value the form never offers means "any" on
every page alike, and it holds the names those choices are shown by.

A saved filter keeps only the structured choices: a typed name or number finds one person
and is personal data, so it is never saved (see the API's `FilterCriteria`).
"""

from __future__ import annotations

import unicodedata
import uuid
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from birge_api.deps import Actor
from birge_api.pagination import MAX_LIMIT
from birge_api.participant_filters.schemas import FilterCriteria, criteria_of
from birge_api.participant_filters.service import list_filters, participant_filter
from birge_api.participants.service import ParticipantFilter
from birge_console.i18n import N_
from birge_shared.models import Community, Language

COMMUNITY_NAMES: dict[Community | None, str] = {
    Community.HOST: N_("Host community"),
    Community.MIGRANT: N_("Migrants"),
    None: N_("Community not said"),
}
OPTED_OUT_CHOICES = {"yes": N_("Opted out"), "no": N_("Not opted out")}
#: "Last invited" choices the form offers; a saved filter may hold another window ("not45").
INVITED_CHOICES = {
    "30": N_("Invited in the last 30 days"),
    "not30": N_("Not invited in the last 30 days"),
    "not90": N_("Not invited in the last 90 days"),
}
SEARCH_ERRORS = {
    "name": N_("Type at least two letters of a name."),
    "phone": N_("This is not a mobile phone number. Type the whole number, e.g. 0555 123 456."),
}
_MAX_DAYS = 3650
_LINE_BREAKING = frozenset({"Cc", "Zl", "Zp"})


def search_term(value: str) -> str:
    """A typed term as the searches take it: stripped, and empty when it is not one line.

    A pasted line break is refused by the API's one-line fields; a search then shows the list
    from the top rather than an error that would have to say what was typed.
    """
    if any(unicodedata.category(character) in _LINE_BREAKING for character in value):
        return ""
    return value.strip()


def invited_window(code: str) -> tuple[int, bool] | None:
    """`"30"` → invited in the last 30 days; `"not90"` → not invited in the last 90."""
    within = not code.startswith("not")
    days = code if within else code[3:]
    if not days.isdigit() or len(days) > 4 or not 1 <= int(days) <= _MAX_DAYS:
        return None
    return int(days), within


def invited_code(criteria: FilterCriteria) -> str:
    if criteria.invited_within_days:
        return str(criteria.invited_within_days)
    if criteria.not_invited_within_days:
        return f"not{criteria.not_invited_within_days}"
    return ""


def invited_label(code: str) -> tuple[str, int] | None:
    """How to name a window: a fixed choice's text, or a template and its days."""
    window = invited_window(code)
    if window is None:
        return None
    days, within = window
    if within:
        return N_("Invited in the last %(days)s days"), days
    return N_("Not invited in the last %(days)s days"), days


@dataclass(frozen=True)
class Criteria:
    """The form, as typed: blank means any."""

    name: str = ""
    phone: str = ""
    city: str = ""
    language: str = ""
    community: str = ""
    opted_out: str = ""
    invited: str = ""

    def saved(self) -> FilterCriteria:
        """The structured part, as a saved filter keeps it (no name, no number, no city)."""
        window = invited_window(self.invited)
        return FilterCriteria(
            language=Language(self.language) if self.language in set(Language) else None,
            community=Community(self.community) if self.community in set(Community) else None,
            opted_out={"yes": True, "no": False}.get(self.opted_out),
            invited_within_days=window[0] if window and window[1] else None,
            not_invited_within_days=window[0] if window and not window[1] else None,
        )

    def filters(self) -> ParticipantFilter:
        structured = participant_filter(self.saved(), city=self.city)
        return replace(
            structured,
            city=self.city or None,
            name=search_term(self.name) or None,
            phone=search_term(self.phone) or None,
        )

    @property
    def has_choices(self) -> bool:
        """Whether anything a saved filter keeps was chosen."""
        return bool(self.saved().stored())

    @property
    def has_search(self) -> bool:
        return bool(search_term(self.name) or search_term(self.phone))

    def query(self) -> str:
        """The chosen filters as a link's query (never the typed name or number)."""
        fields = [
            ("city", self.city),
            ("language", self.language),
            ("community", self.community),
            ("opted_out", self.opted_out),
            ("invited", self.invited),
        ]
        return urlencode([(key, value) for key, value in fields if value])

    @classmethod
    def of(cls, criteria: FilterCriteria, *, city: str) -> Criteria:
        """The form that applies a saved filter."""
        return cls(
            city=city,
            language=criteria.language.value if criteria.language else "",
            community=criteria.community.value if criteria.community else "",
            opted_out="" if criteria.opted_out is None else ("yes" if criteria.opted_out else "no"),
            invited=invited_code(criteria),
        )


@dataclass(frozen=True)
class SavedLink:
    """A saved filter as the participants page lists it: applied by following its link."""

    id: uuid.UUID
    name: str
    city: str
    query: str


@dataclass(frozen=True)
class FilterError:
    """Why saving or renaming a filter was refused, and which form to show it beside."""

    text: str
    filter_id: uuid.UUID | None = None


def saved_links(session: Session, actor: Actor) -> list[SavedLink]:
    """The caller's cities' saved filters (the first page of the API's list, by name)."""
    rows, _more = list_filters(
        session=session, actor=actor, city=None, limit=MAX_LIMIT, cursor=None
    )
    links = [
        SavedLink(
            id=row.id,
            name=row.name,
            city=row.city_code,
            query=Criteria.of(criteria_of(row), city=row.city_code).query(),
        )
        for row in rows
    ]
    return sorted(links, key=lambda link: (link.city, link.name.casefold()))
