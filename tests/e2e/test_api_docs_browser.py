"""/docs in Debian's Chromium with every request off this server refused: the page must draw
the API from local files alone, under a Content-Security-Policy that allows only this server."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Route, expect

ACTION_MS = 30_000

pytestmark = pytest.mark.timeout(180)


def test_the_api_documentation_works_without_the_internet(
    browser: Browser, live_server: str
) -> None:
    context = browser.new_context()
    outside: list[str] = []
    complaints: list[str] = []

    def only_this_server(route: Route) -> None:
        url = route.request.url
        if url.startswith((live_server + "/", "data:")):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    def record(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            complaints.append(message.text)

    try:
        context.route("**/*", only_this_server)
        page = context.new_page()
        page.set_default_timeout(ACTION_MS)
        page.on("console", record)

        response = page.goto(f"{live_server}/docs")
        assert response is not None
        assert response.status == 200
        assert "script-src 'self'" in response.headers["content-security-policy"]
        # Swagger UI has fetched /openapi.json and drawn an operation of each domain.
        expect(page.locator(".opblock-summary-path", has_text="/v1/events").first).to_be_visible()
        expect(page.locator(".opblock-tag", has_text="calendars").first).to_be_visible()
        expect(page.locator(".info .title")).to_contain_text("Birge")
    finally:
        context.close()

    assert outside == []
    assert [text for text in complaints if "Content Security Policy" in text] == []
