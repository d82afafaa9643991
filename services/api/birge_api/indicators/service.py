"""Programme indicators: administrators define them, every role reads them and their values.

An indicator's formula is checked when it is written (`formula.parse`), so a stored formula
always parses; its values are computed on reading, from the figures the reports show the same
caller (`figures.figure_values`), per city and period.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_api.deps import Actor
from birge_api.indicators.figures import FIGURE_NAMES, FIGURES, FigureValues, figure_values
from birge_api.indicators.formula import Formula, FormulaError, evaluate, parse
from birge_api.indicators.periods import Period, containing, parse_period
from birge_api.indicators.schemas import (
    FigureRead,
    FormulaChecked,
    IndicatorCreate,
    IndicatorRead,
    IndicatorUpdate,
    IndicatorValue,
)
from birge_api.problems import Problem, conflict, invalid, not_found
from birge_shared import audit
from birge_shared.models import City, Indicator
from birge_shared.models.base import utcnow
from birge_shared.models.city import BISHKEK_TZ


def formula_problem(error: FormulaError, *, field: str = "formula") -> Problem:
    """A refused formula as a 422 that says where, and which name is unknown."""
    where = f" at column {error.column}" if error.column is not None else ""
    detail: dict[str, Any] = {"field": field, "detail": f"{error.message}{where}"}
    extra: dict[str, Any] = {}
    if error.column is not None:
        detail["column"] = extra["column"] = error.column
    if error.name is not None:
        detail["name"] = extra["name"] = error.name
    return Problem(
        status=422,
        type_="invalid-formula",
        title="The formula is not valid",
        detail=f"{field}: {error.message}{where}",
        errors=[detail],
        **extra,
    )


def check_formula(text: str) -> Formula:
    try:
        return parse(text, FIGURE_NAMES)
    except FormulaError as error:
        raise formula_problem(error) from None


def checked(text: str) -> FormulaChecked:
    formula = check_formula(text)
    return FormulaChecked(formula=formula.text, figures=list(formula.names))


def list_figures() -> list[FigureRead]:
    return [FigureRead(name=info.name, description=info.description) for info in FIGURES]


def _stored(row: Indicator) -> Formula | None:
    """A saved formula, checked again: one naming a figure the reports no longer have reads
    as not available instead of failing the whole list."""
    try:
        return parse(row.formula, FIGURE_NAMES)
    except FormulaError:
        return None


def _read(row: Indicator) -> IndicatorRead:
    formula = _stored(row)
    return IndicatorRead(
        id=row.id,
        code=row.code,
        name=row.name,
        formula=row.formula,
        figures=list(formula.names) if formula is not None else [],
        unit=row.unit,
        target=row.target,
        city_targets=row.city_targets,
        period=row.period,
        created_by_id=row.created_by_id,
        updated_by_id=row.updated_by_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _rows(session: Session) -> list[Indicator]:
    return list(session.scalars(select(Indicator).order_by(Indicator.code)))


def list_indicators(*, session: Session) -> list[IndicatorRead]:
    return [_read(row) for row in _rows(session)]


def _get(session: Session, indicator_id: uuid.UUID) -> Indicator:
    row = session.get(Indicator, indicator_id)
    if row is None:
        raise not_found("Indicator")
    return row


def get_indicator(*, session: Session, indicator_id: uuid.UUID) -> IndicatorRead:
    return _read(_get(session, indicator_id))


def _check_code(session: Session, code: str, *, own: uuid.UUID | None = None) -> None:
    taken = session.scalar(select(Indicator.id).where(Indicator.code == code))
    if taken is not None and taken != own:
        raise conflict("indicator-code-taken", "Another indicator has this code", field="code")


def _check_cities(session: Session, targets: dict[str, float]) -> dict[str, float]:
    known = set(session.scalars(select(City.code)))
    cleaned: dict[str, float] = {}
    for code, target in targets.items():
        key = code.strip().lower()
        if key not in known:
            raise invalid(f"city_targets.{code}", f"unknown city {code!r}", type_="unknown-city")
        cleaned[key] = float(target)
    return cleaned


def _name(name: Any) -> dict[str, str]:
    return {lang: text.strip() for lang, text in name.model_dump().items() if text and text.strip()}


def create_indicator(*, session: Session, actor: Actor, body: IndicatorCreate) -> IndicatorRead:
    formula = check_formula(body.formula)
    _check_code(session, body.code)
    row = Indicator(
        code=body.code,
        name=_name(body.name),
        formula=formula.text,
        unit=body.unit,
        target=body.target,
        city_targets=_check_cities(session, body.city_targets),
        period=body.period,
        created_by_id=actor.user_id,
        updated_by_id=actor.user_id,
    )
    session.add(row)
    session.flush()
    audit.record(
        session=session,
        actor_id=actor.user_id,
        action="indicator.create",
        object_type="indicator",
        object_id=row.id,
        details={"code": row.code},
    )
    return _read(row)


def update_indicator(
    *, session: Session, actor: Actor, indicator_id: uuid.UUID, body: IndicatorUpdate
) -> IndicatorRead:
    row = _get(session, indicator_id)
    given = body.model_fields_set
    # Check everything before changing anything: a refused update leaves the row as it was.
    formula = check_formula(body.formula) if body.formula is not None else None
    if body.code is not None:
        _check_code(session, body.code, own=row.id)
    targets = _check_cities(session, body.city_targets) if body.city_targets is not None else None
    changed: list[str] = []
    if body.code is not None and body.code != row.code:
        row.code = body.code
        changed.append("code")
    if body.name is not None and _name(body.name) != row.name:
        row.name = _name(body.name)
        changed.append("name")
    if formula is not None and formula.text != row.formula:
        row.formula = formula.text
        changed.append("formula")
    for field in ("unit", "target", "period"):
        value = getattr(body, field)
        if field in given and value is not None and value != getattr(row, field):
            setattr(row, field, value)
            changed.append(field)
    if targets is not None and targets != row.city_targets:
        row.city_targets = targets
        changed.append("city_targets")
    if changed:
        row.updated_by_id = actor.user_id
        row.updated_at = utcnow()
        session.flush()
        audit.record(
            session=session,
            actor_id=actor.user_id,
            action="indicator.update",
            object_type="indicator",
            object_id=row.id,
            details={"fields": changed},
        )
    return _read(row)


def delete_indicator(*, session: Session, actor: Actor, indicator_id: uuid.UUID) -> None:
    row = _get(session, indicator_id)
    audit.record(
        session=session,
        actor_id=actor.user_id,
        action="indicator.delete",
        object_type="indicator",
        object_id=row.id,
        details={"code": row.code},
    )
    session.delete(row)
    session.flush()


# ------------------------------------------------------------------ values


def _today() -> date:
    return utcnow().astimezone(ZoneInfo(BISHKEK_TZ)).date()


def visible_cities(*, session: Session, actor: Actor, city: str | None) -> list[str]:
    """The cities the caller may see, narrowed to `city`; another city adds nothing."""
    if city is not None and session.get(City, city) is None:
        raise invalid("city", f"unknown city {city!r}", type_="unknown-city")
    codes = list(session.scalars(select(City.code).order_by(City.code)))
    return [code for code in codes if actor.can_see_city(code) and city in (None, code)]


def requested_period(label: str | None) -> Period | None:
    if label is None or not label.strip():
        return None
    period = parse_period(label)
    if period is None:
        raise invalid("period", "a year (2026), quarter (2026-Q4) or month (2026-11)")
    return period


def indicator_values(
    *,
    session: Session,
    actor: Actor,
    city: str | None = None,
    period: str | None = None,
    today: date | None = None,
) -> list[IndicatorValue]:
    """Each indicator in each of the caller's cities, over `period`, or when none is given over
    the indicator's own current period (the one holding today, Bishkek time)."""
    asked = requested_period(period)
    cities = visible_cities(session=session, actor=actor, city=city)
    day = today or _today()
    cache: dict[tuple[str, str], FigureValues] = {}
    values: list[IndicatorValue] = []
    for row in _rows(session):
        formula = _stored(row)
        span = asked or containing(row.period, day)
        for code in cities:
            key = (code, span.label)
            if key not in cache:
                cache[key] = figure_values(session=session, actor=actor, city=code, period=span)
            figures = cache[key]
            value = evaluate(formula, figures.values) if formula is not None else None
            target = row.city_targets.get(code, row.target)
            values.append(
                IndicatorValue(
                    indicator_id=row.id,
                    code=row.code,
                    city=code,
                    period=span.label,
                    unit=row.unit,
                    value=value,
                    target=target,
                    progress=value / target if value is not None and target else None,
                    suppressed=formula is not None
                    and any(name in figures.suppressed for name in formula.names),
                )
            )
    return values
