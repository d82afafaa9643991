"""The report pages: summary with filters, one event's report, charts, exports, suppression."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_shared.models import ActivityType, AuditEntry, EventStatus, Role
from tests.factories import make_event
from tests.integration.console.conftest import ConsoleClient, SignedIn
from tests.integration.console.report_data import EMAIL, NAME, reported_event


def _english(client: ConsoleClient) -> ConsoleClient:
    # Figures below are checked as English formats them (4.5, 50%).
    client.headers["Accept-Language"] = "en"
    return client


def _no_personal_data(html: str, phones: list[str]) -> None:
    assert NAME not in html
    assert EMAIL not in html
    for phone in phones:
        assert phone not in html
        assert phone[-6:] not in html  # nor a masked form ending in its digits


def test_the_summary_shows_figures_charts_and_the_events(signed_in: SignedIn, db: Session) -> None:
    made = reported_event(db, title="Dumplings evening")
    client = _english(signed_in(Role.COORDINATOR, ("bishkek",)))

    page = client.get("/console/reports")

    assert page.status_code == 200
    html = page.text
    assert "Dumplings evening" in html
    assert f"/console/reports/events/{made.event.id}" in html
    # Four charts on the summary, each an image with its title and description.
    assert html.count('<svg class="chart"') == 4
    assert html.count("<title id=") == 4
    assert html.count("<desc id=") == 4
    assert "Inside their band: 1" in html
    assert 'aria-labelledby="summary-funnel-title summary-funnel-desc"' in html
    # The figures as a table as well: ten attended, mean rating 4.5, five rated 4 and five 5.
    assert re.search(r"<b>10</b> attended", html)
    assert "4.5" in html
    assert "Rated 4" in html
    assert "Rated 5" in html
    assert "/console/reports/export.csv" in html
    assert "/console/reports/export.xlsx" in html


def test_filters_narrow_the_summary_and_htmx_gets_the_fragment(
    signed_in: SignedIn, db: Session
) -> None:
    reported_event(db, title="Cooking club", activity=ActivityType.COOKING)
    reported_event(db, title="Chess club", activity=ActivityType.GAMES)
    client = _english(signed_in(Role.COORDINATOR, ("bishkek",)))

    games = client.get("/console/reports", params={"activity_type": "games", "city": "bishkek"})
    fragment = client.get(
        "/console/reports", params={"activity_type": "cooking"}, headers={"HX-Request": "true"}
    )
    blank = client.get(
        "/console/reports", params={"city": "", "from": "", "to": "", "activity_type": ""}
    )

    assert "Chess club" in games.text
    assert "Cooking club" not in games.text
    assert "selected>" in games.text
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert "<h1>" not in fragment.text
    assert "Cooking club" in fragment.text
    assert "Chess club" not in fragment.text
    # A plain GET form sends every field, blank ones too: blank means no filter.
    assert "Cooking club" in blank.text
    assert "Chess club" in blank.text


def test_a_date_range_leaves_out_events_outside_it(signed_in: SignedIn, db: Session) -> None:
    made = reported_event(db, title="Past supper")
    client = _english(signed_in(Role.COORDINATOR, ("bishkek",)))
    day = made.event.starts_at.date()

    inside = client.get("/console/reports", params={"from": str(day.replace(day=1))})
    outside = client.get("/console/reports", params={"to": "2001-01-01"})

    assert "Past supper" in inside.text
    assert "Past supper" not in outside.text
    assert "No events match these filters." in outside.text


def test_bad_filter_values_are_a_clear_422_page(signed_in: SignedIn) -> None:
    client = _english(signed_in(Role.COORDINATOR, ("bishkek",)))

    for params in (
        {"from": "yesterday"},
        {"from": "1066-10-14"},
        {"activity_type": "karaoke"},
        {"city": "almaty"},
        {"city": "x" * 41},
    ):
        page = client.get("/console/reports", params=params)
        assert page.status_code == 422, params
        assert "<h1>" in page.text
    reversed_range = client.get(
        "/console/reports", params={"from": "2026-05-02", "to": "2026-05-01"}
    )
    assert reversed_range.status_code == 422


def test_another_citys_events_are_left_out_and_their_report_is_404(
    signed_in: SignedIn, db: Session
) -> None:
    osh = reported_event(db, city="osh", title="Osh picnic")
    client = _english(signed_in(Role.COORDINATOR, ("bishkek",)))

    assert "Osh picnic" not in client.get("/console/reports").text
    assert client.get(f"/console/reports/events/{osh.event.id}").status_code == 404
    assert client.get("/console/reports", params={"city": "osh"}).status_code == 200


def test_the_event_report_draws_the_four_charts_with_their_figures(
    signed_in: SignedIn, db: Session
) -> None:
    made = reported_event(db, title="Plov together")
    client = _english(signed_in(Role.ADMIN, ()))

    page = client.get(f"/console/reports/events/{made.event.id}")

    assert page.status_code == 200
    html = page.text
    assert "Plov together" in html
    assert html.count('<svg class="chart"') == 4
    for chart in ("event-funnel", "event-mix", "event-ratings", "event-attitude"):
        assert f'aria-labelledby="{chart}-title {chart}-desc"' in html
    # Half hosts and half migrants, in a band of 40–60 %.
    assert "band 40%–60%" in html
    assert html.count("50%") >= 2
    # Attitudes rose from 2 or 3 to 4: a mean change of +1.6 with an interval around it.
    assert "+1.6" in html
    assert "95% interval" in html


def test_small_cells_show_as_suppressed_never_as_numbers(signed_in: SignedIn, db: Session) -> None:
    small = reported_event(db, per_community=3, title="Tiny tea")
    viewer = _english(signed_in(Role.VIEWER, ("bishkek",)))

    html = viewer.get(f"/console/reports/events/{small.event.id}").text

    assert "suppressed" in html
    # Three people per community: no count, share or mean is printed for this event.
    assert not re.search(r"<b>3</b>", html)
    assert "Rated 4" in html
    assert "+1.6" not in html
    assert "+1.7" not in html


def test_a_viewer_sees_reports_and_no_name_phone_or_email(signed_in: SignedIn, db: Session) -> None:
    made = reported_event(db, title="Viewer evening")
    viewer = _english(signed_in(Role.VIEWER, ("bishkek",)))

    pages = [
        viewer.get("/console/reports"),
        viewer.get("/console/reports", headers={"HX-Request": "true"}),
        viewer.get(f"/console/reports/events/{made.event.id}"),
        viewer.get("/console/reports/export.csv"),
    ]

    assert all(page.status_code == 200 for page in pages)
    assert "Viewer evening" in pages[0].text
    for page in pages:
        _no_personal_data(page.text, made.phones)


def test_exports_download_the_apis_file_and_are_audited(signed_in: SignedIn, db: Session) -> None:
    made = reported_event(db, title="Export night")
    make_event(db, city="bishkek")  # upcoming, nobody invited: a row of zeros
    client = _english(signed_in(Role.COORDINATOR, ("bishkek",)))

    answer = client.get("/console/reports/export.csv", params={"city": "bishkek", "from": ""})
    spreadsheet = client.get("/console/reports/export.xlsx")

    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    exported = next(row for row in rows if row["event_id"] == str(made.event.id))
    assert exported["attended"] == "10"
    assert spreadsheet.status_code == 200
    assert spreadsheet.content[:2] == b"PK"
    exports = db.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "report.export", AuditEntry.actor_id == client.user.id
        )
    ).all()
    assert sorted(entry.details["format"] for entry in exports) == ["csv", "xlsx"]
    assert client.get("/console/reports/export.pdf").status_code == 422


def test_reports_need_a_session(anonymous: TestClient) -> None:
    answer = anonymous.get("/console/reports")
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/console/sign-in")


def test_charts_speak_the_readers_language(signed_in: SignedIn, db: Session) -> None:
    made = reported_event(db, title="Русский вечер")
    client = signed_in(Role.COORDINATOR, ("bishkek",))
    client.headers["Accept-Language"] = "ru"

    html = client.get(f"/console/reports/events/{made.event.id}").text

    assert '<html lang="ru">' in html
    assert "От приглашения до участия</title>" in html
    assert "+1,6" in html  # Russian decimals, in the chart as in the table
    assert "+1.6" not in html


def _pager_link(html: str, rel: str) -> str | None:
    found = re.search(rf'<a href="(/console/reports\?[^"]*)"[^>]*rel="{rel}"', html)
    return found.group(1).replace("&amp;", "&") if found else None


def _evenings(db: Session, count: int, *, city: str = "bishkek", label: str = "Evening") -> None:
    # One a day back from yesterday: "Evening 01" is the newest.
    for number in range(1, count + 1):
        name = f"{label} {number:02d}"
        event = make_event(
            db,
            city=city,
            starts_in=-timedelta(days=number, hours=1),
            title={"en": name, "ru": name, "ky": name},
        )
        event.status = EventStatus.COMPLETED
    db.flush()


def test_the_events_table_is_paged_newest_first_keeping_the_filters(
    signed_in: SignedIn, db: Session
) -> None:
    _evenings(db, 30)
    _evenings(db, 30, city="osh", label="Osh night")
    client = _english(signed_in(Role.COORDINATOR, ("bishkek",)))

    first = client.get("/console/reports", params={"activity_type": "sport"})
    next_link = _pager_link(first.text, "next")
    assert next_link is not None
    second = client.get(next_link)

    assert first.status_code == second.status_code == 200
    titles = [f"Evening {number:02d}" for number in range(1, 31)]
    assert all(title in first.text for title in titles[:25])
    assert not any(title in first.text for title in titles[25:])
    assert first.text.index(titles[0]) < first.text.index(titles[24])
    assert _pager_link(first.text, "prev") is None
    # The filter travels with the page, and the summary still covers all thirty events.
    assert "activity_type=sport" in next_link
    assert re.search(r"<b>30</b> events", second.text)
    assert all(title in second.text for title in titles[25:])
    assert not any(title in second.text for title in titles[:25])
    assert _pager_link(second.text, "next") is None
    # Another city's events never appear, on any page.
    assert "Osh night" not in first.text + second.text
    previous = _pager_link(second.text, "prev")
    assert previous is not None
    back = client.get(previous)
    assert all(title in back.text for title in titles[:25])
    assert not any(title in back.text for title in titles[25:])


def test_htmx_paging_swaps_the_events_table_only(signed_in: SignedIn, db: Session) -> None:
    _evenings(db, 27)
    client = _english(signed_in(Role.COORDINATOR, ("bishkek",)))
    next_link = _pager_link(client.get("/console/reports").text, "next")
    assert next_link is not None

    table = client.get(next_link, headers={"HX-Request": "true", "HX-Target": "report-events"})

    assert table.status_code == 200
    assert "<html" not in table.text
    assert "Summary" not in table.text
    assert '<svg class="chart"' not in table.text
    assert "Evening 26" in table.text
    assert "Evening 27" in table.text
    assert "Evening 25" not in table.text
    assert 'hx-target="#report-events"' in table.text


def test_a_viewer_pages_through_events_without_any_name(signed_in: SignedIn, db: Session) -> None:
    made = reported_event(db, title="Oldest evening")
    made.event.starts_at -= timedelta(days=60)
    _evenings(db, 25)
    viewer = _english(signed_in(Role.VIEWER, ("bishkek",)))

    first = viewer.get("/console/reports")
    next_link = _pager_link(first.text, "next")
    assert next_link is not None
    second = viewer.get(next_link, headers={"HX-Request": "true", "HX-Target": "report-events"})

    assert second.status_code == 200
    assert "Oldest evening" in second.text
    assert "Oldest evening" not in first.text
    for page in (first, second):
        _no_personal_data(page.text, made.phones)


def test_a_forged_page_cursor_is_a_clear_422_page(signed_in: SignedIn) -> None:
    client = _english(signed_in(Role.COORDINATOR, ("bishkek",)))

    forged = client.get("/console/reports", params={"after": "not-a-cursor"})
    too_long = client.get("/console/reports", params={"before": "x" * 300})

    assert forged.status_code == too_long.status_code == 422
    assert "<html" in forged.text


def test_the_summary_shows_each_item_s_change_between_waves(
    signed_in: SignedIn, db: Session
) -> None:
    reported_event(db, title="Dumplings evening")  # pre and post attitudes, no follow-up yet
    html = _english(signed_in(Role.VIEWER, ("bishkek",))).get("/console/reports").text
    assert "Change between survey waves" in html
    table = html[html.index('id="wave-changes"') :]
    table = table[: table.index("</table>")]
    rows = re.findall(r"<tr><th scope=\"row\">(.*?)</th><td>(.*?)</td>(.*?)</tr>", table)
    assert ("Attitude (1–5)", "before → after") in {(item, waves) for item, waves, _ in rows}
    shown = {(item, waves): rest for item, waves, rest in rows}
    assert "suppressed" not in shown[("Attitude (1–5)", "before → after")]
    # No follow-up answers: those figures are suppressed, never a zero.
    assert "suppressed" in shown[("Attitude (1–5)", "after → follow-up")]
    assert "suppressed" in shown[("Feeling thermometer (0–100)", "before → after")]
