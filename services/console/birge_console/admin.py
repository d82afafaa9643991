"""Administration: staff accounts, SMS texts, budget approvals, the audit log, retention review
(WhatsApp templates in `birge_console.whatsapp_templates`).

Administrators only (`require_admin`, as the API's `Admin` dependency). Every change goes
through the API's service functions, which check and audit it; a refused change re-renders
its form with the service's errors after the transaction is rolled back.
"""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Form, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import SecretStr, ValidationError
from sqlalchemy import select

from birge_api.audit.service import AuditFilter, list_entries
from birge_api.events.service import get_event
from birge_api.invitations import service as invitations
from birge_api.message_templates import service as templates
from birge_api.message_templates.schemas import Segments
from birge_api.pagination import encode_cursor
from birge_api.problems import Problem, invalid
from birge_api.reports.service import review_page
from birge_api.users import service as users
from birge_api.users.schemas import UserCreate, UserUpdate
from birge_console import api_texts
from birge_console.context import Console, ConsoleDep
from birge_console.i18n import N_, _, using
from birge_console.navigation import ROLE_NAMES
from birge_console.routing import console_router
from birge_shared.models import City, Language, Role, User, utcnow
from birge_shared.models.city import BISHKEK_TZ
from birge_shared.passwords import MAX_PASSWORD_LENGTH
from birge_shared.sms.segments import estimate_price

router = console_router(prefix="/console/admin")

PAGE_SIZE = 50
#: The audit log's times and dates are read in Bishkek time, as the reports' are.
ZONE = ZoneInfo(BISHKEK_TZ)

SECTIONS: tuple[tuple[str, str], ...] = (
    (N_("Users"), "/console/admin/users"),
    (N_("Message templates"), "/console/admin/templates"),
    (N_("WhatsApp templates"), "/console/admin/whatsapp"),
    (N_("Budget approvals"), "/console/admin/budget"),
    (N_("Audit log"), "/console/admin/audit"),
    (N_("Retention review"), "/console/admin/retention"),
)


def _render(console: Console, template: str, **context: Any) -> HTMLResponse:
    return console.render(template, sections=SECTIONS, path=console.request.url.path, **context)


def _cities(console: Console) -> list[City]:
    return list(console.db.scalars(select(City).order_by(City.name)))


def problem_errors(console: Console, problem: Problem) -> list[str]:
    if problem.type_ in api_texts.TEMPLATE_TITLES:
        with using(console.language):
            return [
                _(api_texts.TEMPLATE_TITLES[problem.type_]),
                *(api_texts.template_error(str(e.get("detail"))) for e in problem.errors or []),
            ]
    details = [
        f"{error.get('field')}: {error.get('detail')}" if error.get("field") else str(error)
        for error in problem.errors or []
    ]
    # The title says what was refused ("the last active administrator"), the details why.
    return [problem.title, *details]


def validation_errors(error: ValidationError) -> list[str]:
    return [
        f"{'.'.join(str(part) for part in item['loc'])}: {item['msg']}" for item in error.errors()
    ]


# ------------------------------------------------------------------ overview


@router.get("", response_class=HTMLResponse)
def overview(console: ConsoleDep) -> HTMLResponse:
    console.require_admin()
    waiting = invitations.list_awaiting_approval(
        session=console.db, actor=console.actor, limit=PAGE_SIZE
    )
    return _render(console, "admin/overview.html", waiting=len(waiting))


# ------------------------------------------------------------------ users


def _users_page(
    console: Console,
    *,
    cursor: str | None = None,
    errors: list[str] | None = None,
    form: dict[str, Any] | None = None,
    status_code: int = 200,
    saved: str | None = None,
) -> HTMLResponse:
    accounts, more = users.list_users(session=console.db, limit=PAGE_SIZE, cursor=cursor)
    next_cursor = encode_cursor(accounts[-1].created_at, accounts[-1].id) if more else None
    cities = _cities(console)
    return console.render(
        "admin/users.html",
        status_code=status_code,
        sections=SECTIONS,
        path="/console/admin/users",
        accounts=accounts,
        next_cursor=next_cursor,
        roles=ROLE_NAMES,
        cities=cities,
        city_names={city.code: city.name for city in cities},
        errors=errors or [],
        form=form or {"email": "", "role": Role.COORDINATOR.value, "cities": []},
        saved=saved,
    )


@router.get("/users", response_class=HTMLResponse)
def users_page(
    console: ConsoleDep, cursor: str | None = None, saved: str | None = None
) -> HTMLResponse:
    console.require_admin()
    return _users_page(console, cursor=cursor, saved=saved)


