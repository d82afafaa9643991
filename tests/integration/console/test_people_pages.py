"""The participants' pages: search by name and phone, filters, bulk actions, a person's page
with audited message reads, and the import wizard."""

from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from birge_shared.crypto import get_cipher
from birge_shared.models import (
    AuditEntry,
    ImportUpload,
    Invitation,
    Message,
    MessageChannel,
    MessageDirection,
    MessageStatus,
    Participant,
    ParticipantNameToken,
    Role,
    utcnow,
)
from tests.factories import make_event, make_invitation, make_participant
from tests.integration.console.conftest import SignedIn

LIST = "/console/participants"
IMPORT = "/console/participants/import"
HTMX = {"HX-Request": "true"}


def _ids(html: str) -> set[str]:
    return set(re.findall(r'name="participant" value="([0-9a-f-]{36})"', html))


def test_the_list_shows_my_citys_people_with_masked_phones(
    signed_in: SignedIn, db: Session
) -> None:
    mine = make_participant(db, city="bishkek", name="Айгүл Асанова", phone="+996555700101")
    other = make_participant(db, city="osh", name="Osh Person")
    db.commit()
    client = signed_in(Role.COORDINATOR, ("bishkek",))

    page = client.get(LIST)

    assert page.status_code == 200
    assert "Айгүл Асанова" in page.text
    assert "+996 555 *** 101" in page.text
    assert "+996555700101" not in page.text
    assert str(mine.id) in _ids(page.text)
    assert str(other.id) not in _ids(page.text)
    assert "Osh Person" not in page.text


def test_the_list_and_a_persons_page_name_the_city_not_its_code(
    signed_in: SignedIn, db: Session
) -> None:
    person = make_participant(db, city="bishkek", name="City Person")
    db.commit()
    client = signed_in(Role.COORDINATOR, ("bishkek",))

    listed = client.get(LIST)
    shown = client.get(f"{LIST}/{person.id}")

    assert "<td>Bishkek</td>" in listed.text
    assert "<td>bishkek</td>" not in listed.text
    assert "<dd>Bishkek</dd>" in shown.text


def test_search_by_name_in_either_alphabet_and_by_phone(
    signed_in: SignedIn, db: Session, caplog: pytest.LogCaptureFixture
) -> None:
    aigul = make_participant(db, city="bishkek", name="Айгүл Асанова", phone="+996555700201")
    bolot = make_participant(db, city="bishkek", name="Bolot Usenov", phone="+996555700202")
    db.commit()
    client = signed_in(Role.COORDINATOR, ("bishkek",))

    with caplog.at_level(logging.DEBUG):
        by_name = client.post(LIST, data={"csrf": client.csrf, "name": "aigul"})
        by_prefix = client.post(LIST, data={"csrf": client.csrf, "name": "Усен"})
        by_phone = client.post(LIST, data={"csrf": client.csrf, "phone": "0555 700 202"})

    assert _ids(by_name.text) == {str(aigul.id)}
    assert _ids(by_prefix.text) == {str(bolot.id)}
    assert _ids(by_phone.text) == {str(bolot.id)}
    # The terms stay out of every log line (the API's and the test client's alike).
    logged = " ".join(record.getMessage() + str(record.__dict__) for record in caplog.records)
    for term in ("aigul", "Усен", "700 202"):
        assert term not in logged


def test_search_finds_arabic_script_and_chinese_names(signed_in: SignedIn, db: Session) -> None:
    persian = make_participant(db, city="bishkek", name="زهرا کریمی", phone="+996555700211")
    chinese = make_participant(db, city="bishkek", name="张伟", phone="+996555700212")
    db.commit()
    client = signed_in(Role.COORDINATOR, ("bishkek",))

    # ك for ک: how the name comes out of an Arabic keyboard.
    by_arabic = client.post(LIST, data={"csrf": client.csrf, "name": "كريمي"})
    by_chinese = client.post(LIST, data={"csrf": client.csrf, "name": "伟"})

    assert _ids(by_arabic.text) == {str(persian.id)}
    assert "زهرا کریمی" in by_arabic.text
    assert _ids(by_chinese.text) == {str(chinese.id)}


def test_a_bad_phone_or_too_short_a_name_is_a_clear_422(signed_in: SignedIn) -> None:
    client = signed_in(Role.COORDINATOR, ("bishkek",))
    bad_phone = client.post(LIST, data={"csrf": client.csrf, "phone": "12"})
    short = client.post(LIST, data={"csrf": client.csrf, "name": "a"})
    assert bad_phone.status_code == 422
    assert "Номер не похож на мобильный" in bad_phone.text
    assert short.status_code == 422
    assert "Введите хотя бы две буквы имени." in short.text
    # With htmx, the explanation is swapped into the results.
    fragment = client.post(LIST, data={"csrf": client.csrf, "name": "a"}, headers=HTMX)
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert "Введите хотя бы две буквы имени." in fragment.text


