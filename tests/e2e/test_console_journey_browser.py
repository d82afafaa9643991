"""The coordinator's whole journey in Chromium against a running Birge (API, console, worker,
SMS simulator): at a laptop's width, at a phone's, and once more with JavaScript off.

Each run has a Birge of its own, so the city's pool the invite wizard proposes from holds
exactly the people that run imported. The event starts within the half hour, so the door is
already open when the answers are in: its processes take a short answer window for that.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from birge_shared.models import Role
from tests.e2e.birge_stack import assert_nothing_personal_logged, running_birge
from tests.e2e.console_helpers import LAPTOP, PHONE, new_context
from tests.e2e.journey_steps import (
    STEP_MS,
    Journey,
    step_answers_change_the_counts,
    step_cancel_event,
    step_create_event,
    step_door,
    step_export_csv,
    step_import_spreadsheet,
    step_invite_with_wizard,
    step_read_the_report,
    step_sign_in,
    step_sign_out,
)

pytestmark = pytest.mark.timeout(600)

RUNS = [
    pytest.param((LAPTOP, True), id="1280px"),
    pytest.param((PHONE, True), id="360px"),
    pytest.param((PHONE, False), id="360px-no-js"),
]
#: Inside the half hour before the start, when the door opens.
STARTS_IN = timedelta(minutes=25)


@pytest.fixture(params=RUNS)
def journey(
    request: pytest.FixtureRequest, database_url: str, browser: Browser, tmp_path: Path
) -> Iterator[Journey]:
    viewport, javascript = request.param
    with running_birge(tmp_path / "birge", MIN_ANSWER_WINDOW_MINUTES="5") as stack:
        context = new_context(browser, viewport=viewport, javascript=javascript)
        page = context.new_page()
        page.set_default_timeout(STEP_MS)
        journey = Journey(
            stack=stack,
            page=page,
            coordinator=stack.user(Role.COORDINATOR, ("osh",)),
            javascript=javascript,
        )
        try:
            yield journey
        finally:
            context.close()
    # The names typed into the door's search and the import's spreadsheet included.
    assert_nothing_personal_logged(stack, journey.personal_texts())


def test_a_coordinator_runs_an_event_from_import_to_report(
    journey: Journey, tmp_path: Path
) -> None:
    title = f"Plov evening {journey.mark}"
    step_sign_in(journey)
    step_import_spreadsheet(journey, tmp_path)
    journey.event_id = step_create_event(journey, title=title, starts_in=STARTS_IN)
    invited = step_invite_with_wizard(journey)
    coming = step_answers_change_the_counts(journey, invited)
    step_door(journey, coming)
    other = step_create_event(
        journey, title=f"Football {journey.mark}", starts_in=timedelta(days=7)
    )
    step_cancel_event(journey, other, reason="The stadium is closed for repairs")
    step_read_the_report(journey, title)
    step_export_csv(journey, cancelled=other)
    step_sign_out(journey)