@router.post("/users", response_class=HTMLResponse)
def create_user(
    console: ConsoleDep,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=MAX_PASSWORD_LENGTH)] = "",
    role: Annotated[str, Form(max_length=20)] = "",
    cities: Annotated[list[str] | None, Form()] = None,
) -> Response:
    console.require_admin()
    form = {"email": email, "role": role, "cities": cities or []}
    try:
        data = UserCreate(
            email=email, password=SecretStr(password), role=Role(role), cities=cities or []
        )
        users.create_user(session=console.db, actor=console.actor, data=data)
    except ValueError as error:
        # ValidationError is a ValueError; so is an unknown role.
        errors = (
            validation_errors(error)
            if isinstance(error, ValidationError)
            else ["role: unknown role"]
        )
        console.db.rollback()
        return _users_page(console, errors=errors, form=form, status_code=422)
    except Problem as problem:
        console.db.rollback()
        return _users_page(
            console, errors=problem_errors(console, problem), form=form, status_code=problem.status
        )
    return RedirectResponse("/console/admin/users?saved=created", status_code=303)


def _user_page(
    console: Console, user: User, *, errors: list[str] | None = None, status_code: int = 200
) -> HTMLResponse:
    return console.render(
        "admin/user.html",
        status_code=status_code,
        sections=SECTIONS,
        path="/console/admin/users",
        account=user,
        roles=ROLE_NAMES,
        cities=_cities(console),
        errors=errors or [],
    )


@router.get("/users/{user_id}", response_class=HTMLResponse)
def user_page(console: ConsoleDep, user_id: uuid.UUID) -> HTMLResponse:
    console.require_admin()
    return _user_page(console, users.get_user(session=console.db, user_id=user_id))


def _update(console: Console, user_id: uuid.UUID, data: dict[str, Any]) -> Response:
    try:
        users.update_user(
            session=console.db, actor=console.actor, user_id=user_id, data=UserUpdate(**data)
        )
    except ValidationError as error:
        console.db.rollback()
        user = users.get_user(session=console.db, user_id=user_id)
        return _user_page(console, user, errors=validation_errors(error), status_code=422)
    except Problem as problem:
        console.db.rollback()
        if problem.status == 404:
            raise
        user = users.get_user(session=console.db, user_id=user_id)
        return _user_page(
            console, user, errors=problem_errors(console, problem), status_code=problem.status
        )
    return RedirectResponse("/console/admin/users?saved=changed", status_code=303)


@router.post("/users/{user_id}", response_class=HTMLResponse)
def update_user(
    console: ConsoleDep,
    user_id: uuid.UUID,
    role: Annotated[str, Form(max_length=20)] = "",
    cities: Annotated[list[str] | None, Form()] = None,
) -> Response:
    console.require_admin()
    return _update(console, user_id, {"role": role, "cities": cities or []})


@router.post("/users/{user_id}/active", response_class=HTMLResponse)
def set_active(
    console: ConsoleDep,
    user_id: uuid.UUID,
    active: Annotated[str, Form(pattern="^(true|false)$")],
) -> Response:
    console.require_admin()
    return _update(console, user_id, {"is_active": active == "true"})


# ------------------------------------------------------------------ message templates


@router.get("/templates", response_class=HTMLResponse)
def templates_page(console: ConsoleDep, saved: str | None = None) -> HTMLResponse:
    console.require_admin()
    texts = templates.list_templates(session=console.db, settings=console.settings)
    return _render(console, "admin/templates.html", texts=texts, saved=saved)


