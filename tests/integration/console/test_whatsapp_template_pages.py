"""The WhatsApp templates page: administrators register, edit, delete and sync templates, with
and without htmx; everyone else is refused."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from birge_api.whatsapp_templates import service
from birge_shared.models import Language, Role, TemplateApproval, TemplateCategory, WhatsAppTemplate
from birge_shared.providers.twilio_content import Approval, ContentApiError, approval_of
from tests.factories import make_event, make_participant
from tests.integration.console.conftest import ConsoleClient, SignedIn
from tests.integration.whatsapp import invitation_template, on_whatsapp, whatsapp_channel

PAGE = "/console/admin/whatsapp"
SID = "HX" + "0123456789abcdef" * 2


def _admin(signed_in: SignedIn) -> ConsoleClient:
    client = signed_in(Role.ADMIN, ())
    client.headers["Accept-Language"] = "en"
    return client


def _register(client: ConsoleClient, **changes: str) -> object:
    return client.post(
        PAGE,
        data={
            "purpose": "invitation",
            "language": "ky",
            "content_sid": SID,
            "friendly_name": "birge_invitation_ky",
            "category": "utility",
            "variables": "title, date, time, venue, link",
            "buttons": "accept, decline",
            "csrf": client.csrf,
            **changes,
        },
    )


def _count(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(WhatsAppTemplate)) or 0


class _Source:
    def __init__(self, answer: Approval | ContentApiError) -> None:
        self.answer = answer

    def fetch_approval(self, content_sid: str) -> Approval:
        if isinstance(self.answer, ContentApiError):
            raise self.answer
        return self.answer


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.VIEWER])
def test_only_administrators_open_the_page(signed_in: SignedIn, role: Role, db: Session) -> None:
    client = signed_in(role, ("bishkek",))

    assert client.get(PAGE).status_code == 403
    assert _register(client).status_code == 403  # type: ignore[attr-defined]
    assert client.post(f"{PAGE}/sync", data={"csrf": client.csrf}).status_code == 403
    assert _count(db) == 0


def test_an_administrator_registers_edits_and_deletes_a_template(
    signed_in: SignedIn, db: Session
) -> None:
    client = _admin(signed_in)
    empty = client.get(PAGE)
    assert empty.status_code == 200
    assert "No WhatsApp template is registered" in empty.text
    assert 'href="/console/admin/whatsapp" aria-current="page"' in empty.text

    registered = _register(client)

    assert registered.status_code == 303  # type: ignore[attr-defined]
    row = db.scalars(select(WhatsAppTemplate)).one()
    assert (row.purpose, row.language.value, row.approval) == (
        "invitation",
        "ky",
        TemplateApproval.UNSUBMITTED,
    )
    assert row.variables == ["title", "date", "time", "venue", "link"]
    listed = client.get(f"{PAGE}?saved=created").text
    assert "birge_invitation_ky" in listed
    assert "not submitted" in listed
    assert f"/console/admin/whatsapp/{row.id}" in listed

    edit = client.get(f"{PAGE}/{row.id}")
    assert edit.status_code == 200
    assert 'value="title, date, time, venue, link"' in edit.text
    saved = client.post(
        f"{PAGE}/{row.id}",
        data={
            "content_sid": SID,
            "friendly_name": "invite_ky_v2",
            "category": "marketing",
            "variables": "title, link",
            "buttons": "accept",
            "csrf": client.csrf,
        },
    )
    assert saved.status_code == 303
    db.refresh(row)
    assert (row.friendly_name, row.variables, row.buttons) == (
        "invite_ky_v2",
        ["title", "link"],
        ["accept"],
    )

    deleted = client.post(f"{PAGE}/{row.id}/delete", data={"csrf": client.csrf})
    assert deleted.status_code == 303
    assert _count(db) == 0


def test_a_refused_registration_shows_why_and_keeps_the_form(
    signed_in: SignedIn, db: Session
) -> None:
    client = _admin(signed_in)

    bad_name = _register(client, variables="title, name")
    bad_sid = _register(client, content_sid="HX12")

    assert bad_name.status_code == 422  # type: ignore[attr-defined]
    assert "variables.1" in bad_name.text  # type: ignore[attr-defined]
    assert 'value="title, name"' in bad_name.text  # type: ignore[attr-defined]
    assert bad_sid.status_code == 422  # type: ignore[attr-defined]
    assert "content_sid" in bad_sid.text  # type: ignore[attr-defined]
    assert _count(db) == 0

    assert _register(client).status_code == 303  # type: ignore[attr-defined]
    twice = _register(client, content_sid="HX" + "f" * 32)
    assert twice.status_code == 409  # type: ignore[attr-defined]
    assert "already" in twice.text  # type: ignore[attr-defined]
    assert _count(db) == 1


def test_sync_now_with_and_without_htmx(
    signed_in: SignedIn, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = _admin(signed_in)
    _register(client)
    source = _Source(
        approval_of(
            {"status": "rejected", "category": "UTILITY", "rejection_reason": "INVALID_FORMAT"}
        )
    )
    monkeypatch.setattr(service, "content_api_from_settings", lambda settings: source)

    fragment = client.post(
        f"{PAGE}/sync", headers={"HX-Request": "true", "X-CSRF-Token": client.csrf}
    )

    assert fragment.status_code == 200
    assert fragment.text.startswith('<div id="wa-templates"')
    assert "Read 1 templates from Twilio; 1 changed." in fragment.text
    assert "rejected" in fragment.text
    assert "INVALID_FORMAT" in fragment.text

    source.answer = approval_of({"status": "approved", "category": "UTILITY"})
    plain = client.post(f"{PAGE}/sync", data={"csrf": client.csrf})
    assert plain.status_code == 303
    page = client.get(plain.headers["location"]).text
    assert "The approvals were read from Twilio." in page
    assert "approved" in page


def test_a_failed_sync_is_shown_and_changes_nothing(
    signed_in: SignedIn, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = _admin(signed_in)
    _register(client)
    monkeypatch.setattr(
        service,
        "content_api_from_settings",
        lambda settings: _Source(ContentApiError("the Content API answered 503 (code None)")),
    )

    plain = client.post(f"{PAGE}/sync", data={"csrf": client.csrf})
    fragment = client.post(
        f"{PAGE}/sync", headers={"HX-Request": "true", "X-CSRF-Token": client.csrf}
    )

    assert plain.status_code == 502
    assert "nothing was changed" in plain.text
    assert fragment.status_code == 200
    assert 'role="alert"' in fragment.text
    row = db.scalars(select(WhatsAppTemplate)).one()
    assert (row.approval, row.synced_at) == (TemplateApproval.UNSUBMITTED, None)


@pytest.mark.parametrize("language", ["ky", "ru"])
def test_the_page_reads_in_kyrgyz_and_russian(signed_in: SignedIn, language: str) -> None:
    client = signed_in(Role.ADMIN, ())
    client.headers["Accept-Language"] = language

    page = client.get(PAGE)

    assert page.status_code == 200
    assert "Sync now" not in page.text
    assert "Register a template" not in page.text


@pytest.mark.usefixtures(whatsapp_channel.__name__)
def test_the_invite_wizard_counts_whatsapp_by_category_beside_sms(
    signed_in: SignedIn, db: Session
) -> None:
    event = make_event(db, city="osh", capacity=5, min_share=0)
    invitation_template(db, Language.RU, TemplateCategory.MARKETING, TemplateApproval.APPROVED)
    people = [
        on_whatsapp(db, Language.RU),
        on_whatsapp(db, Language.EN),  # no approved English template: SMS
        make_participant(db, language=Language.RU),
    ]
    db.commit()
    client = signed_in(Role.COORDINATOR, ("osh",))
    client.headers["Accept-Language"] = "en"

    page = client.get(
        f"/console/events/{event.id}/invite/proposal",
        params={"mode": "people", "participant": [str(person.id) for person in people]},
    )

    assert page.status_code == 200, page.text
    assert "1 invitation goes by WhatsApp, with an approved template:" in page.text
    assert "<li>marketing: 1</li>" in page.text
    assert "<li>utility: 0</li>" in page.text
    assert "In all: 2 messages" in page.text
