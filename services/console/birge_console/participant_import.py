"""The import wizard: upload a list, map its columns, check it in a dry run, then import it.

Every step calls the API's own import (`birge_api.participants.service.import_participants`):
the dry run is the same check the import makes, so what it reports is what the import does.
Between steps the file is held encrypted (`held_uploads`); row numbers are the spreadsheet's.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Annotated, Any

from fastapi import File, Form, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from birge_api.participants import import_template, service
from birge_api.participants.import_files import COLUMNS, HeaderCell, ImportLimits, read_header
from birge_api.participants.schemas import ImportReport
from birge_api.problems import Problem
from birge_console import api_texts, held_uploads
from birge_console.context import Console, ConsoleDep
from birge_console.i18n import N_, using
from birge_console.routing import console_router

router = console_router()

BASE = "/console/participants/import"
COLUMN_NAMES = {
    "name": N_("Name"),
    "phone": N_("Phone"),
    "email": N_("E-mail"),
    "language": N_("Language"),
    "city": N_("City"),
    "community": N_("Community"),
    "consent_method": N_("How consent was given"),
    "consent_text_version": N_("Consent text version"),
    "consent_given_at": N_("Consent date"),
}


def _limits(console: Console) -> ImportLimits:
    settings = console.settings
    return ImportLimits(
        max_rows=settings.max_import_rows,
        max_columns=settings.max_import_columns,
        max_unpacked_bytes=settings.max_import_unpacked_bytes,
        time_limit_seconds=settings.import_time_limit_seconds,
    )


@dataclass(frozen=True)
class Refusal:
    """Why the API refused the file, in the reader's language."""

    title: str
    detail: str | None
    errors: list[dict[str, Any]]


def _refusal(console: Console, problem: Problem) -> Refusal:
    with using(console.language):
        return Refusal(
            title=api_texts.import_title(problem.type_, problem.title),
            detail=api_texts.import_refusal(problem.detail),
            errors=list(problem.errors or []),
        )


def _upload_page(
    console: Console, *, status_code: int = 200, problem: Refusal | None = None
) -> HTMLResponse:
    done = {
        key: int(value)
        for key in ("accepted", "updated", "rejected")
        if (value := console.request.query_params.get(key, "")).isdigit() and len(value) < 7
    }
    return console.render(
        "participants/import_upload.html",
        status_code=status_code,
        problem=problem,
        done=done if "accepted" in done else None,
    )


@router.get(BASE, response_class=HTMLResponse)
def upload_form(console: ConsoleDep) -> HTMLResponse:
    console.require_writer()
    return _upload_page(console)


def _template_file(
    console: Console, build: Callable[[], bytes], media_type: str, filename: str
) -> Response:
    console.require_participant_reader()
    return Response(
        build(),
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(f"{BASE}/template.csv")
def template_csv(console: ConsoleDep) -> Response:
    return _template_file(
        console, import_template.template_csv, import_template.CSV_MEDIA_TYPE, "participants.csv"
    )


@router.get(f"{BASE}/template.xlsx")
def template_xlsx(console: ConsoleDep) -> Response:
    return _template_file(
        console,
        import_template.template_xlsx,
        import_template.XLSX_MEDIA_TYPE,
        "participants.xlsx",
    )


@router.post(BASE, response_class=HTMLResponse)
def upload(console: ConsoleDep, file: Annotated[UploadFile, File()]) -> Response:
    console.require_writer()
    received = service.Upload(
        filename=file.filename, content_type=file.content_type, content=file.file.read()
    )
    try:
        # Read now, so a file that is no list is refused before it is kept.
        _header(console, received)
    except Problem as problem:
        console.db.rollback()
        return _upload_page(console, status_code=problem.status, problem=_refusal(console, problem))
    upload_id = held_uploads.hold(session=console.db, user_id=console.user.id, upload=received)
    return RedirectResponse(f"{BASE}/{upload_id}", status_code=303)


def _mapping_page(
    console: Console,
    upload_id: uuid.UUID,
    *,
    chosen: list[str] | None = None,
    update: bool = False,
    problem: Refusal | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    received = held_uploads.held(session=console.db, user_id=console.user.id, upload_id=upload_id)
    header = _header(console, received)
    columns = chosen or [cell.column or "" for cell in header]
    return console.render(
        "participants/import_map.html",
        status_code=status_code,
        upload_id=upload_id,
        filename=received.filename or "",
        header=header,
        columns=columns,
        column_names=COLUMN_NAMES,
        all_columns=COLUMNS,
        update=update,
        problem=problem,
    )


@router.get(f"{BASE}/{{upload_id}}", response_class=HTMLResponse)
def mapping(console: ConsoleDep, upload_id: uuid.UUID) -> HTMLResponse:
    console.require_writer()
    return _mapping_page(console, upload_id)


def _header(console: Console, received: service.Upload) -> list[HeaderCell]:
    return read_header(
        filename=received.filename,
        content_type=received.content_type,
        content=received.content,
        limits=_limits(console),
    )


def _run(
    console: Console, upload_id: uuid.UUID, columns: list[str], update: str, *, dry_run: bool
) -> ImportReport | HTMLResponse:
    """The import (or its dry run) of a held file; a refusal is the mapping page again."""
    updating = update == "yes"
    received = held_uploads.held(session=console.db, user_id=console.user.id, upload_id=upload_id)
    try:
        return service.import_participants(
            session=console.db,
            actor=console.actor,
            # No mapping sent (a hand-made request): the header is read as the API reads it.
            upload=replace(received, columns=tuple(columns) if columns else None),
            partial=True,
            update=updating,
            dry_run=dry_run,
            limits=_limits(console),
        )
    except Problem as problem:
        if problem.status == 404:
            raise
        console.db.rollback()
        return _mapping_page(
            console,
            upload_id,
            chosen=columns,
            update=updating,
            problem=_refusal(console, problem),
            status_code=problem.status,
        )


@router.post(f"{BASE}/{{upload_id}}/check", response_class=HTMLResponse)
def check(
    console: ConsoleDep,
    upload_id: uuid.UUID,
    column: Annotated[list[str], Form(max_length=100)] = [],  # noqa: B006 - FastAPI copies it
    update: Annotated[str, Form(max_length=5)] = "",
) -> HTMLResponse:
    console.require_writer()
    report = _run(console, upload_id, column, update, dry_run=True)
    if isinstance(report, HTMLResponse):
        return report
    return console.render(
        "participants/import_check.html",
        upload_id=upload_id,
        report=report,
        columns=column,
        update=update == "yes",
        column_names=COLUMN_NAMES,
    )


@router.post(f"{BASE}/{{upload_id}}/run")
def run(
    console: ConsoleDep,
    upload_id: uuid.UUID,
    column: Annotated[list[str], Form(max_length=100)] = [],  # noqa: B006
    update: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    console.require_writer()
    report = _run(console, upload_id, column, update, dry_run=False)
    if isinstance(report, HTMLResponse):
        return report
    held_uploads.release(session=console.db, user_id=console.user.id, upload_id=upload_id)
    return RedirectResponse(
        f"{BASE}?accepted={report.accepted}&updated={report.updated}&rejected={report.rejected}",
        status_code=303,
    )
