"""The reports page's contact section: the rollups' figures, suppressed like every figure."""

from __future__ import annotations

from sqlalchemy.orm import Session

from birge_shared.models import ContactRollup, Role
from tests.integration.console.conftest import SignedIn


def _rollup(db: Session, city: str, month: str, people: int, **counts: int) -> None:
    row = ContactRollup(
        city_code=city, month=month, people=people, repeated_pairs=0, buddy_pairs_met_three=0
    )
    for k in (1, 2, 3, 5, 10):
        setattr(row, f"reached_{k}", counts.get(f"reached_{k}", 0))
    for key, value in counts.items():
        setattr(row, key, value)
    db.add(row)
    db.commit()


def test_a_viewer_reads_the_contact_figures_with_small_cells_suppressed(
    signed_in: SignedIn, db: Session
) -> None:
    _rollup(db, "bishkek", "2026-10", 20, reached_1=15, reached_2=10, repeated_pairs=6)
    _rollup(db, "bishkek", "2026-11", 3, reached_1=3)
    client = signed_in(Role.VIEWER, ("bishkek",))
    client.headers["Accept-Language"] = "en"
    html = client.get("/console/reports").text
    section = html.split('id="contacts-heading"')[1]
    october, november = section.split("2026-10")[1], section.split("2026-11")[1]
    assert "75%" in october.split("</tr>")[0]  # 15 of 20
    assert ">6<" in october.split("</tr>")[0]
    assert "suppressed" in november.split("</tr>")[0]
    # Filtered to October's dates, November is not shown.
    filtered = client.get("/console/reports", params={"from": "2026-10-01", "to": "2026-10-31"})
    assert "2026-11" not in filtered.text.split('id="contacts-heading"')[1]
