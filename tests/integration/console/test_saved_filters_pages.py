"""Saved participant filters in the console: saved from the participants page, applied with
one link, renamed and deleted, and used as the invite wizard's pool."""

from __future__ import annotations

import re
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_shared.models import AuditEntry, Community, Language, Role, SavedFilter
from tests.factories import make_event, make_participant
from tests.integration.console.conftest import ConsoleClient, SignedIn

LIST = "/console/participants"
SAVE = "/console/participants/filters"
HTMX = {"HX-Request": "true"}


def _english(signed_in: SignedIn, role: Role, cities: tuple[str, ...]) -> ConsoleClient:
    client = signed_in(role, cities)
    client.headers["Accept-Language"] = "en"
    return client


def _saved(db: Session, *, city: str, name: str | None = None, **criteria: Any) -> SavedFilter:
    row = SavedFilter(city_code=city, name=name or f"F {uuid.uuid4().hex[:8]}", criteria=criteria)
    db.add(row)
    db.flush()
    return row


def _rows(db: Session, name: str) -> list[SavedFilter]:
    db.expire_all()
    return list(db.scalars(select(SavedFilter).where(SavedFilter.name == name)))


def _ids(html: str) -> set[str]:
    return set(re.findall(r'name="participant" value="([0-9a-f-]{36})"', html))


def test_a_filter_applied_is_saved_listed_and_applied_again(
    signed_in: SignedIn, db: Session
) -> None:
    kyrgyz = make_participant(db, city="bishkek", language=Language.KY, name="Асан Ky")
    russian = make_participant(db, city="bishkek", language=Language.RU, name="Олег Ru")
    db.commit()
    client = _english(signed_in, Role.COORDINATOR, ("bishkek",))
    assert "Save this filter" not in client.get(LIST).text

    applied = client.get(LIST, params={"language": "ky", "invited": "not30"})
    assert "Save this filter" in applied.text
    name = f"Kyrgyz speakers {uuid.uuid4().hex[:6]}"
    saved = client.post(
        SAVE,
        data={
            "csrf": client.csrf,
            "filter_name": name,
            "language": "ky",
            "invited": "not30",
        },
    )

    assert saved.status_code == 303
    assert saved.headers["location"].endswith("filter=saved")
    [row] = _rows(db, name)
    assert row.city_code == "bishkek"
    assert row.criteria == {"language": "ky", "not_invited_within_days": 30}
    [entry] = db.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "saved_filter.create", AuditEntry.object_id == str(row.id)
        )
    )
    assert entry.actor_id == client.user.id

    page = client.get(saved.headers["location"])
    assert "The filter is saved." in page.text
    # What is shown is that saved filter: it is not offered for saving a second time.
    assert "Save this filter" not in page.text
    link = re.search(
        rf'<a href="(/console/participants\?[^"]+)" aria-current="true">{name}</a>', page.text
    )
    assert link, page.text
    again = client.get(link.group(1).replace("&amp;", "&"))
    assert str(kyrgyz.id) in _ids(again.text)
    assert str(russian.id) not in _ids(again.text)
    assert 'value="not30" selected' in again.text


def test_a_typed_name_or_number_is_never_saved(signed_in: SignedIn, db: Session) -> None:
    client = _english(signed_in, Role.COORDINATOR, ("bishkek",))
    searched = client.post(
        LIST, data={"csrf": client.csrf, "name": "Айгүл", "community": "migrant"}, headers=HTMX
    )
    # The results swapped in by htmx carry the save form, which says what is left out.
    assert "Save this filter" in searched.text
    assert "is not saved with the filter" in searched.text
    name = f"Migrants {uuid.uuid4().hex[:6]}"
    client.post(
        SAVE,
        data={
            "csrf": client.csrf,
            "filter_name": name,
            "community": "migrant",
            "name": "Айгүл",
            "phone": "0555 123 456",
        },
    )
    [row] = _rows(db, name)
    assert row.criteria == {"community": "migrant"}
    assert "Айгүл" not in repr(row.__dict__)


def test_a_bad_or_taken_name_is_refused_with_nothing_saved(
    signed_in: SignedIn, db: Session
) -> None:
    taken = _saved(db, city="bishkek", language="ru")
    db.commit()
    client = _english(signed_in, Role.COORDINATOR, ("bishkek",))
    form = {"csrf": client.csrf, "language": "ky"}

    empty = client.post(SAVE, data={**form, "filter_name": "  "})
    assert empty.status_code == 422
    assert "Give the filter a name" in empty.text
    again = client.post(SAVE, data={**form, "filter_name": taken.name})
    assert again.status_code == 409
    assert "already has a saved filter with this name" in again.text
    assert len(_rows(db, taken.name)) == 1
    no_token = client.post(SAVE, data={**form, "csrf": "wrong", "filter_name": "No token"})
    assert no_token.status_code == 403
    assert _rows(db, "No token") == []


def test_a_coordinator_of_two_cities_chooses_the_filters_city(
    signed_in: SignedIn, db: Session
) -> None:
    client = _english(signed_in, Role.COORDINATOR, ("bishkek", "osh"))
    page = client.get(LIST, params={"language": "en"})
    assert 'name="filter_city"' in page.text
    name = f"English {uuid.uuid4().hex[:6]}"
    unplaced = client.post(SAVE, data={"csrf": client.csrf, "filter_name": name, "language": "en"})
    assert unplaced.status_code == 422
    assert "Choose one of your cities" in unplaced.text
    placed = client.post(
        SAVE,
        data={"csrf": client.csrf, "filter_name": name, "language": "en", "filter_city": "osh"},
    )
    assert placed.status_code == 303
    assert "city=osh" in placed.headers["location"]
    assert [row.city_code for row in _rows(db, name)] == ["osh"]


