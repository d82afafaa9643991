"""The participant page (/p/{token}) through the HTTP app, against PostgreSQL."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy.orm import Session

from birge_api.participant_page.i18n import DONE, STATES, AnswerState, Done, format_when
from birge_api.participant_page.service import csrf_token
from birge_shared.crypto import get_cipher
from birge_shared.i18n import gettext_for
from birge_shared.models import (
    Community,
    Event,
    EventStatus,
    Invitation,
    InvitationStatus,
    Language,
)
from birge_shared.settings import get_settings
from tests.factories import make_event, make_invitation, make_participant

KY, RU, EN = Language.KY, Language.RU, Language.EN


def _invitation(
    db: Session,
    *,
    language: Language = RU,
    status: InvitationStatus = InvitationStatus.SENT,
    event: Event | None = None,
    phone: str | None = None,
) -> Invitation:
    event = event or make_event(db)
    participant = make_participant(db, language=language, phone=phone)
    return make_invitation(db, event=event, participant=participant, status=status)


def _csrf(invitation: Invitation) -> str:
    return csrf_token(
        secret_key=get_settings().secret_key.get_secret_value(), invitation_token=invitation.token
    )


def _post(
    client: TestClient,
    invitation: Invitation,
    answer: str,
    *,
    csrf: str | None = None,
    lang: str = "",
    headers: dict[str, str] | None = None,
) -> Response:
    return client.post(
        f"/p/{invitation.token}/rsvp",
        data={"answer": answer, "csrf": _csrf(invitation) if csrf is None else csrf, "lang": lang},
        headers=headers or {},
        follow_redirects=False,
    )


def _forms(html: str) -> list[str]:
    return re.findall(r'<form method="post" action="(/p/[^"]+/rsvp)">', html)


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (KY, ("Бирге футбол", "Катышам", "Катыша албайм")),
        (RU, ("Футбол вместе", "Приду", "Не смогу")),
        (EN, ("Football together", "I'll come", "I can't come")),
    ],
)
def test_the_page_is_in_the_participants_language(
    client: TestClient, db: Session, language: Language, words: tuple[str, str, str]
) -> None:
    title, accept, decline = words
    invitation = _invitation(db, language=language)
    response = client.get(f"/p/{invitation.token}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert f'<html lang="{language.value}">' in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert f"<h1>{title}</h1>" in html
    assert accept in html
    assert decline in html
    assert gettext_for(language, STATES[AnswerState.PENDING]) in html
    event = invitation.event
    when = format_when(event.starts_at, event.ends_at, "Asia/Bishkek", language)
    assert when in html
    assert "Stadium" in html
    assert "Lenin st. 1" in html


def test_the_time_is_shown_in_bishkek_time(client: TestClient, db: Session) -> None:
    # 12:30 UTC is 18:30 in Bishkek (UTC+6, no daylight saving).
    event = make_event(db, city="bishkek")
    event.starts_at = datetime(2099, 3, 14, 12, 30, tzinfo=UTC)
    event.ends_at = datetime(2099, 3, 14, 14, 30, tzinfo=UTC)
    invitation = _invitation(db, event=event, language=EN)
    html = client.get(f"/p/{invitation.token}").text
    assert "Saturday, 14 Mar, 18:30–20:30" in html
    html_ky = client.get(f"/p/{invitation.token}?lang=ky").text
    assert "ишемби, 14-март, 18:30–20:30" in html_ky


def test_the_language_switch_only_changes_the_display_language(
    client: TestClient, db: Session
) -> None:
    invitation = _invitation(db, language=RU)
    html = client.get(f"/p/{invitation.token}").text
    for code in ("ky", "ru", "en"):
        assert f'href="/p/{invitation.token}?lang={code}"' in html
    english = client.get(f"/p/{invitation.token}?lang=en")
    assert '<html lang="en">' in english.text
    assert "<h1>Football together</h1>" in english.text
    assert '<input type="hidden" name="lang" value="en">' in english.text
    # An unknown language falls back to the participant's own.
    assert '<html lang="ru">' in client.get(f"/p/{invitation.token}?lang=xx").text
    db.refresh(invitation.participant)
    assert invitation.participant.language is RU


def test_a_title_missing_in_the_language_falls_back_to_russian(
    client: TestClient, db: Session
) -> None:
    event = make_event(db, title={"ru": "Плов вместе", "en": "Plov together"})
    invitation = _invitation(db, event=event, language=KY)
    html = client.get(f"/p/{invitation.token}").text
    assert "<h1>Плов вместе</h1>" in html
    assert "Катышам" in html  # the page itself stays Kyrgyz


def test_the_description_is_escaped(client: TestClient, db: Session) -> None:
    event = make_event(db)
    event.description = {"ru": "Берите <script>alert(1)</script> форму"}
    invitation = _invitation(db, event=event)
    html = client.get(f"/p/{invitation.token}").text
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_a_map_link_only_when_the_venue_has_coordinates(client: TestClient, db: Session) -> None:
    without = _invitation(db)
    assert "openstreetmap.org" not in client.get(f"/p/{without.token}").text

    event = make_event(db)
    event.venue_latitude, event.venue_longitude = 42.8746, 74.5698
    with_coordinates = _invitation(db, event=event)
    html = client.get(f"/p/{with_coordinates.token}?lang=en").text
    assert (
        'href="https://www.openstreetmap.org/?mlat=42.8746&amp;mlon=74.5698#map=17/42.8746/74.5698"'
        in html
    )
    assert "Open map" in html


def test_the_page_works_without_javascript(client: TestClient, db: Session) -> None:
    invitation = _invitation(db)
    html = client.get(f"/p/{invitation.token}").text
    assert _forms(html) == [f"/p/{invitation.token}/rsvp"] * 2
    assert '<input type="hidden" name="answer" value="accept">' in html
    assert '<input type="hidden" name="answer" value="decline">' in html
    # The two answers, and "stop all messages".
    assert html.count(f'<input type="hidden" name="csrf" value="{_csrf(invitation)}">') == 3
    assert f'href="/p/{invitation.token}/invite.ics"' in html
    assert "<script" not in html
    # Nothing is loaded from anywhere else: no fonts, scripts or stylesheets by URL.
    assert not re.search(r'(src|href)="(https?:)?//(?!www\.openstreetmap\.org/)', html)


def test_security_headers(client: TestClient, db: Session) -> None:
    invitation = _invitation(db)
    for response in (
        client.get(f"/p/{invitation.token}"),
        client.get("/p/no-such-token"),
        _post(client, invitation, "accept"),
    ):
        headers = response.headers
        assert headers["cache-control"] == "no-store"
        assert headers["referrer-policy"] == "no-referrer"
        assert "noindex" in headers["x-robots-tag"]
        assert headers["x-content-type-options"] == "nosniff"
        csp = headers["content-security-policy"]
        assert "default-src 'none'" in csp
        assert "form-action 'self'" in csp
        assert "frame-ancestors 'none'" in csp
        assert "script-src" not in csp  # default-src 'none' forbids scripts


def test_accepting_redirects_to_a_confirmation(client: TestClient, db: Session) -> None:
    invitation = _invitation(db, language=KY)
    response = _post(client, invitation, "accept")
    assert response.status_code == 303
    location = response.headers["location"]
    assert location == f"/p/{invitation.token}?lang=ky&done=accepted"
    db.refresh(invitation)
    assert invitation.status is InvitationStatus.ACCEPTED
    assert invitation.responded_at is not None

    html = client.get(location).text
    assert gettext_for(KY, DONE[Done.ACCEPTED]) in html
    assert gettext_for(KY, STATES[AnswerState.ACCEPTED]) in html


def test_accepting_an_invitation_loaded_afresh(client: TestClient, db: Session) -> None:
    # In production the request loads the invitation itself; the factory's objects must not
    # be in the session, or a loading mistake (eager joins reused by the row lock in
    # `respond`) stays hidden behind the identity map.
    invitation = _invitation(db)
    invitation_id, token, csrf = invitation.id, invitation.token, _csrf(invitation)
    db.expunge_all()
    response = client.post(
        f"/p/{token}/rsvp", data={"answer": "accept", "csrf": csrf}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    answered = db.get(Invitation, invitation_id)
    assert answered is not None
    assert answered.status is InvitationStatus.ACCEPTED


def test_accepting_twice_is_harmless(client: TestClient, db: Session) -> None:
    invitation = _invitation(db)
    assert _post(client, invitation, "accept").status_code == 303
    db.refresh(invitation)
    first_answer = invitation.responded_at
    second = _post(client, invitation, "accept")
    assert second.status_code == 303
    assert second.headers["location"].endswith("done=accepted")
    db.refresh(invitation)
    assert invitation.status is InvitationStatus.ACCEPTED
    assert invitation.responded_at == first_answer


def test_declining_keeps_the_display_language(client: TestClient, db: Session) -> None:
    invitation = _invitation(db, language=RU)
    response = _post(client, invitation, "decline", lang="en")
    assert response.headers["location"] == f"/p/{invitation.token}?lang=en&done=declined"
    db.refresh(invitation)
    assert invitation.status is InvitationStatus.DECLINED
    html = client.get(response.headers["location"]).text
    assert "Thank you for letting us know." in html
    assert "You said you can't come." in html


def test_accepting_after_declining_when_the_seats_are_gone_waitlists(
    client: TestClient, db: Session
) -> None:
    event = make_event(db, capacity=1, min_share=0.0)
    invitation = _invitation(db, event=event, status=InvitationStatus.DECLINED)
    other = make_participant(db, community=Community.MIGRANT)
    make_invitation(db, event=event, participant=other, status=InvitationStatus.ACCEPTED)
    response = _post(client, invitation, "accept", lang="en")
    assert response.headers["location"].endswith("&done=waitlisted")
    db.refresh(invitation)
    assert invitation.status is InvitationStatus.WAITLISTED
    html = client.get(response.headers["location"]).text
    assert "so you're on the waiting list" in html
    assert _forms(html) == []  # a waiting-list place cannot be answered again


def test_a_confirmation_that_does_not_match_the_answer_is_not_shown(
    client: TestClient, db: Session
) -> None:
    invitation = _invitation(db, language=EN, status=InvitationStatus.DECLINED)
    html = client.get(f"/p/{invitation.token}?done=accepted").text
    assert DONE[Done.ACCEPTED] not in html


def test_a_wrong_form_token_is_refused_and_changes_nothing(client: TestClient, db: Session) -> None:
    invitation = _invitation(db, language=EN)
    other = _invitation(db)
    for csrf in ("", "0" * 64, _csrf(other)):
        response = _post(client, invitation, "accept", csrf=csrf)
        assert response.status_code == 403
        assert response.headers["content-type"].startswith("text/html")
        assert "We couldn&#39;t save your answer" in response.text
        assert f'href="/p/{invitation.token}?lang=en"' in response.text
    db.refresh(invitation)
    assert invitation.status is InvitationStatus.SENT
    assert invitation.responded_at is None


def test_a_foreign_origin_is_refused(client: TestClient, db: Session) -> None:
    invitation = _invitation(db)
    refused = _post(client, invitation, "accept", headers={"Origin": "https://evil.example"})
    assert refused.status_code == 403
    db.refresh(invitation)
    assert invitation.status is InvitationStatus.SENT

    # The app's own origin passes, and so does `null`, which browsers send for forms posted
    # from a page with this page's own `Referrer-Policy: no-referrer`.
    for origin in ("http://testserver", "null"):
        accepted = _post(client, invitation, "accept", headers={"Origin": origin})
        assert accepted.status_code == 303, origin


def test_an_unknown_answer_is_refused(client: TestClient, db: Session) -> None:
    invitation = _invitation(db, language=RU)
    for answer in ("", "maybe", "ACCEPT"):
        response = _post(client, invitation, answer)
        assert response.status_code == 400
        assert "Пожалуйста, нажмите одну из двух кнопок." in response.text
    db.refresh(invitation)
    assert invitation.status is InvitationStatus.SENT


def test_an_unknown_link_is_a_plain_404_page(client: TestClient, db: Session) -> None:
    response = client.get("/p/" + "x" * 43)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    # A broken link gives no language to go by: all three are shown.
    for language in (KY, RU, EN):
        assert gettext_for(language, "Page not found") in response.text
    assert "Page not found" in client.get("/p/unknown?lang=en").text
    assert "Страница не найдена" not in client.get("/p/unknown?lang=en").text
    posted = client.post("/p/unknown/rsvp", data={"answer": "accept", "csrf": "x"})
    assert posted.status_code == 404
    assert client.get("/p/" + "y" * 500).status_code == 404


@pytest.mark.parametrize(
    "status",
    [InvitationStatus.WITHDRAWN, InvitationStatus.WAITLISTED, InvitationStatus.FAILED],
)
def test_invitations_the_person_never_got_or_lost_have_no_page(
    client: TestClient, db: Session, status: InvitationStatus
) -> None:
    invitation = _invitation(db, status=status)
    assert client.get(f"/p/{invitation.token}").status_code == 404
    assert _post(client, invitation, "accept").status_code == 404
    db.refresh(invitation)
    assert invitation.status is status


def test_a_cancelled_event_says_so_without_buttons(client: TestClient, db: Session) -> None:
    event = make_event(db)
    event.status = EventStatus.CANCELLED
    event.cancelled_at = datetime.now(UTC)
    invitation = _invitation(db, event=event, language=KY, status=InvitationStatus.WITHDRAWN)
    response = client.get(f"/p/{invitation.token}")
    assert response.status_code == 200
    assert gettext_for(KY, "This event has been cancelled") in response.text
    assert _forms(response.text) == []
    assert "invite.ics" not in response.text

    posted = _post(client, invitation, "accept")
    assert posted.status_code == 409
    db.refresh(invitation)
    assert invitation.status is InvitationStatus.WITHDRAWN


def test_answering_after_the_start_is_a_polite_409(client: TestClient, db: Session) -> None:
    event = make_event(db, starts_in=timedelta(hours=1))
    invitation = _invitation(db, event=event, language=EN)
    page = client.get(f"/p/{invitation.token}").text  # the form as it was shown
    assert len(_forms(page)) == 2
    event.starts_at = datetime.now(UTC) - timedelta(minutes=5)
    db.flush()
    response = _post(client, invitation, "accept")
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("text/html")
    assert "Answers are closed" in response.text
    assert _forms(response.text) == []
    db.refresh(invitation)
    assert invitation.status is InvitationStatus.SENT


def test_a_past_event_shows_no_buttons(client: TestClient, db: Session) -> None:
    event = make_event(db, starts_in=timedelta(days=-2))
    invitation = _invitation(db, event=event, language=EN, status=InvitationStatus.ACCEPTED)
    html = client.get(f"/p/{invitation.token}").text
    assert "This event has already taken place." in html
    assert _forms(html) == []
    assert "invite.ics" not in html


def test_the_page_never_shows_the_phone_number(client: TestClient, db: Session) -> None:
    phone = "+996555987654"
    invitation = _invitation(db, phone=phone)
    assert get_cipher().decrypt(invitation.participant.phone_encrypted or "") == phone
    pages = [
        client.get(f"/p/{invitation.token}").text,
        _post(client, invitation, "accept", csrf="bad").text,
        client.get(f"/p/{invitation.token}?done=accepted").text,
    ]
    for html in pages:
        for shown in (phone, "555987654", "555 987 654", "Test Person"):
            assert shown not in html


def test_every_state_and_confirmation_has_a_text() -> None:
    assert set(STATES) == set(AnswerState)
    assert set(DONE) == set(Done)
    for language in (KY, RU):
        for text in [*STATES.values(), *DONE.values()]:
            assert gettext_for(language, text) != text, (language, text)
