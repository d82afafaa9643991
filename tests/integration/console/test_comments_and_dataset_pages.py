"""The event page's comments section and the reports page's dataset download, in the console."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_shared.crypto import get_cipher
from birge_shared.models import AuditEntry, Event, Role, SurveyResponse
from birge_shared.pseudonyms import pseudonym
from tests.factories import make_event, make_participant
from tests.integration.console.conftest import ConsoleClient, SignedIn
from tests.integration.reports.simulation import simulate

NAMING = "Kanat from the dorm shouted at us"
KIND = "The cooking was fun"


def _commented_event(db: Session) -> tuple[Event, SurveyResponse]:
    event = make_event(db, city="bishkek")
    cipher = get_cipher()
    naming = None
    for text in (KIND, NAMING):
        person = make_participant(db, city="bishkek")
        response = SurveyResponse(
            event_id=event.id,
            pseudonym=pseudonym(person.id),
            kind="post",
            community=person.community,
            rating=5,
            comment_encrypted=cipher.encrypt(text),
            channel="page",
            answered_at=datetime(2026, 11, 28, tzinfo=UTC),
        )
        db.add(response)
        naming = response
    db.commit()
    assert naming is not None
    return event, naming


def _english(client: ConsoleClient) -> ConsoleClient:
    client.headers["Accept-Language"] = "en"
    return client


def test_the_event_page_offers_the_comments_and_loads_them_only_when_asked(
    signed_in: SignedIn, db: Session
) -> None:
    event, _ = _commented_event(db)
    client = _english(signed_in(Role.COORDINATOR, ("bishkek",)))
    page = client.get(f"/console/events/{event.id}")
    assert page.status_code == 200
    assert f'hx-get="/console/events/{event.id}/comments"' in page.text
    assert NAMING not in page.text  # not read until asked
    fragment = client.get(f"/console/events/{event.id}/comments", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert NAMING in fragment.text
    assert KIND in fragment.text
    whole = client.get(f"/console/events/{event.id}/comments")  # the page without JavaScript
    assert "<html" in whole.text
    assert NAMING in whole.text


def test_a_coordinator_hides_a_comment_with_and_without_javascript(
    signed_in: SignedIn, db: Session
) -> None:
    event, naming = _commented_event(db)
    client = _english(signed_in(Role.COORDINATOR, ("bishkek",)))
    hide = f"/console/events/{event.id}/comments/{naming.id}/hide"
    refused = client.post(hide)  # no CSRF token
    assert refused.status_code == 403
    answer = client.post(hide, data={"csrf": client.csrf})
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/console/events/{event.id}/comments?done=hidden"
    after = client.get(answer.headers["location"]).text
    assert NAMING not in after
    assert KIND in after
    assert "The comment is hidden" in after
    assert "Hidden comments: 1" in after
    again = client.post(
        hide, headers={"HX-Request": "true", "X-CSRF-Token": client.csrf}
    )  # hiding twice changes nothing
    assert again.status_code == 200
    assert NAMING not in again.text
    entries = db.scalars(select(AuditEntry).where(AuditEntry.action == "survey_comment.hide"))
    assert [entry.object_id for entry in entries] == [str(naming.id)]


def test_viewers_and_other_cities_never_see_comments(signed_in: SignedIn, db: Session) -> None:
    event, naming = _commented_event(db)
    viewer = _english(signed_in(Role.VIEWER, ("bishkek",)))
    page = viewer.get(f"/console/events/{event.id}")
    assert page.status_code == 200
    assert "/comments" not in page.text
    assert viewer.get(f"/console/events/{event.id}/comments").status_code == 403
    hide = f"/console/events/{event.id}/comments/{naming.id}/hide"
    assert viewer.post(hide, data={"csrf": viewer.csrf}).status_code == 403
    osh = _english(signed_in(Role.COORDINATOR, ("osh",)))
    missing = osh.get(f"/console/events/{event.id}/comments")
    assert missing.status_code == 404
    assert NAMING not in missing.text
    assert osh.post(hide, data={"csrf": osh.csrf}).status_code == 404
    db.refresh(naming)
    assert naming.comment_hidden_at is None


def test_the_reports_page_offers_the_dataset_to_viewers_and_admins_only(
    signed_in: SignedIn, db: Session
) -> None:
    simulate(db)
    db.commit()
    viewer = _english(signed_in(Role.VIEWER, ("bishkek",)))
    page = viewer.get("/console/reports", params={"city": "bishkek"})
    assert "/console/reports/dataset.zip?city=bishkek" in page.text
    download = viewer.get("/console/reports/dataset.zip", params={"city": "bishkek"})
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/zip"
    assert download.headers["cache-control"] == "no-store"
    bundle = zipfile.ZipFile(io.BytesIO(download.content))
    assert "answers_wide.sav" in bundle.namelist()
    coordinator = _english(signed_in(Role.COORDINATOR, ("bishkek",)))
    assert "dataset.zip" not in coordinator.get("/console/reports").text
    refused = coordinator.get("/console/reports/dataset.zip")
    assert refused.status_code == 403
    assert "<html" in refused.text  # a page, not JSON
