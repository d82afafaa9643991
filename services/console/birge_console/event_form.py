"""The event form: what was typed, turned into the API's `EventCreate` / `EventUpdate`.

Times are typed in the city's time zone (`datetime-local` inputs) and sent as aware datetimes;
the mix band is typed as a percentage. Validation is the API's: pydantic's errors and the
service's problems are mapped back onto the form's fields, in the reader's language.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from birge_api.events.schemas import EventCreate, EventUpdate
from birge_api.problems import Problem
from birge_console.i18n import N_
from birge_shared.models import Event, Language

LANGUAGES = tuple(language.value for language in Language)
FIELDS = (
    "city",
    *(f"title_{code}" for code in LANGUAGES),
    *(f"description_{code}" for code in LANGUAGES),
    "activity_type",
    "venue_name",
    "venue_address",
    "venue_latitude",
    "venue_longitude",
    "starts_at",
    "ends_at",
    "answer_by",
    "capacity",
    "min_share",
    "visibility",
)
#: What a `datetime-local` input sends and shows (minutes; seconds are not asked for).
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"
MAX_VALUE = 5000


@dataclass(frozen=True)
class FormError:
    message: str  # a msgid (translated when shown) or the API's own words
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class EventForm:
    values: dict[str, str]
    errors: dict[str, FormError] = field(default_factory=dict)
    general: list[FormError] = field(default_factory=list)

    @property
    def invalid(self) -> bool:
        return bool(self.errors or self.general)


#: The API's own messages, as the reader should see them.
_KNOWN: dict[str, str] = {
    "ends_at must be after starts_at": N_("The end must be after the start."),
    "answer_by must be before starts_at": N_("The answer deadline must be before the start."),
    "the event must start in the future": N_("The event must start in the future."),
    "the answer deadline must lie in the future": N_("The answer deadline must be in the future."),
    "must be one line, without control characters": N_("One line, please."),
    "not one of your cities": N_("This is not one of your cities."),
    "give both latitude and longitude, or neither": N_(
        "Give both latitude and longitude, or neither."
    ),
    "cannot be null": N_("Required."),
}
_PROBLEMS: dict[str, str] = {
    "capacity-below-held-seats": N_(
        "The capacity is below the seats already held: withdraw invitations first."
    ),
    "event-not-open": N_("The event is cancelled or over and can no longer change."),
}


def _known(detail: str) -> FormError:
    return FormError(_KNOWN.get(detail, detail))


#: pydantic's error types, by what the reader is told.
_TYPES: dict[str, str] = {
    "missing": N_("Required."),
    "string_too_short": N_("Required."),
    "too_short": N_("Required."),
    "string_too_long": N_("Too long."),
    "too_long": N_("Too long."),
    "int_parsing": N_("Enter a whole number."),
    "int_from_float": N_("Enter a whole number."),
    "float_parsing": N_("Enter a number."),
    "enum": N_("Choose one of the options."),
}


def _pydantic_message(error: Mapping[str, Any]) -> FormError:
    kind = str(error.get("type", ""))
    context = error.get("ctx") or {}
    if kind in _TYPES:
        return FormError(_TYPES[kind])
    if kind in {"greater_than", "greater_than_equal"}:
        limit = context.get("gt", context.get("ge"))
        return FormError(N_("Must be at least %(limit)s."), {"limit": limit})
    if kind in {"less_than", "less_than_equal"}:
        limit = context.get("lt", context.get("le"))
        return FormError(N_("Must be at most %(limit)s."), {"limit": limit})
    message = str(error.get("msg", ""))
    return _known(message.removeprefix("Value error, "))


def _field_of(loc: tuple[Any, ...]) -> str | None:
    """The form field an error belongs to (`("venue", "name")` -> `venue_name`)."""
    if not loc:
        return None
    head = str(loc[0])
    if head in {"title", "description"}:
        return f"{head}_{loc[1]}" if len(loc) > 1 and str(loc[1]) in LANGUAGES else head
    if head == "venue":
        return f"venue_{loc[1]}" if len(loc) > 1 else "venue_name"
    if head == "mix_band":
        return "min_share"
    return head if head in FIELDS else None


def read(form: Mapping[str, Any]) -> dict[str, str]:
    """The typed values, stripped and capped (the API's limits are checked by the API)."""
    return {name: str(form.get(name) or "").strip()[:MAX_VALUE] for name in FIELDS}


def _local(value: datetime, zone: ZoneInfo) -> str:
    return value.astimezone(zone).strftime(LOCAL_FORMAT)


def _percent(share: float) -> str:
    percent = round(share * 100, 2)
    return str(int(percent)) if percent == int(percent) else str(percent)


def values_of(event: Event, *, shift: timedelta = timedelta(0)) -> dict[str, str]:
    """The form's values for an event (moved by `shift`, for a copy)."""
    zone = ZoneInfo(event.city.timezone)
    values = dict.fromkeys(FIELDS, "")
    values.update(
        city=event.city_code,
        activity_type=event.activity_type.value,
        venue_name=event.venue_name,
        venue_address=event.venue_address,
        venue_latitude="" if event.venue_latitude is None else str(event.venue_latitude),
        venue_longitude="" if event.venue_longitude is None else str(event.venue_longitude),
        starts_at=_local(event.starts_at + shift, zone),
        ends_at=_local(event.ends_at + shift, zone),
        answer_by="" if event.answer_by is None else _local(event.answer_by + shift, zone),
        capacity=str(event.capacity),
        min_share=_percent(event.min_share),
        visibility=event.visibility.value,
    )
    for code in LANGUAGES:
        values[f"title_{code}"] = event.title.get(code, "")
        values[f"description_{code}"] = event.description.get(code, "")
    return values


def copy_shift(event: Event, now: datetime) -> timedelta:
    """Whole weeks that put a copy of a past event on the same weekday and time, ahead."""
    if event.starts_at > now:
        return timedelta(0)
    weeks = math.floor((now - event.starts_at) / timedelta(weeks=1)) + 1
    return timedelta(weeks=weeks)


def _payload(
    values: Mapping[str, str], zone: ZoneInfo, errors: dict[str, FormError]
) -> dict[str, Any]:
    """The API's JSON body as the form gives it; unparseable inputs become errors here."""
    payload: dict[str, Any] = {
        "title": {code: values[f"title_{code}"] for code in LANGUAGES if values[f"title_{code}"]},
        "description": {
            code: values[f"description_{code}"]
            for code in LANGUAGES
            if values[f"description_{code}"]
        },
        "venue": {
            key: values[f"venue_{key}"] for key in ("name", "address") if values[f"venue_{key}"]
        },
        "visibility": values["visibility"] or None,
        "activity_type": values["activity_type"] or None,
    }
    for name in ("latitude", "longitude"):
        raw = values[f"venue_{name}"]
        try:
            payload["venue"][name] = float(raw.replace(",", ".")) if raw else None
        except ValueError:
            errors[f"venue_{name}"] = FormError(N_("Enter a number."))
    for name in ("starts_at", "ends_at", "answer_by"):
        raw = values[name]
        if not raw:
            payload[name] = None
            continue
        try:
            payload[name] = datetime.fromisoformat(raw).replace(tzinfo=zone)
        except ValueError:
            errors[name] = FormError(N_("Enter a date and time."))
    payload["capacity"] = values["capacity"] or None
    raw_share = values["min_share"]
    payload["mix_band"] = None
    if raw_share:
        try:
            payload["mix_band"] = {"min_share": round(float(raw_share.replace(",", ".")) / 100, 4)}
        except ValueError:
            errors["min_share"] = FormError(N_("Enter a number."))
    return payload


def _collect(exc: ValidationError, form: EventForm) -> None:
    for error in exc.errors():
        name = _field_of(tuple(error["loc"]))
        message = _pydantic_message(error)
        if name is None:
            form.general.append(message)
        else:
            form.errors.setdefault(name, message)


def to_create(values: dict[str, str], zone: ZoneInfo) -> tuple[EventCreate | None, EventForm]:
    form = EventForm(values=values)
    payload = _payload(values, zone, form.errors)
    payload["city"] = values["city"]
    body = {key: value for key, value in payload.items() if value is not None}
    try:
        data = EventCreate.model_validate(body)
    except ValidationError as exc:
        _collect(exc, form)
        return None, form
    return (None, form) if form.invalid else (data, form)


def to_update(values: dict[str, str], event: Event) -> tuple[EventUpdate | None, EventForm]:
    """Only what differs from the event is sent: an untouched past deadline stays as it is."""
    form = EventForm(values=values)
    zone = ZoneInfo(event.city.timezone)
    current = _payload(values_of(event), zone, {})
    wanted = _payload(values, zone, form.errors)
    changes = {key: value for key, value in wanted.items() if value != current.get(key)}
    # `null` removes only the answer deadline; other fields left empty are required.
    body = {key: value for key, value in changes.items() if value is not None or key == "answer_by"}
    missing = [key for key, value in changes.items() if value is None and key != "answer_by"]
    for key in missing:
        form.errors[key] = FormError(N_("Required."))
    try:
        data = EventUpdate.model_validate(body)
    except ValidationError as exc:
        _collect(exc, form)
        return None, form
    return (None, form) if form.invalid else (data, form)


def add_problem(form: EventForm, problem: Problem) -> None:
    """The service's refusal, next to the fields it names or above the form."""
    for error in problem.errors or []:
        name = _field_of((str(error.get("field", "")),))
        message = _known(str(error.get("detail", "")))
        if name is None:
            form.general.append(message)
        else:
            form.errors.setdefault(name, message)
    if not problem.errors:
        form.general.append(FormError(_PROBLEMS.get(problem.type_, problem.title)))
