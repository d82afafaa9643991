"""Check-in at the door: choosing the event, the search, taps with and without htmx, walk-ins."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, replace
from datetime import timedelta

import pytest
from httpx2 import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_shared.crypto import get_cipher
from birge_shared.models import Community, Event, Invitation, InvitationStatus, Participant, Role
from tests.factories import make_event, make_invitation, make_participant, unique_phone
from tests.integration.console.conftest import ConsoleClient, SignedIn


@pytest.fixture
def signed_in(signed_in_english: SignedIn) -> SignedIn:
    """Clients that read the pages in English, whatever the default language."""
    return signed_in_english


HTMX = {"HX-Request": "true"}
#: A new walk-in as the door's form sends one.
NEW_WALK_IN = {
    "name": "Жаңы Адам",
    "language": "ky",
    "community": "host",
    "consent_method": "paper_form",
    "consent_version": "2026-01",
}


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


@dataclass(frozen=True)
class Door:
    """An event's door as a client sees it: its pages, the taps, and the invitations behind."""

    event: Event
    client: ConsoleClient
    db: Session

    @property
    def url(self) -> str:
        return f"/console/events/{self.event.id}/door"

    def at(self, event: Event) -> Door:
        return replace(self, event=event)

    def by(self, client: ConsoleClient) -> Door:
        return replace(self, client=client)

    def invitation(self, name: str) -> Invitation:
        cipher = get_cipher()
        for invitation, person in self.db.execute(
            select(Invitation, Participant)
            .join(Participant, Invitation.participant_id == Participant.id)
            .where(Invitation.event_id == self.event.id)
        ):
            if person.name_encrypted and cipher.decrypt(person.name_encrypted) == name:
                self.db.refresh(invitation)
                return invitation
        raise AssertionError(f"{name} is not on the list")

    def status(self, name: str) -> InvitationStatus:
        return self.invitation(name).status

    def tap(
        self, action: str, who: str | uuid.UUID, *, htmx: bool = True, csrf: str | None = None
    ) -> Response:
        """A tap on a person's row (`check-in`, `undo`, `walk-in`), named or by id; `csrf=""`
        sends none."""
        participant_id = who if isinstance(who, uuid.UUID) else self.invitation(who).participant_id
        data = {"participant_id": str(participant_id)}
        token = self.client.csrf if csrf is None else csrf
        if token:
            data["csrf"] = token
        return self.client.post(f"{self.url}/{action}", data=data, headers=HTMX if htmx else {})

    def walk_in(self, **fields: str) -> Response:
        """The walk-in form sent without JavaScript."""
        return self.client.post(f"{self.url}/walk-in", data={**fields, "csrf": self.client.csrf})


@pytest.fixture
def door(signed_in: SignedIn, event: Event, db: Session) -> Door:
    """The door of `event`, with an Osh coordinator signed in."""
    return Door(event=event, client=signed_in(Role.COORDINATOR, ("osh",)), db=db)


def test_the_check_in_page_lists_todays_events_of_my_cities(door: Door, db: Session) -> None:
    bishkek = make_event(db, city="bishkek", starts_in=timedelta(hours=2), title={"ru": "Бишкек"})
    later = make_event(db, city="osh", starts_in=timedelta(days=30), title={"ru": "Через месяц"})
    db.commit()

    page = door.client.get("/console/check-in")

    assert page.status_code == 200
    assert f'href="{door.url}"' in page.text
    assert str(bishkek.id) not in page.text
    assert str(later.id) not in page.text


def test_the_door_page_shows_the_list_and_the_counts_inside_by_community(door: Door) -> None:
    page = door.client.get(door.url)

    assert page.status_code == 200
    assert "Нурлан Абдыкеримов" in page.text
    assert "Aibek Toktogulov" in page.text
    assert 'id="door-counts"' in page.text
    assert "<b>1</b>" in page.text  # one inside: Айгуль
    assert 'hx-trigger="input changed delay:300ms' in page.text


def test_the_search_is_a_post_and_finds_names_in_either_script_without_logging_them(
    door: Door, caplog: pytest.LogCaptureFixture
) -> None:
    client = door.client
    caplog.set_level(logging.DEBUG)
    url = door.url + "/search"

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


def test_a_tap_checks_in_and_undo_takes_it_back_with_htmx_fragments(door: Door) -> None:
    aibek = door.invitation("Aibek Toktogulov")

    tapped = door.tap("check-in", aibek.participant_id)

    assert tapped.status_code == 200
    assert "<html" not in tapped.text
    assert f'id="door-{aibek.participant_id}"' in tapped.text
    assert 'id="door-counts" class="door-counts"' in tapped.text
    assert 'hx-swap-oob="true"' in tapped.text
    assert "Нурлан" not in tapped.text  # only the one row
    # Small enough for a weak connection: the row, the counts, the emptied alert.
    assert len(tapped.content) < 3000, len(tapped.content)
    assert door.status("Aibek Toktogulov") is InvitationStatus.ATTENDED

    undone = door.tap("undo", aibek.participant_id)

    assert undone.status_code == 200
    assert "/door/check-in" in undone.text
    assert door.status("Aibek Toktogulov") is InvitationStatus.ACCEPTED


def test_without_javascript_a_tap_is_a_post_with_a_303_back_to_the_door(door: Door) -> None:
    answer = door.tap("check-in", "Нурлан Абдыкеримов", htmx=False)

    assert answer.status_code == 303
    assert answer.headers["location"] == door.url
    assert door.status("Нурлан Абдыкеримов") is InvitationStatus.ATTENDED


