"""The event page and the invite wizard under TestClient: real rows, the API's rules, CSRF,
viewers without names, and another city's event as a 404."""

from __future__ import annotations

import re
import uuid

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from birge_shared import channels
from birge_shared.free_text import EVENT_MESSAGE
from birge_shared.models import (
    BatchKind,
    BatchStatus,
    Community,
    Event,
    Invitation,
    InvitationBatch,
    InvitationStatus,
    Language,
    Message,
    MessageStatus,
    OutboxEntry,
    Role,
    utcnow,
)
from birge_shared.settings import get_settings
from tests.factories import invitation_sms, make_event, make_invitation, make_participant
from tests.integration.console.conftest import ConsoleClient
from tests.integration.console.conftest import SignedIn as _SignedIn

_KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')
_MESSAGE_KEY = re.compile(r'name="key" value="([^"]+)"')


class SignedIn:
    """Signs in as the conftest does, reading the pages in English (the msgids)."""

    def __init__(self, signed_in: _SignedIn) -> None:
        self.signed_in = signed_in

    def __call__(self, role: Role, cities: tuple[str, ...]) -> ConsoleClient:
        client = self.signed_in(role, cities)
        client.headers["Accept-Language"] = "en"
        return client


@pytest.fixture
def english(signed_in: _SignedIn) -> SignedIn:
    return SignedIn(signed_in)


def _status(db: Session, invitation: Invitation) -> InvitationStatus:
    db.refresh(invitation)
    return invitation.status


def _event_with_people(db: Session) -> tuple[Event, dict[str, Invitation]]:
    event = make_event(db, city="osh", capacity=3, min_share=0)
    rows = {
        "aida": make_invitation(
            db,
            event=event,
            participant=make_participant(db, name="Аида Садыкова", phone="+996555123456"),
            status=InvitationStatus.ACCEPTED,
        ),
        "bakyt": make_invitation(
            db, event=event, participant=make_participant(db, name="Бакыт Осмонов")
        ),
        "chynara": make_invitation(
            db,
            event=event,
            participant=make_participant(db, name="Чынара Алиева", community=Community.MIGRANT),
            status=InvitationStatus.FAILED,
        ),
        "daniyar": make_invitation(
            db,
            event=event,
            participant=make_participant(db, name="Данияр Токтогулов"),
            status=InvitationStatus.WAITLISTED,
        ),
    }
    db.add(
        Message(
            direction="outbound",
            channel="sms",
            purpose="invitation",
            invitation_id=rows["chynara"].id,
            participant_id=rows["chynara"].participant_id,
            status=MessageStatus.UNDELIVERED,
            error_reason="the handset is unreachable",
        )
    )
    db.commit()
    return event, rows


def test_the_event_page_shows_counts_roster_delivery_waitlist_and_seats(
    english: SignedIn, db: Session
) -> None:
    event, _rows = _event_with_people(db)
    client = english(Role.COORDINATOR, ("osh",))

    page = client.get(f"/console/events/{event.id}")

    assert page.status_code == 200, page.text
    html = page.text
    assert "Аида Садыкова" in html
    assert "+996 555 *** 456" in html
    assert "+996555123456" not in html
    assert "the handset is unreachable" in html
    assert "Not delivered" in html
    assert f'hx-get="/console/events/{event.id}/counts"' in html
    waitlist = html.split('id="waitlist-heading"')[1]
    assert "Данияр Токтогулов" in waitlist
    assert "/move-up" in waitlist
    assert "1 confirmed of 3 seats" in html


