"""What the console's browser tests share: committed users, signing in, axe-core, screenshots.

axe-core comes from npm (tests/e2e/package.json, installed by `make node`) and is injected into
the page under test; its context bypasses the page's Content-Security-Policy only so that the
injected script may run, which is why `checked_context` is used for axe runs alone.
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session

from birge_shared.models import AuditEntry, ConsoleSession, Role, SavedFilter, User
from birge_shared.users import create_user
from tests.conftest import TEST_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "docs" / "screenshots"
#: The two widths every console page is walked at: a phone at the venue, a laptop in an office.
PHONE = {"width": 360, "height": 740}
LAPTOP = {"width": 1280, "height": 800}
#: The impacts a page may not have (axe's "minor" and "moderate" are reported, not failed).
BLOCKING_IMPACTS = frozenset({"serious", "critical"})
#: How long a form's post and its redirect may take on a busy machine.
LANDING_MS = 30_000


def double_click_lands(
    page: Page, button: str, url: re.Pattern[str] | str, *, ms: int = LANDING_MS
) -> None:
    """Double-click a form's button and wait until the page is where the form leads.

    The second click's post aborts the first one's navigation in the browser (ERR_ABORTED),
    so waiting for "the" navigation can catch the aborted one; the address the page ends up
    on is what counts, and the server's one Idempotency-Key is what the test checks after.
    """
    page.locator(button).dblclick()
    expect(page).to_have_url(url, timeout=ms)


class ConsoleUsers:
    """Staff accounts committed for the live server to see, deleted afterwards."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.ids: list[uuid.UUID] = []

    def add(self, role: Role = Role.COORDINATOR, cities: tuple[str, ...] = ("bishkek",)) -> User:
        with Session(self.engine, expire_on_commit=False) as session:
            user = create_user(
                session=session,
                email=f"{role.value}-{uuid.uuid4().hex[:8]}@example.org",
                password=TEST_PASSWORD,
                role=role,
                city_codes=cities,
            )
            session.commit()
            self.ids.append(user.id)
            return user

    def remove(self) -> None:
        with Session(self.engine) as session:
            session.execute(delete(ConsoleSession).where(ConsoleSession.user_id.in_(self.ids)))
            session.execute(delete(AuditEntry).where(AuditEntry.actor_id.in_(self.ids)))
            # Filters the pages saved would outlive their author (created_by_id is SET NULL).
            session.execute(delete(SavedFilter).where(SavedFilter.created_by_id.in_(self.ids)))
            session.execute(delete(User).where(User.id.in_(self.ids)))
            session.commit()


def new_context(
    browser: Browser,
    *,
    viewport: dict[str, int] = LAPTOP,
    javascript: bool = True,
    language: str = "en",
    for_axe: bool = False,
) -> BrowserContext:
    return browser.new_context(
        viewport=viewport,  # type: ignore[arg-type]
        java_script_enabled=javascript,
        locale={"ky": "ky-KG", "ru": "ru-RU", "en": "en-GB"}[language],
        extra_http_headers={"Accept-Language": language},
        bypass_csp=for_axe,
    )


def sign_in(page: Page, base_url: str, user: User, *, next_path: str = "/console") -> None:
    page.goto(f"{base_url}/console/sign-in?next={next_path}")
    page.fill("#email", user.email)
    page.fill("#password", TEST_PASSWORD)
    page.click("form[action='/console/sign-in'] button[type=submit]")
    page.wait_for_url(f"{base_url}{next_path}*")


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical findings on the page as it is now."""
    assert AXE.exists(), "axe-core is missing: run `make node`"
    page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})"
    )
    return [v for v in result["violations"] if v.get("impact") in BLOCKING_IMPACTS]


def assert_accessible(page: Page) -> None:
    violations = axe_violations(page)
    summary = [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"][:3]]}
        for v in violations
    ]
    assert not violations, f"{page.url}: {json.dumps(summary, ensure_ascii=False)}"


def screenshot(page: Page, name: str) -> Path:
    """A full-page picture for README.md, kept in the repository under docs/screenshots."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
