"""The inbox page: texts of my cities, filters, marking handled, and answering one person."""

from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_shared.free_text import COORDINATOR_REPLY
from birge_shared.models import (
    Message,
    MessageChannel,
    MessageDirection,
    Participant,
    Role,
    utcnow,
)
from tests.factories import make_inbound, make_participant
from tests.integration.console.conftest import SignedIn


@pytest.fixture
def signed_in(signed_in_english: SignedIn) -> SignedIn:
    """Clients that read the pages in English, whatever the default language."""
    return signed_in_english


HTMX = {"HX-Request": "true"}
_KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')


@pytest.fixture
def texts(db: Session) -> dict[str, Message]:
    osh = make_participant(db, city="osh", name="Osh Person")
    bishkek = make_participant(db, city="bishkek", name="Bishkek Person")
    stopped = make_participant(db, city="osh")
    stopped.opted_out_at = utcnow()
    rows = {
        "osh": make_inbound(db, participant=osh, text="Можно прийти с сестрой?"),
        "bishkek": make_inbound(db, participant=bishkek, text="Где это находится?"),
        "stop": make_inbound(db, participant=stopped, text="STOP please", purpose="reply:stop"),
    }
    db.commit()
    return rows


def _answers(db: Session) -> list[Message]:
    return list(
        db.scalars(
            select(Message).where(
                Message.direction == MessageDirection.OUTBOUND,
                Message.purpose == COORDINATOR_REPLY,
            )
        )
    )


def test_the_inbox_shows_the_texts_of_my_cities_only(
    signed_in: SignedIn, texts: dict[str, Message]
) -> None:
    client = signed_in(Role.COORDINATOR, ("osh",))

    page = client.get("/console/inbox")

    assert page.status_code == 200
    assert "Можно прийти с сестрой?" in page.text
    assert "STOP please" in page.text
    assert "Где это находится?" not in page.text
    assert "Opted out" in page.text


def test_filters_by_city_and_handled_work_as_pages_and_htmx_fragments(
    signed_in: SignedIn, texts: dict[str, Message], db: Session
) -> None:
    client = signed_in(Role.ADMIN, ())
    texts["bishkek"].handled_at = utcnow()
    db.commit()

    osh = client.get("/console/inbox", params={"city": "osh", "show": "all"})
    handled = client.get("/console/inbox", params={"show": "handled"}, headers=HTMX)
    waiting = client.get("/console/inbox")

    assert "Можно прийти" in osh.text
    assert "Где это" not in osh.text
    assert "<html" not in handled.text
    assert "Где это находится?" in handled.text
    assert "Можно прийти" not in handled.text
    assert "Где это" not in waiting.text


def test_mark_handled_with_htmx_returns_the_one_item_and_without_it_redirects(
    signed_in: SignedIn, texts: dict[str, Message], db: Session
) -> None:
    client = signed_in(Role.COORDINATOR, ("osh",))

    fragment = client.post(
        f"/console/inbox/{texts['osh'].id}/handled", data={"csrf": client.csrf}, headers=HTMX
    )
    plain = client.post(f"/console/inbox/{texts['stop'].id}/handled", data={"csrf": client.csrf})

    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert f'id="inbox-{texts["osh"].id}"' in fragment.text
    assert "Handled" in fragment.text
    assert plain.status_code == 303
    for key in ("osh", "stop"):
        db.refresh(texts[key])
        assert texts[key].handled_at is not None