def test_the_counts_fragment_alone_for_htmx(english: SignedIn, db: Session) -> None:
    event, _rows = _event_with_people(db)
    client = english(Role.VIEWER, ("osh",))
    fragment = client.get(f"/console/events/{event.id}/counts", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith("<section")
    assert "<html" not in fragment.text
    assert "Аида" not in fragment.text


def test_a_viewer_sees_counts_only_and_cannot_act(english: SignedIn, db: Session) -> None:
    event, rows = _event_with_people(db)
    viewer = english(Role.VIEWER, ("osh",))

    page = viewer.get(f"/console/events/{event.id}")

    assert page.status_code == 200
    for secret in ("Аида", "Бакыт", "*** 456", "Данияр", "/withdraw", "roster.csv"):
        assert secret not in page.text
    assert "Who is coming" in page.text
    url = f"/console/events/{event.id}/invitations/{rows['bakyt'].id}/withdraw"
    assert viewer.post(url, data={"csrf": viewer.csrf}).status_code == 403
    move = f"/console/events/{event.id}/invitations/{rows['daniyar'].id}/move-up"
    assert viewer.post(move, data={"csrf": viewer.csrf}).status_code == 403
    assert viewer.get(f"/console/events/{event.id}/roster.csv").status_code == 403
    assert viewer.get(f"/console/events/{event.id}/sign-in-sheet").status_code == 403
    assert viewer.get(f"/console/events/{event.id}/invite").status_code == 403
    message = f"/console/events/{event.id}/message"
    assert viewer.post(message, data={"csrf": viewer.csrf, "text": "Hi"}).status_code == 403
    db.expire_all()
    assert _status(db, rows["bakyt"]) is InvitationStatus.SENT
    assert _status(db, rows["daniyar"]) is InvitationStatus.WAITLISTED


def test_another_city_s_event_is_404_everywhere(english: SignedIn, db: Session) -> None:
    event, rows = _event_with_people(db)
    client = english(Role.COORDINATOR, ("bishkek",))
    for path in ("", "/counts", "/roster.csv", "/sign-in-sheet", "/invite"):
        assert client.get(f"/console/events/{event.id}{path}").status_code == 404, path
    url = f"/console/events/{event.id}/invitations/{rows['bakyt'].id}/withdraw"
    assert client.post(url, data={"csrf": client.csrf}).status_code == 404
    db.expire_all()
    assert _status(db, rows["bakyt"]) is InvitationStatus.SENT


def test_withdraw_refills_from_the_waitlist_and_needs_the_csrf_token(
    english: SignedIn, db: Session
) -> None:
    event, rows = _event_with_people(db)
    client = english(Role.COORDINATOR, ("osh",))
    url = f"/console/events/{event.id}/invitations/{rows['bakyt'].id}/withdraw"

    assert client.post(url, data={"reason": "ill"}).status_code == 403
    assert client.post(url, data={"reason": "ill", "csrf": "wrong"}).status_code == 403
    db.expire_all()
    assert _status(db, rows["bakyt"]) is InvitationStatus.SENT

    done = client.post(url, data={"reason": "ill", "csrf": client.csrf})

    assert done.status_code == 303
    assert done.headers["location"] == f"/console/events/{event.id}?done=withdrawn"
    db.expire_all()
    assert _status(db, rows["bakyt"]) is InvitationStatus.WITHDRAWN
    assert _status(db, rows["daniyar"]) is InvitationStatus.PLANNED  # the freed seat went on
    again = client.post(url, data={"csrf": client.csrf})
    assert again.status_code == 409
    assert "cannot be withdrawn" in again.text


def test_move_up_into_a_full_event_explains_why_and_changes_nothing(
    english: SignedIn, db: Session
) -> None:
    event, rows = _event_with_people(db)
    event.capacity = 2
    db.commit()
    client = english(Role.COORDINATOR, ("osh",))
    url = f"/console/events/{event.id}/invitations/{rows['daniyar'].id}/move-up"

    refused = client.post(url, data={"csrf": client.csrf})

    assert refused.status_code == 409
    assert "Every seat is held" in refused.text
    db.expire_all()
    assert _status(db, rows["daniyar"]) is InvitationStatus.WAITLISTED
    event.capacity = 3
    db.commit()
    moved = client.post(url, data={"csrf": client.csrf})
    assert moved.status_code == 303
    db.expire_all()
    assert _status(db, rows["daniyar"]) is InvitationStatus.PLANNED


def test_the_message_cost_is_counted_live_and_the_message_sent_once(
    english: SignedIn, db: Session
) -> None:
    event, _rows = _event_with_people(db)
    client = english(Role.COORDINATOR, ("osh",))
    estimate = client.post(
        f"/console/events/{event.id}/message/estimate",
        data={"text": "Кабинет 204", "csrf": client.csrf},
        headers={"HX-Request": "true"},
    )
    assert estimate.status_code == 200
    assert 'id="message-cost"' in estimate.text
    assert "UCS-2" in estimate.text
    assert "<html" not in estimate.text
    no_js = client.post(
        f"/console/events/{event.id}/message/estimate",
        data={"text": "Room 204", "csrf": client.csrf},
    )
    assert "<html" in no_js.text
    assert "GSM-7" in no_js.text
    assert "Room 204</textarea>" in no_js.text

    key = _MESSAGE_KEY.search(client.get(f"/console/events/{event.id}").text)
    assert key
    form = {"text": "Room 204 tonight", "key": key.group(1), "csrf": client.csrf}
    first = client.post(f"/console/events/{event.id}/message", data=form)
    second = client.post(f"/console/events/{event.id}/message", data=form)

    assert first.status_code == 303
    assert second.status_code == 303
    count = db.scalar(
        select(func.count()).select_from(Message).where(Message.purpose == EVENT_MESSAGE)
    )
    assert count == 1  # one confirmed person, once


def test_the_message_cost_says_who_gets_it_on_a_messenger_outside_the_sms_segments(
    english: SignedIn, db: Session
) -> None:
    event = make_event(db, city="osh", min_share=0)
    on_telegram = make_participant(db, city="osh")
    channels.link_telegram(session=db, participant=on_telegram, chat_id="800900100")
    for person in (on_telegram, make_participant(db, city="osh")):
        make_invitation(db, event=event, participant=person, status=InvitationStatus.ACCEPTED)
    db.commit()
    client = english(Role.COORDINATOR, ("osh",))

    page = client.get(f"/console/events/{event.id}").text
    assert "Each person gets it on their first messenger" in page
    estimate = client.post(
        f"/console/events/{event.id}/message/estimate",
        data={"text": "Room 204", "csrf": client.csrf},
        headers={"HX-Request": "true"},
    ).text
    assert "1 people: 1 segments" in estimate
    assert "Besides, 0 on WhatsApp and 1 on Telegram, not counted in SMS segments." in estimate


def test_the_message_form_says_the_people_inside_do_not_get_it(
    english: SignedIn, db: Session
) -> None:
    event, rows = _event_with_people(db)
    rows["bakyt"].status = InvitationStatus.ATTENDED
    rows["bakyt"].checked_in_at = utcnow()
    db.commit()
    client = english(Role.COORDINATOR, ("osh",))

    page = client.get(f"/console/events/{event.id}").text

    assert "One person has confirmed." in page
    assert "One person checked in at the door does not get it." in page


def test_an_empty_message_is_refused_with_the_form_kept(english: SignedIn, db: Session) -> None:
    event, _rows = _event_with_people(db)
    client = english(Role.COORDINATOR, ("osh",))
    answer = client.post(
        f"/console/events/{event.id}/message", data={"text": "  ", "csrf": client.csrf}
    )
    assert answer.status_code == 422
    assert "Write a message first." in answer.text
    assert db.scalar(select(Message).where(Message.purpose == EVENT_MESSAGE)) is None


def test_roster_csv_has_a_bom_and_the_sign_in_sheet_lists_the_confirmed(
    english: SignedIn, db: Session
) -> None:
    event, _rows = _event_with_people(db)
    client = english(Role.COORDINATOR, ("osh",))

    export = client.get(f"/console/events/{event.id}/roster.csv")

    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    assert export.content.startswith(b"\xef\xbb\xbf")
    text = export.content.decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0].startswith("Name,Phone")
    assert len(lines) == 5
    assert "+996 555 *** 456" in text
    assert "the handset is unreachable" in text

    sheet = client.get(f"/console/events/{event.id}/sign-in-sheet")
    assert sheet.status_code == 200
    assert "Аида Садыкова" in sheet.text
    assert "Бакыт" not in sheet.text  # not confirmed


