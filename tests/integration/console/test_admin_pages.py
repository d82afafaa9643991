"""Administration pages: accounts, SMS texts, budget approvals, audit log, retention review."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from birge_console.event_labels import PURPOSE, purpose_label
from birge_shared.models import (
    AuditEntry,
    BatchKind,
    BatchStatus,
    InvitationBatch,
    InvitationStatus,
    MessagePurpose,
    MessageTemplate,
    Role,
    User,
)
from birge_shared.passwords import verify_password
from tests.factories import make_event, make_invitation, make_participant
from tests.integration.console.conftest import ConsoleClient, SignedIn

STRONG = "violet tram under quiet rain"
PAGES = [
    "/console/admin",
    "/console/admin/users",
    "/console/admin/templates",
    "/console/admin/templates/help/en",
    "/console/admin/budget",
    "/console/admin/audit",
    "/console/admin/retention",
]


def _admin(signed_in: SignedIn) -> ConsoleClient:
    client = signed_in(Role.ADMIN, ())
    client.headers["Accept-Language"] = "en"
    return client


def _users(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(User)) or 0


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.VIEWER])
def test_only_administrators_open_the_administration(signed_in: SignedIn, role: Role) -> None:
    client = signed_in(role, ("bishkek",))

    for path in PAGES:
        assert client.get(path).status_code == 403, path
    refused = client.post(
        "/console/admin/users",
        data={"email": "x@example.org", "password": STRONG, "role": "admin", "csrf": client.csrf},
    )
    assert refused.status_code == 403


def test_every_administration_page_renders(signed_in: SignedIn) -> None:
    client = _admin(signed_in)

    for path in PAGES:
        page = client.get(path)
        assert page.status_code == 200, path
        assert 'aria-label="Administration"' in page.text


def test_an_administrator_creates_an_account_with_role_and_cities(
    signed_in: SignedIn, db: Session
) -> None:
    client = _admin(signed_in)

    answer = client.post(
        "/console/admin/users",
        data={
            "email": "New.Viewer@Example.org",
            "password": STRONG,
            "role": "viewer",
            "cities": ["bishkek", "osh"],
            "csrf": client.csrf,
        },
    )

    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/admin/users?saved=created"
    user = db.scalars(select(User).where(User.email == "new.viewer@example.org")).one()
    assert user.role is Role.VIEWER
    assert sorted(user.city_codes) == ["bishkek", "osh"]
    assert verify_password(STRONG, user.password_hash)
    listed = client.get("/console/admin/users?saved=created").text
    assert "new.viewer@example.org" in listed
    assert "The account was created." in listed
    assert db.scalar(
        select(func.count()).where(
            AuditEntry.action == "user.create", AuditEntry.object_id == str(user.id)
        )
    )


@pytest.mark.parametrize(
    ("form", "status", "shown"),
    [
        ({"password": "password123", "role": "coordinator", "cities": ["osh"]}, 422, "password"),
        ({"password": "qwertyuiopas", "role": "coordinator", "cities": ["osh"]}, 422, "password"),
        ({"password": STRONG, "role": "coordinator"}, 422, "cities"),
        ({"password": STRONG, "role": "coordinator", "cities": ["almaty"]}, 422, "unknown cities"),
        ({"password": STRONG, "role": "chief"}, 422, "role"),
    ],
)
def test_a_refused_account_shows_why_and_nothing_is_created(
    signed_in: SignedIn, db: Session, form: dict[str, object], status: int, shown: str
) -> None:
    client = _admin(signed_in)
    before = _users(db)

    answer = client.post(
        "/console/admin/users",
        data={"email": "someone@example.org", "csrf": client.csrf, **form},
    )

    assert answer.status_code == status, answer.text
    assert 'role="alert"' in answer.text
    assert shown in answer.text
    assert 'value="someone@example.org"' in answer.text  # the form keeps what was typed
    assert _users(db) == before


def test_an_email_already_used_is_a_409_with_the_form(signed_in: SignedIn, db: Session) -> None:
    client = _admin(signed_in)
    before = _users(db)

    answer = client.post(
        "/console/admin/users",
        data={"email": client.user.email, "password": STRONG, "role": "admin", "csrf": client.csrf},
    )

    assert answer.status_code == 409
    assert "already used" in answer.text
    assert _users(db) == before


@pytest.mark.parametrize("token", [None, "not-the-token"])
def test_forms_without_the_csrf_token_change_nothing(
    signed_in: SignedIn, db: Session, token: str | None
) -> None:
    client = _admin(signed_in)
    other = signed_in(Role.COORDINATOR, ("osh",))
    before = _users(db)
    extra = {} if token is None else {"csrf": token}

    posts = [
        (
            "/console/admin/users",
            {"email": "csrf@example.org", "password": STRONG, "role": "admin"},
        ),
        (f"/console/admin/users/{other.user.id}", {"role": "admin"}),
        (f"/console/admin/users/{other.user.id}/active", {"active": "false"}),
        ("/console/admin/templates/help/en", {"body": "Birge: changed"}),
        ("/console/admin/templates/help/en/reset", {}),
    ]
    for path, data in posts:
        assert client.post(path, data={**data, **extra}).status_code == 403, path

    db.expire_all()
    assert _users(db) == before
    refreshed = db.get(User, other.user.id)
    assert refreshed is not None
    assert refreshed.role is Role.COORDINATOR
    assert refreshed.is_active
    assert db.scalar(select(func.count()).select_from(MessageTemplate)) == 0


def test_role_and_cities_change_and_an_account_is_deactivated_and_back(
    signed_in: SignedIn, db: Session
) -> None:
    client = _admin(signed_in)
    other = signed_in(Role.COORDINATOR, ("osh",))
    path = f"/console/admin/users/{other.user.id}"

    assert other.user.email in client.get(path).text
    changed = client.post(
        path, data={"role": "viewer", "cities": ["bishkek", "osh"], "csrf": client.csrf}
    )
    off = client.post(f"{path}/active", data={"active": "false", "csrf": client.csrf})

    assert changed.status_code == 303
    assert off.status_code == 303
    db.expire_all()
    user = db.get(User, other.user.id)
    assert user is not None
    assert user.role is Role.VIEWER
    assert sorted(user.city_codes) == ["bishkek", "osh"]
    assert user.is_active is False
    # The deactivated account's session no longer opens the console.
    assert other.get("/console").status_code == 303
    assert "Reactivate" in client.get(path).text
    assert (
        client.post(f"{path}/active", data={"active": "true", "csrf": client.csrf}).status_code
        == 303
    )
    db.expire_all()
    assert db.get(User, other.user.id).is_active is True  # type: ignore[union-attr]


def test_a_coordinator_without_a_city_and_the_last_admin_are_refused(
    signed_in: SignedIn, db: Session
) -> None:
    client = _admin(signed_in)
    other = signed_in(Role.COORDINATOR, ("osh",))

    no_city = client.post(
        f"/console/admin/users/{other.user.id}", data={"role": "coordinator", "csrf": client.csrf}
    )
    assert no_city.status_code == 422
    assert "cities" in no_city.text
    db.expire_all()
    assert db.get(User, other.user.id).city_codes == frozenset({"osh"})  # type: ignore[union-attr]

    admins = db.scalars(select(User).where(User.role == Role.ADMIN, User.is_active.is_(True))).all()
    for admin in admins:
        if admin.id != client.user.id:
            admin.is_active = False
    db.commit()
    last = client.post(
        f"/console/admin/users/{client.user.id}/active",
        data={"active": "false", "csrf": client.csrf},
    )
    assert last.status_code == 409
    assert "last active administrator" in last.text
    db.expire_all()
    assert db.get(User, client.user.id).is_active is True  # type: ignore[union-attr]


def test_an_unknown_account_is_404(signed_in: SignedIn) -> None:
    client = _admin(signed_in)
    missing = "00000000-0000-0000-0000-000000000000"

    assert client.get(f"/console/admin/users/{missing}").status_code == 404
    assert (
        client.post(
            f"/console/admin/users/{missing}", data={"role": "admin", "csrf": client.csrf}
        ).status_code
        == 404
    )


def test_a_template_is_edited_counted_and_restored(signed_in: SignedIn, db: Session) -> None:
    client = _admin(signed_in)

    listing = client.get("/console/admin/templates")
    assert "/console/admin/templates/invitation/ky" in listing.text
    saved = client.post(
        "/console/admin/templates/help/en",
        data={"body": "Birge: reply YES or NO.", "csrf": client.csrf},
    )
    assert saved.status_code == 303
    row = db.get(MessageTemplate, ("help", "en"))
    assert row is not None
    assert row.body == "Birge: reply YES or NO."
    assert "Birge: reply YES or NO." in client.get("/console/admin/templates/help/en").text

    reset = client.post("/console/admin/templates/help/en/reset", data={"csrf": client.csrf})
    assert reset.status_code == 303
    db.expire_all()
    assert db.get(MessageTemplate, ("help", "en")) is None


def test_templates_are_named_by_what_they_are_for_in_the_readers_language(
    signed_in: SignedIn,
) -> None:
    client = signed_in(Role.ADMIN, ())
    client.headers["Accept-Language"] = "ru"

    listing = client.get("/console/admin/templates").text
    # The name is the reader's; the code stays beside it, as the API and the files know it.
    assert "Напоминание об опросе" in listing
    assert '<code class="muted">survey_reminder</code>' in listing
    page = client.get("/console/admin/templates/survey_reminder/ky").text
    assert "<h1>Напоминание об опросе" in page


def test_every_outbound_purpose_has_a_name() -> None:
    outbound = {purpose for purpose in MessagePurpose if not purpose.value.startswith("reply:")}
    assert outbound == set(PURPOSE)
    assert purpose_label("something_new") == "something_new"


def test_an_unknown_placeholder_is_refused_with_the_services_error(
    signed_in: SignedIn, db: Session
) -> None:
    client = _admin(signed_in)

    refused = client.post(
        "/console/admin/templates/help/en",
        data={"body": "Birge: call {phone}", "csrf": client.csrf},
    )

    assert refused.status_code == 422
    assert "Unknown placeholder {phone}" in refused.text
    assert "Birge: call {phone}" in refused.text  # the draft is kept to fix
    assert db.scalar(select(func.count()).select_from(MessageTemplate)) == 0
    assert client.get("/console/admin/templates/nonsense/en").status_code == 404


def test_the_live_counter_counts_segments_on_the_server(signed_in: SignedIn, db: Session) -> None:
    client = _admin(signed_in)
    url = "/console/admin/templates/help/en/preview"
    htmx = {"HX-Request": "true", "X-CSRF-Token": client.csrf}

    one = client.post(url, data={"body": "a" * 160}, headers=htmx)
    two = client.post(url, data={"body": "a" * 161}, headers=htmx)
    unicode = client.post(url, data={"body": "Бирге"}, headers=htmx)
    bad = client.post(url, data={"body": "Birge {title}"}, headers=htmx)
    no_js = client.post(url, data={"body": "a" * 161, "csrf": client.csrf})

    assert one.status_code == 200
    assert "<html" not in one.text
    assert "1 segment (160 characters, GSM-7)" in one.text
    assert "2 segments (161 characters, GSM-7)" in two.text
    assert "UCS-2" in unicode.text
    assert "Unknown placeholder {title}" in bad.text
    assert "<h1>" in no_js.text
    assert "2 segments" in no_js.text
    assert db.scalar(select(func.count()).select_from(MessageTemplate)) == 0
    assert client.post(url, data={"body": "x"}, headers={"HX-Request": "true"}).status_code == 403


def test_a_refused_placeholder_is_named_in_the_readers_language(signed_in: SignedIn) -> None:
    client = _admin(signed_in)
    client.headers["Accept-Language"] = "ru"
    htmx = {"HX-Request": "true", "X-CSRF-Token": client.csrf}

    bad = client.post(
        "/console/admin/templates/help/ru/preview", data={"body": "Birge {phone}"}, headers=htmx
    )

    assert bad.status_code == 200
    assert "Неизвестная подстановка {phone}" in bad.text
    assert "unknown placeholder" not in bad.text


def _held_batch(db: Session) -> InvitationBatch:
    event = make_event(db, city="osh")
    batch = InvitationBatch(
        event_id=event.id,
        request_fingerprint="f" * 64,
        invited=2,
        status=BatchStatus.AWAITING_APPROVAL,
        kind=BatchKind.INVITATIONS,
        segments=3,
    )
    db.add(batch)
    db.flush()
    for _ in range(2):
        invitation = make_invitation(
            db, event=event, participant=make_participant(db), status=InvitationStatus.PLANNED
        )
        invitation.batch_id = batch.id
    db.commit()
    return batch


def test_a_held_batch_is_listed_with_its_cost_and_approved_once(
    signed_in: SignedIn, db: Session
) -> None:
    batch = _held_batch(db)
    client = _admin(signed_in)

    page = client.get("/console/admin/budget")
    assert f"/console/admin/budget/{batch.event_id}/{batch.id}/approve" in page.text
    assert "$0.14" in page.text  # three segments at 0.045

    path = f"/console/admin/budget/{batch.event_id}/{batch.id}/approve"
    assert client.post(path, data={}).status_code == 403
    approved = client.post(path, data={"csrf": client.csrf})
    assert approved.status_code == 303
    db.expire_all()
    assert db.get(InvitationBatch, batch.id).status is BatchStatus.QUEUED  # type: ignore[union-attr]
    assert "Nothing is waiting for approval." in client.get("/console/admin/budget?approved=1").text
    again = client.post(path, data={"csrf": client.csrf})
    assert again.status_code == 409


def test_the_audit_log_filters_by_action_and_answers_htmx(signed_in: SignedIn, db: Session) -> None:
    client = _admin(signed_in)
    client.post(
        "/console/admin/templates/help/en", data={"body": "Birge: hello", "csrf": client.csrf}
    )
    client.post("/console/reports/export.csv")

    page = client.get("/console/admin/audit", params={"action": "message_template.update"})
    fragment = client.get(
        "/console/admin/audit",
        params={"action": "message_template.update", "actor": str(client.user.id)},
        headers={"HX-Request": "true"},
    )
    today = datetime.now(UTC).date().isoformat()
    by_day = client.get("/console/admin/audit", params={"from": "2001-01-01", "to": "2001-01-02"})

    assert page.status_code == 200
    assert "help:en" in page.text
    assert "report.export" not in page.text
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert "help:en" in fragment.text
    assert client.user.email in fragment.text
    assert "No entries match these filters." in by_day.text
    assert client.get("/console/admin/audit", params={"from": today}).status_code == 200
    assert client.get("/console/admin/audit", params={"from": "soon"}).status_code == 422
    assert client.get("/console/admin/audit", params={"actor": "someone"}).status_code == 422


def test_the_retention_review_lists_people_not_invited_for_long(
    signed_in: SignedIn, db: Session
) -> None:
    old = make_participant(db, city="osh")
    old.created_at = datetime(2001, 1, 1, tzinfo=UTC)
    recent = make_participant(db, city="osh")
    db.commit()
    client = _admin(signed_in)

    page = client.get("/console/admin/retention")
    in_bishkek = client.get("/console/admin/retention", params={"city": "bishkek"})

    assert str(old.id) in page.text
    assert str(recent.id) not in page.text
    assert str(old.id) not in in_bishkek.text
    assert "Test Person" not in page.text  # ids and dates only
    assert client.get("/console/admin/retention", params={"city": "almaty"}).status_code == 422
