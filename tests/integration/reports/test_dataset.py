"""The evaluator's dataset: the zip's files, their values and labels, read back as an evaluator
would (csv, pyreadstat), its re-keyed respondents, suppression, erasure and who may have it."""

from __future__ import annotations

import csv
import io
import zipfile
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyreadstat
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_api.reports.dataset.registry import (
    ACTIVITY_CODES,
    COMMUNITY_CODES,
    COMMUNITY_LABELS,
    FORMAT_CODES,
    ITEMS,
    MISSING_LABELS,
    WIDE_ITEM_COLUMNS,
)
from birge_api.reports.dataset.service import FILES, renumber
from birge_shared.crypto import get_cipher
from birge_shared.models import (
    ActivityFormat,
    ActivityType,
    AuditEntry,
    Community,
    InvitationStatus,
    Role,
)
from birge_shared.pseudonyms import pseudonym
from tests.conftest import UserFactory, bearer
from tests.integration.reports.simulation import Person, Simulation, simulate

S = InvitationStatus
PERIOD = {"from": "2031-03-14", "to": "2031-03-20"}
BOM = b"\xef\xbb\xbf"
WIDE_ITEMS = [item.variable(wave) for item, wave in WIDE_ITEM_COLUMNS]


@pytest.fixture
def programme(db: Session) -> list[Simulation]:
    """Two Bishkek events and one in Osh; a three-person event whose cells are all small."""
    return [
        simulate(db),
        simulate(
            db,
            seed=7,
            starts_at=datetime(2031, 3, 16, 8, 0, tzinfo=UTC),
            activity_type=ActivityType.SPORT,
        ),
        simulate(db, seed=11, city="osh", starts_at=datetime(2031, 3, 18, 8, 0, tzinfo=UTC)),
        simulate(
            db,
            seed=13,
            starts_at=datetime(2031, 3, 19, 8, 0, tzinfo=UTC),
            plan=[(S.ATTENDED, Community.HOST, 3), (S.ATTENDED, Community.MIGRANT, 3)],
        ),
    ]


def _download(client: TestClient, headers: dict[str, str], **params: str) -> zipfile.ZipFile:
    response = client.get("/v1/reports/dataset", headers=headers, params={**PERIOD, **params})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert "attachment" in response.headers["content-disposition"]
    return zipfile.ZipFile(io.BytesIO(response.content))


def _csv(bundle: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(bundle.read(name).decode("utf-8-sig"))))


def _responded(person: Person) -> bool:
    return person.pre_answered or person.post is not None


def _coded(value: Any) -> int:
    if value is None:
        return -9
    if isinstance(value, bool):
        return int(value)
    return int(value)


def expected_rows(simulation: Simulation) -> list[tuple[Any, ...]]:
    """The wide rows of one event, computed from the plan: large cells only."""
    people = [person for person in simulation.people if _responded(person)]
    sizes = Counter(person.community for person in people)
    rows = []
    for person in people:
        if sizes[person.community] < 5:
            continue
        post = person.post
        pre = _coded(person.pre) if person.pre_answered else -8
        if post is None:
            post_values = (-8, -8, -8)
        else:
            post_values = (_coded(post.attitude), _coded(post.rating), _coded(post.talk))
        attitude_post, rating, talk = post_values
        rows.append(
            (
                str(simulation.event.id),
                COMMUNITY_CODES[person.community],
                pre,
                attitude_post,
                rating,
                talk,
            )
        )
    return sorted(rows)


def _wide_key(row: dict[str, Any]) -> tuple[Any, ...]:
    return (
        row["event_id"],
        int(row["community"]),
        *(int(row[name]) for name in ("attitude_pre", "attitude_post", "rating_post")),
        int(row["cross_group_talk_post"]),
    )


