"""Building the text of one SMS: local date and time, the event's title, the personal link.

Every text is rendered for a route (`SmsRoute`): whether the sender can receive replies, and
whether the recipient's operator joins the parts of a long SMS. For an operator that does
not, the text is made to fit one segment, trying in order:

1. the usual text (the admin's edit or the default);
2. each shorter wording of `SHORT_TEMPLATES`, then the built-in text in place of an edit, the
   event title cut with "…" where needed, but to no fewer than `MIN_TITLE` characters;
3. the same texts in Latin letters of GSM-7 (`birge_shared.sms.latin`), 160 characters a
   segment instead of 70, the title cut with "..." as far as needed.

A text that fits none of these raises `OneSegmentError` rather than go out in parts that
arrive apart. With the built-in wordings that takes a link longer than the settings allow
(PUBLIC_BASE_URL at most 50 characters while an operator is listed), so it does not happen:
`tests/unit/test_sms_one_segment.py` renders every purpose with the longest link allowed.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from birge_shared import i18n
from birge_shared.models.enums import Language
from birge_shared.settings import Settings
from birge_shared.sms.latin import to_gsm7_latin
from birge_shared.sms.operators import joins_parts
from birge_shared.sms.segments import fits_one_segment, is_gsm7
from birge_shared.sms.templates import SHORT_TEMPLATES, fill, pick_text, reason_sentence

#: The fewest characters of a title (with its ellipsis) a text in the recipient's own script
#: keeps before the Latin spelling is tried.
MIN_TITLE = 16


@dataclass(frozen=True, slots=True)
class SmsRoute:
    """How a text reaches one recipient."""

    #: The sender can receive replies (SMS_TWO_WAY).
    two_way: bool
    #: The recipient's operator delivers the parts of a long SMS apart: one segment only.
    one_segment: bool = False


def sms_route(*, phone: str, two_way: bool, single_segment_operators: Collection[str]) -> SmsRoute:
    return SmsRoute(two_way=two_way, one_segment=not joins_parts(phone, single_segment_operators))


def route_for(settings: Settings, phone: str) -> SmsRoute:
    """The route to `phone` under this deployment's SMS_TWO_WAY and single-segment operators."""
    return sms_route(
        phone=phone,
        two_way=settings.sms_replies,
        single_segment_operators=settings.sms_single_segment_operators,
    )


@dataclass(frozen=True, slots=True)
class SmsText:
    text: str
    #: A shorter wording was used or the title was cut, to keep one segment.
    shortened: bool = False
    #: Written in Latin letters to keep one segment.
    latin: bool = False


class OneSegmentError(ValueError):
    """No wording of a text fits one segment for an operator that does not join parts."""


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


def render_event_text(
    *,
    purpose: str,
    language: Language,
    route: SmsRoute,
    title: Mapping[str, str],
    venue: str,
    starts_at: datetime,
    timezone: str,
    link: str,
    overrides: Mapping[tuple[str, Language], str] | None = None,
    reason: str | None = None,
    changes: Sequence[str] = (),
) -> SmsText:
    """The text of an event message (invitation, confirmation…) for one participant's route.

    `reason` is the coordinator's reason for a cancellation, if they gave one; `changes` names
    what a change notice is about (`time`, `place`, `title`).
    """
    body = pick_text(purpose, language, overrides or {}, two_way=route.two_way)
    values = event_values(
        language=language,
        title=title,
        venue=venue,
        starts_at=starts_at,
        timezone=timezone,
        link=link,
        reason=reason,
        changes=changes,
    )
    if not route.one_segment:
        return SmsText(fill(body, values))
    return fit_one_segment(_wordings(purpose, language, body, two_way=route.two_way), values)


