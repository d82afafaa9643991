"""The WhatsApp template sync, through the real SDK, against Twilio's Content API contract
served by Prism (`twilio_content_v1.json`).

Prism answers a valid approval fetch with the contract's example (`approved`, `UTILITY`) and
refuses a request that breaks the contract (a sid that is not `HX` + 32 hex, no credentials).
The sync is run the three ways it runs: the administrators' "sync now", `birge whatsapp
sync-templates` and the periodic task.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from birge_cli import main as cli
from birge_shared.db import get_engine
from birge_shared.models import (
    Language,
    MessagePurpose,
    PeriodicRun,
    TemplateApproval,
    TemplateCategory,
    WhatsAppTemplate,
)
from birge_shared.providers.twilio_content import (
    APPROVAL_PATH,
    Approval,
    ContentApiError,
    TwilioContentApi,
)
from birge_shared.settings import Settings, get_settings
from birge_shared.tasks import WHATSAPP_SYNC_TEMPLATES
from birge_shared.whatsapp_template_sync import SyncFailedError, sync_approvals
from birge_shared.whatsapp_templates import approved_templates
from birge_workers import whatsapp_templates as periodic
from tests.ports import free_port

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
SIDS = ("HX" + "1" * 32, "HX" + "2" * 32)


def _api(base_url: str) -> TwilioContentApi:
    return TwilioContentApi(
        account_sid=ACCOUNT_SID, auth_token="contract-test-token", api_base=base_url
    )


def _settings(base_url: str) -> Settings:
    return get_settings().model_copy(
        update={"twilio_account_sid": ACCOUNT_SID, "twilio_content_api_base": base_url}
    )


def _templates(session: Session) -> list[WhatsAppTemplate]:
    rows = [
        WhatsAppTemplate(
            purpose=purpose.value,
            language=Language.RU,
            content_sid=sid,
            friendly_name=f"birge_{purpose.value}_ru",
            category=TemplateCategory.MARKETING,
            variables=["title", "link"],
            buttons=[],
        )
        for purpose, sid in zip(
            (MessagePurpose.INVITATION, MessagePurpose.SURVEY_POST), SIDS, strict=True
        )
    ]
    session.add_all(rows)
    session.flush()
    return rows


def test_the_sdk_reads_an_approval_as_the_contract_writes_it(prism_content_base_url: str) -> None:
    approval = _api(prism_content_base_url).fetch_approval(SIDS[0])

    assert approval == Approval(
        approval=TemplateApproval.APPROVED,
        category=TemplateCategory.UTILITY,
        rejection_reason=None,  # the example's empty string
    )


def test_a_sid_the_contract_refuses_is_a_failure_without_its_text(
    prism_content_base_url: str,
) -> None:
    with pytest.raises(ContentApiError, match="answered 4") as caught:
        _api(prism_content_base_url).fetch_approval("HX-not-a-sid")
    assert "HX-not-a-sid" not in str(caught.value)


def test_the_path_read_is_the_contracts() -> None:
    assert APPROVAL_PATH.format(sid=SIDS[0]) == f"/v1/Content/{SIDS[0]}/ApprovalRequests"


def test_sync_now_records_the_approvals_read_through_the_sdk(
    prism_content_base_url: str, app: object, db: Session, admin_headers: dict[str, str]
) -> None:
    invitation, _survey = _templates(db)
    db.commit()
    app.dependency_overrides[get_settings] = lambda: _settings(prism_content_base_url)  # type: ignore[attr-defined]

    with TestClient(app) as client:  # type: ignore[arg-type]
        response = client.post("/v1/whatsapp-templates/sync", headers=admin_headers)

    assert response.status_code == 200, response.text
    assert response.json()["checked"] == 2
    assert response.json()["approvals"] == {"approved": 2}
    db.refresh(invitation)
    # WhatsApp approved it as utility, whatever category was asked for.
    assert (invitation.approval, invitation.category) == (
        TemplateApproval.APPROVED,
        TemplateCategory.UTILITY,
    )
    assert invitation.synced_at is not None
    assert set(approved_templates(db)) == {
        ("invitation", Language.RU),
        ("survey_post", Language.RU),
    }


def test_an_unreachable_content_api_changes_nothing(db: Session) -> None:
    invitation, _survey = _templates(db)
    invitation.approval = TemplateApproval.PAUSED

    with pytest.raises(SyncFailedError, match="could not be reached"):
        sync_approvals(session=db, source=_api(f"http://127.0.0.1:{free_port()}"))

    assert (invitation.approval, invitation.synced_at) == (TemplateApproval.PAUSED, None)
    assert approved_templates(db) == {}


@pytest.fixture
def committed_templates() -> Iterator[list[WhatsAppTemplate]]:
    """Templates committed for real: the CLI and the task open their own transactions."""
    with Session(get_engine(), expire_on_commit=False) as session:
        rows = _templates(session)
        session.execute(delete(PeriodicRun).where(PeriodicRun.task_name == WHATSAPP_SYNC_TEMPLATES))
        session.commit()
    yield rows
    with Session(get_engine()) as session:
        session.execute(delete(WhatsAppTemplate).where(WhatsAppTemplate.content_sid.in_(SIDS)))
        session.execute(delete(PeriodicRun).where(PeriodicRun.task_name == WHATSAPP_SYNC_TEMPLATES))
        session.commit()


def _approvals() -> dict[str, TemplateApproval]:
    with Session(get_engine()) as session:
        return {
            row.content_sid: row.approval
            for row in session.scalars(
                select(WhatsAppTemplate).where(WhatsAppTemplate.content_sid.in_(SIDS))
            )
        }


@pytest.mark.usefixtures("committed_templates")
def test_the_cli_syncs_through_the_sdk(
    prism_content_base_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = cli.build_parser().parse_args(["whatsapp", "sync-templates"])
    assert args.handler is cli.cmd_whatsapp_sync_templates

    assert args.handler(args, _settings(prism_content_base_url)) == 0

    assert "Read 2 templates, 2 changed: 2 approved." in capsys.readouterr().out
    assert _approvals() == dict.fromkeys(SIDS, TemplateApproval.APPROVED)


@pytest.mark.usefixtures("committed_templates")
def test_the_cli_reports_a_failure_and_changes_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = _settings(f"http://127.0.0.1:{free_port()}")

    assert cli.cmd_whatsapp_sync_templates(argparse.Namespace(), settings) == 2

    assert "nothing was changed" in capsys.readouterr().err
    assert _approvals() == dict.fromkeys(SIDS, TemplateApproval.UNSUBMITTED)


@pytest.mark.usefixtures("committed_templates")
def test_the_periodic_task_syncs_once_per_slot(
    prism_content_base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(periodic, "get_settings", lambda: _settings(prism_content_base_url))

    first = periodic.whatsapp_sync_templates()
    second = periodic.whatsapp_sync_templates()

    assert first is not None
    assert first["checked"] == 2
    assert second is None  # the slot was taken by the first run
    assert _approvals() == dict.fromkeys(SIDS, TemplateApproval.APPROVED)


def test_the_periodic_task_does_nothing_without_twilio() -> None:
    assert periodic.whatsapp_sync_templates() is None