def _people(db: Session, count: int, community: Community = Community.HOST) -> list[uuid.UUID]:
    return [make_participant(db, community=community).id for _ in range(count)]


def test_the_wizard_proposes_by_criteria_with_sms_samples(english: SignedIn, db: Session) -> None:
    event = make_event(db, city="osh", capacity=2, min_share=0.5)
    _people(db, 3)
    make_participant(db, community=Community.MIGRANT, language=Language.KY)
    opted_out = make_participant(db)
    opted_out.opted_out_at = opted_out.consent_given_at
    db.commit()
    client = english(Role.COORDINATOR, ("osh",))

    pool = client.get(f"/console/events/{event.id}/invite")
    assert pool.status_code == 200
    assert 'name="community" value="none"' in pool.text

    page = client.get(
        f"/console/events/{event.id}/invite/proposal",
        params={"mode": "criteria", "community": ["host", "migrant"]},
    )

    assert page.status_code == 200, page.text
    assert "1 person opted out of messages" in page.text.replace("One person", "1 person")
    assert page.text.count('name="participant"') >= 4
    assert "Кыргызча" in page.text
    assert "segments each" in page.text
    assert _KEY.search(page.text)


def test_a_one_segment_sample_says_segment_in_the_singular(english: SignedIn, db: Session) -> None:
    event = make_event(db, city="osh", capacity=2, min_share=0)
    make_participant(db, language=Language.EN)
    db.commit()
    client = english(Role.COORDINATOR, ("osh",))

    page = client.get(f"/console/events/{event.id}/invite/proposal", params={"mode": "criteria"})

    assert page.status_code == 200, page.text
    assert "1 segment each (GSM-7)" in page.text
    assert "1 segments" not in page.text