def test_filters_and_an_htmx_fragment(signed_in: SignedIn, db: Session) -> None:
    stopped = make_participant(db, city="bishkek", name="Stopped One")
    stopped.opted_out_at = utcnow()
    kept = make_participant(db, city="bishkek", name="Kept One")
    invited = make_participant(db, city="bishkek", name="Invited One")
    make_invitation(db, event=make_event(db, city="bishkek"), participant=invited)
    db.commit()
    client = signed_in(Role.COORDINATOR, ("bishkek",))

    opted = client.get(LIST, params={"opted_out": "yes"})
    assert str(stopped.id) in _ids(opted.text)
    assert str(kept.id) not in _ids(opted.text)

    recent = client.get(LIST, params={"invited": "30"}, headers=HTMX)
    assert recent.status_code == 200
    assert "<html" not in recent.text
    assert 'id="results"' in recent.text
    assert _ids(recent.text) == {str(invited.id)}


def test_pages_follow_with_the_search_kept(signed_in: SignedIn, db: Session) -> None:
    people = [make_participant(db, city="bishkek", name=f"Pager Person{n}") for n in range(55)]
    db.commit()
    client = signed_in(Role.COORDINATOR, ("bishkek",))
    first = client.post(LIST, data={"csrf": client.csrf, "name": "pager"})
    assert len(_ids(first.text)) == 50
    cursor = re.search(r'name="cursor" value="([^"]+)"', first.text)
    assert cursor
    second = client.post(
        LIST, data={"csrf": client.csrf, "name": "pager", "cursor": cursor.group(1)}
    )
    assert len(_ids(second.text)) == 5
    assert _ids(first.text) | _ids(second.text) == {str(p.id) for p in people}


def test_viewers_get_403_on_every_participant_page(signed_in: SignedIn, db: Session) -> None:
    person = make_participant(db, city="bishkek", name="Hidden From Viewers")
    db.commit()
    viewer = signed_in(Role.VIEWER, ("bishkek",))
    for url in (LIST, f"{LIST}/{person.id}", IMPORT, f"{IMPORT}/template.csv"):
        answer = viewer.get(url)
        assert answer.status_code == 403, url
        assert "Hidden From Viewers" not in answer.text
    search = viewer.post(LIST, data={"csrf": viewer.csrf, "name": "hidden"})
    assert search.status_code == 403
    bulk = viewer.post(
        f"{LIST}/bulk",
        data={"csrf": viewer.csrf, "action": "export", "participant": str(person.id)},
    )
    assert bulk.status_code == 403


def test_another_citys_person_is_404(signed_in: SignedIn, db: Session) -> None:
    osh = make_participant(db, city="osh", name="Osh Only")
    db.commit()
    client = signed_in(Role.COORDINATOR, ("bishkek",))
    assert client.get(f"{LIST}/{osh.id}").status_code == 404
    bulk = client.post(
        f"{LIST}/bulk", data={"csrf": client.csrf, "action": "export", "participant": str(osh.id)}
    )
    assert bulk.status_code == 404


