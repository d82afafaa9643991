"""What the console shows to whom, checked on every page a link reaches.

The pages are found by walking the links (tests/integration/console/crawl.py), so a page added
later is checked without an edit here: a viewer's console holds no participant's name, phone
number or e-mail address, and each page of an Osh object is a 404 for a Bishkek coordinator.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from birge_shared.models import (
    EventStatus,
    InvitationStatus,
    Role,
)
from tests.factories import (
    inbound_sms,
    invitation_sms,
    make_event,
    make_invitation,
    make_participant,
    unique_phone,
)
from tests.integration.console.conftest import SignedIn
from tests.integration.console.crawl import Visited, crawl, object_pages

CITIES = ("bishkek", "osh")
STATUSES = (
    InvitationStatus.SENT,
    InvitationStatus.ACCEPTED,
    InvitationStatus.WAITLISTED,
    InvitationStatus.ATTENDED,
    InvitationStatus.DECLINED,
)


@dataclass
class Secrets:
    """The personal data of the people made for a test, per city, in the forms a page shows."""

    by_city: dict[str, list[str]] = field(default_factory=dict)

    def of(self, *cities: str) -> list[str]:
        return [secret for city in cities for secret in self.by_city.get(city, [])]


def _people_and_events(db: Session) -> Secrets:
    """In each city: an upcoming and a past event, five people invited to both in every
    status, an outbound SMS and an inbound reply the inbox keeps."""
    known = Secrets()
    for city in CITIES:
        upcoming = make_event(db, city=city)
        past = make_event(db, city=city, starts_in=-timedelta(days=3))
        past.status = EventStatus.COMPLETED
        known.by_city[city] = []
        for status in STATUSES:
            # Made-up words no page has any other reason to contain.
            given, family = (f"Zq{secrets.token_hex(4)}", f"Xw{secrets.token_hex(4)}")
            phone = unique_phone()
            email = f"p{secrets.token_hex(4)}@example.org"
            person = make_participant(
                db, city=city, phone=phone, email=email, name=f"{given} {family}"
            )
            invitation = make_invitation(db, event=upcoming, participant=person, status=status)
            make_invitation(db, event=past, participant=person, status=InvitationStatus.ATTENDED)
            db.add(invitation_sms(invitation, text=f"{given}, you are invited"))
            db.add(inbound_sms(person.id, text=f"{family} here, what time?"))
            # The phone as stored, and without its country code as a form might echo it.
            known.by_city[city] += [given, family, email, phone, phone.removeprefix("+996")]
    db.commit()
    return known


def _leaks(pages: list[Visited], secrets_: list[str]) -> list[str]:
    # The URL and which kind of secret only: the secret itself stays out of the report.
    return [
        page.url
        for page in pages
        if any(secret in page.text or secret in page.url for secret in secrets_)
    ]


@pytest.fixture
def known(db: Session) -> Secrets:
    return _people_and_events(db)


def test_a_viewer_sees_no_name_phone_or_email_on_any_console_page(
    signed_in: SignedIn, known: Secrets
) -> None:
    viewer = signed_in(Role.VIEWER, CITIES)
    admin = signed_in(Role.ADMIN, ())

    from_dashboard = crawl(viewer.get)
    # Every page an administrator reaches, opened by the viewer too: links the viewer is never
    # shown must not show participant data when typed in.
    everything = crawl(admin.get)
    typed_in = [
        Visited(page.url, response.status_code, response.text)
        for page in everything
        for response in [viewer.get(page.url)]
    ]

    assert len(from_dashboard) > 1, "the viewer's dashboard links nowhere"
    failing = [page.url for page in everything + from_dashboard + typed_in if page.status >= 500]
    assert not failing, f"server errors on {failing}"
    # Assertions name the pages only: the secrets themselves stay out of the test's output.
    leaked = _leaks(from_dashboard, known.of(*CITIES)) + _leaks(typed_in, known.of(*CITIES))
    assert not leaked, f"participant data on the viewer's pages {leaked}"
    # The same data is there to be seen: an administrator's walk finds it.
    shown = bool(_leaks(everything, known.of(*CITIES)))
    assert shown, "no page shows any participant's data"


def test_every_page_of_an_osh_object_is_a_404_for_a_bishkek_coordinator(
    signed_in: SignedIn, known: Secrets
) -> None:
    osh = signed_in(Role.COORDINATOR, ("osh",))
    bishkek = signed_in(Role.COORDINATOR, ("bishkek",))

    walked = crawl(osh.get)
    failing = [page.url for page in walked if page.status >= 500]
    assert not failing, f"server errors on {failing}"
    osh_objects = object_pages([page.url for page in walked if page.status == 200])

    assert osh_objects, "no page of an Osh object is linked from the Osh coordinator's console"
    answers = {url: bishkek.get(url) for url in osh_objects}
    assert {url: r.status_code for url, r in answers.items() if r.status_code != 404} == {}
    assert (
        _leaks([Visited(u, r.status_code, r.text) for u, r in answers.items()], known.of("osh"))
        == []
    )
