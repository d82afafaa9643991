"""The coordinator's journey through the console, one function per step.

Each step drives the pages as a coordinator would (labels, buttons, links), waits on what the
page or the database shows rather than on time, and records what later steps need in the
`Journey`. The same steps run at a laptop's and a phone's width, and with JavaScript off.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_shared.crypto import get_cipher
from birge_shared.models import (
    City,
    Community,
    Event,
    EventStatus,
    Invitation,
    InvitationBatch,
    InvitationStatus,
    Participant,
    User,
)
from tests.e2e.birge_stack import BirgeStack
from tests.e2e.console_helpers import double_click_lands, sign_in
from tests.factories import unique_phone
from tests.waiting import wait_until

EVENT_URL = re.compile(r"/console/events/([0-9a-f-]{36})$")
#: Six seats for eight people: the wizard has a balance to strike and a waitlist to keep.
CAPACITY = 6
#: Long enough for the slowest step on a busy machine; every wait stops as soon as it holds.
STEP_MS = 60_000


def unique_word() -> str:
    """Six letters from g to v: never part of a hex id in a log line, so a name made of it
    is found in a log only if the name itself was logged."""
    return "".join(chr(ord("g") + int(digit, 16)) for digit in uuid.uuid4().hex[:6])


@dataclass(frozen=True)
class Person:
    """One row of the spreadsheet the coordinator imports."""

    name: str
    phone: str  # E.164
    community: Community
    language: str = "en"

    @property
    def local_phone(self) -> str:
        """The number as an Osh office would type it into a spreadsheet."""
        national = self.phone.removeprefix("+996")
        return f"0{national[:3]} {national[3:6]} {national[6:]}"


@dataclass
class Journey:
    stack: BirgeStack
    page: Page
    coordinator: User
    javascript: bool
    # A word no other run uses, so each run finds its own people and events.
    mark: str = field(default_factory=unique_word)
    people: list[Person] = field(default_factory=list)
    walk_ins: list[Person] = field(default_factory=list)
    event_id: uuid.UUID | None = None
    other_event_id: uuid.UUID | None = None

    def personal_texts(self) -> tuple[str, ...]:
        """Every name and number this run typed or imported, in the forms it used."""
        people = self.people + self.walk_ins
        return tuple(
            text
            for person in people
            for text in (person.name, person.name.split()[-1], person.phone, person.local_phone)
        )

    @property
    def base(self) -> str:
        return self.stack.base_url

    def event_url(self, suffix: str = "") -> str:
        assert self.event_id is not None, "the event is created first"
        return f"{self.base}/console/events/{self.event_id}{suffix}"


def people_for(mark: str, count: int = 8) -> list[Person]:
    """Hosts and migrants in turn, with names no other run uses."""
    communities = (Community.HOST, Community.MIGRANT)
    return [
        Person(name=f"Aibek {mark}{index}", phone=unique_phone(), community=communities[index % 2])
        for index in range(count)
    ]


def spreadsheet(people: list[Person], folder: Path) -> Path:
    """An XLSX as an Osh office keeps its list: Russian headers, local numbers, consent dates."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(
        [
            "ФИО",
            "Телефон",
            "Язык",
            "Город",
            "Сообщество",
            "Способ согласия",
            "Версия текста согласия",
            "Дата согласия",
        ]
    )
    consented = datetime(2026, 11, 20, 10, 0)  # noqa: DTZ001 - a spreadsheet's local time
    for person in people:
        sheet.append(
            [
                person.name,
                person.local_phone,
                person.language,
                "osh",
                person.community.value,
                "paper_form",
                "2026-01",
                consented,
            ]
        )
    path = folder / "participants.xlsx"
    buffer = io.BytesIO()
    workbook.save(buffer)
    path.write_bytes(buffer.getvalue())
    return path


def city_zone(stack: BirgeStack, code: str) -> ZoneInfo:
    with Session(stack.engine) as session:
        timezone = session.scalar(select(City.timezone).where(City.code == code))
    assert timezone is not None
    return ZoneInfo(timezone)


def event_status(stack: BirgeStack, event_id: uuid.UUID) -> EventStatus | None:
    with Session(stack.engine) as session:
        return session.scalar(select(Event.status).where(Event.id == event_id))


def participant_ids(stack: BirgeStack, people: list[Person]) -> dict[str, uuid.UUID]:
    """The imported people's ids by phone, found as Birge finds them: by the keyed hash."""
    cipher = get_cipher()
    hashes = {cipher.lookup_hash("phone", person.phone): person.phone for person in people}
    with Session(stack.engine) as session:
        rows = session.execute(
            select(Participant.phone_hash, Participant.id).where(
                Participant.phone_hash.in_(list(hashes)), Participant.city_code == "osh"
            )
        ).all()
    return {hashes[phone_hash]: participant_id for phone_hash, participant_id in rows if phone_hash}


def invited_people(journey: Journey) -> list[Person]:
    """The journey's people with an invitation (not a waitlist place) to its event."""
    ids = participant_ids(journey.stack, journey.people)
    with Session(journey.stack.engine) as session:
        invited = set(
            session.scalars(
                select(Invitation.participant_id).where(
                    Invitation.event_id == journey.event_id,
                    Invitation.status != InvitationStatus.WAITLISTED,
                )
            )
        )
    return [person for person in journey.people if ids.get(person.phone) in invited]