def test_an_answer_is_sent_once_even_when_the_form_is_posted_twice(
    signed_in: SignedIn, texts: dict[str, Message], db: Session, caplog: pytest.LogCaptureFixture
) -> None:
    client = signed_in(Role.COORDINATOR, ("osh",))
    caplog.set_level(logging.DEBUG)
    url = f"/console/inbox/{texts['osh'].id}/reply"
    form = client.get(url)
    assert form.status_code == 200
    assert "data-segments-max" in form.text
    key = _KEY.search(form.text)
    assert key
    data = {"text": "Да, конечно!", "idempotency_key": key.group(1), "csrf": client.csrf}

    first = client.post(url, data=data)
    second = client.post(url, data=data)

    assert first.status_code == 303
    assert first.headers["location"] == "/console/inbox?answered=1"
    assert second.status_code == 303
    assert len(_answers(db)) == 1
    db.refresh(texts["osh"])
    assert texts["osh"].handled_at is not None
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "Да, конечно!" not in logged
    assert "сестрой" not in logged


def test_an_opted_out_person_or_a_long_answer_is_refused_and_nothing_is_sent(
    signed_in: SignedIn, texts: dict[str, Message], db: Session
) -> None:
    client = signed_in(Role.COORDINATOR, ("osh",))

    stopped = client.post(
        f"/console/inbox/{texts['stop'].id}/reply",
        data={"text": "Sorry", "idempotency_key": "a1", "csrf": client.csrf},
    )
    long = client.post(
        f"/console/inbox/{texts['osh'].id}/reply",
        data={"text": "Ж" * 140, "idempotency_key": "a2", "csrf": client.csrf},
    )

    assert stopped.status_code == 409
    assert "opted out" in stopped.text
    assert long.status_code == 422
    assert "at most 2 SMS" in long.text
    assert "Ж" * 140 in long.text  # the text is kept for editing
    assert _answers(db) == []


def test_a_missing_or_wrong_csrf_token_is_403_and_nothing_changes(
    signed_in: SignedIn, texts: dict[str, Message], db: Session
) -> None:
    client = signed_in(Role.COORDINATOR, ("osh",))
    base = f"/console/inbox/{texts['osh'].id}"

    assert client.post(base + "/handled").status_code == 403
    assert client.post(base + "/handled", data={"csrf": "nope"}).status_code == 403
    assert (
        client.post(base + "/reply", data={"text": "Hi", "idempotency_key": "k"}).status_code == 403
    )
    db.refresh(texts["osh"])
    assert texts["osh"].handled_at is None
    assert _answers(db) == []


def test_another_citys_text_is_404_and_a_viewer_sees_nothing_and_cannot_write(
    signed_in: SignedIn, texts: dict[str, Message], db: Session
) -> None:
    bishkek = signed_in(Role.COORDINATOR, ("bishkek",))
    viewer = signed_in(Role.VIEWER, ("osh", "bishkek"))
    osh_text = f"/console/inbox/{texts['osh'].id}"

    assert bishkek.get(osh_text + "/reply").status_code == 404
    assert bishkek.post(osh_text + "/handled", data={"csrf": bishkek.csrf}).status_code == 404
    page = viewer.get("/console/inbox")
    assert page.status_code == 403
    assert "сестрой" not in page.text
    assert viewer.get(osh_text + "/reply").status_code == 403
    assert viewer.post(osh_text + "/handled", data={"csrf": viewer.csrf}).status_code == 403
    db.refresh(texts["osh"])
    assert texts["osh"].handled_at is None
    assert db.scalar(select(Participant).where(Participant.id == texts["osh"].participant_id))


def test_the_answer_form_says_where_the_answer_to_a_whatsapp_text_goes(
    signed_in: SignedIn, texts: dict[str, Message], db: Session
) -> None:
    texts["osh"].channel = MessageChannel.WHATSAPP
    db.commit()
    client = signed_in(Role.COORDINATOR, ("osh",))

    whatsapp = client.get(f"/console/inbox/{texts['osh'].id}/reply").text
    stop = client.get(f"/console/inbox/{texts['stop'].id}/reply").text

    assert "It goes back on WhatsApp while the person's 24-hour window there is open" in whatsapp
    assert "<h1>Answer</h1>" in whatsapp
    assert "<h1>Answer by SMS</h1>" in stop
    assert "goes back on WhatsApp" not in stop