def _template_page(
    console: Console,
    purpose: str,
    language: str,
    *,
    body: str | None = None,
    errors: list[str] | None = None,
    counted: Segments | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    text = templates.get_template(
        session=console.db, purpose=purpose, language=language, settings=console.settings
    )
    return console.render(
        "admin/template.html",
        status_code=status_code,
        sections=SECTIONS,
        path="/console/admin/templates",
        text=text,
        body=text.body if body is None else body,
        segments=counted or text.segments,
        errors=errors or [],
        language_name=Language(text.language),
    )


@router.get("/templates/{purpose}/{language}", response_class=HTMLResponse)
def template_page(console: ConsoleDep, purpose: str, language: str) -> HTMLResponse:
    console.require_admin()
    return _template_page(console, purpose, language)


@router.post("/templates/{purpose}/{language}", response_class=HTMLResponse)
def save_template(
    console: ConsoleDep,
    purpose: str,
    language: str,
    body: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    console.require_admin()
    try:
        templates.set_template(
            session=console.db,
            actor=console.actor,
            purpose=purpose,
            language=language,
            body=body,
            settings=console.settings,
        )
    except Problem as problem:
        console.db.rollback()
        if problem.status == 404:
            raise
        return _template_page(
            console,
            purpose,
            language,
            body=body,
            errors=problem_errors(console, problem),
            status_code=problem.status,
        )
    return RedirectResponse("/console/admin/templates?saved=1", status_code=303)


@router.post("/templates/{purpose}/{language}/reset", response_class=HTMLResponse)
def reset_template(console: ConsoleDep, purpose: str, language: str) -> Response:
    console.require_admin()
    templates.reset_template(
        session=console.db,
        actor=console.actor,
        purpose=purpose,
        language=language,
        settings=console.settings,
    )
    return RedirectResponse("/console/admin/templates?saved=1", status_code=303)


@router.post("/templates/{purpose}/{language}/preview", response_class=HTMLResponse)
def preview_template(
    console: ConsoleDep,
    purpose: str,
    language: str,
    body: Annotated[str, Form(max_length=1000)] = "",
) -> HTMLResponse:
    """The live counter: the draft's segments, or why its placeholders are refused.

    With htmx, the counter fragment; without JavaScript, the edit page with the count.
    """
    console.require_admin()
    errors: list[str] = []
    counted: Segments | None = None
    try:
        counted = templates.preview_template(
            purpose=purpose, language=language, body=body, settings=console.settings
        )
    except Problem as problem:
        if problem.status == 404:
            raise
        errors = problem_errors(console, problem)
    if console.is_htmx():
        return console.render("admin/segments.html", segments=counted, errors=errors)
    return _template_page(console, purpose, language, body=body, errors=errors, counted=counted)


# ------------------------------------------------------------------ budget approvals


@router.get("/budget", response_class=HTMLResponse)
def budget_page(console: ConsoleDep, approved: str | None = None) -> HTMLResponse:
    console.require_admin()
    batches = invitations.list_awaiting_approval(
        session=console.db, actor=console.actor, limit=PAGE_SIZE
    )
    price = console.settings.sms_price_per_segment
    rows = [
        {
            "batch": batch,
            "event": get_event(session=console.db, actor=console.actor, event_id=batch.event_id),
            "cost": estimate_price(batch.estimated_segments, price),
        }
        for batch in batches
    ]
    return _render(
        console,
        "admin/budget.html",
        rows=rows,
        currency=console.settings.sms_price_currency,
        approved=approved,
    )


@router.post("/budget/{event_id}/{batch_id}/approve")
def approve(console: ConsoleDep, event_id: uuid.UUID, batch_id: uuid.UUID) -> Response:
    console.require_admin()
    invitations.approve_batch(
        session=console.db, actor=console.actor, event_id=event_id, batch_id=batch_id
    )
    return RedirectResponse("/console/admin/budget?approved=1", status_code=303)


# ------------------------------------------------------------------ audit log


def _local_day(field: str, value: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise invalid(field, "must be a date like 2026-09-28") from None


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZONE)


@router.get("/audit", response_class=HTMLResponse)
def audit_page(console: ConsoleDep) -> HTMLResponse:
    console.require_admin()
    params = console.request.query_params
    form = {
        name: params.get(name, "").strip()[:100]
        for name in ("action", "object_type", "object_id", "actor", "from", "to")
    }
    actor_id: uuid.UUID | None = None
    if form["actor"]:
        try:
            actor_id = uuid.UUID(form["actor"])
        except ValueError:
            raise invalid("actor", "not an account of this console") from None
    day_from, day_to = _local_day("from", form["from"]), _local_day("to", form["to"])
    filters = AuditFilter(
        action=form["action"] or None,
        object_type=form["object_type"] or None,
        object_id=form["object_id"] or None,
        actor_id=actor_id,
        at_from=_midnight(day_from) if day_from else None,
        at_to=_midnight(day_to + timedelta(days=1)) if day_to else None,
    )
    entries, more = list_entries(
        session=console.db, filters=filters, limit=PAGE_SIZE, cursor=params.get("cursor") or None
    )
    accounts, _more = users.list_users(session=console.db, limit=500, cursor=None)
    emails = {account.id: account.email for account in accounts}
    next_cursor = encode_cursor(entries[-1].at, entries[-1].id) if more else None
    query = {key: value for key, value in form.items() if value}
    context: dict[str, Any] = {
        "entries": entries,
        "emails": emails,
        "accounts": accounts,
        "form": form,
        "next_query": {**query, "cursor": next_cursor} if next_cursor else None,
        "details": lambda value: json.dumps(value, ensure_ascii=False, sort_keys=True),
        "zone": BISHKEK_TZ,
    }
    if console.is_htmx():
        return console.render("admin/audit_results.html", **context)
    return _render(console, "admin/audit.html", **context)


# ------------------------------------------------------------------ retention review


@router.get("/retention", response_class=HTMLResponse)
def retention_page(console: ConsoleDep, city: str = "", cursor: str | None = None) -> HTMLResponse:
    console.require_admin()
    items, next_cursor = review_page(
        session=console.db,
        now=utcnow(),
        review_after_days=console.settings.review_after_days,
        city=city.strip().lower() or None,
        limit=PAGE_SIZE,
        cursor=cursor or None,
    )
    return _render(
        console,
        "admin/retention.html",
        items=items,
        next_cursor=next_cursor,
        city=city,
        cities=_cities(console),
        review_after_days=console.settings.review_after_days,
    )