def test_the_wizard_takes_hand_picked_people_and_bad_input_says_why(
    english: SignedIn, db: Session
) -> None:
    event = make_event(db, city="osh", capacity=5, min_share=0)
    picked = _people(db, 2)
    db.commit()
    client = english(Role.COORDINATOR, ("osh",))

    pool = client.get(
        f"/console/events/{event.id}/invite", params={"participant": [str(p) for p in picked]}
    )
    assert pool.status_code == 200
    assert pool.text.count('name="participant"') == 2
    assert 'value="people" checked' in pool.text

    bad = client.get(
        f"/console/events/{event.id}/invite/proposal",
        params={"mode": "criteria", "max": "many"},
    )
    assert bad.status_code == 422
    assert "Enter a whole number." in bad.text
    nobody = client.get(f"/console/events/{event.id}/invite/proposal", params={"mode": "people"})
    assert nobody.status_code == 422
    assert "Choose at least one person." in nobody.text


def test_sending_twice_with_one_key_makes_one_batch(english: SignedIn, db: Session) -> None:
    event = make_event(db, city="osh", capacity=5, min_share=0)
    picked = _people(db, 3)
    db.commit()
    client = english(Role.COORDINATOR, ("osh",))
    page = client.get(
        f"/console/events/{event.id}/invite/proposal",
        params={"mode": "people", "participant": [str(p) for p in picked]},
    )
    key = _KEY.search(page.text)
    assert key
    form = {
        "csrf": client.csrf,
        "idempotency_key": key.group(1),
        "participant": [str(p) for p in picked[:2]],
    }

    recalculated = client.post(f"/console/events/{event.id}/invite/proposal", data=form)
    assert recalculated.status_code == 200
    assert recalculated.text.count('name="participant"') == 2
    no_token = client.post(
        f"/console/events/{event.id}/invite/send", data={**form, "csrf": "wrong"}
    )
    assert no_token.status_code == 403
    first = client.post(f"/console/events/{event.id}/invite/send", data=form)
    second = client.post(f"/console/events/{event.id}/invite/send", data=form)

    assert first.status_code == 303
    assert second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    batches = list(db.scalars(select(InvitationBatch).where(InvitationBatch.event_id == event.id)))
    assert len(batches) == 1
    invited = db.scalar(
        select(func.count()).select_from(Invitation).where(Invitation.event_id == event.id)
    )
    assert invited == 2
    shown = client.get(first.headers["location"])
    assert "Invitations are on their way: 2 invited" in shown.text


def test_a_batch_over_the_budget_is_shown_as_held(
    english: SignedIn, db: Session, console_app: FastAPI
) -> None:
    settings = get_settings().model_copy(update={"sms_daily_segment_budget": 1})
    console_app.dependency_overrides[get_settings] = lambda: settings
    event = make_event(db, city="osh", capacity=5, min_share=0)
    picked = _people(db, 2)
    db.commit()
    client = english(Role.COORDINATOR, ("osh",))
    form = {
        "csrf": client.csrf,
        "idempotency_key": uuid.uuid4().hex,
        "participant": [str(p) for p in picked],
    }
    sent = client.post(f"/console/events/{event.id}/invite/send", data=form)
    assert sent.status_code == 303
    page = client.get(sent.headers["location"])
    assert "nothing is sent until an administrator approves the batch" in page.text
    assert "wait for an administrator" in page.text or "waits for an administrator" in page.text


