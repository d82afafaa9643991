"""The dashboard and the events pages: list, calendar, create, edit, duplicate, cancel."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from birge_shared.models import (
    ActivityType,
    Community,
    Event,
    EventStatus,
    InvitationStatus,
    Role,
    utcnow,
)
from tests.factories import make_event, make_invitation, make_participant
from tests.integration.console.conftest import ConsoleClient, SignedIn
from tests.integration.dashboard_scenario import build

ZONE = ZoneInfo("Asia/Bishkek")
NAME = "Aida Osmonova"


def _local(moment: datetime) -> str:
    return moment.astimezone(ZONE).strftime("%Y-%m-%dT%H:%M")


def _form(**changes: str) -> dict[str, str]:
    day = (utcnow() + timedelta(days=10)).astimezone(ZONE).date()
    values = {
        "city": "osh",
        "title_ky": "Бирге тамак жасайбыз",
        "title_ru": "Готовим вместе",
        "title_en": "Cooking together",
        "description_ky": "",
        "description_ru": "Плов на всех",
        "description_en": "",
        "activity_type": "cooking",
        "venue_name": "Community kitchen",
        "venue_address": "Kurmanjan Datka st. 5",
        "venue_latitude": "",
        "venue_longitude": "",
        "starts_at": f"{day}T18:00",
        "ends_at": f"{day}T20:30",
        "answer_by": "",
        "capacity": "16",
        "min_share": "40",
        "visibility": "private",
    }
    values.update(changes)
    return values


def _in_english(client: ConsoleClient) -> ConsoleClient:
    client.post("/console/language", data={"language": "en", "csrf": client.csrf})
    return client


def _events(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Event)) or 0


# --- Dashboard -------------------------------------------------------------------------


def test_the_dashboard_shows_counts_mix_and_to_do_links_for_my_city(
    signed_in: SignedIn, db: Session
) -> None:
    scenario = build(db)
    db.commit()
    client = _in_english(signed_in(Role.COORDINATOR, ("osh",)))
    page = client.get("/console")
    assert page.status_code == 200
    html = page.text
    assert "Cooking plov" in html
    assert "Football" in html
    assert "Bishkek walk" not in html
    assert f'href="/console/events/{scenario.near.id}"' in html
    assert "1 message was not delivered" in html
    assert "1 batch awaits budget approval" in html
    assert "Few confirmations: 2 of 10 seats" in html
    assert "The confirmed mix is outside the band" in html
    assert "People invited now get only a short time to answer" in html
    assert 'href="/console/inbox"' in html
    # Approval is an administrator's: a coordinator follows the batch on the event's page.
    assert "/console/admin/budget" not in html
    assert re.search(r"<svg class=\"mix\"[^>]*aria-label=\"Confirmed: 2 hosts, 0 migrants", html)
    assert NAME not in html


def test_an_event_nobody_confirmed_is_neither_inside_nor_outside_the_band(
    signed_in: SignedIn, db: Session
) -> None:
    event = make_event(db, city="osh", title={"en": "Empty room"})
    db.commit()
    client = _in_english(signed_in(Role.COORDINATOR, ("osh",)))

    dashboard = client.get("/console").text
    card = dashboard[dashboard.index("Empty room") :]
    card = card[: card.index("</li>")]
    counts = client.get(f"/console/events/{event.id}/counts", headers={"HX-Request": "true"}).text

    assert "No mix yet" in card
    assert "In the band" not in card
    assert "Nobody who declared a community has confirmed yet." in counts
    assert "Inside the band" not in counts
    assert "Outside the band" not in counts


def test_an_administrator_is_sent_to_the_budget_approvals(signed_in: SignedIn, db: Session) -> None:
    build(db)
    db.commit()
    html = _in_english(signed_in(Role.ADMIN, ())).get("/console").text
    assert 'href="/console/admin/budget"' in html
    assert "Bishkek walk" in html


def test_a_viewer_sees_the_figures_without_the_inbox_or_participants(
    signed_in: SignedIn, db: Session
) -> None:
    build(db)
    db.commit()
    client = _in_english(signed_in(Role.VIEWER, ("osh", "bishkek")))
    html = client.get("/console").text
    assert "Cooking plov" in html
    assert "/console/inbox" not in html
    assert NAME not in html
    assert "+996" not in html


def test_the_dashboard_reads_in_kyrgyz(signed_in: SignedIn, db: Session) -> None:
    build(db)
    db.commit()
    client = _in_english(signed_in(Role.COORDINATOR, ("osh",)))
    client.post("/console/language", data={"language": "ky", "csrf": client.csrf})
    html = client.get("/console").text
    assert 'lang="ky"' in html
    assert "Палоо бышырабыз" in html
    assert "Алдыдагы иш-чаралар" in html


# --- The list and the calendar ---------------------------------------------------------


def test_the_list_filters_by_city_status_activity_and_dates(
    signed_in: SignedIn, db: Session
) -> None:
    osh = make_event(db, title={"en": "Osh football"})
    make_event(db, city="bishkek", title={"en": "Bishkek football"})
    cooking = make_event(db, starts_in=timedelta(days=20), title={"en": "Osh cooking"})
    cooking.activity_type = ActivityType.COOKING
    cancelled = make_event(db, starts_in=timedelta(days=3), title={"en": "Called off"})
    cancelled.status = EventStatus.CANCELLED
    make_event(db, starts_in=timedelta(days=-3), title={"en": "Last week"})
    db.commit()
    client = _in_english(signed_in(Role.ADMIN, ()))

    first = client.get("/console/events").text
    assert "Osh football" in first
    assert "Bishkek football" in first
    assert "Last week" not in first  # a first visit starts today
    assert 'name="from" type="date" value="' in first

    everything = client.get("/console/events?from=").text
    assert "Last week" in everything

    only_osh = client.get("/console/events?city=osh&from=").text
    assert "Bishkek football" not in only_osh
    assert "Osh football" in only_osh

    cooking_only = client.get("/console/events?activity=cooking&from=").text
    assert "Osh cooking" in cooking_only
    assert "Osh football" not in cooking_only

    called_off = client.get("/console/events?status=cancelled&from=").text
    assert "Called off" in called_off
    assert "Osh football" not in called_off

    start = osh.starts_at.astimezone(ZONE).date()
    one_day = client.get(f"/console/events?from={start}&to={start}").text
    assert "Osh football" in one_day
    assert "Osh cooking" not in one_day


def test_bad_filters_are_a_clear_422(signed_in: SignedIn) -> None:
    client = _in_english(signed_in(Role.COORDINATOR, ("osh",)))
    for query in ("status=postponed", "from=yesterday", "activity=chess"):
        answer = client.get(f"/console/events?{query}")
        assert answer.status_code == 422, query
        assert "<h1>" in answer.text


def test_htmx_gets_the_results_alone_and_pages_follow_the_cursor(
    signed_in: SignedIn, db: Session
) -> None:
    for number in range(27):
        make_event(
            db, starts_in=timedelta(days=2, hours=number), title={"en": f"Match {number:02d}"}
        )
    db.commit()
    client = _in_english(signed_in(Role.COORDINATOR, ("osh",)))
    fragment = client.get(
        "/console/events", headers={"HX-Request": "true", "HX-Target": "event-results"}
    )
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert "Match 00" in fragment.text
    assert "Match 25" not in fragment.text
    found = re.search(r'href="/console/events\?([^"]*cursor=[^"]+)"', fragment.text)
    assert found
    following = client.get("/console/events?" + found.group(1).replace("&amp;", "&")).text
    assert "Match 25" in following
    assert "Match 26" in following
    assert "Match 00" not in following
    assert "First page" in following


def test_the_month_calendar_starts_on_monday_in_each_language(
    signed_in: SignedIn, db: Session
) -> None:
    event = make_event(db, starts_in=timedelta(days=40), title={"en": "Harvest day"})
    db.commit()
    month = event.starts_at.astimezone(ZONE).strftime("%Y-%m")
    client = _in_english(signed_in(Role.VIEWER, ("osh",)))
    page = client.get(f"/console/events/calendar?month={month}")
    assert page.status_code == 200
    assert "Harvest day" in page.text
    headers = re.findall(r'<th scope="col"><abbr title="([^"]+)">', page.text)
    assert headers[0] in {"Monday", "понедельник", "Понедельник", "дүйшөмбү", "Дүйшөмбү"}
    assert len(headers) == 7
    for language, monday in (("ky", "дүйшөмбү"), ("en", "Monday")):
        client.post("/console/language", data={"language": language, "csrf": client.csrf})
        text = client.get(f"/console/events/calendar?month={month}").text
        heads = re.findall(r'<th scope="col"><abbr title="([^"]+)">', text)
        assert heads[0].lower() == monday.lower()
    assert client.get("/console/events/calendar?month=2026-13").status_code == 422


def test_december_is_named_in_kyrgyz(signed_in: SignedIn) -> None:
    client = _in_english(signed_in(Role.COORDINATOR, ("osh",)))
    client.post("/console/language", data={"language": "ky", "csrf": client.csrf})
    text = client.get("/console/events/calendar?month=2026-12").text
    assert "2026" in text
    assert re.search(r"<h2 id=\"month-heading\">[^<]*[Дд]екабрь 2026</h2>", text)


# --- Create ----------------------------------------------------------------------------


def test_creating_an_event_takes_local_times_and_redirects_to_its_page(
    signed_in: SignedIn, db: Session
) -> None:
    client = _in_english(signed_in(Role.COORDINATOR, ("osh",)))
    form = client.get("/console/events/new")
    assert form.status_code == 200
    assert 'name="title_ky"' in form.text
    values = _form(answer_by=_form()["starts_at"].replace("T18:00", "T09:00"))
    answer = client.post("/console/events", data={**values, "csrf": client.csrf})
    assert answer.status_code == 303, answer.text
    event = db.scalars(select(Event).where(Event.venue_name == "Community kitchen")).one()
    assert answer.headers["location"] == f"/console/events/{event.id}"
    assert event.title == {
        "ky": "Бирге тамак жасайбыз",
        "ru": "Готовим вместе",
        "en": "Cooking together",
    }
    assert event.description == {"ru": "Плов на всех"}
    assert _local(event.starts_at) == values["starts_at"]
    assert event.starts_at.astimezone(UTC).hour == 12  # 18:00 in Osh is 12:00 UTC
    assert event.answer_by is not None
    assert _local(event.answer_by) == values["answer_by"]
    assert event.min_share == pytest.approx(0.4)
    assert event.capacity == 16


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"ends_at": _form()["starts_at"].replace("T18:00", "T17:00")},
            "ends_at",
            "The end must be after the start.",
        ),
        ({"title_ky": "", "title_ru": "", "title_en": ""}, "title", "Required."),
        ({"capacity": "many"}, "capacity", "Enter a whole number."),
        ({"capacity": "0"}, "capacity", "Must be at least 0."),
        ({"min_share": "70"}, "min_share", "Must be at most 0.5."),
        (
            {"starts_at": "2020-01-01T10:00", "ends_at": "2020-01-01T12:00"},
            "starts_at",
            "The event must start in the future.",
        ),
        ({"venue_name": ""}, "venue_name", "Required."),
        ({"starts_at": "soon"}, "starts_at", "Enter a date and time."),
    ],
)
def test_bad_input_is_shown_next_to_its_field_and_nothing_is_saved(
    signed_in: SignedIn, db: Session, changes: dict[str, str], field: str, message: str
) -> None:
    client = _in_english(signed_in(Role.COORDINATOR, ("osh",)))
    before = _events(db)
    answer = client.post("/console/events", data={**_form(**changes), "csrf": client.csrf})
    assert answer.status_code == 422, answer.text
    assert f'id="f-{field}-note">{message}</p>' in answer.text
    assert "Nothing was saved" in answer.text
    assert _events(db) == before


def test_another_citys_event_cannot_be_created(signed_in: SignedIn, db: Session) -> None:
    client = _in_english(signed_in(Role.COORDINATOR, ("bishkek",)))
    before = _events(db)
    answer = client.post("/console/events", data={**_form(city="osh"), "csrf": client.csrf})
    assert answer.status_code == 403
    assert 'id="f-city-note">This is not one of your cities.</p>' in answer.text
    assert _events(db) == before


def test_a_form_without_the_csrf_token_changes_nothing(signed_in: SignedIn, db: Session) -> None:
    client = _in_english(signed_in(Role.COORDINATOR, ("osh",)))
    event = make_event(db)
    db.commit()
    before = _events(db)
    assert client.post("/console/events", data=_form()).status_code == 403
    assert client.post("/console/events", data={**_form(), "csrf": "forged"}).status_code == 403
    edit = _form(title_en="Changed")
    assert client.post(f"/console/events/{event.id}/edit", data=edit).status_code == 403
    cancel = client.post(f"/console/events/{event.id}/cancel", data={"reason": "x"})
    assert cancel.status_code == 403
    db.refresh(event)
    assert event.status is EventStatus.SCHEDULED
    assert event.title["en"] == "Football together"
    assert _events(db) == before


# --- Edit, duplicate, cancel -----------------------------------------------------------


def test_editing_changes_what_was_changed_and_redirects(signed_in: SignedIn, db: Session) -> None:
    event = make_event(db)
    db.commit()
    client = _in_english(signed_in(Role.COORDINATOR, ("osh",)))
    form = client.get(f"/console/events/{event.id}/edit")
    assert form.status_code == 200
    assert f'value="{_local(event.starts_at)}"' in form.text
    values = dict(
        re.findall(r'<input id="f-[^"]+" name="([^"]+)" type="[^"]+" value="([^"]*)"', form.text)
    )
    values.update(title_en="Football in the park", capacity="12", visibility="public")
    values["activity_type"] = "sport"
    answer = client.post(f"/console/events/{event.id}/edit", data={**values, "csrf": client.csrf})
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"].startswith(f"/console/events/{event.id}?done=")
    assert "The event is saved." in client.get(answer.headers["location"]).text
    db.refresh(event)
    assert event.title["en"] == "Football in the park"
    assert event.title["ru"] == "Футбол вместе"
    assert event.capacity == 12
    assert event.visibility.value == "public"


def test_moving_an_event_says_the_invited_people_will_be_told(
    signed_in: SignedIn, db: Session
) -> None:
    event = make_event(db)
    make_invitation(db, event=event, participant=make_participant(db))
    db.commit()
    client = _in_english(signed_in(Role.COORDINATOR, ("osh",)))
    form = client.get(f"/console/events/{event.id}/edit")
    values = dict(
        re.findall(r'<input id="f-[^"]+" name="([^"]+)" type="[^"]+" value="([^"]*)"', form.text)
    )
    values.update(activity_type="sport", visibility="private", venue_name="Another stadium")

    answer = client.post(f"/console/events/{event.id}/edit", data={**values, "csrf": client.csrf})

    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == f"/console/events/{event.id}?done=changed"
    page = client.get(answer.headers["location"]).text
    assert "Everyone invited hears of the change in one message" in page


def test_editing_with_bad_input_shows_the_errors_and_keeps_the_event(
    signed_in: SignedIn, db: Session
) -> None:
    event = make_event(db, capacity=4)
    for community in (Community.HOST, Community.HOST, Community.MIGRANT):
        person = make_participant(db, community=community)
        make_invitation(db, event=event, participant=person, status=InvitationStatus.ACCEPTED)
    db.commit()
    client = _in_english(signed_in(Role.COORDINATOR, ("osh",)))
    url = f"/console/events/{event.id}/edit"
    values = _form(
        starts_at=_local(event.starts_at),
        ends_at=_local(event.starts_at - timedelta(hours=1)),
        capacity="4",
    )
    answer = client.post(url, data={**values, "csrf": client.csrf})
    assert answer.status_code == 422
    assert 'id="f-ends_at-note">The end must be after the start.</p>' in answer.text

    below = _form(starts_at=_local(event.starts_at), ends_at=_local(event.ends_at), capacity="1")
    refused = client.post(url, data={**below, "csrf": client.csrf})
    assert refused.status_code == 409
    assert "The capacity is below the seats already held" in refused.text
    db.refresh(event)
    assert event.capacity == 4
    assert event.title["en"] == "Football together"


def test_duplicating_fills_a_new_form_a_week_on_when_the_event_is_past(
    signed_in: SignedIn, db: Session
) -> None:
    past = make_event(db, starts_in=timedelta(days=-2), title={"en": "Chess club"})
    db.commit()
    client = _in_english(signed_in(Role.COORDINATOR, ("osh",)))
    page = client.get(f"/console/events/{past.id}/duplicate")
    assert page.status_code == 200
    assert 'action="/console/events"' in page.text
    assert 'value="Chess club"' in page.text
    assert f'value="{_local(past.starts_at + timedelta(weeks=1))}"' in page.text


def test_cancelling_asks_for_a_reason_and_tells_the_event(signed_in: SignedIn, db: Session) -> None:
    event = make_event(db)
    db.commit()
    client = _in_english(signed_in(Role.COORDINATOR, ("osh",)))
    url = f"/console/events/{event.id}/cancel"
    assert "Reason (optional)" in client.get(url).text
    too_long = client.post(url, data={"reason": "x" * 201, "csrf": client.csrf})
    assert too_long.status_code == 422
    assert "At most 200 characters." in too_long.text
    db.refresh(event)
    assert event.status is EventStatus.SCHEDULED
    done = client.post(url, data={"reason": "The hall is closed", "csrf": client.csrf})
    assert done.status_code == 303
    assert done.headers["location"] == f"/console/events/{event.id}"
    db.expire_all()
    cancelled = db.get(Event, event.id)
    assert cancelled is not None
    assert cancelled.status is EventStatus.CANCELLED
    assert cancelled.cancel_reason == "The hall is closed"
    assert "already cancelled" in client.get(url).text


def test_a_bishkek_coordinator_gets_404_for_osh_events(signed_in: SignedIn, db: Session) -> None:
    event = make_event(db, city="osh")
    db.commit()
    client = _in_english(signed_in(Role.COORDINATOR, ("bishkek",)))
    for path in ("edit", "cancel", "duplicate"):
        assert client.get(f"/console/events/{event.id}/{path}").status_code == 404, path
    edit = client.post(
        f"/console/events/{event.id}/edit", data={**_form(title_en="Mine"), "csrf": client.csrf}
    )
    assert edit.status_code == 404
    cancel = client.post(f"/console/events/{event.id}/cancel", data={"csrf": client.csrf})
    assert cancel.status_code == 404
    assert "Football together" not in client.get("/console/events?from=").text
    db.refresh(event)
    assert event.status is EventStatus.SCHEDULED
    assert event.title["en"] == "Football together"


def test_a_viewer_lists_events_without_write_buttons_and_cannot_write(
    signed_in: SignedIn, db: Session
) -> None:
    event = make_event(db)
    db.commit()
    client = _in_english(signed_in(Role.VIEWER, ("osh",)))
    listing = client.get("/console/events").text
    assert "Football together" in listing
    assert "/edit" not in listing
    assert "/cancel" not in listing
    assert "/console/events/new" not in listing
    for path in (
        "/console/events/new",
        f"/console/events/{event.id}/edit",
        f"/console/events/{event.id}/cancel",
    ):
        assert client.get(path).status_code == 403, path
    before = _events(db)
    assert client.post("/console/events", data={**_form(), "csrf": client.csrf}).status_code == 403
    cancel = client.post(f"/console/events/{event.id}/cancel", data={"csrf": client.csrf})
    assert cancel.status_code == 403
    db.refresh(event)
    assert event.status is EventStatus.SCHEDULED
    assert _events(db) == before


def test_the_event_form_limits_its_fields_in_the_browser(signed_in: SignedIn) -> None:
    page = signed_in(Role.COORDINATOR, ("osh",)).get("/console/events/new").text
    assert 'maxlength="200"' in page
    assert 'min="1" max="10000"' in page
    assert '""' not in re.sub(r'value=""', "", page)
