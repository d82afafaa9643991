"""The Indicators page: values against targets per city and period, the admins' form with its
formula check (htmx fragment and the no-JavaScript page), city scoping and the export."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_shared.models import ContactRollup, Indicator, IndicatorPeriod, IndicatorUnit, Role
from tests.integration.console.conftest import SignedIn

FORM = {
    "code": "OUT-3.1",
    "name_en": "People with a cross-group contact",
    "name_ru": "Люди с межгрупповым контактом",
    "name_ky": "Топтор аралык байланышы бар адамдар",
    "formula": "cross_contact_share * 100",
    "unit": "percent",
    "period": "month",
    "target": "60",
    "target_osh": "50,5",
}


def _rollup(db: Session, city: str, month: str, people: int, reached: int) -> None:
    row = ContactRollup(
        city_code=city, month=month, people=people, repeated_pairs=0, buddy_pairs_met_three=0
    )
    for k in (1, 2, 3, 5, 10):
        setattr(row, f"reached_{k}", reached if k == 1 else 0)
    db.add(row)
    db.commit()


def test_an_admin_defines_an_indicator_and_everyone_reads_it(
    signed_in: SignedIn, db: Session
) -> None:
    _rollup(db, "bishkek", "2031-03", 20, 15)
    _rollup(db, "osh", "2031-03", 3, 3)  # a small cell: withheld
    admin = signed_in(Role.ADMIN, ())
    admin.headers["Accept-Language"] = "en"
    assert "/console/indicators" in admin.get("/console").text  # in the menu
    assert 'href="/console/indicators/new"' in admin.get("/console/indicators").text

    saved = admin.post("/console/indicators", data={**FORM, "csrf": admin.csrf})
    assert saved.status_code == 303, saved.text
    row = db.scalars(select(Indicator)).one()
    assert row.city_targets == {"osh": 50.5}
    assert (row.unit, row.period, row.target) == (IndicatorUnit.PERCENT, IndicatorPeriod.MONTH, 60)

    viewer = signed_in(Role.VIEWER, ("bishkek", "osh"))
    viewer.headers["Accept-Language"] = "en"
    page = viewer.get("/console/indicators", params={"period": "2031-03"})
    assert page.status_code == 200
    html = page.text
    assert "People with a cross-group contact" in html
    assert "<svg" in html
    assert "75 %" in html  # 15 of 20 in Bishkek
    osh = html.split(">Osh<")[-1].split("</tr>")[0]
    assert "suppressed" in osh
    assert "50.5 %" in osh
    assert 'href="/console/indicators/new"' not in html
    assert viewer.get("/console/indicators/new").status_code == 403
    refused = viewer.post("/console/indicators", data={**FORM, "csrf": viewer.csrf})
    assert refused.status_code == 403

    coordinator = signed_in(Role.COORDINATOR, ("osh",))
    coordinator.headers["Accept-Language"] = "en"
    scoped = coordinator.get("/console/indicators", params={"period": "2031-03"}).text
    assert ">Osh<" in scoped
    assert ">Bishkek<" not in scoped.split("<main")[1]
    exported = coordinator.get("/console/indicators/export.csv", params={"period": "2031-03"})
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert [line[6] for line in rows[1:]] == ["osh"]


def test_the_formula_is_checked_live_and_without_javascript(
    signed_in: SignedIn, db: Session
) -> None:
    admin = signed_in(Role.ADMIN, ())
    admin.headers["Accept-Language"] = "en"
    fragment = admin.post(
        "/console/indicators/check",
        data={"formula": "events_held / budget", "csrf": admin.csrf},
        headers={"HX-Request": "true"},
    )
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert "unknown figure &#39;budget&#39; at column 15" in fragment.text
    good = admin.post(
        "/console/indicators/check",
        data={"formula": "events_held * 2", "csrf": admin.csrf},
        headers={"HX-Request": "true"},
    )
    assert "It reads: events_held" in good.text

    # Without JavaScript the check button posts the whole form and gets it back, filled in.
    page = admin.post(
        "/console/indicators/check", data={**FORM, "formula": "1 +", "csrf": admin.csrf}
    )
    assert page.status_code == 200
    assert "the formula ends too early at column 4" in page.text
    assert 'value="OUT-3.1"' in page.text
    assert db.scalar(select(Indicator.id)) is None

    refused = admin.post(
        "/console/indicators", data={**FORM, "formula": "open('x')", "csrf": admin.csrf}
    )
    assert refused.status_code == 422
    assert "function calls not allowed at column 1" in refused.text
    assert db.scalar(select(Indicator.id)) is None


def test_an_admin_edits_and_deletes(signed_in: SignedIn, db: Session) -> None:
    admin = signed_in(Role.ADMIN, ())
    admin.headers["Accept-Language"] = "en"
    admin.post("/console/indicators", data={**FORM, "csrf": admin.csrf})
    row = db.scalars(select(Indicator)).one()
    edit = admin.get(f"/console/indicators/{row.id}")
    assert 'value="cross_contact_share * 100"' in edit.text
    assert 'value="50.5"' in edit.text
    changed = admin.post(
        f"/console/indicators/{row.id}",
        data={**FORM, "target": "70", "target_osh": "", "csrf": admin.csrf},
    )
    assert changed.status_code == 303, changed.text
    db.expire_all()
    assert (row.target, row.city_targets) == (70.0, {})
    bad = admin.post(
        f"/console/indicators/{row.id}", data={**FORM, "target": "many", "csrf": admin.csrf}
    )
    assert bad.status_code == 422
    assert "target" in bad.text
    gone = admin.post(f"/console/indicators/{row.id}/delete", data={"csrf": admin.csrf})
    assert gone.status_code == 303
    assert db.scalar(select(Indicator.id)) is None
