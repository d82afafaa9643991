"""The follow-up wave: its link goes SURVEY_FOLLOWUP_DAYS after the event, once, to attendees;
the personal page then asks the event's attitude items and the behavioural questions, and the
answers are stored under the same pseudonym as the person's pre and post answers."""

from __future__ import annotations

import re
from datetime import timedelta

import time_machine
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from birge_api.participant_page.service import csrf_token
from birge_shared import survey_items
from birge_shared.i18n import gettext_for
from birge_shared.models import Invitation, Language, utcnow
from birge_shared.pseudonyms import pseudonym
from birge_shared.settings import get_settings
from birge_shared.surveys import Channel, Question, SurveyKind, record_answers
from birge_workers.surveys.due import send_due_surveys
from tests.integration.surveys.conftest import attended, bishkek, purposes, response_of, tick

RU = Language.RU


def _csrf(invitation: Invitation) -> str:
    return csrf_token(
        secret_key=get_settings().secret_key.get_secret_value(), invitation_token=invitation.token
    )


def test_the_followup_link_goes_after_the_configured_days_once(db: Session) -> None:
    ends = bishkek(10, 18, 0)
    due = ends + timedelta(days=get_settings().survey_followup_days)
    with time_machine.travel(due - timedelta(minutes=1), tick=False) as clock:
        invitation = attended(db, ends_at=ends)
        tick(db)
        assert "survey_followup" not in purposes(db, invitation)
        clock.move_to(due)
        tick(db)
        tick(db)  # a second beat plans nothing more
        assert purposes(db, invitation).count("survey_followup") == 1


def test_the_followup_days_are_a_setting_and_an_answer_stops_the_link(db: Session) -> None:
    settings = get_settings().model_copy(update={"survey_followup_days": 7})
    ends = bishkek(10, 18, 0)
    with time_machine.travel(ends + timedelta(days=7), tick=False):
        invitation = attended(db, ends_at=ends)
        answered = attended(db, ends_at=ends)
        record_answers(
            session=db,
            event_id=answered.event_id,
            participant=answered.participant,
            kind=SurveyKind.FOLLOWUP,
            answers={Question.ATTITUDE: 4},
            channel=Channel.PAGE,
        )
        send_due_surveys(session=db, now=utcnow(), settings=settings)
        assert purposes(db, invitation) == ["survey_followup"]
        assert purposes(db, answered) == []


def test_the_page_asks_the_event_s_items_and_links_the_waves_by_pseudonym(
    client: TestClient, db: Session
) -> None:
    ends = bishkek(10, 18, 0)
    invitation = attended(db, ends_at=ends)
    invitation.event.survey_items = ["attitude", "thermometer"]
    record_answers(
        session=db,
        event_id=invitation.event_id,
        participant=invitation.participant,
        kind=SurveyKind.PRE,
        answers={Question.ATTITUDE: 2, Question.THERMOMETER: 40},
        channel=Channel.PAGE,
    )
    db.flush()
    with time_machine.travel(ends + timedelta(days=get_settings().survey_followup_days, hours=1)):
        html = client.get(f"/p/{invitation.token}?lang=ru").text
        assert gettext_for(RU, "A few weeks later") in html
        for item in (
            survey_items.ATTITUDE,
            survey_items.THERMOMETER,
            survey_items.MET_OUTSIDE,
            survey_items.JOIN_AGAIN,
        ):
            assert gettext_for(RU, item.wording) in html
        assert gettext_for(RU, survey_items.ANXIETY.wording) not in html  # not chosen
        assert re.search(r'<input type="number" name="thermometer" min="0" max="100"', html)
        assert 'name="comment"' not in html

        refused = client.post(
            f"/p/{invitation.token}/survey",
            data={"csrf": _csrf(invitation), "kind": "followup", "attitude": "4",
                  "thermometer": "101", "met_outside": "1", "join_again": "2"},
            follow_redirects=False,
        )  # fmt: skip
        assert refused.status_code == 400
        saved = client.post(
            f"/p/{invitation.token}/survey",
            data={"csrf": _csrf(invitation), "kind": "followup", "attitude": "4",
                  "thermometer": "75", "met_outside": "1", "join_again": "2"},
            follow_redirects=False,
        )  # fmt: skip
        assert saved.status_code == 303
    followup = response_of(db, invitation, "followup")
    pre = response_of(db, invitation, "pre")
    assert followup is not None
    assert pre is not None
    assert followup.pseudonym == pre.pseudonym == pseudonym(invitation.participant_id)
    assert (followup.attitude, followup.thermometer) == (4, 75)
    assert (followup.met_outside, followup.join_again) == (True, 2)