def test_what_the_handlers_say_is_in_the_reader_s_language(
    signed_in: _SignedIn, db: Session
) -> None:
    event, rows = _event_with_people(db)
    client = signed_in(Role.COORDINATOR, ("osh",))
    client.headers["Accept-Language"] = "ky"
    url = f"/console/events/{event.id}/invitations/{rows['bakyt'].id}/withdraw"

    done = client.post(url, data={"csrf": client.csrf}, follow_redirects=True)
    again = client.post(url, data={"csrf": client.csrf})
    empty = client.post(
        f"/console/events/{event.id}/message", data={"text": " ", "csrf": client.csrf}
    )

    assert "Чакыруу кайтарылып алынды" in done.text
    assert "Бул чакыруу жабылып калган" in again.text
    assert "Адегенде билдирүү жазыңыз." in empty.text
    assert 'lang="ky"' in empty.text


def test_why_a_message_failed_is_said_in_the_readers_language_on_event_and_person_pages(
    signed_in: _SignedIn, db: Session
) -> None:
    event = make_event(db, city="osh")
    person = make_participant(db, name="Эрмек Жээнбеков")
    invitation = make_invitation(
        db, event=event, participant=person, status=InvitationStatus.FAILED
    )
    db.add(
        invitation_sms(
            invitation,
            status=MessageStatus.FAILED,
            error_code="21614",
            error_reason="gave up after 3 attempts: the recipient number is not a mobile number",
        )
    )
    db.commit()
    client = signed_in(Role.COORDINATOR, ("osh",))
    client.headers["Accept-Language"] = "ru"

    event_page = client.get(f"/console/events/{event.id}")
    person_page = client.get(f"/console/participants/{person.id}")

    said = "Отправка прекращена после 3 попыток. Это не мобильный номер."
    assert said in event_page.text
    assert said in person_page.text
    assert "gave up" not in event_page.text + person_page.text


def test_a_message_over_the_budget_waits_for_an_administrator_who_approves_it(
    english: SignedIn, db: Session, console_app: FastAPI
) -> None:
    settings = get_settings().model_copy(update={"sms_daily_segment_budget": 1})
    console_app.dependency_overrides[get_settings] = lambda: settings
    event = make_event(db, city="osh", capacity=5, min_share=0)
    for _ in range(2):
        make_invitation(
            db, event=event, participant=make_participant(db), status=InvitationStatus.ACCEPTED
        )
    db.commit()
    client = english(Role.COORDINATOR, ("osh",))

    form = {"text": "Room 204 tonight", "key": uuid.uuid4().hex, "csrf": client.csrf}
    sent = client.post(f"/console/events/{event.id}/message", data=form)

    assert sent.status_code == 303
    assert sent.headers["location"].endswith("?done=message_held")
    page = client.get(sent.headers["location"])
    assert "it waits for an administrator's approval" in page.text.replace("&#39;", "'")
    batch = db.scalar(select(InvitationBatch).where(InvitationBatch.event_id == event.id))
    assert batch is not None
    assert (batch.kind, batch.status) == (BatchKind.MESSAGE, BatchStatus.AWAITING_APPROVAL)
    messages = list(db.scalars(select(Message).where(Message.purpose == EVENT_MESSAGE)))
    assert len(messages) == 2
    assert {message.batch_id for message in messages} == {batch.id}
    assert db.scalar(select(OutboxEntry).where(OutboxEntry.task_name == "sms.send")) is None

    # The administrator sees it among what waits, as a message, and approves it.
    admin = english(Role.ADMIN, ())
    dashboard = admin.get("/console").text
    assert "1 batch awaits budget approval" in dashboard
    approvals = admin.get("/console/admin/budget").text
    assert "Message to the confirmed" in approvals
    path = f"/console/admin/budget/{event.id}/{batch.id}/approve"
    assert path in approvals
    assert admin.post(path, data={"csrf": admin.csrf}).status_code == 303
    db.expire_all()
    assert db.get_one(InvitationBatch, batch.id).status is BatchStatus.QUEUED
    sends = db.scalars(select(OutboxEntry).where(OutboxEntry.task_name == "sms.send")).all()
    assert sorted(i for entry in sends for i in entry.payload["message_ids"]) == sorted(
        str(message.id) for message in messages
    )
