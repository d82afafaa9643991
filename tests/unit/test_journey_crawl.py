"""The console walk's rules for which links it follows and how it groups them."""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.integration.console.crawl import console_path, crawl, links_in, object_pages, shape

ID = "0b6c2a52-8e0e-4a8f-9a35-1f1c2b3d4e5f"


@dataclass
class FakeResponse:
    text: str
    status_code: int = 200
    headers: dict[str, str] = field(default_factory=lambda: {"content-type": "text/html"})

    @property
    def content(self) -> bytes:
        return self.text.encode()


def test_only_console_pages_are_followed() -> None:
    html = (
        '<a href="/console/events?page=2#top">next</a>'
        '<a href="https://example.org/console">elsewhere</a>'
        '<a href="/p/token">a personal page</a>'
        '<a href="mailto:someone@example.org">mail</a>'
        '<a href="/console/sign-out">out</a>'
        f'<div hx-get="/console/events/{ID}/counts"></div>'
        '<a href="edit">relative</a>'
    )

    assert links_in(html, base=f"/console/events/{ID}/") == [
        "/console/events?page=2",
        f"/console/events/{ID}/counts",
        f"/console/events/{ID}/edit",
    ]
    assert console_path("http://testserver/console", base="/console/x") == "/console"


def test_ids_and_query_values_do_not_make_a_new_shape() -> None:
    assert shape(f"/console/events/{ID}/door?q=Ai") == "/console/events/{id}/door?q"
    assert shape("/console/inbox/12?b=1&a=2") == "/console/inbox/{id}?a&b"
    assert object_pages(["/console/events", f"/console/events/{ID}", "/console/events?x=1"]) == [
        f"/console/events/{ID}"
    ]


def test_an_endless_chain_of_links_is_cut_after_a_few_of_its_shape() -> None:
    def get(url: str) -> FakeResponse:
        month = int(url.rsplit("=", 1)[1]) if "=" in url else 0
        return FakeResponse(f'<a href="/console/calendar?month={month + 1}">next</a>')

    visited = crawl(get, start="/console/calendar")

    assert [page.url for page in visited] == [
        "/console/calendar",
        "/console/calendar?month=1",
        "/console/calendar?month=2",
        "/console/calendar?month=3",
    ]


def test_a_redirect_is_followed_to_its_console_page() -> None:
    pages = {
        "/console": FakeResponse("", 303, {"location": "/console/account"}),
        "/console/account": FakeResponse("<p>done</p>"),
    }

    visited = crawl(pages.__getitem__)

    assert [(page.url, page.status) for page in visited] == [
        ("/console", 303),
        ("/console/account", 200),
    ]
