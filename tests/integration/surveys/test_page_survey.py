"""The surveys on the participant page: the pre question after accepting, the post survey
after the event, answers stored under the pseudonym, asked in the page's own words."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy.orm import Session

from birge_api.participant_page.i18n import QUESTIONS
from birge_api.participant_page.service import csrf_token
from birge_shared.crypto import get_cipher
from birge_shared.i18n import gettext_for
from birge_shared.models import (
    Invitation,
    InvitationStatus,
    Language,
    MessageTemplate,
    SurveyConversation,
    utcnow,
)
from birge_shared.settings import get_settings
from birge_shared.sms.templates import DEFAULT_TEMPLATES
from birge_shared.surveys import Channel, Question, SurveyKind, record_answers
from tests.factories import make_event, make_invitation, make_participant
from tests.integration.surveys.conftest import conversation_of, response_of

RU = Language.RU


def _invitation(
    db: Session,
    *,
    status: InvitationStatus = InvitationStatus.SENT,
    starts_in: timedelta = timedelta(days=7),
    language: Language = RU,
) -> Invitation:
    event = make_event(db, starts_in=starts_in)
    participant = make_participant(db, language=language)
    return make_invitation(db, event=event, participant=participant, status=status)


def _csrf(invitation: Invitation) -> str:
    return csrf_token(
        secret_key=get_settings().secret_key.get_secret_value(), invitation_token=invitation.token
    )


def _post_survey(
    client: TestClient, invitation: Invitation, *, csrf: str | None = None, **fields: str
) -> Response:
    return client.post(
        f"/p/{invitation.token}/survey",
        data={"csrf": _csrf(invitation) if csrf is None else csrf, **fields},
        follow_redirects=False,
    )


def _radios(html: str, name: str) -> list[str]:
    return re.findall(rf'<input type="radio" name="{name}" value="(\d)"', html)


def test_accepting_on_the_page_leads_to_the_pre_question(client: TestClient, db: Session) -> None:
    invitation = _invitation(db)
    accepted = client.post(
        f"/p/{invitation.token}/rsvp",
        data={"answer": "accept", "csrf": _csrf(invitation)},
        follow_redirects=False,
    )
    assert accepted.status_code == 303

    html = client.get(accepted.headers["location"]).text
    assert gettext_for(RU, "One quick question") in html
    assert gettext_for(RU, QUESTIONS[Question.ATTITUDE]) in html
    assert DEFAULT_TEMPLATES["survey_question_attitude"][RU] not in html
    assert f'action="/p/{invitation.token}/survey"' in html
    assert _radios(html, "attitude") == ["1", "2", "3", "4", "5"]
    assert 'name="comment"' not in html  # the pre survey is the one question

    saved = _post_survey(client, invitation, kind="pre", attitude="4", lang="ru")
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/p/{invitation.token}?lang=ru&saved=survey"
    response = response_of(db, invitation, "pre")
    assert response is not None
    assert (response.attitude, response.channel, response.rating) == (4, "page", None)

    html = client.get(saved.headers["location"]).text
    assert gettext_for(RU, "Thank you! Your answers are saved.") in html
    assert 'name="attitude"' not in html
    # Answered: a second post changes nothing.
    assert _post_survey(client, invitation, kind="pre", attitude="1").status_code == 409
    assert response.attitude == 4


def test_the_page_asks_in_page_words_not_in_the_sms_wording(
    client: TestClient, db: Session
) -> None:
    # An administrator's SMS wording tells people which number to type; the page has buttons.
    db.add(
        MessageTemplate(
            purpose="survey_question_attitude",
            language=RU,
            body="Как вы относитесь к соседям из другой общины? Ответьте от 1 до 5.",
        )
    )
    invitation = _invitation(db, status=InvitationStatus.ACCEPTED)
    html = client.get(f"/p/{invitation.token}").text
    assert gettext_for(RU, QUESTIONS[Question.ATTITUDE]) in html
    assert "Ответьте от 1 до 5" not in html
    # The radio buttons say what the scale's ends mean.
    assert "1 — очень плохо" in html
    assert "5 — очень хорошо" in html


def test_a_survey_form_that_does_not_fit_is_refused_and_stores_nothing(
    client: TestClient, db: Session
) -> None:
    invitation = _invitation(db, status=InvitationStatus.ACCEPTED, language=Language.EN)
    missing = _post_survey(client, invitation, kind="pre", attitude="")
    assert missing.status_code == 400
    assert "Please choose an answer to each question." in missing.text
    assert _post_survey(client, invitation, kind="pre", attitude="9").status_code == 400
    assert _post_survey(client, invitation, kind="pre", attitude="44").status_code == 400
    assert _post_survey(client, invitation, kind="post", attitude="4").status_code == 409
    assert _post_survey(client, invitation, kind="pre", attitude="4", csrf="x").status_code == 403
    assert response_of(db, invitation, "pre") is None


def test_an_attendee_answers_the_post_survey_with_a_comment(
    client: TestClient, db: Session
) -> None:
    invitation = _invitation(
        db, status=InvitationStatus.ATTENDED, starts_in=-timedelta(hours=3), language=Language.KY
    )
    db.add(
        SurveyConversation(
            invitation_id=invitation.id,
            kind="post",
            step=0,
            started_at=utcnow(),
            expires_at=utcnow() + timedelta(hours=48),
        )
    )
    db.flush()
    html = client.get(f"/p/{invitation.token}").text
    assert gettext_for(Language.KY, "How was it?") in html
    for question in (Question.RATING, Question.TALK, Question.ATTITUDE):
        assert gettext_for(Language.KY, QUESTIONS[question]) in html
        assert DEFAULT_TEMPLATES[f"survey_question_{question.value}"][Language.KY] not in html
    assert _radios(html, "rating") == ["1", "2", "3", "4", "5"]
    assert _radios(html, "talk") == ["1", "2"]
    # Yes and no are buttons: no "1 — ооба, 2 — жок" to type.
    assert "Ооба" in html
    assert "1 — ооба" not in html
    assert 'name="comment"' in html

    saved = _post_survey(
        client,
        invitation,
        kind="post",
        rating="5",
        talk="1",
        attitude="4",
        comment="  Абдан жакшы болду!  ",
    )
    assert saved.status_code == 303
    response = response_of(db, invitation, "post")
    assert response is not None
    assert (response.rating, response.cross_group_talk, response.attitude) == (5, True, 4)
    assert response.comment_encrypted is not None
    assert "Абдан" not in response.comment_encrypted
    assert get_cipher().decrypt(response.comment_encrypted) == "Абдан жакшы болду!"
    # Finished on the page: a late SMS reply is not taken for an answer.
    conversation = conversation_of(db, invitation, "post")
    assert conversation is not None
    assert conversation.finished_at is not None


def test_questions_answered_by_sms_are_not_asked_again_on_the_page(
    client: TestClient, db: Session
) -> None:
    invitation = _invitation(db, status=InvitationStatus.ATTENDED, starts_in=-timedelta(hours=3))
    record_answers(
        session=db,
        event_id=invitation.event_id,
        participant=invitation.participant,
        kind=SurveyKind.POST,
        answers={Question.RATING: 2},
        channel=Channel.SMS,
    )
    html = client.get(f"/p/{invitation.token}").text
    assert 'name="rating"' not in html
    assert _radios(html, "talk") == ["1", "2"]
    saved = _post_survey(client, invitation, kind="post", talk="2", attitude="3")
    assert saved.status_code == 303
    response = response_of(db, invitation, "post")
    assert response is not None
    assert (response.rating, response.cross_group_talk, response.attitude) == (2, False, 3)
    assert response.channel == "page"


def test_the_surveys_show_only_when_they_are_open(client: TestClient, db: Session) -> None:
    past = -timedelta(hours=3)
    cases = {
        "pending": _invitation(db),
        "declined": _invitation(db, status=InvitationStatus.DECLINED),
        "accepted, event over": _invitation(db, status=InvitationStatus.ACCEPTED, starts_in=past),
        "no-show": _invitation(db, status=InvitationStatus.NO_SHOW, starts_in=past),
        "attended weeks ago": _invitation(
            db, status=InvitationStatus.ATTENDED, starts_in=-timedelta(days=20)
        ),
    }
    for case, invitation in cases.items():
        html = client.get(f"/p/{invitation.token}").text
        assert 'class="survey"' not in html, case