def test_rename_and_delete_and_another_citys_filter_is_a_404(
    signed_in: SignedIn, db: Session
) -> None:
    mine = _saved(db, city="bishkek", community="host")
    theirs = _saved(db, city="osh", community="host")
    other = _saved(db, city="bishkek")
    db.commit()
    client = _english(signed_in, Role.COORDINATOR, ("bishkek",))
    page = client.get(LIST)
    assert mine.name in page.text
    assert theirs.name not in page.text

    new_name = f"Hosts {uuid.uuid4().hex[:6]}"
    renamed = client.post(
        f"{SAVE}/{mine.id}/rename", data={"csrf": client.csrf, "filter_name": new_name}
    )
    assert renamed.status_code == 303
    assert "The filter is renamed." in client.get(renamed.headers["location"]).text
    assert [row.id for row in _rows(db, new_name)] == [mine.id]
    clash = client.post(
        f"{SAVE}/{other.id}/rename", data={"csrf": client.csrf, "filter_name": new_name}
    )
    assert clash.status_code == 409
    assert "<details open>" in clash.text

    for path in (f"{SAVE}/{theirs.id}/rename", f"{SAVE}/{theirs.id}/delete"):
        refused = client.post(path, data={"csrf": client.csrf, "filter_name": "Mine now"})
        assert refused.status_code == 404
    assert _rows(db, theirs.name)

    deleted = client.post(f"{SAVE}/{mine.id}/delete", data={"csrf": client.csrf})
    assert deleted.status_code == 303
    assert "The filter is deleted." in client.get(deleted.headers["location"]).text
    assert _rows(db, new_name) == []


def test_a_viewer_saves_and_changes_nothing(signed_in: SignedIn, db: Session) -> None:
    row = _saved(db, city="bishkek", language="ky")
    db.commit()
    viewer = _english(signed_in, Role.VIEWER, ("bishkek",))
    name = f"Viewer {uuid.uuid4().hex[:6]}"
    assert viewer.get(LIST).status_code in (403, 404)
    assert (
        viewer.post(SAVE, data={"csrf": viewer.csrf, "filter_name": name, "language": "ky"})
    ).status_code in (403, 404)
    assert viewer.post(f"{SAVE}/{row.id}/delete", data={"csrf": viewer.csrf}).status_code in (
        403,
        404,
    )
    assert _rows(db, name) == []
    assert _rows(db, row.name)


def test_the_wizard_proposes_from_a_saved_filter_as_from_the_same_criteria(
    signed_in: SignedIn, db: Session
) -> None:
    event = make_event(db, city="osh", capacity=10, min_share=0)
    kyrgyz = [make_participant(db, language=Language.KY) for _ in range(3)]
    make_participant(db, language=Language.RU)
    make_participant(db, language=Language.KY, community=Community.MIGRANT)
    row = _saved(db, city="osh", language="ky", community="host")
    _saved(db, city="bishkek", name=f"Bishkek {uuid.uuid4().hex[:6]}")
    db.commit()
    client = _english(signed_in, Role.COORDINATOR, ("osh",))
    url = f"/console/events/{event.id}/invite"

    pool = client.get(url)
    assert 'value="filter"' in pool.text
    assert row.name in pool.text
    by_filter = client.get(
        f"{url}/proposal", params={"mode": "filter", "saved_filter": str(row.id)}
    )
    by_criteria = client.get(
        f"{url}/proposal", params={"mode": "criteria", "language": "ky", "community": "host"}
    )

    assert by_filter.status_code == 200, by_filter.text
    assert _ids(by_filter.text) == _ids(by_criteria.text)
    assert {str(person.id) for person in kyrgyz} <= _ids(by_filter.text)
    capped = client.get(
        f"{url}/proposal", params={"mode": "filter", "saved_filter": str(row.id), "max": "1"}
    )
    assert len(_ids(capped.text)) == 1


def test_the_wizard_says_why_a_saved_filter_cannot_be_used(
    signed_in: SignedIn, db: Session
) -> None:
    event = make_event(db, city="osh", capacity=10, min_share=0)
    opted_out = _saved(db, city="osh", opted_out=True)
    bishkek = _saved(db, city="bishkek")
    db.commit()
    client = _english(signed_in, Role.COORDINATOR, ("osh",))
    url = f"/console/events/{event.id}/invite/proposal"

    unchosen = client.get(url, params={"mode": "filter", "saved_filter": ""})
    assert unchosen.status_code == 422
    assert "Choose a saved filter." in unchosen.text
    refused = client.get(url, params={"mode": "filter", "saved_filter": str(opted_out.id)})
    assert refused.status_code == 422
    assert "people who opted out" in refused.text
    assert 'value="filter" checked' in refused.text
    hidden = client.get(url, params={"mode": "filter", "saved_filter": str(bishkek.id)})
    assert hidden.status_code == 404
    admin = _english(signed_in, Role.ADMIN, ())
    elsewhere = admin.get(url, params={"mode": "filter", "saved_filter": str(bishkek.id)})
    assert elsewhere.status_code == 422
    assert "belongs to another city" in elsewhere.text


def test_a_window_the_form_does_not_offer_is_shown_as_saved(
    signed_in: SignedIn, db: Session
) -> None:
    row = _saved(db, city="bishkek", not_invited_within_days=45)
    db.commit()
    client = _english(signed_in, Role.COORDINATOR, ("bishkek",))
    link = re.search(
        rf'<a href="(/console/participants\?[^"]+)">{row.name}</a>', client.get(LIST).text
    )
    assert link
    page = client.get(link.group(1).replace("&amp;", "&"))
    assert '<option value="not45" selected>Not invited in the last 45 days</option>' in page.text