def attended(stack: BirgeStack, event_id: uuid.UUID | None) -> int:
    with Session(stack.engine) as session:
        return len(
            session.scalars(
                select(Invitation.id).where(
                    Invitation.event_id == event_id, Invitation.status == InvitationStatus.ATTENDED
                )
            ).all()
        )


def batches_of(stack: BirgeStack, event_id: uuid.UUID | None) -> int:
    with Session(stack.engine) as session:
        return len(
            session.scalars(
                select(InvitationBatch.id).where(InvitationBatch.event_id == event_id)
            ).all()
        )


def confirmed_total(page: Page) -> Locator:
    return page.locator("#event-counts .counts-total")


def wait_for_counts(journey: Journey, text: str) -> None:
    """The event page's counts show `text`: by htmx's polling, or by reloading without JS."""
    page = journey.page
    if journey.javascript:
        expect(confirmed_total(page)).to_contain_text(text, timeout=STEP_MS)
        return

    def shown() -> bool:
        page.reload()
        return text in confirmed_total(page).inner_text()

    wait_until(shown, what=f"the event page showing {text!r}")


# The steps, in the order of the journey.


def step_sign_in(journey: Journey) -> None:
    sign_in(journey.page, journey.base, journey.coordinator)
    expect(journey.page.locator("h1")).to_have_text("Dashboard", timeout=STEP_MS)


