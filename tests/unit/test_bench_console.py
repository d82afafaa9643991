"""The console bench's own pieces: signing in, filling in a request, weighing a page, verdicts."""

from __future__ import annotations

import gzip
import re
import urllib.parse

import httpx
import pytest

from birge_cli.bench.bulk_fill import GIVEN_NAMES, bench_name
from birge_cli.bench.console import BASELINE, Browser, Page, Result, percentile, print_goals
from birge_cli.bench.stores import BenchSetupError

FILL_IN = {"event_id": "e-1", "name": "Айгерим Асанова", "phone": "+996550000000"}


def test_percentiles_are_nearest_rank() -> None:
    values = [float(n) for n in range(20, 0, -1)]
    assert percentile(values, 0.5) == 10.0
    assert percentile(values, 0.95) == 19.0
    assert percentile([3.0, 1.0, 2.0], 0.95) == 3.0
    assert percentile([7.0], 0.5) == 7.0


def test_names_repeat_only_after_every_combination() -> None:
    assert bench_name(0) != bench_name(1)
    assert bench_name(0) != bench_name(len(GIVEN_NAMES))
    assert bench_name(0) == bench_name(len(GIVEN_NAMES) ** 2)


def _sign_in_server() -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path == "/console/sign-in":
            return httpx.Response(
                200,
                text='<input type="hidden" name="form_token" value="tok-1">',
                headers={"Set-Cookie": "birge_sign_in=tok-1; Path=/console/sign-in"},
            )
        if request.method == "POST" and request.url.path == "/console/sign-in":
            form = urllib.parse.parse_qs(request.content.decode())
            cookie = request.headers.get("cookie", "")
            right = form["password"] == ["secret"] and form["form_token"] == ["tok-1"]
            if right and "birge_sign_in=tok-1" in cookie:
                return httpx.Response(
                    303, headers={"Location": "/console", "Set-Cookie": "session=s-1; Path=/"}
                )
            return httpx.Response(401)
        if request.url.path == "/console" and "session=s-1" in request.headers.get("cookie", ""):
            return httpx.Response(200, text='<input type="hidden" name="csrf" value="c-1">')
        return httpx.Response(404)

    return httpx.MockTransport(answer)


def test_signing_in_posts_the_forms_token_with_its_cookie_and_keeps_the_csrf_token() -> None:
    browser = Browser("http://console.test", FILL_IN, transport=_sign_in_server())
    browser.sign_in("coordinator@example.org", "secret")
    assert browser.csrf == "c-1"


def test_a_refused_sign_in_stops_the_run() -> None:
    browser = Browser("http://console.test", FILL_IN, transport=_sign_in_server())
    with pytest.raises(BenchSetupError, match="answered 401"):
        browser.sign_in("coordinator@example.org", "wrong")


def test_a_get_page_has_its_values_url_encoded_and_a_post_form_gets_the_csrf_token() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    browser = Browser("http://console.test", FILL_IN, transport=httpx.MockTransport(answer))
    browser.csrf = "c-1"
    browser.request(Page("by phone", "/console/participants?phone={phone}"))
    browser.request(Page("event", "/console/events/{event_id}"))
    browser.request(Page("by name", "/console/participants/search", "POST", {"q": "{name}"}))

    assert seen[0].url.raw_path == b"/console/participants?phone=%2B996550000000"
    assert seen[1].url.path == "/console/events/e-1"
    assert seen[2].method == "POST"
    form = urllib.parse.parse_qs(seen[2].content.decode())
    assert form == {"q": ["Айгерим Асанова"], "csrf": ["c-1"]}
    assert all(request.headers["accept-encoding"] == "gzip" for request in seen)


def test_a_page_weighs_its_compressed_html_plus_each_stylesheet_and_script_once() -> None:
    page = (
        '<link rel="stylesheet" href="/s/console.css?v=1&amp;x=2">'
        '<script src="/s/htmx.js?v=2" defer></script><script src="/s/htmx.js?v=2"></script>'
        '<link rel="icon" href="/s/icon.svg">' + "<p>row</p>" * 500
    ).encode()
    bodies = {
        "/console": page,
        "/s/console.css": b"body{color:#111}" * 300,
        "/s/htmx.js": b"htmx.process(document)" * 300,
    }
    fetched: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        fetched.append(str(request.url.raw_path, "ascii"))
        return httpx.Response(
            200,
            # A stream, as a server's answer arrives: its bytes are counted as downloaded.
            stream=httpx.ByteStream(gzip.compress(bodies[request.url.path])),
            headers={"Content-Encoding": "gzip"},
        )

    browser = Browser("http://console.test", FILL_IN, transport=httpx.MockTransport(answer))
    result = Result(Page("dashboard", "/console"))
    browser.weigh(result)

    wire = {path: len(gzip.compress(body)) for path, body in bodies.items()}
    assert result.html_bytes == wire["/console"] < len(page)
    assert result.first_load_bytes == sum(wire.values())
    assert result.assets == 2
    assert sorted(fetched[1:]) == ["/s/console.css?v=1&x=2", "/s/htmx.js?v=2"]


def test_goals_name_each_verdict_and_an_error_page_gets_no_figures() -> None:
    healthz = Result(Page("healthz", "/healthz"), status=200, server=[0.001])
    fast = Result(
        Page("dashboard", "/console"),
        status=200,
        server=[0.010, 0.020, 0.030],
        html_bytes=2_000,
        first_load_bytes=120_000,
        assets=2,
    )
    missing = Result(Page("reports", "/console/reports"), status=404)
    lines: list[str] = []

    errors = print_goals([healthz, fast, missing], lines.append)

    assert errors == 1
    assert lines[1] == (
        "  dashboard: p95 30.0 ms met; first load 120.0 KB (2 assets) MISSED; HTML 2.0 KB met"
    )
    assert lines[2] == "  reports: ERROR, answered 404; no figures"
    assert re.fullmatch(
        r"verdict: 0 of 2 pages meet every goal; 1 answered an error or found nobody", lines[3]
    )


def test_a_search_that_shows_nobody_is_an_error_not_a_figure() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if "phone" in request.content.decode():
            return httpx.Response(200, text="<td>Айгерим Асанова</td>")
        # The box repeats what was typed; no row shows anyone.
        return httpx.Response(200, text='<input name="name" value="Айгерим Асанова">')

    browser = Browser("http://console.test", FILL_IN, transport=httpx.MockTransport(answer))
    name_search = Page("by name", "/p", "POST", {"name": "{name}"}, ("{name}", 2))
    phone_search = Page("by phone", "/p", "POST", {"phone": "{phone}"}, ("{name}", 1))
    by_name = Result(name_search, status=200, server=[0.01])
    by_phone = Result(phone_search, status=200, server=[0.01])
    browser.weigh(by_name)
    browser.weigh(by_phone)
    lines: list[str] = []

    baseline = Result(BASELINE, status=200, server=[0.001])
    errors = print_goals([baseline, by_name, by_phone], lines.append)

    assert (by_name.found, by_phone.found) == (False, True)
    assert errors == 1
    assert lines[1].endswith("; ERROR, the person searched for is not on the page")
    assert lines[2].endswith("HTML 0.0 KB met")
