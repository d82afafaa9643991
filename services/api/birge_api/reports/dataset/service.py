"""The evaluator's dataset as one zip: answers long and wide, SPSS, Stata and the codebook.

For administrators and viewers (the M&E officers): row-level answers under pseudonyms are
more than the aggregates every role reads, and coordinators run events rather than evaluate
them. A viewer assigned to some cities gets those cities' events only, as in every report.

The stored pseudonyms never leave: each export draws a random key, hashes every pseudonym it
holds with it, numbers the hashes in sorted order and forgets the key, so the numbers of two
exports cannot be matched. The files are built in a temporary folder and the zip in a
temporary file, which the caller removes once sent.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends
from sqlalchemy.orm import Session

from birge_api.deps import Actor, CurrentUser, actor_for
from birge_api.problems import forbidden
from birge_api.reports.dataset.codebook import About, codebook_csv, codebook_html, variables
from birge_api.reports.dataset.files import DataWriter, open_csv, write_spss_and_stata
from birge_api.reports.dataset.respondents import (
    check_filters,
    erased_pseudonyms,
    events_in_scope,
    respondents,
)
from birge_api.reports.service import ReportFilter
from birge_shared import audit
from birge_shared.models import Role, utcnow
from birge_shared.models.city import BISHKEK_TZ
from birge_shared.sms.overrides import load_overrides

MEDIA_TYPE = "application/zip"
FILES: dict[str, str] = {
    "answers_long.csv": "One row per respondent × event × wave × item (UTF-8 with BOM).",
    "answers_wide.csv": "One row per respondent × event, a column per item and wave "
    "(UTF-8 with BOM).",
    "answers_wide.sav": "The wide file for SPSS: variable and value labels, missing codes "
    "declared as user-missing.",
    "answers_wide.dta": "The wide file for Stata (Stata 15 format, UTF-8): variable and "
    "value labels.",
    "codebook.csv": "The codebook as a table, one row per variable.",
    "codebook.html": "This page.",
}
EVALUATORS = frozenset({Role.ADMIN, Role.VIEWER})


def get_evaluator(user: CurrentUser) -> Actor:
    if user.role not in EVALUATORS:
        raise forbidden("The evaluator's dataset is for administrators and viewers.")
    return actor_for(user)


Evaluator = Annotated[Actor, Depends(get_evaluator)]


@dataclass(frozen=True)
class DatasetFile:
    path: Path  # a temporary file: the caller removes it
    filename: str
    respondents: int
    long_rows: int


def renumber(pseudonyms: Iterable[str]) -> dict[str, int]:
    """Numbers 1…n in the order of a keyed hash whose key is used for this export only."""
    key = secrets.token_bytes(32)
    ordered = sorted(
        set(pseudonyms), key=lambda stored: hmac.new(key, stored.encode(), hashlib.sha256).digest()
    )
    return {stored: number for number, stored in enumerate(ordered, start=1)}


def filter_echo(filters: ReportFilter) -> dict[str, str | None]:
    return {
        "city": filters.city,
        "from": filters.date_from.isoformat() if filters.date_from else None,
        "to": filters.date_to.isoformat() if filters.date_to else None,
        "activity_type": filters.activity_type.value if filters.activity_type else None,
        "community": filters.community.value if filters.community else None,
    }


def build_dataset(*, session: Session, actor: Actor, filters: ReportFilter) -> DatasetFile:
    """The zip of the dataset for the reader's events in the filters; audited, by counts."""
    if actor.role not in EVALUATORS:
        raise forbidden("The evaluator's dataset is for administrators and viewers.")
    check_filters(session, filters)
    events = events_in_scope(session=session, actor=actor, filters=filters)
    erased = erased_pseudonyms(session)

    # Two passes over the answers, each holding one event at a time: the first learns who is
    # in the export so the numbers can be drawn, the second writes.
    numbers = renumber(
        person.pseudonym
        for people in respondents(session=session, filters=filters, events=events, erased=erased)
        for person in people
    )
    found = variables(load_overrides(session))
    today = utcnow().astimezone(ZoneInfo(BISHKEK_TZ)).date()
    with tempfile.TemporaryDirectory(prefix="birge-dataset-") as work:
        folder = Path(work)
        writer = DataWriter(folder=folder, events=events)
        try:
            for people in respondents(
                session=session, filters=filters, events=events, erased=erased
            ):
                writer.add(people, numbers)
        finally:
            writer.close()
        write_spss_and_stata(
            frame=writer.frame(),
            found=found,
            sav=folder / "answers_wide.sav",
            dta=folder / "answers_wide.dta",
            file_label=f"Birge evaluation dataset {today.isoformat()}",
        )
        with open_csv(folder / "codebook.csv") as codebook:
            codebook.write(codebook_csv(found))
        about = About(
            made_on=today,
            filters=filter_echo(filters),
            events=len(writer.events_with_rows),
            respondents=len(numbers),
            long_rows=writer.long_rows,
            files=FILES,
        )
        (folder / "codebook.html").write_text(codebook_html(found, about), encoding="utf-8")
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - handed to the caller to remove
            prefix="birge-dataset-", suffix=".zip", delete=False
        )
        handle.close()
        target = Path(handle.name)
        try:
            with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
                for name in FILES:
                    bundle.write(folder / name, arcname=name)
        except BaseException:
            target.unlink(missing_ok=True)
            raise
    audit.record(
        session=session,
        actor_id=actor.user_id,
        action="report.dataset",
        object_type="report",
        details={
            "filters": filter_echo(filters),
            "events": about.events,
            "respondents": about.respondents,
            "rows": about.long_rows,
        },
    )
    return DatasetFile(
        path=target,
        filename=f"birge-dataset-{today.isoformat()}.zip",
        respondents=about.respondents,
        long_rows=about.long_rows,
    )