def step_create_event(journey: Journey, *, title: str, starts_in: timedelta) -> uuid.UUID:
    """A new event in Osh, its times typed in Osh's local time; the id of the event."""
    page = journey.page
    page.goto(f"{journey.base}/console/events/new")
    page.get_by_label("City", exact=True).select_option("osh")
    page.get_by_label("Title (English)", exact=True).fill(title)
    page.get_by_label("Activity", exact=True).select_option(index=1)
    page.get_by_label("Name of the place", exact=True).fill("Osh State University, hall 2")
    page.get_by_label("Address", exact=True).fill("Lenin st. 331")
    # To the next whole minute: a datetime-local field holds no seconds.
    starts = (datetime.now(city_zone(journey.stack, "osh")) + starts_in).replace(
        second=0, microsecond=0
    ) + timedelta(minutes=1)
    page.get_by_label("Starts", exact=True).fill(starts.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Ends", exact=True).fill(
        (starts + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    )
    page.get_by_label("Capacity", exact=True).fill(str(CAPACITY))
    page.get_by_label("Each community at least (%)", exact=True).fill("30")
    page.locator("input[name=visibility]").first.check()
    page.get_by_role("button", name="Save the event").click()
    page.wait_for_url(EVENT_URL, timeout=STEP_MS)
    found = EVENT_URL.search(page.url)
    assert found is not None
    event_id = uuid.UUID(found.group(1))
    assert event_status(journey.stack, event_id) is EventStatus.SCHEDULED
    return event_id


def step_cancel_event(journey: Journey, event_id: uuid.UUID, *, reason: str) -> None:
    page = journey.page
    page.goto(f"{journey.base}/console/events/{event_id}/cancel")
    page.get_by_label("Reason (optional)", exact=True).fill(reason)
    page.get_by_role("button", name="Cancel the event").click()
    page.wait_for_url(f"{journey.base}/console/events/{event_id}", timeout=STEP_MS)
    assert event_status(journey.stack, event_id) is EventStatus.CANCELLED


def step_import_spreadsheet(journey: Journey, folder: Path) -> None:
    """The office's XLSX uploaded, its columns recognised, checked, then imported."""
    journey.people = people_for(journey.mark)
    page = journey.page
    page.goto(f"{journey.base}/console/participants/import")
    page.get_by_label("A CSV or Excel (.xlsx) file", exact=True).set_input_files(
        spreadsheet(journey.people, folder)
    )
    page.get_by_role("button", name="Upload and map columns").click()
    # Russian headers: each column is recognised, so the mapping is accepted as proposed.
    page.get_by_role("button", name="Check the file").click()
    page.get_by_role("button", name=f"Import {len(journey.people)} rows").click()
    page.wait_for_url(re.compile(rf"[?&]accepted={len(journey.people)}(&|$)"), timeout=STEP_MS)
    assert len(participant_ids(journey.stack, journey.people)) == len(journey.people)


def step_invite_with_wizard(journey: Journey) -> list[Person]:
    """The whole city as the pool, the balanced proposal sent as it stands; who got an SMS."""
    page = journey.page
    page.goto(journey.event_url())
    page.get_by_role("link", name="Invite more people").click()
    page.get_by_label("People of the city who match these criteria", exact=True).check()
    page.get_by_role("button", name="See the proposal").click()
    expect(page.get_by_role("heading", name="The invitation SMS")).to_be_visible(timeout=STEP_MS)
    landing = re.compile(r"/console/events/[0-9a-f-]{36}\?batch=")
    if journey.javascript:
        # A double click sends one batch: the form carries one Idempotency-Key.
        double_click_lands(page, "role=button[name='Send invitations']", landing, ms=STEP_MS)
    else:
        page.get_by_role("button", name="Send invitations").click()
        page.wait_for_url(landing, timeout=STEP_MS)
    invited = invited_people(journey)
    assert invited, "the proposal invited nobody"
    assert batches_of(journey.stack, journey.event_id) == 1
    journey.stack.wait_for_sms(
        [person.phone for person in invited], what="the invitations in the simulator's outbox"
    )
    return invited


def step_answers_change_the_counts(journey: Journey, invited: list[Person]) -> list[Person]:
    """One person answers YES by SMS, another accepts on their personal page; the event page's
    counts follow (polled with JavaScript, reloaded without). The two who are coming."""
    by_sms, on_page = invited[0], invited[1]
    page = journey.page
    page.goto(journey.event_url())
    expect(confirmed_total(page)).to_contain_text("0 confirmed", timeout=STEP_MS)

    journey.stack.reply(by_sms.phone, "YES")
    wait_for_counts(journey, "1 confirmed")

    [sms] = journey.stack.sms_to(on_page.phone)[:1]
    personal = journey.page.context.new_page()
    try:
        personal.goto(journey.stack.personal_link(sms))
        personal.get_by_role("button", name="I'll come").click()
        personal.wait_for_url(re.compile(r"[?&]done=accepted"), timeout=STEP_MS)
    finally:
        personal.close()
    wait_for_counts(journey, "2 confirmed")
    return [by_sms, on_page]


def step_door(journey: Journey, coming: list[Person]) -> None:
    """The two who said yes found by name and checked in with a tap; a walk-in registered."""
    page = journey.page
    page.goto(journey.event_url("/door"))
    inside = page.locator("#door-counts-h")
    expect(inside).to_contain_text("Inside now: 0", timeout=STEP_MS)
    for count, person in enumerate(coming, start=1):
        search = page.locator("#door-q")
        # The last name, different for each of the two, so each search is a new one.
        typed = person.name.split()[-1]
        if journey.javascript:
            # Typing searches by itself; the tap waits for the list it searched, or a late
            # answer to the search could redraw the row as it was before the tap.
            with page.expect_response(lambda response: response.url.endswith("/door/search")):
                search.fill(typed)
        else:
            search.fill(typed)
            page.get_by_role("button", name="Search", exact=True).click()
        page.get_by_role("button", name=f"Check in {person.name}", exact=True).click()
        expect(page.get_by_role("button", name=f"Undo {person.name}", exact=True)).to_be_visible(
            timeout=STEP_MS
        )
        expect(inside).to_contain_text(f"Inside now: {count}", timeout=STEP_MS)

    walk_in = Person(name=f"Gulzat {journey.mark}w", phone=unique_phone(), community=Community.HOST)
    journey.walk_ins.append(walk_in)
    page.get_by_text("New person", exact=True).click()
    page.locator("#walk-name").fill(walk_in.name)
    page.locator("#walk-phone").fill(walk_in.local_phone)
    page.locator("#walk-language").select_option("ky")
    page.locator("#walk-community").select_option("host")
    page.locator("#walk-consent").select_option(index=0)
    page.locator("#walk-version").fill("2026-01")
    page.get_by_role("button", name="Register and let in").click()
    page.wait_for_url(re.compile(r"/door\?saved=walk-in"), timeout=STEP_MS)
    expect(inside).to_contain_text(f"Inside now: {len(coming) + 1}", timeout=STEP_MS)
    assert attended(journey.stack, journey.event_id) == len(coming) + 1


def step_read_the_report(journey: Journey, title: str) -> None:
    page = journey.page
    page.goto(f"{journey.base}/console/reports/events/{journey.event_id}")
    expect(page.locator("h1")).to_contain_text(title, timeout=STEP_MS)
    # The funnel, the mix, the ratings and the attitude: server-drawn SVG, there without JS.
    expect(page.locator("main figure svg")).to_have_count(4, timeout=STEP_MS)


def step_export_csv(journey: Journey, *, cancelled: uuid.UUID) -> None:
    """The report's CSV for Osh: a row for the event with the three let in at the door, and
    none for the cancelled one (the reports leave cancelled events out)."""
    page = journey.page
    page.goto(f"{journey.base}/console/reports?city=osh")
    with page.expect_download(timeout=STEP_MS) as download:
        page.get_by_role("link", name="Export CSV").click()
    path = download.value.path()
    assert path is not None
    with Path(path).open(encoding="utf-8-sig", newline="") as exported:
        rows = {row["event_id"]: row for row in csv.DictReader(exported)}
    assert str(cancelled) not in rows
    row = rows[str(journey.event_id)]
    assert row["city"] == "osh"
    assert row["attended"] == "3"


def step_sign_out(journey: Journey) -> None:
    page = journey.page
    page.locator("form[action='/console/sign-out'] button").click()
    page.wait_for_url(f"{journey.base}/console/sign-in", timeout=STEP_MS)
    page.goto(f"{journey.base}/console")
    assert "/console/sign-in" in page.url
