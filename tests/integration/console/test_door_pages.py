"""Check-in at the door: choosing the event, the search, taps with and without htmx, walk-ins."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_shared.crypto import get_cipher
from birge_shared.models import Community, Event, Invitation, InvitationStatus, Participant, Role
from tests.factories import make_event, make_invitation, make_participant, unique_phone
from tests.integration.console.conftest import ConsoleClient, SignedIn


@pytest.fixture
def signed_in(signed_in: SignedIn) -> SignedIn:
    """Clients that read the pages in English, whatever the default language."""

    def _english(*args: object, **kwargs: object) -> ConsoleClient:
        client = signed_in(*args, **kwargs)
        client.headers["Accept-Language"] = "en"
        return client

    return _english


HTMX = {"HX-Request": "true"}


def _door(event: Event) -> str:
    return f"/console/events/{event.id}/door"


@pytest.fixture
def event(db: Session) -> Event:
    """An Osh event starting in 10 minutes (the door is open) with four people on its list."""
    started = make_event(db, city="osh", starts_in=timedelta(minutes=10))
    for name, community, status in [
        ("Нурлан Абдыкеримов", Community.HOST, InvitationStatus.ACCEPTED),
        ("Aibek Toktogulov", Community.MIGRANT, InvitationStatus.ACCEPTED),
        ("Айгуль Нурова", Community.MIGRANT, InvitationStatus.ATTENDED),
        ("Nurbek Osmonov", Community.HOST, InvitationStatus.DECLINED),
    ]:
        person = make_participant(db, city="osh", name=name, community=community)
        make_invitation(db, event=started, participant=person, status=status)
    db.commit()
    return started


def _invitation(db: Session, event: Event, name: str) -> Invitation:
    cipher = get_cipher()
    for invitation, person in db.execute(
        select(Invitation, Participant)
        .join(Participant, Invitation.participant_id == Participant.id)
        .where(Invitation.event_id == event.id)
    ):
        if person.name_encrypted and cipher.decrypt(person.name_encrypted) == name:
            db.refresh(invitation)
            return invitation
    raise AssertionError(f"{name} is not on the list")


def test_the_check_in_page_lists_todays_events_of_my_cities(
    signed_in: SignedIn, event: Event, db: Session
) -> None:
    bishkek = make_event(db, city="bishkek", starts_in=timedelta(hours=2), title={"ru": "Бишкек"})
    later = make_event(db, city="osh", starts_in=timedelta(days=30), title={"ru": "Через месяц"})
    db.commit()
    client = signed_in(Role.COORDINATOR, ("osh",))

    page = client.get("/console/check-in")

    assert page.status_code == 200
    assert f'href="{_door(event)}"' in page.text
    assert str(bishkek.id) not in page.text
    assert str(later.id) not in page.text


def test_the_door_page_shows_the_list_and_the_counts_inside_by_community(
    signed_in: SignedIn, event: Event
) -> None:
    client = signed_in(Role.COORDINATOR, ("osh",))

    page = client.get(_door(event))

    assert page.status_code == 200
    assert "Нурлан Абдыкеримов" in page.text
    assert "Aibek Toktogulov" in page.text
    assert 'id="door-counts"' in page.text
    assert "<b>1</b>" in page.text  # one inside: Айгуль
    assert 'hx-trigger="input changed delay:300ms' in page.text


def test_the_search_is_a_post_and_finds_names_in_either_script_without_logging_them(
    signed_in: SignedIn, event: Event, caplog: pytest.LogCaptureFixture
) -> None:
    client = signed_in(Role.COORDINATOR, ("osh",))
    caplog.set_level(logging.DEBUG)
    url = _door(event) + "/search"

    fragment = client.post(url, data={"q": "НУР", "csrf": client.csrf}, headers=HTMX)
    latin = client.post(url, data={"q": "nur", "csrf": client.csrf}, headers=HTMX)
    page = client.post(url, data={"q": "aib", "csrf": client.csrf})
    none = client.post(url, data={"q": "Zzz", "csrf": client.csrf}, headers=HTMX)

    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert "Нурлан Абдыкеримов" in fragment.text
    assert "Айгуль Нурова" in fragment.text
    assert "Aibek" not in fragment.text
    assert "Nurbek Osmonov" in latin.text
    assert "Нурлан" not in latin.text
    assert page.status_code == 200
    assert "<html" in page.text
    assert 'value="aib"' in page.text
    assert "Нурлан" not in page.text.split('id="door-results"')[1].split("</ul>")[0]
    assert "Nobody on this event" in none.text
    assert client.get(url).status_code == 405  # never a GET: a name stays out of URLs
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "НУР" not in logged
    assert "aib" not in logged


def test_a_tap_checks_in_and_undo_takes_it_back_with_htmx_fragments(
    signed_in: SignedIn, event: Event, db: Session
) -> None:
    client = signed_in(Role.COORDINATOR, ("osh",))
    aibek = _invitation(db, event, "Aibek Toktogulov")

    tapped = client.post(
        _door(event) + "/check-in",
        data={"participant_id": str(aibek.participant_id), "csrf": client.csrf},
        headers=HTMX,
    )

    assert tapped.status_code == 200
    assert "<html" not in tapped.text
    assert f'id="door-{aibek.participant_id}"' in tapped.text
    assert 'id="door-counts" class="door-counts"' in tapped.text
    assert 'hx-swap-oob="true"' in tapped.text
    assert "Нурлан" not in tapped.text  # only the one row
    # Small enough for a weak connection: the row, the counts, the emptied alert.
    assert len(tapped.content) < 3000, len(tapped.content)
    assert _invitation(db, event, "Aibek Toktogulov").status is InvitationStatus.ATTENDED

    undone = client.post(
        _door(event) + "/undo",
        data={"participant_id": str(aibek.participant_id), "csrf": client.csrf},
        headers=HTMX,
    )

    assert undone.status_code == 200
    assert "/door/check-in" in undone.text
    assert _invitation(db, event, "Aibek Toktogulov").status is InvitationStatus.ACCEPTED


def test_without_javascript_a_tap_is_a_post_with_a_303_back_to_the_door(
    signed_in: SignedIn, event: Event, db: Session
) -> None:
    client = signed_in(Role.COORDINATOR, ("osh",))
    nurlan = _invitation(db, event, "Нурлан Абдыкеримов")

    answer = client.post(
        _door(event) + "/check-in",
        data={"participant_id": str(nurlan.participant_id), "csrf": client.csrf},
    )

    assert answer.status_code == 303
    assert answer.headers["location"] == _door(event)
    assert _invitation(db, event, "Нурлан Абдыкеримов").status is InvitationStatus.ATTENDED


def test_a_tap_before_the_door_opens_is_refused_with_a_clear_message_and_nothing_changes(
    signed_in: SignedIn, db: Session
) -> None:
    tomorrow = make_event(db, city="osh", starts_in=timedelta(days=1))
    person = make_participant(db, city="osh", name="Early Person")
    make_invitation(db, event=tomorrow, participant=person, status=InvitationStatus.ACCEPTED)
    db.commit()
    client = signed_in(Role.COORDINATOR, ("osh",))
    data = {"participant_id": str(person.id), "csrf": client.csrf}

    htmx = client.post(_door(tomorrow) + "/check-in", data=data, headers=HTMX)
    plain = client.post(_door(tomorrow) + "/check-in", data=data)

    assert htmx.status_code == 200
    assert htmx.headers["HX-Reswap"] == "none"
    assert "30 minutes before the start" in htmx.text
    assert plain.status_code == 409
    assert "30 minutes before the start" in plain.text
    invitation = db.scalars(select(Invitation).where(Invitation.event_id == tomorrow.id)).one()
    db.refresh(invitation)
    assert invitation.status is InvitationStatus.ACCEPTED


def test_a_new_walk_in_is_registered_and_inside(
    signed_in: SignedIn, event: Event, db: Session
) -> None:
    client = signed_in(Role.COORDINATOR, ("osh",))
    phone = unique_phone()

    answer = client.post(
        _door(event) + "/walk-in",
        data={
            "name": "Жаңы Адам",
            "phone": phone,
            "language": "ky",
            "community": "host",
            "consent_method": "paper_form",
            "consent_version": "2026-01",
            "csrf": client.csrf,
        },
    )

    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == _door(event) + "?saved=walk-in"
    walk_in = _invitation(db, event, "Жаңы Адам")
    assert walk_in.walk_in is True
    assert walk_in.status is InvitationStatus.ATTENDED
    page = client.get(answer.headers["location"])
    assert "Жаңы Адам" in page.text
    assert "Walk-in, inside" in page.text


def test_a_walk_in_with_bad_input_shows_the_fields_and_changes_nothing(
    signed_in: SignedIn, event: Event, db: Session
) -> None:
    client = signed_in(Role.COORDINATOR, ("osh",))
    before = db.scalar(select(Participant.id).order_by(Participant.created_at.desc()).limit(1))

    answer = client.post(
        _door(event) + "/walk-in",
        data={
            "name": "Bad Phone",
            "phone": "12",
            "language": "ky",
            "consent_method": "paper_form",
            "consent_version": "2026-01",
            "csrf": client.csrf,
        },
    )

    assert answer.status_code == 422
    assert "The walk-in was not registered" in answer.text
    assert 'value="Bad Phone"' in answer.text
    after = db.scalar(select(Participant.id).order_by(Participant.created_at.desc()).limit(1))
    assert after == before


def test_a_registered_person_without_an_invitation_comes_in_by_phone(
    signed_in: SignedIn, event: Event, db: Session
) -> None:
    phone = unique_phone()
    make_participant(db, city="osh", name="Registered Not Invited", phone=phone)
    db.commit()
    client = signed_in(Role.COORDINATOR, ("osh",))

    answer = client.post(
        _door(event) + "/walk-in", data={"known_phone": phone, "csrf": client.csrf}
    )
    unknown = client.post(
        _door(event) + "/walk-in", data={"known_phone": unique_phone(), "csrf": client.csrf}
    )

    assert answer.status_code == 303, answer.text
    assert _invitation(db, event, "Registered Not Invited").walk_in is True
    assert unknown.status_code == 422


def test_someone_who_declined_is_let_in_as_a_walk_in_with_one_tap(
    signed_in: SignedIn, event: Event, db: Session
) -> None:
    client = signed_in(Role.COORDINATOR, ("osh",))
    nurbek = _invitation(db, event, "Nurbek Osmonov")

    tapped = client.post(
        _door(event) + "/walk-in",
        data={"participant_id": str(nurbek.participant_id), "csrf": client.csrf},
        headers=HTMX,
    )

    assert tapped.status_code == 200
    assert "Walk-in, inside" in tapped.text
    assert _invitation(db, event, "Nurbek Osmonov").status is InvitationStatus.ATTENDED


def test_a_missing_or_wrong_csrf_token_is_403_and_nothing_changes(
    signed_in: SignedIn, event: Event, db: Session
) -> None:
    client = signed_in(Role.COORDINATOR, ("osh",))
    nurlan = _invitation(db, event, "Нурлан Абдыкеримов")

    missing = client.post(
        _door(event) + "/check-in", data={"participant_id": str(nurlan.participant_id)}
    )
    wrong = client.post(
        _door(event) + "/check-in",
        data={"participant_id": str(nurlan.participant_id), "csrf": "wrong"},
    )

    assert missing.status_code == 403
    assert wrong.status_code == 403
    assert _invitation(db, event, "Нурлан Абдыкеримов").status is InvitationStatus.ACCEPTED


def test_another_citys_door_is_404_and_a_viewer_gets_403_without_names(
    signed_in: SignedIn, event: Event, db: Session
) -> None:
    bishkek = signed_in(Role.COORDINATOR, ("bishkek",))
    viewer = signed_in(Role.VIEWER, ("osh",))
    nurlan = _invitation(db, event, "Нурлан Абдыкеримов")

    assert bishkek.get(_door(event)).status_code == 404
    assert (
        bishkek.post(
            _door(event) + "/check-in",
            data={"participant_id": str(nurlan.participant_id), "csrf": bishkek.csrf},
        ).status_code
        == 404
    )
    for url in ("/console/check-in", _door(event)):
        page = viewer.get(url)
        assert page.status_code == 403
        assert "Нурлан" not in page.text
    searched = viewer.post(_door(event) + "/search", data={"q": "н", "csrf": viewer.csrf})
    assert searched.status_code == 403
    assert "Нурлан" not in searched.text
    tapped = viewer.post(
        _door(event) + "/check-in",
        data={"participant_id": str(nurlan.participant_id), "csrf": viewer.csrf},
    )
    assert tapped.status_code == 403
    assert _invitation(db, event, "Нурлан Абдыкеримов").status is InvitationStatus.ACCEPTED


def test_the_counts_alone_are_a_small_fragment_the_page_polls(
    signed_in: SignedIn, event: Event, db: Session
) -> None:
    client = signed_in(Role.COORDINATOR, ("osh",))
    aibek = _invitation(db, event, "Aibek Toktogulov")
    aibek.status = InvitationStatus.ATTENDED
    db.commit()

    fragment = client.get(_door(event) + "/counts", headers=HTMX)

    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert "<b>2</b>" in fragment.text
    assert "Aibek" not in fragment.text
    assert 'hx-trigger="every 20s"' in client.get(_door(event)).text