def test_export_gives_utf8_csv_with_a_bom(signed_in: SignedIn, db: Session) -> None:
    one = make_participant(db, city="bishkek", name="Экспорт Бир", phone="+996555700301")
    two = make_participant(db, city="bishkek", name="Export Two")
    db.commit()
    client = signed_in(Role.COORDINATOR, ("bishkek",))
    answer = client.post(
        f"{LIST}/bulk",
        data={"csrf": client.csrf, "action": "export", "participant": [str(one.id), str(two.id)]},
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.content.startswith(b"\xef\xbb\xbf")
    text = answer.content.decode("utf-8-sig")
    assert "Экспорт Бир;+996555700301" in text
    assert "Export Two" in text


def test_nothing_chosen_is_a_clear_422(signed_in: SignedIn) -> None:
    client = signed_in(Role.COORDINATOR, ("bishkek",))
    answer = client.post(f"{LIST}/bulk", data={"csrf": client.csrf, "action": "export"})
    assert answer.status_code == 422


def test_invite_leads_to_the_events_invite_wizard(signed_in: SignedIn, db: Session) -> None:
    event = make_event(db, city="bishkek")
    one = make_participant(db, city="bishkek")
    two = make_participant(db, city="bishkek")
    db.commit()
    client = signed_in(Role.COORDINATOR, ("bishkek",))
    chosen = client.post(
        f"{LIST}/bulk",
        data={"csrf": client.csrf, "action": "invite", "participant": [str(one.id), str(two.id)]},
    )
    assert chosen.status_code == 303
    events = client.get(chosen.headers["location"])
    assert events.status_code == 200
    link = f"/console/events/{event.id}/invite?participant={one.id}&amp;participant={two.id}"
    assert link in events.text


def test_erasure_asks_for_confirmation_then_erases(signed_in: SignedIn, db: Session) -> None:
    person = make_participant(db, city="bishkek", name="Erase Me")
    db.commit()
    client = signed_in(Role.COORDINATOR, ("bishkek",))
    confirm = client.post(
        f"{LIST}/bulk", data={"csrf": client.csrf, "action": "erase", "participant": str(person.id)}
    )
    assert confirm.status_code == 200
    assert "Erase Me" in confirm.text
    db.refresh(person)
    assert person.erased_at is None

    unticked = client.post(
        f"{LIST}/erase", data={"csrf": client.csrf, "participant": str(person.id)}
    )
    assert unticked.status_code == 422
    db.refresh(person)
    assert person.erased_at is None

    no_csrf = client.post(f"{LIST}/erase", data={"participant": str(person.id), "confirm": "yes"})
    assert no_csrf.status_code == 403
    db.refresh(person)
    assert person.erased_at is None

    done = client.post(
        f"{LIST}/erase",
        data={"csrf": client.csrf, "participant": str(person.id), "confirm": "yes"},
    )
    assert done.status_code == 303
    db.refresh(person)
    assert person.erased_at is not None
    assert person.name_encrypted is None
    tokens = db.scalar(
        select(func.count())
        .select_from(ParticipantNameToken)
        .where(ParticipantNameToken.participant_id == person.id)
    )
    assert tokens == 0
    # Russian: the console's language when neither the user nor the browser chose one.
    assert "Данные 1 человека стёрты." in client.get(done.headers["location"]).text


def test_a_persons_page_hides_message_texts_until_shown_and_audits_the_look(
    signed_in: SignedIn, db: Session
) -> None:
    event = make_event(db, city="bishkek")
    person = make_participant(db, city="bishkek", name="Page Person")
    invitation = make_invitation(db, event=event, participant=person)
    invitation.checked_in_at = utcnow()
    message = Message(
        direction=MessageDirection.INBOUND,
        channel=MessageChannel.SMS,
        purpose="reply",
        status=MessageStatus.RECEIVED,
        participant_id=person.id,
        body_encrypted=get_cipher().encrypt("Мен келем, рахмат"),
    )
    db.add(message)
    db.commit()
    client = signed_in(Role.COORDINATOR, ("bishkek",))

    page = client.get(f"{LIST}/{person.id}")
    assert page.status_code == 200
    assert "Page Person" in page.text
    assert "Football together" in page.text or "Футбол вместе" in page.text
    assert "2026-01" in page.text  # the consent's text version
    assert "Мен келем" not in page.text
    show = f"{LIST}/{person.id}/messages/{message.id}/show"
    assert show in page.text

    no_csrf = client.post(show)
    assert no_csrf.status_code == 403
    assert (
        db.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "message.read")
        )
        == 0
    )

    shown = client.post(show, data={"csrf": client.csrf})
    assert shown.status_code == 200
    assert "Мен келем, рахмат" in shown.text
    fragment = client.post(show, headers={**HTMX, "X-CSRF-Token": client.csrf})
    assert "<html" not in fragment.text
    assert "Мен келем, рахмат" in fragment.text
    entries = db.scalars(select(AuditEntry).where(AuditEntry.action == "message.read")).all()
    assert len(entries) == 2
    assert entries[0].actor_id == client.user.id
    assert entries[0].object_id == str(message.id)

    other = signed_in(Role.COORDINATOR, ("osh",))
    assert other.post(show, data={"csrf": other.csrf}).status_code == 404


CSV = (
    "Аты-жөнү;Телефон;Тил;Шаар;Жамаат;Макулдук ыкмасы;Макулдук тексти;Макулдук күнү\n"
    "Гүлзат Мамытова;0700 555 301;ky;bishkek;host;paper_form;2026-01;20.11.2026\n"
    "Broken Row;not a phone;ky;bishkek;host;paper_form;2026-01;20.11.2026\n"
    "Гүлзат Экинчи;0700 555 301;ky;bishkek;host;paper_form;2026-01;20.11.2026\n"
).encode()


