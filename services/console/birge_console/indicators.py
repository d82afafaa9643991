"""The Indicators page: each programme indicator against its target per city and period.

Read through the API's own service (`birge_api.indicators`), so the page shows exactly the
values, suppression and city scoping of `GET /v1/indicators/values`, for every role.
Administrators define indicators here; the formula is checked as it is typed (htmx posts the
field to `/console/indicators/check`), and without JavaScript the "Check" button posts the
whole form and gets the page back with the answer.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Form, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from markupsafe import Markup
from pydantic import ValidationError
from sqlalchemy import select

from birge_api.indicators import service
from birge_api.indicators.export import export_values
from birge_api.indicators.schemas import (
    IndicatorCreate,
    IndicatorRead,
    IndicatorUpdate,
    IndicatorValue,
)
from birge_api.problems import Problem
from birge_api.reports.export import ExportFormat
from birge_console import charts
from birge_console.context import Console, ConsoleDep
from birge_console.i18n import N_, _
from birge_console.rendering import env
from birge_console.routing import console_router
from birge_shared.models import City, IndicatorPeriod, IndicatorUnit

router = console_router(prefix="/console/indicators")

UNITS: dict[IndicatorUnit, str] = {
    IndicatorUnit.PERCENT: N_("Percent"),
    IndicatorUnit.COUNT: N_("Count"),
    IndicatorUnit.MEAN: N_("Mean"),
}
PERIODS: dict[IndicatorPeriod, str] = {
    IndicatorPeriod.MONTH: N_("Month"),
    IndicatorPeriod.QUARTER: N_("Quarter"),
    IndicatorPeriod.YEAR: N_("Year"),
}

Text = Annotated[str, Form(max_length=500)]


def _cities(console: Console) -> list[City]:
    cities = console.db.scalars(select(City).order_by(City.name))
    return [city for city in cities if console.actor.can_see_city(city.code)]


def name_of(indicator: IndicatorRead, language: str) -> str:
    return indicator.name.get(language) or indicator.name.get("en") or indicator.code


def shown(value: float | None, unit: IndicatorUnit) -> str:
    if value is None:
        return _("not available")
    number = str(env.filters["number"](round(value, 1)))
    return f"{number} %" if unit is IndicatorUnit.PERCENT else number


@dataclass
class Row:
    indicator: IndicatorRead
    values: list[IndicatorValue]
    chart: Markup


def _chart(
    indicator: IndicatorRead, values: list[IndicatorValue], names: dict[str, str], language: str
) -> Markup:
    bars = [
        charts.Bar(
            label=names.get(value.city, value.city),
            value=value.value,
            text=(_("suppressed (fewer than 5)") if value.suppressed else _("not available"))
            if value.value is None
            else shown(value.value, indicator.unit),
            colour=charts.COLOURS[index % len(charts.COLOURS)],
        )
        for index, value in enumerate(values)
    ]
    targets = [value.target for value in values]
    largest = max([bar.value for bar in bars if bar.value is not None] + targets + [1.0])
    target_text = "; ".join(
        f"{names.get(v.city, v.city)}: {_('target')} {shown(v.target, indicator.unit)}"
        for v in values
    )
    # One target for every city draws as a marked line; per-city targets are in the table.
    band = (
        charts.Band(low=targets[0], high=targets[0], label=_("target"))
        if targets and len(set(targets)) == 1 and targets[0] >= 0
        else None
    )
    description = "; ".join(f"{bar.label}: {bar.text}" for bar in bars) + f"; {target_text}"
    return charts.bar_chart(
        chart_id=f"indicator-{indicator.id}",
        title=name_of(indicator, language),
        description=description,
        bars=bars,
        maximum=largest,
        band=band,
    )


@router.get("", response_class=HTMLResponse)
def indicators_page(console: ConsoleDep, city: str = "", period: str = "") -> HTMLResponse:
    indicators = service.list_indicators(session=console.db)
    errors: list[str] = []
    try:
        values = service.indicator_values(
            session=console.db,
            actor=console.actor,
            city=city.strip().lower() or None,
            period=period or None,
        )
    except Problem as problem:
        errors = [str(error.get("detail")) for error in problem.errors or []] or [problem.title]
        values = []
    cities = _cities(console)
    names = {city.code: city.name for city in cities}
    rows = []
    with_language = console.language.value
    for indicator in indicators:
        own = [value for value in values if value.indicator_id == indicator.id]
        chart = _chart(indicator, own, names, with_language) if own else Markup("")
        rows.append(Row(indicator=indicator, values=own, chart=chart))
    query = urlencode({key: value for key, value in (("city", city), ("period", period)) if value})
    return console.render(
        "indicators/list.html",
        rows=rows,
        cities=cities,
        city_names=names,
        city=city,
        period=period,
        errors=errors,
        units=UNITS,
        periods=PERIODS,
        shown=shown,
        name_of=name_of,
        language_code=with_language,
        export_query=query,
        saved=console.request.query_params.get("saved"),
    )


@router.get("/export.{file_format}")
def export(
    console: ConsoleDep, file_format: ExportFormat, city: str = "", period: str = ""
) -> Response:
    exported = export_values(
        session=console.db,
        actor=console.actor,
        city=city.strip().lower() or None,
        period=period or None,
        file_format=file_format,
    )
    return Response(
        content=exported.content,
        media_type=exported.media_type,
        headers={"Content-Disposition": f'attachment; filename="{exported.filename}"'},
    )


# ------------------------------------------------------------------ the form


@dataclass
class IndicatorForm:
    code: str = ""
    name_ky: str = ""
    name_ru: str = ""
    name_en: str = ""
    formula: str = ""
    unit: str = IndicatorUnit.PERCENT.value
    target: str = ""
    period: str = IndicatorPeriod.QUARTER.value
    city_targets: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, indicator: IndicatorRead) -> IndicatorForm:
        return cls(
            code=indicator.code,
            name_ky=indicator.name.get("ky", ""),
            name_ru=indicator.name.get("ru", ""),
            name_en=indicator.name.get("en", ""),
            formula=indicator.formula,
            unit=indicator.unit.value,
            target=str(env.filters["number"](indicator.target)).replace("\u00a0", ""),
            period=indicator.period.value,
            city_targets={code: f"{value:g}" for code, value in indicator.city_targets.items()},
        )

    def body(self) -> dict[str, Any]:
        return {
            "code": self.code.strip(),
            "name": {"ky": self.name_ky or None, "ru": self.name_ru or None, "en": self.name_en},
            "formula": self.formula,
            "unit": self.unit,
            "target": _float(self.target),
            "city_targets": {
                code: _float(value) for code, value in self.city_targets.items() if value.strip()
            },
            "period": self.period,
        }


def _float(text: str) -> float | str:
    # A number as typed, with a decimal comma as Kyrgyz and Russian write it; anything else is
    # left as text for the schema to refuse with the field's name.
    try:
        return float(text.strip().replace(",", ".").replace(" ", ""))
    except ValueError:
        return text


async def _read_form(console: Console) -> IndicatorForm:
    data = await console.request.form()
    value = {key: str(item)[:500] for key, item in data.items()}
    return IndicatorForm(
        code=value.get("code", ""),
        name_ky=value.get("name_ky", ""),
        name_ru=value.get("name_ru", ""),
        name_en=value.get("name_en", ""),
        formula=value.get("formula", ""),
        unit=value.get("unit", ""),
        target=value.get("target", ""),
        period=value.get("period", ""),
        city_targets={city.code: value.get(f"target_{city.code}", "") for city in _cities(console)},
    )


def _formula_check(text: str) -> tuple[list[str], str | None]:
    """The figure names a formula reads, or why it is refused."""
    try:
        checked = service.checked(text)
    except Problem as problem:
        return [], str((problem.errors or [{}])[0].get("detail", problem.title))
    return checked.figures, None


def _form_page(
    console: Console,
    form: IndicatorForm,
    *,
    indicator: IndicatorRead | None = None,
    errors: list[str] | None = None,
    checked: bool = False,
    status_code: int = 200,
) -> HTMLResponse:
    figures, formula_error = _formula_check(form.formula) if checked else ([], None)
    return console.render(
        "indicators/form.html",
        status_code=status_code,
        form=form,
        indicator=indicator,
        errors=errors or [],
        checked=checked,
        figures=figures,
        formula_error=formula_error,
        catalogue=service.list_figures(),
        cities=_cities(console),
        units=UNITS,
        periods=PERIODS,
    )


def _problem_errors(problem: Problem) -> list[str]:
    details = [str(error.get("detail")) for error in problem.errors or []]
    return details or [problem.title]


def _validation_errors(error: ValidationError) -> list[str]:
    return [f"{'.'.join(str(p) for p in item['loc'])}: {item['msg']}" for item in error.errors()]


@router.get("/new", response_class=HTMLResponse)
def new_page(console: ConsoleDep) -> HTMLResponse:
    console.require_admin()
    return _form_page(console, IndicatorForm())


@router.post("/check", response_class=HTMLResponse)
async def check(console: ConsoleDep, formula: Text = "") -> HTMLResponse:
    """The live formula check: with htmx the note under the field, else the form again."""
    console.require_admin()
    if console.is_htmx():
        figures, error = _formula_check(formula)
        return console.render(
            "indicators/check.html", checked=True, figures=figures, formula_error=error
        )
    form = await _read_form(console)
    edited = console.request.query_params.get("id")
    indicator = (
        service.get_indicator(session=console.db, indicator_id=uuid.UUID(edited))
        if edited
        else None
    )
    return _form_page(console, form, indicator=indicator, checked=True)


@router.post("", response_class=HTMLResponse)
async def create(console: ConsoleDep) -> Response:
    console.require_admin()
    form = await _read_form(console)
    try:
        body = IndicatorCreate.model_validate(form.body())
        service.create_indicator(session=console.db, actor=console.actor, body=body)
    except ValidationError as error:
        return _form_page(console, form, errors=_validation_errors(error), status_code=422)
    except Problem as problem:
        console.db.rollback()
        return _form_page(
            console, form, errors=_problem_errors(problem), checked=True, status_code=problem.status
        )
    return RedirectResponse("/console/indicators?saved=1", status_code=303)


@router.get("/{indicator_id}", response_class=HTMLResponse)
def edit_page(console: ConsoleDep, indicator_id: uuid.UUID) -> HTMLResponse:
    console.require_admin()
    indicator = service.get_indicator(session=console.db, indicator_id=indicator_id)
    return _form_page(console, IndicatorForm.of(indicator), indicator=indicator)


@router.post("/{indicator_id}", response_class=HTMLResponse)
async def update(console: ConsoleDep, indicator_id: uuid.UUID) -> Response:
    console.require_admin()
    indicator = service.get_indicator(session=console.db, indicator_id=indicator_id)
    form = await _read_form(console)
    try:
        body = IndicatorUpdate.model_validate(form.body())
        # Every city field is on the form: an emptied one drops that city's own target.
        service.update_indicator(
            session=console.db, actor=console.actor, indicator_id=indicator_id, body=body
        )
    except ValidationError as error:
        return _form_page(
            console, form, indicator=indicator, errors=_validation_errors(error), status_code=422
        )
    except Problem as problem:
        console.db.rollback()
        return _form_page(
            console,
            form,
            indicator=indicator,
            errors=_problem_errors(problem),
            checked=True,
            status_code=problem.status,
        )
    return RedirectResponse("/console/indicators?saved=1", status_code=303)


@router.post("/{indicator_id}/delete")
def delete(console: ConsoleDep, indicator_id: uuid.UUID) -> Response:
    console.require_admin()
    service.delete_indicator(session=console.db, actor=console.actor, indicator_id=indicator_id)
    return RedirectResponse("/console/indicators?saved=deleted", status_code=303)
