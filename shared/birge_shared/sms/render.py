"""Building the text of one SMS: local date and time, the event's title, the personal link."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from birge_shared import i18n
from birge_shared.models.enums import Language
from birge_shared.sms.templates import fill, pick_text, reason_sentence


def local_date(moment: datetime, timezone: str, language: Language) -> str:
    """`14-март` / `14 марта` / `14 Mar`: the day the participant page shows too."""
    return i18n.format_event_day(moment, language, timezone)


def local_time(moment: datetime, timezone: str) -> str:
    return i18n.format_clock(moment, timezone)


def in_language(texts: Mapping[str, str], language: Language) -> str:
    """A per-language text (event title, description) in the participant's language.

    Falls back to Russian, then English, then whatever language the event has.
    """
    for candidate in (language.value, Language.RU.value, Language.EN.value):
        if texts.get(candidate):
            return texts[candidate]
    return next(iter(texts.values()), "")


def personal_link(public_base_url: str, token: str) -> str:
    return f"{public_base_url.rstrip('/')}/p/{token}"


#: What a change notice can name, in the order it names them.
CHANGE_WORDS: dict[Language, dict[str, str]] = {
    Language.KY: {"time": "убактысы", "place": "орду", "title": "аталышы", "": "маалыматы"},
    Language.RU: {"time": "время", "place": "место", "title": "название", "": "детали"},
    Language.EN: {"time": "time", "place": "place", "title": "title", "": "details"},
}


def describe_changes(changes: Sequence[str], language: Language) -> str:
    """`["time", "place"]` -> "время, место"; an unknown or empty list names the details."""
    words = CHANGE_WORDS[language]
    named = [words[change] for change in ("time", "place", "title") if change in changes]
    return ", ".join(named) or words[""]


def render_event_sms(
    *,
    purpose: str,
    language: Language,
    title: Mapping[str, str],
    venue: str,
    starts_at: datetime,
    timezone: str,
    link: str,
    overrides: Mapping[tuple[str, Language], str] | None = None,
    reason: str | None = None,
    changes: Sequence[str] = (),
) -> str:
    """The text of an event message (invitation, confirmation…) for one participant.

    `reason` is the coordinator's reason for a cancellation, if they gave one; `changes` names
    what a change notice is about (`time`, `place`, `title`).
    """
    body = pick_text(purpose, language, overrides or {})
    return fill(
        body,
        {
            "title": in_language(title, language),
            "date": local_date(starts_at, timezone, language),
            "time": local_time(starts_at, timezone),
            "venue": venue,
            "link": link,
            "reason": reason_sentence(reason, language),
            "changes": describe_changes(changes, language),
        },
    )


def render_plain_sms(
    *, purpose: str, language: Language, overrides: Mapping[tuple[str, Language], str] | None = None
) -> str:
    """A message without event details (help, opt-out confirmation, reply hint)."""
    return fill(pick_text(purpose, language, overrides or {}), {})