def test_the_import_wizard_uploads_maps_checks_and_imports(
    signed_in: SignedIn, db: Session
) -> None:
    client = signed_in(Role.COORDINATOR, ("bishkek",))
    form = client.get(IMPORT)
    assert form.status_code == 200
    assert 'href="/console/participants/import/template.xlsx"' in form.text

    uploaded = client.post(
        IMPORT, data={"csrf": client.csrf}, files={"file": ("list.csv", CSV, "text/csv")}
    )
    assert uploaded.status_code == 303
    held = db.scalars(select(ImportUpload)).one()
    assert "Гүлзат".encode() not in held.content_encrypted
    assert b"0700 555 301" not in held.content_encrypted

    mapping = client.get(uploaded.headers["location"])
    assert mapping.status_code == 200
    assert "Аты-жөнү" in mapping.text
    assert '<option value="name" selected>' in mapping.text
    columns = [
        "name",
        "phone",
        "language",
        "city",
        "community",
        "consent_method",
        "consent_text_version",
        "consent_given_at",
    ]
    check_url = uploaded.headers["location"] + "/check"
    checked = client.post(check_url, data={"csrf": client.csrf, "column": columns})
    assert checked.status_code == 200
    assert "Пока ничего не импортировано." in checked.text
    assert '<td class="num">3</td>' in checked.text  # the spreadsheet's own row number
    assert "неверный номер телефона" in checked.text or "это не номер телефона" in checked.text
    # A row error that names another row keeps its number in the translation.
    assert "тот же номер телефона и город, что в строке 2" in checked.text
    assert db.scalar(select(func.count()).select_from(Participant)) == 0

    run = client.post(
        uploaded.headers["location"] + "/run", data={"csrf": client.csrf, "column": columns}
    )
    assert run.status_code == 303
    assert "accepted=1" in run.headers["location"]
    assert db.scalar(select(func.count()).select_from(ImportUpload)) == 0
    found = client.post(LIST, data={"csrf": client.csrf, "name": "Гулзат"})
    assert "Гүлзат Мамытова" in found.text


def test_a_wrong_mapping_and_a_wrong_file_are_explained(signed_in: SignedIn, db: Session) -> None:
    client = signed_in(Role.COORDINATOR, ("bishkek",))
    not_a_list = client.post(
        IMPORT, data={"csrf": client.csrf}, files={"file": ("a.png", b"\x89PNG\r\n", "image/png")}
    )
    assert not_a_list.status_code == 415
    assert "Загрузите файл CSV или XLSX" in not_a_list.text  # the refusal, translated
    assert db.scalar(select(func.count()).select_from(ImportUpload)) == 0

    uploaded = client.post(
        IMPORT, data={"csrf": client.csrf}, files={"file": ("list.csv", CSV, "text/csv")}
    )
    location = uploaded.headers["location"]
    missing = client.post(location + "/check", data={"csrf": client.csrf, "column": ["name"]})
    assert missing.status_code == 422
    assert "phone" in missing.text
    assert db.scalar(select(func.count()).select_from(Participant)) == 0


def test_an_upload_is_its_owners_only_and_csrf_is_required(
    signed_in: SignedIn, db: Session
) -> None:
    owner = signed_in(Role.COORDINATOR, ("bishkek",))
    no_csrf = owner.post(IMPORT, files={"file": ("list.csv", CSV, "text/csv")})
    assert no_csrf.status_code == 403
    assert db.scalar(select(func.count()).select_from(ImportUpload)) == 0
    uploaded = owner.post(
        IMPORT, data={"csrf": owner.csrf}, files={"file": ("list.csv", CSV, "text/csv")}
    )
    other = signed_in(Role.COORDINATOR, ("bishkek",))
    assert other.get(uploaded.headers["location"]).status_code == 404


def test_an_import_into_another_city_is_refused(signed_in: SignedIn, db: Session) -> None:
    client = signed_in(Role.COORDINATOR, ("osh",))
    uploaded = client.post(
        IMPORT, data={"csrf": client.csrf}, files={"file": ("list.csv", CSV, "text/csv")}
    )
    checked = client.post(uploaded.headers["location"] + "/check", data={"csrf": client.csrf})
    assert checked.status_code == 403
    assert "Вы не закреплены за городом из этого файла" in checked.text
    assert db.scalar(select(func.count()).select_from(Invitation)) == 0
    assert db.scalar(select(func.count()).select_from(Participant)) == 0


def test_the_template_downloads(signed_in: SignedIn) -> None:
    client = signed_in(Role.COORDINATOR, ("bishkek",))
    csv = client.get(f"{IMPORT}/template.csv")
    assert csv.status_code == 200
    assert csv.content.startswith(b"\xef\xbb\xbfname;phone")
    xlsx = client.get(f"{IMPORT}/template.xlsx")
    assert xlsx.content.startswith(b"PK")