def test_the_zip_holds_every_file_with_the_answers_of_large_cells_only(
    client: TestClient, viewer_headers: dict[str, str], programme: list[Simulation]
) -> None:
    assert WIDE_ITEMS == [
        "attitude_pre",
        "attitude_post",
        "attitude_followup",
        "rating_post",
        "cross_group_talk_post",
        "thermometer_pre",
        "thermometer_post",
        "thermometer_followup",
        "social_distance_pre",
        "social_distance_post",
        "social_distance_followup",
        "anxiety_pre",
        "anxiety_post",
        "anxiety_followup",
        "met_outside_followup",
        "join_again_followup",
    ]
    bundle = _download(client, viewer_headers)
    assert sorted(bundle.namelist()) == sorted(FILES)
    for name in ("answers_long.csv", "answers_wide.csv", "codebook.csv"):
        assert bundle.read(name).startswith(BOM), name

    wide = _csv(bundle, "answers_wide.csv")
    big, sport, osh, small = programme
    expected = sorted(
        expected_rows(big) + expected_rows(sport) + expected_rows(osh) + expected_rows(small)
    )
    assert expected_rows(small) == []  # three per community: every cell is too small
    assert all(COMMUNITY_CODES[None] != row[1] for row in expected)  # one undeclared person
    assert sorted(_wide_key(row) for row in wide) == expected

    first = next(row for row in wide if row["event_id"] == str(big.event.id))
    assert first["title_ru"] == "Футбол вместе"
    assert first["title_ky"] == "Бирге футбол"
    assert first["city"] == "bishkek"
    assert first["activity_type"] == str(ACTIVITY_CODES[ActivityType.COOKING])
    assert first["activity_format"] == str(FORMAT_CODES[ActivityFormat.COOPERATIVE])
    assert first["event_date"] == "2031-03-14"
    played = next(row for row in wide if row["event_id"] == str(sport.event.id))
    assert played["activity_type"] == str(ACTIVITY_CODES[ActivityType.SPORT])
    assert played["activity_format"] == str(FORMAT_CODES[ActivityFormat.COMPETITIVE])
    assert {row["city"] for row in wide} == {"bishkek", "osh"}

    # The long file is the wide one unpivoted: every item of every answered wave, one row each.
    long = _csv(bundle, "answers_long.csv")
    by_person: dict[tuple[str, str], dict[str, int]] = {}
    for row in long:
        key = (row["respondent"], row["event_id"])
        by_person.setdefault(key, {})[f"{row['item']}_{row['wave']}"] = int(row["value"])
    assert len(by_person) == len(wide)
    for row in wide:
        answered = by_person[(row["respondent"], row["event_id"])]
        for name in WIDE_ITEMS:
            if int(row[name]) == -8:
                assert name not in answered
            else:
                assert answered[name] == int(row[name])
    assert {row["community"] for row in long} <= {"1", "2"}
    assert {row["activity_format"] for row in long} == {
        str(FORMAT_CODES[ActivityFormat.COOPERATIVE]),
        str(FORMAT_CODES[ActivityFormat.COMPETITIVE]),
    }


def _read_back(bundle: zipfile.ZipFile, tmp_path: Path, name: str) -> tuple[Any, Any]:
    target = tmp_path / name
    target.write_bytes(bundle.read(name))
    if name.endswith(".sav"):
        return pyreadstat.read_sav(target, user_missing=True)
    return pyreadstat.read_dta(target)


