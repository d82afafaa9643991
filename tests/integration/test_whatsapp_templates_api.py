"""WhatsApp templates API against PostgreSQL: register, read, edit, delete; only admins; the
approval sync with a stand-in for the Content API (the SDK itself meets Prism in
tests/contract/test_twilio_content_prism.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from birge_shared.models import (
    AuditEntry,
    Language,
    MessagePurpose,
    TemplateApproval,
    TemplateCategory,
    WhatsAppTemplate,
)
from birge_shared.providers.twilio_content import Approval, ContentApiError, approval_of
from birge_shared.whatsapp_template_sync import SyncFailedError, sync_approvals
from birge_shared.whatsapp_templates import approved_template, approved_templates

URL = "/v1/whatsapp-templates"
Headers = dict[str, str]
SID = "HX" + "a" * 32
OTHER_SID = "HX" + "b" * 32


def _body(**changes: Any) -> dict[str, Any]:
    return {
        "purpose": "invitation",
        "language": "ru",
        "content_sid": SID,
        "friendly_name": "birge_invitation_ru",
        "category": "utility",
        "variables": ["title", "date", "time", "venue", "link"],
        "buttons": ["accept", "decline"],
        **changes,
    }


def _assert_problem(response: Response, status: int, type_: str, field: str | None = None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"].endswith("/" + type_), body
    if field is not None:
        assert field in {error["field"] for error in body["errors"]}, body


def _count(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(WhatsAppTemplate)) or 0


def test_an_admin_registers_reads_edits_and_deletes_a_template(
    client: TestClient, admin_headers: Headers, db: Session
) -> None:
    created = client.post(URL, json=_body(), headers=admin_headers)

    assert created.status_code == 201, created.text
    template = created.json()
    assert created.headers["Location"] == f"{URL}/{template['id']}"
    assert template["approval"] == "unsubmitted"
    assert template["usable"] is False
    assert template["synced_at"] is None
    assert template["variables"] == ["title", "date", "time", "venue", "link"]
    assert client.get(URL, headers=admin_headers).json() == [template]
    assert client.get(f"{URL}/{template['id']}", headers=admin_headers).json() == template

    edited = client.patch(
        f"{URL}/{template['id']}",
        json={"friendly_name": "invite_ru_v2", "buttons": ["accept"]},
        headers=admin_headers,
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["friendly_name"] == "invite_ru_v2"
    assert edited.json()["buttons"] == ["accept"]

    deleted = client.delete(f"{URL}/{template['id']}", headers=admin_headers)
    assert deleted.status_code == 204
    assert _count(db) == 0
    assert client.get(f"{URL}/{template['id']}", headers=admin_headers).status_code == 404
    actions = list(
        db.scalars(
            select(AuditEntry.action)
            .where(
                AuditEntry.object_type == "whatsapp_template",
                # Other tests' syncs (the browser's, the contract's) are audited too.
                AuditEntry.object_id == template["id"],
            )
            .order_by(AuditEntry.at)
        )
    )
    assert actions == [
        "whatsapp_template.create",
        "whatsapp_template.update",
        "whatsapp_template.delete",
    ]


def test_coordinators_and_viewers_are_refused(
    client: TestClient, osh_headers: Headers, viewer_headers: Headers, db: Session
) -> None:
    for headers in (osh_headers, viewer_headers):
        _assert_problem(client.get(URL, headers=headers), 403, "forbidden")
        _assert_problem(client.post(URL, json=_body(), headers=headers), 403, "forbidden")
        _assert_problem(client.post(f"{URL}/sync", headers=headers), 403, "forbidden")
    assert _count(db) == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"purpose": "help"}, "purpose"),  # an answer inside the session window
        ({"purpose": "reply:accept"}, "purpose"),
        ({"purpose": "no-such-purpose"}, "purpose"),
        ({"content_sid": "HX123"}, "content_sid"),
        ({"content_sid": "MG" + "a" * 32}, "content_sid"),
        ({"variables": ["title", "name"]}, "variables.1"),  # never a person's name
        ({"variables": ["title", "title"]}, "variables.1"),
        ({"buttons": ["accept", "maybe"]}, "buttons.1"),
        ({"purpose": "survey_post", "variables": ["title", "link"], "buttons": ["1"]}, "buttons.0"),
        ({"language": "kk"}, "language"),
        ({"category": "service"}, "category"),
    ],
)
def test_bad_templates_are_refused_and_nothing_is_stored(
    client: TestClient, admin_headers: Headers, db: Session, changes: dict[str, Any], field: str
) -> None:
    response = client.post(URL, json=_body(**changes), headers=admin_headers)

    _assert_problem(response, 422, "validation-error", field)
    assert _count(db) == 0


def test_survey_questions_take_their_answers_as_buttons(
    client: TestClient, admin_headers: Headers
) -> None:
    rating = client.post(
        URL,
        json=_body(
            purpose="survey_question_rating",
            variables=[],
            buttons=["1", "2", "3", "4", "5"],
        ),
        headers=admin_headers,
    )
    talk = client.post(
        URL,
        json=_body(
            purpose="survey_question_talk",
            content_sid=OTHER_SID,
            variables=[],
            buttons=["yes", "no"],
        ),
        headers=admin_headers,
    )

    assert rating.status_code == 201, rating.text
    assert talk.status_code == 201, talk.text


def test_a_second_template_for_a_purpose_and_language_is_a_conflict(
    client: TestClient, admin_headers: Headers, db: Session
) -> None:
    assert client.post(URL, json=_body(), headers=admin_headers).status_code == 201

    again = client.post(URL, json=_body(content_sid=OTHER_SID), headers=admin_headers)
    same_sid = client.post(URL, json=_body(language="ky"), headers=admin_headers)

    _assert_problem(again, 409, "whatsapp-template-exists", "purpose")
    _assert_problem(same_sid, 409, "whatsapp-template-sid-taken", "content_sid")
    assert _count(db) == 1


def test_a_refused_edit_changes_nothing(
    client: TestClient, admin_headers: Headers, db: Session
) -> None:
    template = client.post(URL, json=_body(), headers=admin_headers).json()

    response = client.patch(
        f"{URL}/{template['id']}",
        json={"friendly_name": "renamed", "variables": ["phone"]},
        headers=admin_headers,
    )

    _assert_problem(response, 422, "validation-error", "variables.0")
    assert client.get(f"{URL}/{template['id']}", headers=admin_headers).json() == template


def test_a_new_content_sid_is_unsubmitted_until_synced(
    client: TestClient, admin_headers: Headers, db: Session
) -> None:
    template = client.post(URL, json=_body(), headers=admin_headers).json()
    row = db.get(WhatsAppTemplate, template["id"])
    assert row is not None
    row.approval, row.synced_at = TemplateApproval.APPROVED, datetime.now(UTC)
    db.commit()

    edited = client.patch(
        f"{URL}/{template['id']}", json={"content_sid": OTHER_SID}, headers=admin_headers
    ).json()

    assert (edited["approval"], edited["synced_at"], edited["usable"]) == (
        "unsubmitted",
        None,
        False,
    )


def test_sync_now_without_twilio_is_refused(client: TestClient, admin_headers: Headers) -> None:
    _assert_problem(client.post(f"{URL}/sync", headers=admin_headers), 409, "twilio-not-configured")


# ------------------------------------------------------------------ the sync


class _Source:
    def __init__(self, answers: dict[str, Approval | ContentApiError]) -> None:
        self.answers = answers

    def fetch_approval(self, content_sid: str) -> Approval:
        answer = self.answers[content_sid]
        if isinstance(answer, ContentApiError):
            raise answer
        return answer


def _template(
    db: Session, purpose: MessagePurpose, language: Language, sid: str
) -> WhatsAppTemplate:
    row = WhatsAppTemplate(
        purpose=purpose.value,
        language=language,
        content_sid=sid,
        friendly_name=f"{purpose.value}_{language.value}",
        category=TemplateCategory.UTILITY,
        variables=["title", "link"],
        buttons=[],
    )
    db.add(row)
    db.flush()
    return row


def test_the_sync_records_each_review_and_only_approved_ones_are_used(db: Session) -> None:
    invitation = _template(db, MessagePurpose.INVITATION, Language.RU, SID)
    reminder = _template(db, MessagePurpose.REMINDER, Language.RU, OTHER_SID)
    survey = _template(db, MessagePurpose.SURVEY_POST, Language.KY, "HX" + "c" * 32)
    source = _Source(
        {
            SID: approval_of({"status": "approved", "category": "MARKETING"}),
            OTHER_SID: approval_of(
                {"status": "rejected", "category": "UTILITY", "rejection_reason": "Bad format"}
            ),
            survey.content_sid: approval_of({"status": "received"}),
        }
    )

    result = sync_approvals(session=db, source=source)

    assert (result.checked, result.changed) == (3, 3)
    assert result.approvals == {"approved": 1, "pending": 1, "rejected": 1}
    assert (invitation.approval, invitation.category) == (
        TemplateApproval.APPROVED,
        TemplateCategory.MARKETING,
    )
    assert (reminder.approval, reminder.rejection_reason) == (
        TemplateApproval.REJECTED,
        "Bad format",
    )
    assert survey.approval is TemplateApproval.PENDING
    assert all(row.synced_at == result.synced_at for row in (invitation, reminder, survey))
    assert set(approved_templates(db)) == {("invitation", Language.RU)}
    assert approved_template(db, MessagePurpose.REMINDER, Language.RU) is None

    # A template WhatsApp paused later stops being used at the next sync.
    source.answers[SID] = approval_of({"status": "paused", "category": "MARKETING"})
    sync_approvals(session=db, source=source)
    assert approved_templates(db) == {}


def test_a_failed_sync_changes_nothing(db: Session) -> None:
    approved = _template(db, MessagePurpose.INVITATION, Language.EN, SID)
    approved.approval = TemplateApproval.APPROVED
    other = _template(db, MessagePurpose.REMINDER, Language.EN, OTHER_SID)
    db.flush()
    audits = db.scalar(select(func.count()).select_from(AuditEntry))
    source = _Source(
        {
            SID: approval_of({"status": "paused"}),
            OTHER_SID: ContentApiError("the Content API answered 503 (code None) for a template"),
        }
    )

    with pytest.raises(SyncFailedError, match="503"):
        sync_approvals(session=db, source=source)

    assert (approved.approval, approved.synced_at) == (TemplateApproval.APPROVED, None)
    assert (other.approval, other.synced_at) == (TemplateApproval.UNSUBMITTED, None)
    assert db.scalar(select(func.count()).select_from(AuditEntry)) == audits
    assert set(approved_templates(db)) == {("invitation", Language.EN)}


@pytest.mark.parametrize(
    ("whatsapp", "expected"),
    [
        (None, TemplateApproval.UNSUBMITTED),
        ({}, TemplateApproval.UNSUBMITTED),
        ({"status": "unsubmitted"}, TemplateApproval.UNSUBMITTED),
        ({"status": "received"}, TemplateApproval.PENDING),
        ({"status": "pending"}, TemplateApproval.PENDING),
        ({"status": "APPROVED"}, TemplateApproval.APPROVED),
        ({"status": "rejected"}, TemplateApproval.REJECTED),
        ({"status": "paused"}, TemplateApproval.PAUSED),
        ({"status": "disabled"}, TemplateApproval.DISABLED),
        ({"status": "in_appeal"}, TemplateApproval.PENDING),  # unknown: never approved
    ],
)
def test_twilio_statuses_map_to_approvals(
    whatsapp: dict[str, str] | None, expected: TemplateApproval
) -> None:
    assert approval_of(whatsapp).approval is expected