def event_values(
    *,
    language: Language,
    title: Mapping[str, str],
    venue: str,
    starts_at: datetime,
    timezone: str,
    link: str,
    reason: str | None = None,
    changes: Sequence[str] = (),
) -> dict[str, str]:
    """The values an event's texts are filled with, in the person's language and city time.

    `starts` is the date and time together, for a text (a WhatsApp template) that has one
    place for both.
    """
    date, clock = local_date(starts_at, timezone, language), local_time(starts_at, timezone)
    return {
        "title": in_language(title, language),
        "date": date,
        "time": clock,
        "starts": f"{date}, {clock}",
        "venue": venue,
        "link": link,
        "reason": reason_sentence(reason, language),
        "changes": describe_changes(changes, language),
    }


def render_plain_sms(
    *,
    purpose: str,
    language: Language,
    route: SmsRoute,
    overrides: Mapping[tuple[str, Language], str] | None = None,
) -> str:
    """A message without event details (help, opt-out confirmation, reply hint)."""
    body = pick_text(purpose, language, overrides or {}, two_way=route.two_way)
    if not route.one_segment:
        return fill(body, {})
    return fit_one_segment(_wordings(purpose, language, body, two_way=route.two_way), {}).text


def _wordings(purpose: str, language: Language, body: str, *, two_way: bool) -> list[str]:
    """The text picked, its shorter wordings, and last the built-in text in place of an edit
    too long for one segment, each once."""
    default = pick_text(purpose, language, {}, two_way=two_way)
    shorter = SHORT_TEMPLATES.get(purpose, {}).get(language, ())
    return list(dict.fromkeys((body, *shorter, default)))


def free_text_for(text: str, route: SmsRoute) -> SmsText:
    """A coordinator's own text for this route: as written, or in Latin letters to keep one
    segment for an operator that does not join parts. Their words are never shortened."""
    if not route.one_segment or fits_one_segment(text):
        return SmsText(text)
    latin = to_gsm7_latin(text)
    if fits_one_segment(latin):
        return SmsText(latin, latin=True)
    raise OneSegmentError("the text does not fit one SMS segment, even in Latin letters")


def fit_one_segment(bodies: Sequence[str], values: Mapping[str, str]) -> SmsText:
    """The first of `bodies`, filled with `values`, that fits one segment (see the module)."""
    native = dict(values)
    latin = {name: to_gsm7_latin(value) for name, value in values.items()}
    for spelled, min_title in ((native, MIN_TITLE), (latin, MIN_TITLE), (latin, 1)):
        for index, body in enumerate(bodies):
            template = body if spelled is native else _latin_template(body)
            fitted = _fitted(template, spelled, min_title=min_title)
            if fitted is not None:
                text, cut = fitted
                respelled = spelled is latin and (template != body or latin != native)
                return SmsText(text, shortened=index > 0 or cut, latin=respelled)
    raise OneSegmentError("no wording of this text fits one SMS segment")


@lru_cache(maxsize=512)
def _latin_template(body: str) -> str:
    # The same few templates serve every message of a send: spelled once each.
    return to_gsm7_latin(body)


def _fitted(template: str, values: Mapping[str, str], *, min_title: int) -> tuple[str, bool] | None:
    """`template` filled, with the title cut as little as one segment needs (and whether it
    was cut), or None when even a title of `min_title` characters does not fit."""
    whole = fill(template, values)
    if fits_one_segment(whole):
        return whole, False
    title = values.get("title", "")
    if "{title}" not in template or not title:
        return None
    # "…" is not in GSM-7: in a text that is, it would make the whole text UCS-2.
    ellipsis = "..." if is_gsm7(whole) else "…"

    def cut(keep: int) -> str:
        return fill(template, {**values, "title": title[:keep].rstrip() + ellipsis})

    lowest = max(1, min(min_title, len(title)) - len(ellipsis))
    if lowest >= len(title) or not fits_one_segment(cut(lowest)):
        return None
    # The longest cut that fits: a longer title never takes fewer characters.
    fits, too_long = lowest, len(title)
    while too_long - fits > 1:
        middle = (fits + too_long) // 2
        if fits_one_segment(cut(middle)):
            fits = middle
        else:
            too_long = middle
    return cut(fits), True