@pytest.mark.parametrize("name", ["answers_wide.sav", "answers_wide.dta"])
def test_spss_and_stata_files_read_back_with_the_same_values_and_labels(
    client: TestClient,
    admin_headers: dict[str, str],
    programme: list[Simulation],
    tmp_path: Path,
    name: str,
) -> None:
    bundle = _download(client, admin_headers)
    wide = _csv(bundle, "answers_wide.csv")
    frame, meta = _read_back(bundle, tmp_path, name)

    def as_text(value: Any) -> str:
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, float):
            assert value.is_integer()
            return str(int(value))
        return str(value)

    read = [
        {column: as_text(value) for column, value in row.items()}
        for row in frame.to_dict("records")
    ]
    assert list(frame.columns) == list(wide[0])
    assert read == wide

    codebook = {row["variable"]: row for row in _csv(bundle, "codebook.csv")}
    assert meta.column_names_to_labels == {
        column: codebook[column]["label"] for column in frame.columns
    }
    labels = {
        column: {int(code): text for code, text in values.items()}
        for column, values in meta.variable_value_labels.items()
    }
    assert labels["community"] == COMMUNITY_LABELS
    assert labels["activity_type"] == {code: kind.value for kind, code in ACTIVITY_CODES.items()}
    assert labels["activity_format"] == {
        1: "cooperative",
        2: "mixed_teams",
        3: "discussion",
        4: "competitive",
    }
    formats = {row["event_id"]: int(row["activity_format"]) for row in read}
    assert formats[str(programme[1].event.id)] == FORMAT_CODES[ActivityFormat.COMPETITIVE]
    assert set(formats.values()) == {
        FORMAT_CODES[ActivityFormat.COOPERATIVE],
        FORMAT_CODES[ActivityFormat.COMPETITIVE],
    }
    for item in ITEMS:
        for wave in item.waves:
            assert labels[item.variable(wave)] == {**item.value_labels, **MISSING_LABELS}
    if name.endswith(".sav"):
        for column in WIDE_ITEMS:
            assert sorted(r["lo"] for r in meta.missing_ranges[column]) == [-9, -8]


def test_respondents_are_renumbered_for_every_export(
    client: TestClient, admin_headers: dict[str, str], programme: list[Simulation]
) -> None:
    first = _csv(_download(client, admin_headers), "answers_wide.csv")
    second = _csv(_download(client, admin_headers), "answers_wide.csv")
    # The same rows, numbered 1…n both times, but the numbers fall on other people.
    assert sorted(map(_wide_key, first)) == sorted(map(_wide_key, second))
    numbers = {int(row["respondent"]) for row in first}
    assert numbers == {int(row["respondent"]) for row in second}
    assert numbers == set(range(1, len(numbers) + 1))
    assert [_wide_key(row) for row in first] != [_wide_key(row) for row in second]
    # One person keeps one number across the events of one export.
    keys = [f"pseudonym-{number}" for number in range(40)]
    one, other = renumber(keys), renumber(keys)
    assert sorted(one.values()) == list(range(1, 41))
    assert one != other


def _personal_texts(db: Session, programme: list[Simulation]) -> list[str]:
    cipher = get_cipher()
    texts = []
    for simulation in programme:
        for person in simulation.people:
            participant = person.participant
            db.refresh(participant)
            texts += [str(participant.id), pseudonym(participant.id)]
            for encrypted in (participant.name_encrypted, participant.phone_encrypted):
                if encrypted is not None:
                    texts.append(cipher.decrypt(encrypted))
            if participant.email_encrypted is not None:
                texts.append(cipher.decrypt(participant.email_encrypted))
    return texts


def test_no_file_holds_a_name_number_address_id_pseudonym_or_comment(
    client: TestClient, admin_headers: dict[str, str], db: Session, programme: list[Simulation]
) -> None:
    bundle = _download(client, admin_headers)
    contents = {name: bundle.read(name) for name in bundle.namelist()}
    for text in [*_personal_texts(db, programme), "Comment 4", "Comment 8"]:
        needle = text.encode()
        for name, content in contents.items():
            assert needle not in content, name
    phones = [text for text in _personal_texts(db, programme) if text.startswith("+996")]
    assert phones  # the search above did look for numbers
    for name, content in contents.items():
        assert b"+996" not in content, name


def test_an_erased_person_is_absent_from_the_next_export(
    client: TestClient, admin_headers: dict[str, str], programme: list[Simulation]
) -> None:
    big = programme[0]
    before = _csv(_download(client, admin_headers), "answers_wide.csv")
    report = f"/v1/reports/events/{big.event.id}"
    figures = client.get(report, headers=admin_headers).json()["survey"]
    erased = next(
        person
        for person in big.people
        if person.community is Community.HOST and person.post is not None and person.pre_answered
    )
    response = client.delete(f"/v1/participants/{erased.participant.id}", headers=admin_headers)
    assert response.status_code == 204
    after = _csv(_download(client, admin_headers), "answers_wide.csv")
    assert len(after) == len(before) - 1
    lost = Counter(map(_wide_key, before)) - Counter(map(_wide_key, after))
    assert lost == Counter([_wide_key_of_person(erased)])
    # The aggregate reports still count the person's answers.
    assert client.get(report, headers=admin_headers).json()["survey"] == figures