def test_a_tap_before_the_door_opens_is_refused_with_a_clear_message_and_nothing_changes(
    door: Door, db: Session
) -> None:
    tomorrow = make_event(db, city="osh", starts_in=timedelta(days=1))
    person = make_participant(db, city="osh", name="Early Person")
    make_invitation(db, event=tomorrow, participant=person, status=InvitationStatus.ACCEPTED)
    db.commit()
    early = door.at(tomorrow)

    htmx = early.tap("check-in", person.id)
    plain = early.tap("check-in", person.id, htmx=False)

    assert htmx.status_code == 200
    assert htmx.headers["HX-Reswap"] == "none"
    assert "30 minutes before the start" in htmx.text
    assert plain.status_code == 409
    assert "30 minutes before the start" in plain.text
    assert early.status("Early Person") is InvitationStatus.ACCEPTED


def test_a_new_walk_in_is_registered_and_inside(door: Door) -> None:
    answer = door.walk_in(**NEW_WALK_IN, phone=unique_phone())

    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == door.url + "?saved=walk-in"
    walk_in = door.invitation("Жаңы Адам")
    assert walk_in.walk_in is True
    assert walk_in.status is InvitationStatus.ATTENDED
    page = door.client.get(answer.headers["location"])
    assert "Жаңы Адам" in page.text
    assert "Walk-in, inside" in page.text
    assert f'{door.url}/undo"' in page.text  # a walk-in tapped by mistake can be undone


def test_a_walk_in_with_bad_input_shows_the_fields_and_changes_nothing(
    door: Door, db: Session
) -> None:
    before = db.scalar(select(Participant.id).order_by(Participant.created_at.desc()).limit(1))

    answer = door.walk_in(**(NEW_WALK_IN | {"name": "Bad Phone", "phone": "12"}))

    assert answer.status_code == 422
    assert "The walk-in was not registered" in answer.text
    assert 'value="Bad Phone"' in answer.text
    after = db.scalar(select(Participant.id).order_by(Participant.created_at.desc()).limit(1))
    assert after == before


def test_a_registered_person_without_an_invitation_comes_in_by_phone(
    door: Door, db: Session
) -> None:
    phone = unique_phone()
    make_participant(db, city="osh", name="Registered Not Invited", phone=phone)
    db.commit()

    answer = door.walk_in(known_phone=phone)
    unknown = door.walk_in(known_phone=unique_phone())

    assert answer.status_code == 303, answer.text
    assert door.invitation("Registered Not Invited").walk_in is True
    assert unknown.status_code == 422


def test_someone_who_declined_is_let_in_as_a_walk_in_with_one_tap(door: Door) -> None:
    tapped = door.tap("walk-in", "Nurbek Osmonov")

    assert tapped.status_code == 200
    assert "Walk-in, inside" in tapped.text
    assert door.status("Nurbek Osmonov") is InvitationStatus.ATTENDED


def test_undo_takes_a_walk_in_back_a_declined_person_to_declined_a_new_one_off_the_list(
    door: Door,
) -> None:
    door.tap("walk-in", "Nurbek Osmonov")
    assert door.walk_in(**NEW_WALK_IN, phone=unique_phone()).status_code == 303
    new = door.invitation("Жаңы Адам")

    declined = door.tap("undo", "Nurbek Osmonov")
    removed = door.tap("undo", new.participant_id, htmx=False)

    assert declined.status_code == 200
    assert "Let in as walk-in" in declined.text  # the row as before the walk-in
    nurbek = door.invitation("Nurbek Osmonov")
    assert (nurbek.status, nurbek.walk_in) == (InvitationStatus.DECLINED, False)
    assert removed.status_code == 303
    assert "Жаңы Адам" not in door.client.get(door.url).text
    with pytest.raises(AssertionError, match="not on the list"):
        door.invitation("Жаңы Адам")


def test_a_missing_or_wrong_csrf_token_is_403_and_nothing_changes(door: Door) -> None:
    missing = door.tap("check-in", "Нурлан Абдыкеримов", htmx=False, csrf="")
    wrong = door.tap("check-in", "Нурлан Абдыкеримов", htmx=False, csrf="wrong")

    assert missing.status_code == 403
    assert wrong.status_code == 403
    assert door.status("Нурлан Абдыкеримов") is InvitationStatus.ACCEPTED


def test_another_citys_door_is_404_and_a_viewer_gets_403_without_names(
    door: Door, signed_in: SignedIn
) -> None:
    bishkek = door.by(signed_in(Role.COORDINATOR, ("bishkek",)))
    viewer = door.by(signed_in(Role.VIEWER, ("osh",)))

    assert bishkek.client.get(door.url).status_code == 404
    assert bishkek.tap("check-in", "Нурлан Абдыкеримов", htmx=False).status_code == 404
    for url in ("/console/check-in", door.url):
        page = viewer.client.get(url)
        assert page.status_code == 403
        assert "Нурлан" not in page.text
    searched = viewer.client.post(door.url + "/search", data={"q": "н", "csrf": viewer.client.csrf})
    assert searched.status_code == 403
    assert "Нурлан" not in searched.text
    assert viewer.tap("check-in", "Нурлан Абдыкеримов", htmx=False).status_code == 403
    assert door.status("Нурлан Абдыкеримов") is InvitationStatus.ACCEPTED


def test_the_counts_alone_are_a_small_fragment_the_page_polls(door: Door, db: Session) -> None:
    aibek = door.invitation("Aibek Toktogulov")
    aibek.status = InvitationStatus.ATTENDED
    db.commit()

    fragment = door.client.get(door.url + "/counts", headers=HTMX)

    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert "<b>2</b>" in fragment.text
    assert "Aibek" not in fragment.text
    assert 'hx-trigger="every 20s"' in door.client.get(door.url).text