def _wide_key_of_person(person: Person) -> tuple[Any, ...]:
    post = person.post
    assert post is not None
    return (
        str(person.event_id),
        COMMUNITY_CODES[person.community],
        _coded(person.pre),
        _coded(post.attitude),
        _coded(post.rating),
        _coded(post.talk),
    )


def test_filters_select_whole_cells_and_the_codebook_describes_every_column(
    client: TestClient, admin_headers: dict[str, str], programme: list[Simulation]
) -> None:
    bundle = _download(client, admin_headers, community="migrant", city="bishkek")
    wide = _csv(bundle, "answers_wide.csv")
    assert {row["community"] for row in wide} == {str(COMMUNITY_CODES[Community.MIGRANT])}
    assert {row["city"] for row in wide} == {"bishkek"}
    codebook = {row["variable"]: row for row in _csv(bundle, "codebook.csv")}
    assert set(wide[0]) <= set(codebook)
    described = codebook["activity_format"]
    assert described["type"] == "integer"
    assert described["value_labels"] == (
        "1 = cooperative | 2 = mixed_teams | 3 = discussion | 4 = competitive"
    )
    assert "activity_format" in bundle.read("codebook.html").decode()
    assert set(_csv(bundle, "answers_long.csv")[0]) <= set(codebook)
    attitude = codebook["attitude_pre"]
    assert attitude["wording_ru"].startswith("Как вы относитесь")
    assert attitude["wording_ky"].startswith("Башка коомчулуктун")
    assert attitude["wording_en"].startswith("How do you feel")
    assert "default text" in attitude["source_ru"]
    assert "-9 = Not answered" in attitude["missing_codes"]
    page = bundle.read("codebook.html").decode()
    assert "Как вы относитесь" in page
    assert "fewer than 5 respondents" in page
    assert "migrant" in page  # the filters are named


def test_an_edited_question_is_the_wording_the_codebook_gives(
    client: TestClient, admin_headers: dict[str, str], programme: list[Simulation]
) -> None:
    text = "Как вы сейчас относитесь к людям из другого сообщества? Ответьте от 1 до 5."
    response = client.put(
        "/v1/message-templates/survey_question_attitude/ru",
        headers=admin_headers,
        json={"body": text},
    )
    assert response.status_code == 200, response.text
    codebook = {
        row["variable"]: row for row in _csv(_download(client, admin_headers), "codebook.csv")
    }
    assert codebook["attitude_post"]["wording_ru"] == text
    assert "edited by an administrator" in codebook["attitude_post"]["source_ru"]


def test_viewers_and_admins_get_it_coordinators_do_not_and_cities_scope_it(
    client: TestClient,
    db: Session,
    make_user: UserFactory,
    bishkek_headers: dict[str, str],
    programme: list[Simulation],
) -> None:
    viewer = make_user(Role.VIEWER, ("bishkek",))
    bishkek_viewer = bearer(viewer)
    bundle = _download(client, bishkek_viewer)
    wide = _csv(bundle, "answers_wide.csv")
    assert wide
    assert {row["city"] for row in wide} == {"bishkek"}
    entry = db.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "report.dataset", AuditEntry.actor_id == viewer.id
        )
    ).one()
    assert entry.details["respondents"] == len({row["respondent"] for row in wide})
    # Refusals last: a refused request rolls back the uncommitted programme.
    refused = client.get("/v1/reports/dataset", headers=bishkek_headers, params=PERIOD)
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert client.get("/v1/reports/dataset", params=PERIOD).status_code == 401


def test_bad_filters_are_problems(client: TestClient, admin_headers: dict[str, str]) -> None:
    unknown = client.get("/v1/reports/dataset", headers=admin_headers, params={"city": "paris"})
    assert unknown.status_code == 422
    refused = client.get(
        "/v1/reports/dataset",
        headers=admin_headers,
        params={"from": "2031-03-20", "to": "2031-03-01"},
    )
    assert refused.status_code == 422
